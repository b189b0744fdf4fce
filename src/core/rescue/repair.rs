//! Text repairs for a file the proxy's `tomllib` cannot read. The file may
//! not parse here either (a backslash the proxy's `PUT` wrote raw, contract
//! §8), so each repair works on the text at the place
//! [`first_toml10_error`] names, one at a time, until tomllib would read the
//! file or no repair knows the error. Each repair keeps the value the file
//! meant: an inline table joined onto one line, the seconds `:00` a time
//! lacks, `\e` and `\xHH` as the `\u` escapes TOML 1.0 has, and a string the
//! proxy wrote unescaped read as the text it was sent (every backslash
//! literal).

use serde::Serialize;

use crate::core::proxy::broken::first_toml10_error;
use crate::core::validate::dialect::BOM;

/// One repair made, at the place tomllib stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Repair {
    pub line: usize,
    pub column: usize,
    /// Why tomllib stopped there.
    pub reason: String,
    /// What the repair did, in words.
    pub label: String,
}

/// Where tomllib stops, as it says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

impl FileError {
    pub fn first_in(text: &str) -> Option<Self> {
        first_toml10_error(text).map(|(line, column, reason)| Self {
            line,
            column,
            reason,
        })
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// What the repairs came to: the text, each repair, and the error no
/// repair knows (then tomllib still stops there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repaired {
    pub text: String,
    pub repairs: Vec<Repair>,
    pub remaining: Option<FileError>,
}

/// A file is never repaired more often than this (each repair removes one
/// error; a file with more is not one to mend blindly).
const MAX_REPAIRS: usize = 500;

/// Repair every error tomllib would stop at, first to last.
pub fn repair_for_tomllib(text: &str) -> Repaired {
    let mut text = text.to_owned();
    let mut repairs = Vec::new();
    while let Some(error) = FileError::first_in(&text) {
        if repairs.len() >= MAX_REPAIRS {
            return Repaired {
                text,
                repairs,
                remaining: Some(error),
            };
        }
        match repair_at(&text, &error) {
            Some((next, label)) if next != text => {
                text = next;
                repairs.push(Repair {
                    line: error.line,
                    column: error.column,
                    reason: error.reason.clone(),
                    label,
                });
            }
            _ => {
                return Repaired {
                    text,
                    repairs,
                    remaining: Some(error),
                };
            }
        }
    }
    Repaired {
        text,
        repairs,
        remaining: None,
    }
}

/// The byte offset of 1-based `line` and character `column`.
fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line == 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    match rest.char_indices().nth(column.checked_sub(1)?) {
        Some((i, _)) => Some(start + i),
        None => (column - 1 == rest.chars().count()).then_some(text.len()),
    }
}

fn line_bounds(text: &str, line: usize) -> Option<(usize, usize)> {
    let start = offset(text, line, 1)?;
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    Some((start, end))
}

fn repair_at(text: &str, error: &FileError) -> Option<(String, String)> {
    let reason = error.reason.as_str();
    if reason.contains("byte-order mark") {
        return text
            .strip_prefix(BOM)
            .map(|t| (t.to_owned(), "removed the byte-order mark (BOM)".to_owned()));
    }
    if reason.contains("must stay on one line") {
        return join_inline_table(text, error);
    }
    if reason.contains("trailing comma") {
        let at = offset(text, error.line, error.column)?;
        text[at..].starts_with(',').then_some(())?;
        return Some((
            format!("{}{}", &text[..at], &text[at + 1..]),
            format!(
                "removed the trailing comma in the inline table on line {}",
                error.line
            ),
        ));
    }
    if reason.contains("needs its seconds") {
        let at = offset(text, error.line, error.column)?;
        let time = text.get(at..at + 5)?;
        return Some((
            format!("{}:00{}", &text[..at + 5], &text[at + 5..]),
            format!("wrote the time {time} with its seconds ({time}:00)"),
        ));
    }
    if reason.contains("“\\e” escape") {
        let at = offset(text, error.line, error.column)?;
        text[at..].starts_with("\\e").then_some(())?;
        return Some((
            format!("{}\\u001B{}", &text[..at], &text[at + 2..]),
            "wrote the escape \\e as \\u001B (TOML 1.0)".to_owned(),
        ));
    }
    if reason.contains("“\\xHH” escape") {
        let at = offset(text, error.line, error.column)?;
        let hex = text.get(at + 2..at + 4)?;
        (text[at..].starts_with("\\x") && hex.chars().all(|c| c.is_ascii_hexdigit()))
            .then_some(())?;
        return Some((
            format!("{}\\u00{hex}{}", &text[..at], &text[at + 4..]),
            format!("wrote the escape \\x{hex} as \\u00{hex} (TOML 1.0)"),
        ));
    }
    if reason.starts_with("Illegal character") {
        return escape_control(text, error);
    }
    // tomllib's "Unescaped '\\'", or the parser here stopping at the same
    // backslash: a string the proxy's `PUT` wrote raw.
    escape_backslashes(text, error.line)
}

