//! The one masking rule for everything shown or logged: CLI output (human
//! and JSON), the app's pages that show URLs and env values, and the
//! activity log. A secret is replaced by `***`; what is around it stays,
//! so a masked URL still says which host and parameter it is.
//!
//! Masked: a URL's password, its user name when it looks like a key, query
//! values under a credential's name or that look like keys, path segments
//! that look like tokens (webhooks); `Bearer`/`Basic`/`Token` values; the
//! unmistakable shapes (AWS key ids, JWTs, `sk-`/`ghp_`/… tokens, PEM
//! private keys, Azure `AccountKey=`) wherever they stand; the value of a
//! key or flag whose name says it is a secret (`password = …`,
//! `"api_key": …`, `--token …`); and a random-looking token assigned to
//! any key (`key = "…"`). Detection is `validate::secrets`'s.

use std::borrow::Cow;
use std::ops::Range;

use crate::core::validate::secrets::{
    find_auth_scheme_token, find_aws_key_id, find_jwt, is_literal_secret_value, is_random_token,
    is_secret_name, is_secret_param, looks_like_secret,
};

/// What a secret is replaced by.
pub const MASK: &str = "***";

/// `text` with every secret it holds masked (see the module comment).
pub fn mask_text(text: &str) -> Cow<'_, str> {
    let mut spans = Vec::new();
    url_secrets(text, &mut spans);
    shapes(text, &mut spans);
    named_values(text, &mut spans);
    assigned_tokens(text, &mut spans);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(replace_spans(text, spans))
}

/// A value shown under `key`: all of it masked when the key's name says it
/// is a secret, else its secrets masked as in any text.
pub fn mask_value<'t>(key: &str, value: &'t str) -> Cow<'t, str> {
    if is_secret_name(key) && is_literal_secret_value(value) {
        return Cow::Borrowed(MASK);
    }
    // A hex string is a hash or an id far more often than a key.
    let hex = value
        .trim()
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == '-');
    if !hex && is_random_token(value.trim()) {
        return Cow::Borrowed(MASK);
    }
    mask_text(value)
}

/// An env var's name as shown: masked when it is in fact a secret (a key
/// pasted where its variable's name belongs).
pub fn mask_env_name(name: &str) -> Cow<'_, str> {
    if looks_like_secret(name).is_some() {
        return Cow::Borrowed(MASK);
    }
    mask_text(name)
}

/// Every string in a JSON document masked in place: under a secret's name
/// as a whole, else by `mask_value`.
pub fn mask_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    serde_json::Value::String(s) => {
                        let masked = mask_value(key, s);
                        if masked != s.as_str() {
                            *s = masked.into_owned();
                        }
                    }
                    other => mask_json(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        serde_json::Value::String(s) => {
            if let Cow::Owned(masked) = mask_text(s) {
                *s = masked;
            }
        }
        _ => {}
    }
}

fn replace_spans(text: &str, mut spans: Vec<Range<usize>>) -> String {
    spans.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        if span.end <= at {
            continue; // inside one already masked
        }
        let start = span.start.max(at);
        out.push_str(&text[at..start]);
        out.push_str(MASK);
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Characters that end a URL, a token or a value in printed text.
fn ends_token(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '\\' | '<' | '>' | '`' | ',' | ')' | ']' | '}'
        )
}

fn is_reference(v: &str) -> bool {
    v.contains('$') || v.contains("%24") || v.contains("%7B") || v.contains("%7b")
}

/// The secrets of every URL in `text`: password, key-like user, credential
/// query values, token-like path segments.
fn url_secrets(text: &str, spans: &mut Vec<Range<usize>>) {
    let mut from = 0;
    while let Some(at) = text[from..].find("://") {
        let sep = from + at;
        let rest_start = sep + 3;
        let len = text[rest_start..]
            .find(ends_token)
            .unwrap_or(text.len() - rest_start);
        let end = rest_start + len;
        one_url(text, rest_start, end, spans);
        from = end.max(rest_start);
    }
}

