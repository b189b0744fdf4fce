//! One count of problems for every place that shows one: the status bar,
//! the navigation badges, the Registry page and the Problems panel read
//! these tallies, each saying what it counts (this file, the registry,
//! both), so two places on one screen never disagree.

use crate::core::plural::count;
use crate::core::registry::{Finding as RegistryFinding, Severity as RegistrySeverity};
use crate::core::session::EditSession;

/// Errors and warnings (the problems) and notes (worth knowing, not wrong).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Tally {
    /// The open file: its findings, a text that does not parse, and every
    /// field showing text that is not in the file.
    pub fn of_session(session: &EditSession) -> Self {
        Self {
            errors: session.error_count(),
            warnings: session.warning_count(),
            notes: 0,
        }
    }

    /// The model registry's findings.
    pub fn of_registry(findings: &[RegistryFinding]) -> Self {
        findings.iter().fold(Self::default(), |mut t, f| {
            match f.severity {
                RegistrySeverity::Error => t.errors += 1,
                RegistrySeverity::Warning => t.warnings += 1,
                RegistrySeverity::Info => t.notes += 1,
            }
            t
        })
    }

    /// Errors and warnings: what a badge counts.
    pub fn problems(&self) -> usize {
        self.errors + self.warnings
    }

    /// Every line a list of these findings has.
    pub fn listed(&self) -> usize {
        self.problems() + self.notes
    }

    /// "0 errors, 1 warning", with ", 6 notes" when there are notes.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{}, {}",
            count(self.errors, "error", "errors"),
            count(self.warnings, "warning", "warnings")
        );
        if self.notes > 0 {
            text.push_str(&format!(", {}", count(self.notes, "note", "notes")));
        }
        text
    }

    /// Only what there is: "no problems", "2 errors", "1 error, 3 warnings"
    /// (notes are not problems and are left out).
    pub fn brief(&self) -> String {
        match (self.errors, self.warnings) {
            (0, 0) => "no problems".to_owned(),
            (e, 0) => count(e, "error", "errors"),
            (0, w) => count(w, "warning", "warnings"),
            (e, w) => format!(
                "{}, {}",
                count(e, "error", "errors"),
                count(w, "warning", "warnings")
            ),
        }
    }
}

impl std::ops::Add for Tally {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            errors: self.errors + other.errors,
            warnings: self.warnings + other.warnings,
            notes: self.notes + other.notes,
        }
    }
}

/// The tallies of this file and of the registry, each when one is open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProblemCounts {
    pub file: Option<Tally>,
    pub registry: Option<Tally>,
}

impl ProblemCounts {
    pub fn of(session: Option<&EditSession>, registry: Option<&[RegistryFinding]>) -> Self {
        Self {
            file: session.map(Tally::of_session),
            registry: registry.map(Tally::of_registry),
        }
    }

    /// This file and the registry together.
    pub fn both(&self) -> Tally {
        self.file.unwrap_or_default() + self.registry.unwrap_or_default()
    }

    /// "this file: 1 warning · registry: 11 warnings", each part only when
    /// its file or registry is open.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [("this file", self.file), ("registry", self.registry)]
            .into_iter()
            .filter_map(|(of, tally)| tally.map(|t| format!("{of}: {}", t.brief())))
            .collect();
        if parts.is_empty() {
            "no file open".to_owned()
        } else {
            parts.join(" · ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::LayoutSet;
    use std::sync::Arc;

    fn registry_finding(severity: RegistrySeverity) -> RegistryFinding {
        RegistryFinding {
            severity,
            entry: "m".to_owned(),
            field: String::new(),
            message: "x".to_owned(),
            fix: None,
        }
    }

    #[test]
    fn each_tally_says_what_it_counts_and_both_is_their_sum()
    -> Result<(), Box<dyn std::error::Error>> {
        let layouts = Arc::new(LayoutSet::builtin()?);
        let mut session =
            EditSession::from_text("[server]\nport = 8100\nfoo = 1\n", Arc::clone(&layouts))?;
        let path = crate::core::document::DocPath::parse("limits.max_image_bytes")?;
        session.set_field_text(&path, Some("abc"));
        let registry = [
            registry_finding(RegistrySeverity::Warning),
            registry_finding(RegistrySeverity::Warning),
            registry_finding(RegistrySeverity::Info),
        ];
        let counts = ProblemCounts::of(Some(&session), Some(&registry));
        let file = counts.file.unwrap_or_default();
        assert_eq!(file.errors, session.error_count());
        assert!(file.errors >= 1, "the unwritten field text is an error");
        assert_eq!(
            counts.registry,
            Some(Tally {
                errors: 0,
                warnings: 2,
                notes: 1
            })
        );
        let both = counts.both();
        assert_eq!(both.problems(), file.problems() + 2);
        assert_eq!(both.listed(), both.problems() + 1);
        assert!(counts.summary().contains("registry: 2 warnings"));
        assert_eq!(
            Tally {
                errors: 0,
                warnings: 1,
                notes: 0
            }
            .describe(),
            "0 errors, 1 warning"
        );
        assert_eq!(Tally::default().brief(), "no problems");
        assert_eq!(
            ProblemCounts::of(Some(&session), None).summary(),
            format!("this file: {}", file.brief())
        );
        assert_eq!(ProblemCounts::of(None, None).summary(), "no file open");
        Ok(())
    }
}
