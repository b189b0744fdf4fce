//! "Not TOML" errors with line, column and the offending line.

use std::fmt;

use crate::core::terminal_text::escape_line;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    /// The text of the offending line.
    pub line_text: String,
}

impl ParseError {
    pub(super) fn from_toml(text: &str, err: &toml_edit::TomlError) -> Self {
        let offset = err.span().map_or(0, |s| s.start).min(text.len());
        let (line, column) = line_col(text, offset);
        Self {
            line,
            column,
            message: err.message().trim().to_owned(),
            line_text: text.lines().nth(line - 1).unwrap_or_default().to_owned(),
        }
    }
}

/// 1-based line and character column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let head = &text[..offset];
    let line = head.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    (line, head[line_start..].chars().count() + 1)
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The line is quoted with its control characters escaped; the caret
        // is placed under the escaped text.
        let before: String = self
            .line_text
            .chars()
            .take(self.column.saturating_sub(1))
            .collect();
        let caret = escape_line(&before).chars().count();
        write!(
            f,
            "line {}, column {}: {}\n  {} | {}\n  {} | {}^",
            self.line,
            self.column,
            escape_line(&self.message),
            self.line,
            escape_line(&self.line_text),
            " ".repeat(self.line.to_string().len()),
            " ".repeat(caret)
        )
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_line_has_its_escapes_escaped() {
        let text = "# \u{1b}]0;pwned\u{7}\u{1b}[2J\nport = = 1\n";
        let err = toml_edit::Document::parse(text.to_owned()).expect_err("not TOML");
        let shown = ParseError::from_toml(text, &err).to_string();
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown:?}"
        );
        let bad = "x = \"\u{1b}[2J\" =\n";
        let err = toml_edit::Document::parse(bad.to_owned()).expect_err("not TOML");
        let shown = ParseError::from_toml(bad, &err).to_string();
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
        assert!(shown.contains("\\x1b[2J"), "{shown}");
    }
}
