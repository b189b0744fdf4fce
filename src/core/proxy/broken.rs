//! When a `PUT` answers 500, the stock proxy (contract §8) either failed
//! before replacing its file (the rename across filesystems, `OSError:
//! [Errno 18] Invalid cross-device link`, or a folder it may not write),
//! leaving the file untouched, or replaced the file and then could not read
//! it back (a value its writer did not escape). Both answer the same
//! "Failed to update configuration.", so the studio tells them apart by
//! re-reading, and names each as what it is, never as "not valid TOML"
//! unless the file is.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::client::ProxyError;
use super::push::{CurrentText, PushError, PushPlan};
use crate::core::document::ConfigDocument;
use crate::core::validate::dialect;

/// The proxy replaced its file with one it cannot read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BrokenFile {
    /// The first place tomllib stops: 1-based line and column, and why.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub reason: Option<String>,
    /// Where that was found: the file itself (read here) or the studio's
    /// model of what the proxy wrote.
    pub located_in: LocatedIn,
    /// The proxy's file on this machine, when it is reachable.
    pub path: Option<PathBuf>,
    /// The file as it was before this push can be put back from the plan
    /// (and from the history entry) with a file push.
    pub restorable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocatedIn {
    /// The proxy's file, read here.
    File,
    /// The file as the studio predicts the proxy wrote it (not reachable here).
    Predicted,
    /// Neither shows an error (the studio's model missed it).
    Unknown,
}

impl BrokenFile {
    pub fn describe(&self) -> String {
        let where_ = match (self.line, self.column, &self.reason) {
            (Some(l), Some(c), Some(r)) => format!("line {l}, column {c}: {r}"),
            (Some(l), _, Some(r)) => format!("line {l}: {r}"),
            _ => "the place could not be found here".to_owned(),
        };
        let source = match self.located_in {
            LocatedIn::File => "",
            LocatedIn::Predicted => " (as the studio predicts the file; it is not reachable here)",
            LocatedIn::Unknown => "",
        };
        let restore = if self.restorable {
            " Restore the file as it was before this push with a file push (history: revert this entry)."
        } else {
            " It must be mended on the proxy's machine."
        };
        format!(
            "The proxy's file is now broken: the push was written, and the proxy cannot read its file ({where_}{source}); every config request answers 500 and the proxy will not start again until the file is mended.{restore}"
        )
    }
}

/// Where tomllib would stop in `text`: the first in file order of a string
/// it rejects (said and placed as tomllib does: the proxy's writer makes
/// exactly these), a parse error, or a TOML 1.1-only construct.
pub fn first_toml10_error(text: &str) -> Option<(usize, usize, String)> {
    let parse = ConfigDocument::parse(text)
        .err()
        .map(|e| (e.line, e.column, e.message));
    let dialect = dialect::check(text).into_iter().next().map(|f| {
        (
            f.line.unwrap_or(1),
            f.column.unwrap_or(1),
            f.message
                .strip_prefix(dialect::DIALECT_PREFIX)
                .unwrap_or(&f.message)
                .to_owned(),
        )
    });
    let strings = string_error(text);
    // The parser here stops at a bad escape one character before tomllib
    // does; on that line tomllib's own words and place are the ones to say.
    let parse = parse.filter(|p| strings.as_ref().is_none_or(|s| s.0 != p.0));
    [strings, parse, dialect]
        .into_iter()
        .flatten()
        .min_by_key(|(line, column, _)| (*line, *column))
}

/// The first one-line string tomllib rejects: a raw newline or control
/// character ("Illegal character"), or a backslash that starts no escape
/// ("Unescaped '\\' in a string", placed after the two characters, as
/// tomllib places it). Comments and multi-line strings are skipped.
fn string_error(text: &str) -> Option<(usize, usize, String)> {
    let (mut line, mut column) = (1, 0);
    let mut chars = text.chars();
    let mut in_string: Option<char> = None;
    let mut in_comment = false;
    while let Some(c) = chars.next() {
        column += 1;
        let here = (line, column);
        if c == '\n' {
            if in_string.is_some() {
                return Some((here.0, here.1, "Illegal character '\\n'".to_owned()));
            }
            (line, column, in_comment) = (line + 1, 0, false);
            continue;
        }
        match in_string {
            _ if in_comment => {}
            None if c == '#' => in_comment = true,
            None if c == '"' || c == '\'' => {
                // Past a multi-line string the parser's position stands
                // (the proxy's writer never makes one).
                let mut rest = chars.clone();
                if rest.next() == Some(c) && rest.next() == Some(c) {
                    return None;
                }
                in_string = Some(c);
            }
            None => {}
            Some(q) if c == q => in_string = None,
            Some(_) if c.is_control() && c != '\t' => {
                return Some((line, column, format!("Illegal character {c:?}")));
            }
            Some('"') if c == '\\' => {
                let next = chars.next();
                column += 1;
                let ok = matches!(
                    next,
                    Some('b' | 't' | 'n' | 'f' | 'r' | '"' | '\\' | 'u' | 'U')
                );
                if !ok {
                    return Some((line, column + 1, "Unescaped '\\' in a string".to_owned()));
                }
            }
            Some(_) => {}
        }
    }
    None
}