/// A newline (and so a comment) inside an inline table: join the next line
/// onto this one, dropping the comment (TOML 1.0 has no place for it).
fn join_inline_table(text: &str, error: &FileError) -> Option<(String, String)> {
    let (start, end) = line_bounds(text, error.line)?;
    if end == text.len() {
        return None;
    }
    let line = &text[start..end];
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (kept, comment) = match comment_start(line) {
        Some(at) => (line[..at].trim_end(), Some(line[at..].trim_end())),
        None => (line.trim_end(), None),
    };
    let next = &text[end + 1..];
    let next = next.trim_start_matches([' ', '\t']);
    let glue = if next.starts_with(['}', ',']) {
        ""
    } else {
        " "
    };
    let joined = format!("{}{kept}{glue}{next}", &text[..start]);
    let label = match comment {
        Some(c) => format!(
            "joined line {} of an inline table with the next (TOML 1.0 keeps inline tables on one line); its comment “{c}” was dropped",
            error.line
        ),
        None => format!(
            "joined line {} of an inline table with the next (TOML 1.0 keeps inline tables on one line)",
            error.line
        ),
    };
    Some((joined, label))
}

/// Where a comment starts on a line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' => return Some(i),
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
    }
    None
}

/// The first one-line basic string on `line` holding a backslash that
/// starts no TOML escape is one the proxy's `PUT` wrote raw (it escapes
/// only `"`): every other backslash in it was meant as itself too.
fn escape_backslashes(text: &str, line: usize) -> Option<(String, String)> {
    let (start, end) = line_bounds(text, line)?;
    let body = &text[start..end];
    let (open, close) = broken_basic_string(body)?;
    let inner = &body[open + 1..close];
    let mut fixed = String::with_capacity(inner.len() + 8);
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if chars.peek() == Some(&'"') {
                // The proxy's own escape of a quote.
                fixed.push('\\');
                fixed.push('"');
                chars.next();
            } else {
                fixed.push_str("\\\\");
            }
        } else {
            fixed.push(c);
        }
    }
    let shown: String = inner.replace("\\\"", "\"");
    let out = format!(
        "{}{}{}",
        &text[..start + open + 1],
        fixed,
        &text[start + close..]
    );
    Some((
        out,
        format!(
            "escaped the backslashes of \"{}\" on line {line}, as the proxy's API meant them (its PUT writes them raw)",
            crate::core::proxy::proxy_text::shown(&shown, 120)
        ),
    ))
}

