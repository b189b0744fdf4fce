//! A unified diff of two versions of a file, as `diff -u` prints it.

/// Lines of `before` and `after` with 3 lines of context, headed by the
/// file's name and what each side is (`now`, `fixed`).
pub fn unified(before: &str, after: &str, name: &str, sides: (&str, &str)) -> String {
    written(&similar::TextDiff::configure(), before, after, name, sides)
}

/// A line diff made with `config`, as `diff -u` prints it, 3 lines of context.
fn written(
    config: &similar::TextDiffConfig,
    before: &str,
    after: &str,
    name: &str,
    sides: (&str, &str),
) -> String {
    config
        .diff_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{name} ({})", sides.0),
            &format!("{name} ({})", sides.1),
        )
        .to_string()
}

/// How long `unified_large` refines a diff before it settles for a coarser
/// one (still exact: every line it shows removed or added is).
const REFINE_FOR: std::time::Duration = std::time::Duration::from_millis(500);

/// `unified` for files of any size: the patience algorithm anchors on the
/// lines both sides have once (an entry's name), so removing thousands of
/// entries from a large file stays near linear, where the default
/// algorithm's cost grows with lines times edits. Where there are no such
/// anchors (every entry listed twice), refining stops after `REFINE_FOR`
/// and the rest of the region is shown as removed and added lines.
pub fn unified_large(before: &str, after: &str, name: &str, sides: (&str, &str)) -> String {
    let mut config = similar::TextDiff::configure();
    config
        .algorithm(similar::Algorithm::Patience)
        .timeout(REFINE_FOR);
    written(&config, before, after, name, sides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_lines_are_marked() {
        let diff = unified("a\nb\nc\n", "a\nB\nc\n", "f.toml", ("now", "fixed"));
        assert!(
            diff.starts_with("--- f.toml (now)\n+++ f.toml (fixed)\n"),
            "{diff}"
        );
        assert!(diff.contains("-b\n+B\n") && diff.contains(" a\n"), "{diff}");
        assert!(unified("x\n", "x\n", "f", ("a", "b")).is_empty());
    }
}
