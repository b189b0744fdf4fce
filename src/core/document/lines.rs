//! Line arithmetic on the saved text: where a line starts and ends, which
//! newline a line uses, the BOM. Patches only ever cut and insert at line
//! boundaries, so every line they do not name keeps its bytes.

const BOM: &str = "\u{feff}";

/// Bytes of the UTF-8 byte order mark at the start of `text` (0 or 3).
pub(super) fn bom_len(text: &str) -> usize {
    if text.starts_with(BOM) { BOM.len() } else { 0 }
}

/// Start of the line holding byte `pos` (never inside the BOM).
pub(super) fn line_start(text: &str, pos: usize) -> usize {
    let bom = bom_len(text);
    if pos <= bom {
        return if pos < bom { 0 } else { bom };
    }
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    start.max(bom)
}

/// Start of the line after the one holding byte `pos` (or the end of the text).
pub(super) fn next_line_start(text: &str, pos: usize) -> usize {
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

/// The newline a line inserted at the line boundary `pos` should end with:
/// the one of the line before it, else the one of the line after it, else
/// the file's most common one.
pub(super) fn newline_at(text: &str, pos: usize) -> &'static str {
    if pos > 0 && text[..pos].ends_with('\n') {
        return if text[..pos].ends_with("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
    }
    if let Some(i) = text[pos..].find('\n') {
        return if text[..pos + i].ends_with('\r') {
            "\r\n"
        } else {
            "\n"
        };
    }
    let start = line_start(text, pos);
    if start < pos && start > bom_len(text) {
        // The last line of a file without a final newline: look before it.
        return newline_at(text, start);
    }
    file_newline(text)
}

/// The newline most lines of `text` use (`\n` when there are none).
pub(super) fn file_newline(text: &str) -> &'static str {
    let all = text.matches('\n').count();
    let crlf = text.matches("\r\n").count();
    if crlf * 2 > all { "\r\n" } else { "\n" }
}

/// `generated` (toml_edit output, `\n` only) with `newline` between lines.
pub(super) fn with_newline(generated: &str, newline: &str) -> String {
    if newline == "\n" {
        generated.to_owned()
    } else {
        generated.replace('\n', newline)
    }
}

/// Whether the line `[start, end)` holds nothing but blanks.
pub(super) fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Start of the comment block glued to what follows the whitespace-and-comment
/// run `[start, end)` (a prefix toml_edit recorded): the comment lines after the
/// last blank line. A blank line separates a file header or a section's end from
/// the comment that describes the next item.
pub(super) fn glued_comments_start(text: &str, start: usize, end: usize) -> usize {
    let mut glued = start;
    let mut pos = start;
    while pos < end {
        let next = next_line_start(text, pos).min(end);
        if is_blank(&text[pos..next]) {
            glued = next;
        }
        pos = next;
    }
    glued
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_follows_the_neighbouring_line() {
        let mixed = "a\r\nb\nc";
        assert_eq!(newline_at(mixed, 3), "\r\n");
        assert_eq!(newline_at(mixed, 5), "\n");
        assert_eq!(newline_at(mixed, 0), "\r\n");
        assert_eq!(newline_at(mixed, mixed.len()), "\n");
        assert_eq!(newline_at("", 0), "\n");
        assert_eq!(file_newline("a\r\nb\r\nc\n"), "\r\n");
    }

    #[test]
    fn lines_never_start_inside_the_bom() {
        let text = "\u{feff}a = 1\nb = 2";
        assert_eq!(line_start(text, 5), 3);
        assert_eq!(line_start(text, 10), 9);
        assert_eq!(line_start(text, 2), 0);
        assert_eq!(line_start(text, 3), 3);
        assert_eq!(newline_at(text, 3), "\n");
        assert_eq!(next_line_start(text, 4), 9);
        assert_eq!(next_line_start(text, 10), text.len());
    }

    #[test]
    fn glued_comments_are_those_after_the_last_blank_line() {
        let text = "# head\r\n\r\n# glued\r\n[t]";
        assert_eq!(glued_comments_start(text, 0, 19), 10);
        assert_eq!(glued_comments_start(text, 0, 8), 0);
        assert_eq!(glued_comments_start("\n", 0, 1), 1);
    }
}
