//! The one rule for text from a file or a proxy shown to a person on a
//! terminal: control characters (escape sequences, carriage returns, bells,
//! C1 controls) and the invisible characters that reorder a line (bidi
//! overrides) are written as visible escapes (`\x1b`, `\r`, `\u{202e}`),
//! so no file or answer can repaint the terminal, set its title or hide
//! text. Newlines and tabs stay (they are the layout of the output). Colour
//! is for terminals only, and never with `NO_COLOR`.

use std::borrow::Cow;

/// Whether `c` is shown as an escape rather than as itself.
fn needs_escape(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' => !keep_newlines,
        '\t' => false,
        c if c.is_control() => true,
        // Bidi embeddings, overrides and isolates, and the marks: they
        // reorder or hide what follows on the line.
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn escaped(text: &str, keep_newlines: bool, json: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| needs_escape(c, keep_newlines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c, keep_newlines) {
            out.push(c);
            continue;
        }
        match c {
            // Inside a JSON string (the only place JSON output can hold
            // these) the escape must be JSON's own.
            c if json => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x80 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// `text` safe for a terminal, its lines and tabs kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escaped(text, true, false)
}

/// JSON text safe for a terminal: what `serde_json` leaves raw in strings
/// (DEL, C1 controls, bidi overrides) written as `\uXXXX`, so the JSON
/// still parses to the same strings.
pub fn escape_json_controls(text: &str) -> Cow<'_, str> {
    escaped(text, true, true)
}

/// `text` safe for a terminal on one line: newlines escaped too (a key,
/// a value, a file's line quoted in a message).
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escaped(text, false, false)
}

/// Whether output may carry colour: only on a terminal, and never when
/// `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
pub fn colour_allowed(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
}

/// A writer that shows everything through the one rule: each line's
/// secrets masked (`redact::mask_text`), then its control characters
/// escaped. What the CLI puts around stdout and stderr, so no print site
/// can forget it. Text is handled by whole lines (a URL is never cut in
/// two); the rest of a line waits for its newline or a flush (a prompt).
pub struct EscapingWriter<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
    /// The output is JSON: escapes are JSON's (`escape_json_controls`).
    json: bool,
}

impl<W: std::io::Write> EscapingWriter<W> {
    pub fn new(inner: W, json: bool) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            json,
        }
    }

    fn write_shown(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        let masked = crate::core::redact::mask_text(&text);
        let shown = if self.json {
            escape_json_controls(&masked)
        } else {
            escape_controls(&masked)
        };
        self.inner.write_all(shown.as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last) = self.pending.iter().rposition(|b| *b == b'\n') {
            let rest = self.pending.split_off(last + 1);
            let lines = std::mem::replace(&mut self.pending, rest);
            self.write_shown(&lines)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.write_shown(&rest)?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for EscapingWriter<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn escapes_reach_the_terminal_as_text() {
        let hostile = "# \u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{9b}31m \u{202e}txt.exe";
        let got = escape_line(hostile);
        assert!(!got.chars().any(|c| needs_escape(c, false)), "{got:?}");
        assert_eq!(
            got,
            "# \\x1b]0;pwned\\x07\\x1b[2J\\r\\u{9b}31m \\u{202e}txt.exe"
        );
        assert_eq!(escape_controls("a\n\tb"), "a\n\tb");
        assert_eq!(escape_line("a\nb"), "a\\nb");
        assert!(matches!(escape_controls("plain – ü"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_masks_and_escapes_whole_lines() -> std::io::Result<()> {
        let mut out = Vec::new();
        {
            let mut w = EscapingWriter::new(&mut out, false);
            let bytes = "é\u{1b}[2Jü https://u:hunter2@h/x\nprompt? ".as_bytes();
            // Cut inside a character and inside the URL.
            w.write_all(&bytes[..1])?;
            w.write_all(&bytes[1..20])?;
            w.write_all(&bytes[20..])?;
            w.flush()?;
        }
        assert_eq!(
            String::from_utf8_lossy(&out),
            "é\\x1b[2Jü https://u:***@h/x\nprompt? "
        );
        Ok(())
    }

    #[test]
    fn json_output_keeps_parsing_to_the_same_strings() -> Result<(), Box<dyn std::error::Error>> {
        let value = serde_json::json!({"id": "a\u{9b}31m\u{7f}\u{202e}b\u{1b}"});
        let text = serde_json::to_string(&value)?;
        let shown = escape_json_controls(&text);
        assert!(!shown.chars().any(|c| needs_escape(c, true)), "{shown}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&shown)?, value);
        Ok(())
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colour_allowed(true, None));
        assert!(colour_allowed(true, Some(OsStr::new(""))));
        assert!(!colour_allowed(true, Some(OsStr::new("1"))));
        assert!(!colour_allowed(false, None));
    }
}
