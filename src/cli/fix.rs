//! `fix`: every quick fix the findings carry (a string that is exactly the
//! number or boolean its field expects, a BOM), applied as one-line edits
//! through an `EditSession` and saved under the same rules as `set`.

use crate::core::plural;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::exit;
use super::output::Out;
use crate::core::layout::LayoutSet;
use crate::core::safe_save::SaveOutcome;
use crate::core::session::{EditSession, SavePolicy, SessionError};
use crate::core::text_diff;
use crate::core::validate::Finding;

/// What `fix` may do beyond applying the fixes.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FixOptions {
    /// Print the diff, write nothing.
    pub dry_run: bool,
    /// Save the fixes even when other errors remain (as `set --force`).
    pub force: bool,
}

/// What happened to the file.
enum Written {
    /// Dry run, or nothing to fix.
    No,
    Saved(SaveOutcome),
    /// Refused by the save rule or the disk; the file is unchanged.
    Refused(String),
}

/// Exit 0 when no error remains after the fixes (for `--dry-run`: would
/// remain), 1 when one does or the save was refused, 2 when unreadable.
pub(super) fn fix(layouts: &Arc<LayoutSet>, file: &Path, opts: FixOptions, o: &mut Out<'_>) -> u8 {
    let mut session = match EditSession::open(file, Arc::clone(layouts)) {
        Ok(s) => s,
        Err(e) => return super::config::open_failed(file, &e, o),
    };
    let fixed = match session.apply_fixes() {
        Ok(fixed) => fixed,
        Err(e) => {
            let message = format!("{}: {e}", file.display());
            o.error("refused", &message, json!({"file": file}));
            return exit::FINDINGS;
        }
    };
    let name = file.display().to_string();
    let diff = text_diff::unified(
        session.disk_text(),
        &session.doc().text(),
        &name,
        ("now", "fixed"),
    );
    let written = if opts.dry_run || fixed.is_empty() {
        Written::No
    } else {
        save(&mut session, opts.force)
    };
    let remaining: Vec<&Finding> = session.findings().iter().filter(|f| f.is_error()).collect();
    let report = Report {
        file: &name,
        fixed: &fixed,
        remaining: &remaining,
        diff: &diff,
        dry_run: opts.dry_run,
        written: &written,
    };
    o.emit(|| report.human(), || report.json());
    let refused = matches!(written, Written::Refused(_));
    if let Written::Refused(why) = &written {
        o.error("refused", why, json!({"file": file}));
    }
    if refused || !remaining.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn save(session: &mut EditSession, force: bool) -> Written {
    let policy = SavePolicy {
        force,
        overwrite: false,
    };
    match session.save_with(policy) {
        Ok(outcome) => Written::Saved(outcome),
        Err(SessionError::HasErrors(n)) => Written::Refused(format!(
            "not saved: the fixes would add {}; the file is unchanged \
             (use --force to save the fixes anyway)",
            crate::core::plural::count(n, "error", "errors")
        )),
        Err(e) => Written::Refused(format!("not saved: {e}")),
    }
}

struct Report<'a> {
    file: &'a str,
    fixed: &'a [Finding],
    remaining: &'a [&'a Finding],
    diff: &'a str,
    dry_run: bool,
    written: &'a Written,
}

impl Report<'_> {
    fn human(&self) -> String {
        let mut lines = Vec::new();
        if self.dry_run && !self.diff.is_empty() {
            lines.push(self.diff.trim_end().to_owned());
        }
        let verb = if self.dry_run { "would fix" } else { "fixed" };
        for f in self.fixed {
            let label = f.fix.as_ref().map_or("", |x| x.label.as_str());
            let what = if f.path.is_root() {
                "the file".to_owned()
            } else {
                f.path.to_string()
            };
            lines.push(format!("{}:{}{verb} {what}: {label}", self.file, at(f)));
        }
        for f in self.remaining {
            lines.push(format!("{}:{f}", self.file));
        }
        lines.push(self.summary());
        lines.join("\n")
    }

    fn summary(&self) -> String {
        let file = self.file;
        let n = self.fixed.len();
        let fixes = plural::count(n, "fix", "fixes");
        let remain = errors_remain(self.remaining.len());
        let errors = plural::count(self.remaining.len(), "error", "errors");
        match self.written {
            Written::Saved(SaveOutcome::Written {
                backup: Some(b), ..
            }) => format!(
                "{file}: {fixes} saved (previous version in {}); {remain}",
                b.display()
            ),
            Written::Saved(_) => format!("{file}: {fixes} saved; {remain}"),
            Written::Refused(_) => format!("{file}: {fixes} not saved; {remain}"),
            Written::No if n == 0 => format!("{file}: nothing to fix; {errors}"),
            Written::No => {
                format!("{file}: dry run, nothing written; {fixes} would leave {errors}")
            }
        }
    }

    fn json(&self) -> serde_json::Value {
        let fixed: Vec<serde_json::Value> = self
            .fixed
            .iter()
            .map(|f| json!({"path": f.path, "line": f.line, "column": f.column, "message": f.message, "fix": f.fix}))
            .collect();
        let (saved, backup) = match self.written {
            Written::Saved(SaveOutcome::Written { backup, .. }) => (true, backup.clone()),
            _ => (false, None),
        };
        json!({
            "file": self.file,
            "dry_run": self.dry_run,
            "fixed": fixed,
            "saved": saved,
            "backup": backup,
            "remaining_errors": self.remaining,
            "diff": self.diff,
        })
    }
}

/// `line:column: ` of a finding, or nothing when it has no place.
fn at(f: &Finding) -> String {
    match (f.line, f.column) {
        (Some(l), Some(c)) => format!("{l}:{c}: "),
        (Some(l), None) => format!("{l}: "),
        _ => String::new(),
    }
}

/// "1 error remains", "2 errors remain".
fn errors_remain(n: usize) -> String {
    let verb = if n == 1 { "remains" } else { "remain" };
    format!("{} {verb}", plural::count(n, "error", "errors"))
}
