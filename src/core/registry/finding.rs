//! What a registry check reports: a finding, its severity and the one fix it may offer.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    /// Worth knowing, not wrong (a curated value hiding a discovered one).
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub entry: String,
    pub field: String,
    pub message: String,
    /// What fixes it, when one action does.
    pub fix: Option<FindingFix>,
}

/// A fix a finding offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingFix {
    /// Write `model_registry.json` again from the layers (a save does).
    RegenerateSnapshot,
}

impl FindingFix {
    pub fn label(self) -> &'static str {
        match self {
            Self::RegenerateSnapshot => "regenerate",
        }
    }
}

pub(crate) fn finding(severity: Severity, entry: &str, field: &str, message: String) -> Finding {
    Finding {
        severity,
        entry: entry.into(),
        field: field.into(),
        message,
        fix: None,
    }
}
