//! Validation of a `chat_proxy.toml` against the layouts: what the proxy
//! would accept silently and fail on later, keys it ignores, broken
//! cross-references and literal secrets.

mod cross_rules;
pub mod dialect;
mod incremental;
mod locate;
pub mod quick_fix;
pub(crate) mod secrets;
mod suggest;
mod unique;
mod walk;

pub use incremental::FindingSet;
pub use quick_fix::{FixEdit, FixValue, QuickFix};
pub use secrets::looks_like_secret;
pub use suggest::did_you_mean;

use serde::Serialize;

use crate::core::document::{ConfigDocument, DocPath, ParseError, parse_spanned};
use crate::core::layout::LayoutSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// One problem, located in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The setting it is about (`server.port`, `endpoints[1].name`); the root for the whole file.
    pub path: DocPath,
    /// 1-based; `None` when the thing is missing from the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// The one edit that repairs it, when there is an obvious one. The
    /// finding keeps its severity until the fix is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<QuickFix>,
}

impl Finding {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{l}:{c}: ")?,
            (Some(l), None) => write!(f, "{l}: ")?,
            _ => {}
        }
        write!(f, "{}: ", self.severity)?;
        if !self.path.is_root() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Parse and validate text. A parse failure is returned as the error.
pub fn validate_text(text: &str, layouts: &LayoutSet) -> Result<Vec<Finding>, ParseError> {
    let parsed = parse_spanned(text)?;
    Ok(validate_parsed(&parsed, layouts))
}

/// Validate a document parsed with spans (lines and columns are filled in).
pub fn validate_parsed(parsed: &toml_edit::Document<String>, layouts: &LayoutSet) -> Vec<Finding> {
    let dialect = dialect::check(parsed.raw());
    let mut findings: Vec<Finding> = incremental::collect(parsed, layouts, dialect)
        .0
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    findings.sort_by_cached_key(order_key);
    findings
}

/// The order findings are shown in: by line, errors first, then by the
/// path's text as people read it, then by message (a total order, so that
/// findings kept up to date edit by edit list exactly as a fresh check).
pub(crate) fn order_key(f: &Finding) -> (usize, Severity, String, String) {
    (
        f.line.unwrap_or(usize::MAX),
        f.severity,
        f.path.to_string(),
        f.message.clone(),
    )
}

/// Validate an edited document. Its text is re-read for line numbers: an
/// edited `DocumentMut` keeps no spans.
pub fn validate_document(doc: &ConfigDocument, layouts: &LayoutSet) -> Vec<Finding> {
    match validate_text(&doc.text(), layouts) {
        Ok(findings) => findings,
        Err(e) => vec![Finding {
            severity: Severity::Error,
            path: DocPath::default(),
            line: Some(e.line),
            column: Some(e.column),
            message: format!("not valid TOML: {}", e.message),
            fix: None,
        }],
    }
}

pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_error)
}

#[cfg(test)]
mod tests;
