//! The proxy reads its file with Python's `tomllib`, which implements TOML
//! 1.0; `toml_edit` parses TOML 1.1. Syntax only 1.1 allows parses fine here
//! and stops the proxy at start-up, so it is an error found on the raw text.
//!
//! A small scanner that knows TOML's strings and comments finds: newlines
//! (and so comments) inside inline tables, trailing commas in inline tables,
//! times without seconds, the `\e` and `\xHH` escapes, and a UTF-8 BOM.

use super::{Finding, QuickFix, Severity};
use crate::core::document::DocPath;

/// What every finding of this checker starts with.
pub const DIALECT_PREFIX: &str = "the proxy reads TOML 1.0 (Python tomllib): ";

/// Every TOML 1.1-only construct in `text`, in file order.
pub fn check(text: &str) -> Vec<Finding> {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner.findings
}

/// The findings of `text`, one region of a file (from a header line to the
/// next) starting at 1-based line `first_line`, and whether the scan ended
/// outside any value (so the next region starts as a scan of it alone does).
pub(super) fn check_region(text: &str, first_line: usize) -> (Vec<Finding>, bool) {
    let mut scanner = Scanner::new(text);
    scanner.line = first_line;
    scanner.run();
    let clean = scanner.brackets.is_empty() && !scanner.in_value;
    (scanner.findings, clean)
}

/// The byte-order mark `tomllib` refuses.
pub const BOM: char = '\u{feff}';

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bracket {
    InlineTable,
    Array,
}

struct Scanner<'a> {
    chars: Vec<char>,
    text: &'a str,
    pos: usize,
    line: usize,
    column: usize,
    /// After `=` on a key/value line: brackets open arrays and inline tables
    /// (elsewhere `[` starts a table header).
    in_value: bool,
    brackets: Vec<Bracket>,
    findings: Vec<Finding>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().collect(),
            text,
            pos: 0,
            line: 1,
            column: 1,
            in_value: false,
            brackets: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn report(&mut self, line: usize, column: usize, what: &str) {
        self.findings.push(Finding {
            severity: Severity::Error,
            path: DocPath::default(),
            line: Some(line),
            column: Some(column),
            message: format!("{DIALECT_PREFIX}{what}"),
            fix: None,
        });
    }

    fn in_inline_table(&self) -> bool {
        self.brackets.last() == Some(&Bracket::InlineTable)
    }

    fn run(&mut self) {
        if self.text.starts_with(BOM) {
            self.report(
                1,
                1,
                "the file starts with a UTF-8 byte-order mark (BOM), which it rejects; remove it",
            );
            if let Some(bom) = self.findings.last_mut() {
                bom.fix = Some(QuickFix::remove_bom());
            }
            self.bump();
        }
        while let Some(c) = self.peek(0) {
            match c {
                '#' => self.comment(),
                '"' | '\'' => self.string(c),
                '\n' => self.newline(),
                '=' if self.brackets.is_empty() => {
                    self.in_value = true;
                    self.bump();
                }
                '{' if self.in_value => self.open(Bracket::InlineTable),
                '[' if self.in_value => self.open(Bracket::Array),
                '}' | ']' if self.in_value => {
                    self.brackets.pop();
                    self.bump();
                }
                ',' => self.comma(),
                c if c.is_ascii_digit() && self.in_value => self.bare_value(),
                _ => {
                    self.bump();
                }
            }
        }
    }

    fn open(&mut self, kind: Bracket) {
        self.brackets.push(kind);
        self.bump();
    }

    fn newline(&mut self) {
        if self.in_inline_table() {
            // In a CRLF file the line ends at the `\r`, where tomllib stops.
            let before_cr = self.pos > 0 && self.chars.get(self.pos - 1) == Some(&'\r');
            let (line, column) = (self.line, self.column - usize::from(before_cr));
            self.report(
                line,
                column,
                "an inline table “{ ... }” must stay on one line (no newlines or comments inside)",
            );
            // One finding per inline table: skip to its end.
            self.brackets.pop();
            self.brackets.push(Bracket::Array);
        }
        if self.brackets.is_empty() {
            self.in_value = false;
        }
        self.bump();
    }

    fn comment(&mut self) {
        while let Some(c) = self.peek(0) {
            if c == '\n' {
                return;
            }
            self.bump();
        }
    }

    fn comma(&mut self) {
        let (line, column) = (self.line, self.column);
        self.bump();
        if !self.in_inline_table() {
            return;
        }
        let mut ahead = 0;
        while matches!(self.peek(ahead), Some(' ' | '\t')) {
            ahead += 1;
        }
        if self.peek(ahead) == Some('}') {
            self.report(line, column, "no trailing comma in an inline table");
        }
    }

    /// A basic (`"`) or literal (`'`) string, single- or multi-line. Only basic
    /// strings have escapes.
    fn string(&mut self, quote: char) {
        let multi = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        let opening = if multi { 3 } else { 1 };
        for _ in 0..opening {
            self.bump();
        }
        while let Some(c) = self.peek(0) {
            if c == '\\' && quote == '"' {
                self.escape();
                continue;
            }
            if c == quote && (!multi || self.closes_multi(quote)) {
                for _ in 0..opening {
                    self.bump();
                }
                // A multi-line string may end in up to two more quotes.
                while multi && self.peek(0) == Some(quote) {
                    self.bump();
                }
                return;
            }
            if c == '\n' && !multi {
                return; // unterminated: the parser reports it
            }
            self.bump();
        }
    }

    fn closes_multi(&self, quote: char) -> bool {
        self.peek(1) == Some(quote) && self.peek(2) == Some(quote)
    }

    fn escape(&mut self) {
        let (line, column) = (self.line, self.column);
        self.bump();
        match self.peek(0) {
            Some('e') => self.report(
                line,
                column,
                "the “\\e” escape is TOML 1.1; write “\\u001B” instead",
            ),
            Some('x') => self.report(
                line,
                column,
                "the “\\xHH” escape is TOML 1.1; write “\\u00HH” instead",
            ),
            _ => {}
        }
        // The escaped character (`\\`, `\"`, ...) never starts anything.
        self.bump();
    }

    /// A bare value starting with a digit: a number, a date, a time or a
    /// datetime. Only times are checked: 1.0 needs their seconds.
    fn bare_value(&mut self) {
        let (line, column) = (self.line, self.column);
        let mut token = String::new();
        while let Some(c) = self.peek(0) {
            if !(c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '+' | '-' | '_')) {
                break;
            }
            token.push(c);
            self.bump();
        }
        if let Some(at) = time_without_seconds(&token) {
            self.report(
                line,
                column + at,
                "a time needs its seconds (“07:32:00”, not “07:32”)",
            );
        }
    }
}

