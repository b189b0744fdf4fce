//! How well a short label (a palette line, a page title) fits what someone
//! typed, so the line they meant comes first: a whole word beats the start
//! of a word, which beats letters inside a word, which beats letters
//! scattered over the label ("stor" finds "Storage" before "Vision history").

use std::cmp::Ordering;

/// How one typed word was found in a label, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    /// A word of the label is the typed word ("save" in "File: Save").
    Word,
    /// A word of the label starts with it ("stor" in "Storage").
    WordStart,
    /// It stands inside a word ("stor" in "history").
    Inside,
    /// Its letters appear in order, spread over the label ("vhis" in "Vision history").
    Scattered,
}

/// How a whole label fits a query of one or more words: compared so that a
/// better fit sorts first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score {
    /// The weakest fit among the typed words: one scattered word makes the
    /// whole line scattered.
    worst: Fit,
    /// The fits of all words added up, to order lines with the same weakest fit.
    total: usize,
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.worst
            .cmp(&other.worst)
            .then(self.total.cmp(&other.total))
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How `label` fits `query` (any case), or `None` when some typed word is
/// not in it at all. An empty query fits every label equally.
pub fn score(label: &str, query: &str) -> Option<Score> {
    let label = label.to_lowercase();
    let words: Vec<&str> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut worst = Fit::Word;
    let mut total = 0;
    for typed in query.to_lowercase().split_whitespace() {
        let fit = fit_word(&label, &words, typed)?;
        worst = worst.max(fit);
        total += fit as usize;
    }
    Some(Score { worst, total })
}

fn fit_word(label: &str, words: &[&str], typed: &str) -> Option<Fit> {
    if words.contains(&typed) {
        Some(Fit::Word)
    } else if words.iter().any(|w| w.starts_with(typed)) {
        Some(Fit::WordStart)
    } else if label.contains(typed) {
        Some(Fit::Inside)
    } else if is_subsequence(label, typed) {
        Some(Fit::Scattered)
    } else {
        None
    }
}

/// Whether every letter of `typed` appears in `label` in the same order.
fn is_subsequence(label: &str, typed: &str) -> bool {
    let mut rest = label.chars();
    typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| rest.any(|l| l == c))
}

/// The indices of `labels` that fit `query`, best fit first; lines that fit
/// equally keep their given order, so the list does not reshuffle while the
/// query grows.
pub fn rank<S: AsRef<str>>(labels: &[S], query: &str) -> Vec<usize> {
    let mut hits: Vec<(Score, usize)> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| score(l.as_ref(), query).map(|s| (s, i)))
        .collect();
    // A stable sort on the score alone: ties stay in table order.
    hits.sort_by_key(|(s, _)| *s);
    hits.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked<'a>(labels: &[&'a str], query: &str) -> Vec<&'a str> {
        rank(labels, query).into_iter().map(|i| labels[i]).collect()
    }

    #[test]
    fn the_start_of_a_word_beats_letters_inside_one() {
        let labels = ["Go to Vision history", "Go to Storage"];
        assert_eq!(
            ranked(&labels, "stor"),
            ["Go to Storage", "Go to Vision history"]
        );
    }

    #[test]
    fn a_whole_word_beats_the_start_of_a_word_and_scattered_letters_come_last() {
        let labels = [
            "Go to Vision history",
            "Theme: Light",
            "Go to Limits",
            "File: Save",
        ];
        assert_eq!(ranked(&labels, "li"), ["Theme: Light", "Go to Limits"]);
        assert_eq!(ranked(&labels, "vhis"), ["Go to Vision history"]);
        assert_eq!(
            score("Go to Limits", "limits").map(|s| s.worst),
            Some(Fit::Word)
        );
        assert_eq!(
            score("Go to Vision history", "vhis").map(|s| s.worst),
            Some(Fit::Scattered)
        );
        let exact = score("File: Save", "save");
        let start = score("Save as…", "sav");
        assert!(exact < start, "{exact:?} {start:?}");
    }

    #[test]
    fn every_typed_word_must_be_found_and_the_weakest_decides() {
        let labels = ["Save as…", "File: Save", "Theme: Light", "Go to Server"];
        assert_eq!(ranked(&labels, "file save"), ["File: Save"]);
        assert_eq!(ranked(&labels, "go serv"), ["Go to Server"]);
        assert_eq!(ranked(&labels, "LIGHT"), ["Theme: Light"]);
        assert!(ranked(&labels, "nothing like this").is_empty());
        assert_eq!(
            ranked(&labels, "  ").len(),
            4,
            "an empty query keeps all, in order"
        );
        // "go" is a word of one label only; "to" is one word in both: ties keep table order.
        let labels = ["Go to Timeouts", "Proxy: Push…", "Go to Autostart"];
        assert_eq!(ranked(&labels, "to"), ["Go to Timeouts", "Go to Autostart"]);
    }

    #[test]
    fn ties_keep_the_table_order_so_a_growing_query_does_not_reshuffle() {
        let labels = ["Go to Server", "Go to Storage", "Go to Timeouts"];
        assert_eq!(
            ranked(&labels, "s"),
            ["Go to Server", "Go to Storage", "Go to Timeouts"]
        );
        assert_eq!(ranked(&labels, "st"), ["Go to Storage"]);
    }
}
