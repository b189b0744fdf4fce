//! Text that comes from a proxy (an error `detail`, a body, a message) is
//! shown to a person: cut to a sane length and stripped of control
//! characters, so a 1 MB answer or a terminal escape sequence cannot flood
//! or repaint the user's terminal or the status bar.

/// How much of a proxy's text is shown.
pub const SHOWN_CHARS: usize = 300;

/// `text` with control characters (escape sequences included) replaced by
/// spaces, runs of whitespace folded, cut to `max` characters with a note
/// of how much was left out.
pub fn shown(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut kept = 0usize;
    let mut total = 0usize;
    let mut last_space = false;
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        total += 1;
        if kept < max {
            out.push(c);
            kept += 1;
        }
    }
    if total > kept {
        out = out.trim_end().to_owned();
        out.push_str(&format!("… ({} more characters)", total - kept));
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_newlines_never_reach_the_terminal() {
        let got = shown("bad\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nvalue\t here", 100);
        assert!(!got.chars().any(char::is_control), "{got:?}");
        assert_eq!(got, "bad [2J ]0;pwned value here");
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        let big = "x".repeat(1_000_000);
        let got = shown(&big, 10);
        assert_eq!(
            got,
            format!("xxxxxxxxxx… ({} more characters)", 1_000_000 - 10)
        );
        assert_eq!(shown("short", 10), "short");
    }
}