/// Where in `token` a time `HH:MM` not followed by `:SS` starts. The time is
/// the whole token, or what follows a date's `T` (a space-separated time is
/// a token of its own); an offset after it (`-07:00`) is not a time.
fn time_without_seconds(token: &str) -> Option<usize> {
    let bytes = token.as_bytes();
    let is_date = bytes.len() >= 10 && bytes[4] == b'-' && bytes[7] == b'-';
    let start = if is_date {
        match bytes.get(10) {
            Some(b'T' | b't') => 11,
            _ => return None,
        }
    } else {
        0
    };
    let time = bytes.get(start..)?;
    let hh_mm = time.len() >= 5
        && time[..2].iter().all(u8::is_ascii_digit)
        && time[2] == b':'
        && time[3..5].iter().all(u8::is_ascii_digit);
    (hh_mm && time.get(5) != Some(&b':')).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spots(text: &str) -> Vec<(usize, usize)> {
        check(text)
            .iter()
            .map(|f| (f.line.unwrap_or(0), f.column.unwrap_or(0)))
            .collect()
    }

    fn first_message(text: &str) -> String {
        check(text)
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default()
    }

    #[test]
    fn newline_in_inline_table() {
        let text = "[a]\ntags = {a = 1,\n b = 2}\n";
        assert_eq!(spots(text), vec![(2, 15)]);
        assert!(first_message(text).starts_with(DIALECT_PREFIX));
        assert!(first_message(text).contains("one line"));
    }

    #[test]
    fn newline_in_inline_table_of_a_crlf_file_is_at_the_cr() {
        assert_eq!(spots("[a]\r\ntags = {a = 1,\r\n b = 2}\r\n"), vec![(2, 15)]);
    }

    #[test]
    fn comment_in_inline_table_is_a_newline_too() {
        assert_eq!(spots("t = { a = 1, # x\n b = 2 }\n"), vec![(1, 17)]);
    }

    #[test]
    fn one_line_inline_tables_and_multiline_arrays_pass() {
        assert!(check("t = { a = 1, b = { c = [1, 2] } }\n").is_empty());
        assert!(check("list = [\n  1,\n  2, # c\n]\n").is_empty());
        // 1.0 allows the newlines a value inside allows (a multi-line array).
        assert!(check("t = { a = [\n1] }\n").is_empty());
    }

    #[test]
    fn trailing_comma_in_inline_table() {
        assert_eq!(spots("t = { a = 1, }\n"), vec![(1, 12)]);
        assert!(first_message("t = {a = 1,}").contains("trailing comma"));
    }

    #[test]
    fn trailing_comma_in_array_passes() {
        assert!(check("a = [1, 2, ]\nt = { a = [1,] }\n").is_empty());
    }

    #[test]
    fn times_without_seconds() {
        assert_eq!(spots("t = 07:32\n"), vec![(1, 5)]);
        assert_eq!(spots("t = 1979-05-27T07:32\n"), vec![(1, 16)]);
        assert_eq!(spots("t = 1979-05-27 07:32Z\n"), vec![(1, 16)]);
        assert_eq!(spots("t = { at = 07:32 }\n"), vec![(1, 12)]);
        assert!(first_message("t = 07:32").contains("seconds"));
    }

    #[test]
    fn times_with_seconds_offsets_dates_and_numbers_pass() {
        let text = "a = 07:32:00\nb = 1979-05-27T00:32:00-07:00\nc = 1979-05-27\n\
                    d = 1979-05-27 07:32:00.5+01:30\ne = 12_000\nf = 1e-3\ng = -0.5\n";
        assert!(check(text).is_empty(), "{:?}", check(text));
    }

    #[test]
    fn time_like_text_in_strings_and_comments_passes() {
        assert!(check("a = \"07:32\" # at 07:32\nb = '07:32'\n").is_empty());
    }

    #[test]
    fn escape_e_and_x() {
        assert_eq!(spots("a = \"red\\e[0m\"\n"), vec![(1, 9)]);
        assert_eq!(spots("a = \"\\x41\"\n"), vec![(1, 6)]);
        assert_eq!(spots("a = \"\"\"\nx\\x41\"\"\"\n"), vec![(2, 2)]);
        assert!(first_message("a = \"\\e\"").contains("\\e"));
        assert!(first_message("a = \"\\x1b\"").contains("\\xHH"));
    }

    #[test]
    fn escape_near_misses_pass() {
        // An escaped backslash followed by e/x, literal strings, comments.
        let text =
            "a = \"\\\\e \\\\x41\"\nb = 'C:\\x\\e'\nc = '''\\e'''\n# \"\\e\"\nd = \"\\u001B\"\n";
        assert!(check(text).is_empty(), "{:?}", check(text));
    }

    #[test]
    fn quotes_inside_strings_do_not_confuse_the_scanner() {
        let text =
            "a = \"x \\\" { \"\nb = '''it's '' {'''\nc = \"\"\"a\"\"b\"\"\"\"\nd = { e = 1,\n}\n";
        assert_eq!(spots(text), vec![(4, 13)]);
    }

    #[test]
    fn table_headers_are_not_arrays() {
        let text = "[server]\nport = 1\n[[endpoints]]\nname = \"x\"\n";
        assert!(check(text).is_empty());
    }

    #[test]
    fn bom_at_start() {
        let text = "\u{feff}[server]\nport = 1\n";
        assert_eq!(spots(text), vec![(1, 1)]);
        assert!(first_message(text).contains("BOM"));
        assert!(check("a = \"\u{feff}\"\n").is_empty());
    }

    /// What the studio writes (forms and `set` go through `toml_edit` values
    /// and `ConfigDocument::set_value`) is TOML 1.0.
    #[test]
    fn values_the_studio_writes_are_toml_1_0() -> Result<(), Box<dyn std::error::Error>> {
        use crate::core::document::{ConfigDocument, DocPath};
        use crate::core::layout::LayoutSet;
        let layouts = LayoutSet::builtin()?;
        let mut doc = ConfigDocument::parse("[server]\nport = 8100\n")?;
        let mut table = toml_edit::InlineTable::new();
        table.insert("a", 1.into());
        table.insert("b", "x\u{1b}y".into());
        doc.set_value(&layouts, &DocPath::parse("ui.extra")?, table.into())?;
        let time = toml_edit::Datetime {
            date: None,
            time: Some(toml_edit::Time {
                hour: 7,
                minute: 32,
                second: Some(0),
                nanosecond: None,
            }),
            offset: None,
        };
        doc.set_value(&layouts, &DocPath::parse("ui.at")?, time.into())?;
        let text = doc.text();
        assert!(check(&text).is_empty(), "{text}");
        assert!(text.contains("07:32:00"), "{text}");
        Ok(())
    }
}