/// Locate the break: in the proxy's file when it is here, else in the
/// predicted text.
pub fn broken_file(plan: &PushPlan, _reread: &ProxyError) -> BrokenFile {
    let path = plan.local_file().map(Path::to_path_buf);
    let from_file = path
        .as_deref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|text| first_toml10_error(&text));
    let (found, located_in) = match from_file {
        Some(Some(found)) => (Some(found), LocatedIn::File),
        Some(None) => (None, LocatedIn::Unknown),
        None => match first_toml10_error(&plan.new_text) {
            Some(found) => (Some(found), LocatedIn::Predicted),
            None => (None, LocatedIn::Unknown),
        },
    };
    BrokenFile {
        line: found.as_ref().map(|f| f.0),
        column: found.as_ref().map(|f| f.1),
        reason: found.map(|f| f.2),
        located_in,
        restorable: path.is_some() && matches!(plan.current, CurrentText::LocalFile { .. }),
        path,
    }
}

/// The proxy failed before replacing its file, which it still holds as before.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WriteFailure {
    /// The proxy's answer.
    pub answer: String,
    pub cause: WriteCause,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteCause {
    /// The file's folder is on another filesystem than the temp folder.
    CrossDevice,
    /// The file's folder is not writable.
    Permission,
    /// The file is not reachable here, so the cause cannot be told.
    Unknown,
    /// Reachable, and neither of the known causes.
    Other,
}

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cause = match self.cause {
            WriteCause::CrossDevice => {
                "its file is on another filesystem than its temp folder, so the final rename fails (OSError: [Errno 18] Invalid cross-device link); point TMPDIR of the proxy at that filesystem, or use a file push"
            }
            WriteCause::Permission => {
                "the file's folder is not writable, so the proxy cannot rename its new file into place (permission denied)"
            }
            WriteCause::Unknown => {
                "the file is not reachable here, so the cause cannot be told; the stock proxy fails like this when its file is on another filesystem than its temp folder (OSError: [Errno 18] Invalid cross-device link) or when the file's folder is not writable; its log names it"
            }
            WriteCause::Other => "the proxy's log names the cause",
        };
        write!(
            f,
            "the proxy could not write its file ({}); the file is unchanged (a re-read shows its previous values): {cause}",
            self.answer
        )
    }
}

/// Why a `PUT` answered 500 without touching the file, as far as this
/// machine can tell (the file's folder against the temp folder).
pub fn write_failure(plan: &PushPlan, error: &PushError) -> WriteFailure {
    let answer = match error {
        PushError::Proxy(ProxyError::Status {
            method,
            status,
            detail,
            body,
            ..
        }) => format!(
            "{method} answered HTTP {status}: {}",
            detail.as_deref().unwrap_or(body)
        ),
        PushError::Proxy(p) => p.to_string(),
        other => other.to_string(),
    };
    let cause = match plan.local_file().and_then(Path::parent) {
        None => WriteCause::Unknown,
        Some(dir) if crosses_device(dir, &std::env::temp_dir()) => WriteCause::CrossDevice,
        Some(dir) if !writable(dir) => WriteCause::Permission,
        Some(_) => WriteCause::Other,
    };
    WriteFailure { answer, cause }
}

#[cfg(unix)]
fn crosses_device(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() != y.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn crosses_device(_: &Path, _: &Path) -> bool {
    false
}

#[cfg(unix)]
fn writable(dir: &Path) -> bool {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
}

#[cfg(not(unix))]
fn writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_break_is_where_tomllib_stops() {
        let text = "[server]\nhost = \"a\"\nlog_path = \"D:\\vllm\\work\"\n";
        // tomllib: "Unescaped '\' in a string (at line 3, column 17)"; the
        // studio's parser points one character earlier, at the `v`, in its
        // own words: tomllib's are said.
        let (line, column, why) = first_toml10_error(text).unwrap_or_default();
        assert_eq!((line, column), (3, 17));
        assert_eq!(why, "Unescaped '\\' in a string");
        assert_eq!(first_toml10_error("[server]\nport = 1\n"), None);
        let (line, _, why) = first_toml10_error("t = {a = 1,\n b = 2}\n").unwrap_or_default();
        assert_eq!(line, 1);
        assert!(!why.is_empty());
    }
}