fn one_url(text: &str, start: usize, end: usize, spans: &mut Vec<Range<usize>>) {
    let url = &text[start..end];
    let authority_len = url.find(['/', '?', '#']).unwrap_or(url.len());
    let authority = &url[..authority_len];
    if let Some(at) = authority.rfind('@') {
        let userinfo = &authority[..at];
        match userinfo.find(':') {
            Some(colon) => {
                let password = &userinfo[colon + 1..];
                if !password.is_empty() && !is_reference(password) {
                    spans.push(start + colon + 1..start + at);
                }
                let user = &userinfo[..colon];
                if !is_reference(user) && looks_like_secret(&decode(user)).is_some() {
                    spans.push(start..start + colon);
                }
            }
            None => {
                if !is_reference(userinfo) && looks_like_secret(&decode(userinfo)).is_some() {
                    spans.push(start..start + at);
                }
            }
        }
    }
    let path_end = url.find(['?', '#']).unwrap_or(url.len());
    let mut seg_start = authority_len;
    for seg in url[authority_len..path_end].split('/') {
        if !seg.is_empty() && !is_reference(seg) && looks_like_secret(&decode(seg)).is_some() {
            spans.push(start + seg_start..start + seg_start + seg.len());
        }
        seg_start += seg.len() + 1;
    }
    if let Some(q) = url.find('?') {
        let query_end = url[q..].find('#').map_or(url.len(), |h| q + h);
        let mut pair_start = q + 1;
        for pair in url[q + 1..query_end].split('&') {
            if let Some(eq) = pair.find('=') {
                let (name, value) = (&pair[..eq], &pair[eq + 1..]);
                let decoded = decode(value);
                let secret = !value.is_empty()
                    && !is_reference(value)
                    && (is_secret_param(&decode(name)) || looks_like_secret(&decoded).is_some());
                if secret {
                    let at = start + pair_start + eq + 1;
                    spans.push(at..at + value.len());
                }
            }
            pair_start += pair.len() + 1;
        }
    }
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The shapes that are secrets wherever they stand.
fn shapes(text: &str, spans: &mut Vec<Range<usize>>) {
    let mut collect = |find: fn(&str) -> Option<Range<usize>>| {
        let mut from = 0;
        while from < text.len() {
            let Some(r) = find(&text[from..]) else { break };
            spans.push(from + r.start..from + r.end);
            from += r.end.max(1);
        }
    };
    collect(find_aws_key_id);
    collect(find_jwt);
    collect(find_auth_scheme_token);
    collect(find_prefixed_token);
    collect(find_azure_key);
    collect(find_pem_key);
}

/// `sk-…`, `ghp_…`, `github_pat_…`, `xoxb-…`, `xoxp-…`, `AIza…` tokens (20
/// characters or more, starting a word).
fn find_prefixed_token(s: &str) -> Option<Range<usize>> {
    let mut best: Option<Range<usize>> = None;
    for prefix in ["sk-", "ghp_", "github_pat_", "xoxb-", "xoxp-", "AIza"] {
        let mut from = 0;
        while let Some(at) = s[from..].find(prefix) {
            let start = from + at;
            let word_start = start == 0 || !s.as_bytes()[start - 1].is_ascii_alphanumeric();
            let len = s[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
                .unwrap_or(s.len() - start);
            if word_start && len >= 20 {
                if best.as_ref().is_none_or(|b| start < b.start) {
                    best = Some(start..start + len);
                }
                break;
            }
            from = start + prefix.len();
        }
    }
    best
}

/// The value of `AccountKey=` or `SharedAccessSignature=` in a connection string.
fn find_azure_key(s: &str) -> Option<Range<usize>> {
    ["AccountKey=", "SharedAccessSignature="]
        .iter()
        .filter_map(|name| {
            let at = s.find(name)? + name.len();
            let len = s[at..]
                .find(|c: char| c == ';' || ends_token(c))
                .unwrap_or(s.len() - at);
            (len > 0).then_some(at..at + len)
        })
        .min_by_key(|r| r.start)
}

/// The body of a PEM private key (its BEGIN and END lines stay).
fn find_pem_key(s: &str) -> Option<Range<usize>> {
    let begin = s.find("-----BEGIN")?;
    let header_end = begin + s[begin + 10..].find("-----")? + 15;
    if !s[begin..header_end].contains("PRIVATE KEY") {
        return None;
    }
    let end = s[header_end..]
        .find("-----END")
        .map_or(s.len(), |e| header_end + e);
    (end > header_end).then_some(header_end..end)
}

/// `name = value`, `name: value`, `"name": "value"`, `name=value`,
/// `--name value` where the name says it is a secret: the value.
fn named_values(text: &str, spans: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let is_name_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut i = 0;
    while i < bytes.len() {
        if !is_name_char(bytes[i]) || (i > 0 && is_name_char(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name_char(bytes[i]) {
            i += 1;
        }
        let name = &text[start..i];
        if !is_secret_name(name) {
            continue;
        }
        // After the name: a closing quote (escaped or not), then `=`, `:`
        // or, for a `--flag`, a space.
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b'\\') {
            j += 1;
        }
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        let flag = name.starts_with("--");
        if j < bytes.len() && matches!(bytes[j], b'=' | b':') {
            j += 1;
        } else if !(flag && j > i) {
            continue;
        }
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if let Some(value) = value_at(text, j)
            && is_literal_secret_value(&text[value.clone()])
        {
            i = value.end;
            spans.push(value);
        }
    }
}

/// The value that starts at `at`: quoted (`"…"`, `'…'`, `\"…\"`) or bare.
fn value_at(text: &str, at: usize) -> Option<Range<usize>> {
    let rest = text.get(at..)?;
    for quote in ["\\\"", "\"", "'"] {
        if let Some(inner) = rest.strip_prefix(quote) {
            let len = if quote == "\"" {
                closing_quote(inner)?
            } else {
                inner.find(quote)?
            };
            let start = at + quote.len();
            return (len > 0).then_some(start..start + len);
        }
    }
    let len = rest
        .find(|c: char| ends_token(c) || matches!(c, ';' | '&'))
        .unwrap_or(rest.len());
    (len > 0).then_some(at..at + len)
}

/// Where a basic string's closing quote is (skipping `\"`).
fn closing_quote(inner: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            '\n' => return None,
            _ => escaped = false,
        }
    }
    None
}

/// A random-looking token assigned to any key (`key = "…"`, a TOML line or
/// a diff of one), or used as a quoted key: how an unnamed secret shows up.
fn assigned_tokens(text: &str, spans: &mut Vec<Range<usize>>) {
    let mut from = 0;
    while let Some(at) = text[from..].find('"') {
        let start = from + at + 1;
        let Some(len) = closing_quote(&text[start..]) else {
            break;
        };
        let end = start + len;
        let before = text[..start - 1].trim_end_matches(' ');
        let after = text[end + 1..].trim_start_matches(' ');
        let assigned = before.ends_with('=') && !before.ends_with("==");
        let as_key = after.starts_with('=') && !after.starts_with("==");
        if (assigned || as_key) && is_random_token(&text[start..end]) {
            spans.push(start..end);
        }
        from = end + 1;
    }
}

#[cfg(test)]
mod tests;
