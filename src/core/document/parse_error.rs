//! "Not TOML" errors with line, column and the offending line.

use std::fmt;

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
        write!(
            f,
            "line {}, column {}: {}\n  {} | {}\n  {} | {}^",
            self.line,
            self.column,
            self.message,
            self.line,
            self.line_text,
            " ".repeat(self.line.to_string().len()),
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

impl std::error::Error for ParseError {}
