//! Filtering the merged list for the entry table (runs on every keystroke).

use super::merge::{EntryLayer, Merged, MergedEntry};

/// What the entry table shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Case-insensitive text matched against name, display name, backend,
    /// served model id, quantization and aliases; every word must match.
    pub text: String,
    pub backend: Option<String>,
    pub layer: Option<EntryLayer>,
    pub hide_deprecated: bool,
    /// Capability flags that must all be `true` (`vision`, `tools`, ...).
    pub capabilities: Vec<String>,
}

/// Indexes into `merged.entries` of the entries the filter keeps, in order.
pub fn filter_entries(merged: &Merged, filter: &Filter) -> Vec<usize> {
    let words: Vec<String> = filter
        .text
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    merged
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| filter.layer.is_none_or(|l| l == e.layer))
        .filter(|(_, e)| keeps(e, filter, &words))
        .map(|(i, _)| i)
        .collect()
}

fn keeps(entry: &MergedEntry, filter: &Filter, words: &[String]) -> bool {
    let e = entry.view();
    if filter.hide_deprecated && e.deprecated() {
        return false;
    }
    if let Some(backend) = &filter.backend
        && e.backend() != Some(backend.as_str())
    {
        return false;
    }
    if !filter.capabilities.iter().all(|c| entry.has_capability(c)) {
        return false;
    }
    words.iter().all(|w| entry.search_text.contains(w.as_str()))
}
