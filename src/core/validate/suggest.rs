//! "Did you mean" for misspelt keys and tables.
//!
//! Both bounds keep a hostile or broken file from making the check slow: the
//! string distances are quadratic in key length, times the candidates.

/// Keys longer than this get no suggestion: no known key is near that long,
/// and comparing a 5 MB key against every candidate would take minutes.
pub const SUGGEST_MAX_KEY_LEN: usize = 128;

/// At most this many candidates are compared for one suggestion.
pub const SUGGEST_MAX_CANDIDATES: usize = 512;

/// The closest candidate, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if word.len() > SUGGEST_MAX_KEY_LEN {
        return None;
    }
    candidates
        .into_iter()
        .take(SUGGEST_MAX_CANDIDATES)
        // A candidate that long is no likely typo of a short word either.
        .filter(|c| c.len() <= SUGGEST_MAX_KEY_LEN)
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, c)| *score >= 0.88 || strsim::damerau_levenshtein(word, c) <= 2)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

pub(super) fn hint(word: &str, candidates: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    if word.len() > SUGGEST_MAX_KEY_LEN {
        return String::new();
    }
    let owned: Vec<String> = candidates
        .into_iter()
        .take(SUGGEST_MAX_CANDIDATES)
        .map(|c| c.as_ref().to_owned())
        .collect();
    did_you_mean(word, owned.iter().map(String::as_str))
        .map(|s| format!("; did you mean “{s}”?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_key_is_suggested() {
        assert_eq!(did_you_mean("prot", ["host", "port"]), Some("port"));
    }

    #[test]
    fn overlong_key_gets_no_suggestion() {
        let long = format!("port{}", "x".repeat(SUGGEST_MAX_KEY_LEN));
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
        assert_eq!(hint(&long, [long.as_str()]), "");
        let at_bound = "p".repeat(SUGGEST_MAX_KEY_LEN);
        assert_eq!(
            did_you_mean(&at_bound, [at_bound.as_str()]),
            Some(at_bound.as_str())
        );
    }

    #[test]
    fn candidates_past_the_cap_are_not_compared() {
        let mut candidates: Vec<String> = (0..SUGGEST_MAX_CANDIDATES)
            .map(|i| format!("unrelated_{i}"))
            .collect();
        candidates.push("port".to_owned());
        assert_eq!(hint("prot", &candidates), "");
        candidates.rotate_right(1);
        assert_eq!(hint("prot", &candidates), "; did you mean “port”?");
    }
}