/// The byte range (opening and closing quote) of the first basic
/// one-line string in `line` with an escape TOML does not know.
fn broken_basic_string(line: &str) -> Option<(usize, usize)> {
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => return None,
            '\'' => {
                for (_, d) in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                let mut broken = false;
                let mut close = None;
                while let Some((j, d)) = chars.next() {
                    if d == '\\' {
                        let next = chars.peek().map(|(_, n)| *n);
                        if !matches!(
                            next,
                            Some('b' | 't' | 'n' | 'f' | 'r' | '"' | '\\' | 'u' | 'U')
                        ) {
                            broken = true;
                        } else if next == Some('"') || next == Some('\\') {
                            chars.next();
                        }
                        continue;
                    }
                    if d == '"' {
                        close = Some(j);
                        break;
                    }
                }
                match close {
                    Some(j) if broken => return Some((i, j)),
                    Some(_) => {}
                    None => return None,
                }
            }
            _ => {}
        }
    }
    None
}

/// A raw control character in a one-line string (the proxy's `PUT` writes
/// a newline or a tab raw): written as its escape.
fn escape_control(text: &str, error: &FileError) -> Option<(String, String)> {
    let at = offset(text, error.line, error.column)?;
    let c = text[at..].chars().next()?;
    let escape = match c {
        '\n' => "\\n".to_owned(),
        '\r' => "\\r".to_owned(),
        c if c.is_control() => format!("\\u{:04X}", u32::from(c)),
        _ => return None,
    };
    Some((
        format!("{}{escape}{}", &text[..at], &text[at + c.len_utf8()..]),
        format!(
            "wrote the raw control character on line {} as {escape}",
            error.line
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::document::ConfigDocument;

    fn value_of(text: &str, table: &str, key: &str) -> Option<String> {
        let doc = ConfigDocument::parse(text).ok()?;
        let v = crate::core::proxy::json_value::value_in(&doc, table, key)?;
        Some(crate::core::proxy::json_value::toml_to_json(v).to_string())
    }

    #[test]
    fn a_multi_line_inline_table_is_joined_keeping_its_values() {
        let text = "[ui]\ntags = {a = 1, # first\n  b = 2,\n}\n[server]\nport = 8100\n";
        let r = repair_for_tomllib(text);
        assert_eq!(r.remaining, None, "{}", r.text);
        assert_eq!(
            r.text,
            "[ui]\ntags = {a = 1, b = 2}\n[server]\nport = 8100\n"
        );
        assert!(r.repairs[0].label.contains("# first"));
        assert_eq!(r.repairs[0].line, 2);
    }

    #[test]
    fn an_api_written_backslash_is_read_as_sent() {
        let text = "[vllm]\nvllm_executor_workdir = \"D:\\vllm\\temp\"\nvllm_port = 24001\n";
        let r = repair_for_tomllib(text);
        assert_eq!(r.remaining, None, "{}", r.text);
        assert_eq!(
            value_of(&r.text, "vllm", "vllm_executor_workdir").as_deref(),
            Some("\"D:\\\\vllm\\\\temp\"")
        );
        assert_eq!(r.repairs.len(), 1);
    }

    #[test]
    fn times_escapes_commas_and_the_bom() {
        let text = "\u{feff}a = 07:32\nb = \"\\e[0m\\x1b\"\nc = {x = 1,}\n";
        let r = repair_for_tomllib(text);
        assert_eq!(r.remaining, None, "{}", r.text);
        assert_eq!(
            r.text,
            "a = 07:32:00\nb = \"\\u001B[0m\\u001b\"\nc = {x = 1}\n"
        );
        assert_eq!(r.repairs.len(), 5);
    }

    #[test]
    fn an_error_no_repair_knows_is_left_and_said() {
        let text = "[server]\nport = = 3\n";
        let r = repair_for_tomllib(text);
        assert_eq!(r.text, text);
        assert!(r.repairs.is_empty());
        assert_eq!(r.remaining.map(|e| e.line), Some(2));
    }

    #[test]
    fn a_raw_newline_in_a_string_becomes_its_escape() {
        let text = "[server]\nlog_path = \"a\nb\"\n";
        let r = repair_for_tomllib(text);
        assert_eq!(r.remaining, None, "{}", r.text);
        assert_eq!(
            value_of(&r.text, "server", "log_path").as_deref(),
            Some("\"a\\nb\"")
        );
    }
}
