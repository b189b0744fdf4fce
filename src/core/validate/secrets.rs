//! Literal secrets where only env-var names belong: in the fields the
//! layouts know (`walk.rs`), and in a pass over every string of the file
//! (`scan`), known key or not: URL userinfo and query strings anywhere,
//! unmistakable key shapes anywhere, and key-like text under sections marked
//! `scan_secrets` and tables the layouts do not know. A finding names the
//! path and the kind of secret, never the secret itself.

use std::collections::HashSet;
use std::ops::Range;

use toml_edit::{Item, Table, Value};

use super::locate::Locator;
use super::{Finding, Severity};
use crate::core::document::{DocPath, Segment};
use crate::core::layout::LayoutSet;

const SECRET_MESSAGE_START: &str = "this looks like a literal secret";

/// Whether a finding is a secret finding (made by `secret_message`).
pub(super) fn is_secret_finding(finding: &Finding) -> bool {
    finding.message.starts_with(SECRET_MESSAGE_START)
}

/// The one message of every secret finding.
pub(super) fn secret_message(kind: &str) -> String {
    format!(
        "{SECRET_MESSAGE_START} ({kind}); never store secrets in the file: \
         put it in an environment variable and give the variable's name here"
    )
}

/// Query parameters that carry credentials by name.
const SECRET_PARAMS: &[&str] = &[
    "api_key",
    "apikey",
    "api-key",
    "key",
    "token",
    "access_token",
    "auth",
    "secret",
    "client_secret",
    "password",
    "pass",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// Every string of the document checked; `already`: paths reported before.
pub(super) fn scan(
    root: &Table,
    layouts: &LayoutSet,
    locator: &Locator<'_>,
    already: &HashSet<DocPath>,
) -> Vec<Finding> {
    scan_unit(&DocPath::default(), root, layouts, locator, already)
}

/// The strings below the table at `unit` checked as `scan` checks them;
/// `already`: the paths the walk of `unit` reported.
pub(super) fn scan_unit(
    unit: &DocPath,
    table: &Table,
    layouts: &LayoutSet,
    locator: &Locator<'_>,
    already: &HashSet<DocPath>,
) -> Vec<Finding> {
    let mut scan = Scan {
        layouts,
        locator,
        already,
        findings: Vec::new(),
    };
    let deep = scan.deep_at(unit);
    scan.table(unit, table, deep);
    scan.findings
}

struct Scan<'a> {
    layouts: &'a LayoutSet,
    locator: &'a Locator<'a>,
    already: &'a HashSet<DocPath>,
    findings: Vec<Finding>,
}

impl Scan<'_> {
    /// `deep`: inside a section marked `scan_secrets` or an unknown table.
    fn table(&mut self, path: &DocPath, table: &Table, deep: bool) {
        for (key, item) in table {
            let child = path.child(key);
            self.key_name(
                &child,
                key,
                table.key(key).and_then(toml_edit::Key::span),
                deep,
            );
            match item {
                Item::Table(t) => {
                    let deep = deep || self.scans_below(&child);
                    self.table(&child, t, deep);
                }
                Item::ArrayOfTables(array) => {
                    for (i, entry) in array.iter().enumerate() {
                        let entry_path = child.index(i);
                        let deep = deep || self.scans_below(&entry_path);
                        self.table(&entry_path, entry, deep);
                    }
                }
                Item::Value(v) => self.value(&child, v, deep),
                Item::None => {}
            }
        }
    }

    /// Whether `scan` reaches the table at `path` deep: it asks at every
    /// table and array entry on the way down, not at an array itself.
    fn deep_at(&self, path: &DocPath) -> bool {
        (1..=path.0.len()).any(|n| {
            let is_array = matches!(path.0.get(n), Some(Segment::Index(_)));
            !is_array && self.scans_below(&DocPath(path.0[..n].to_vec()))
        })
    }

    fn value(&mut self, path: &DocPath, value: &Value, deep: bool) {
        match value {
            Value::String(s) => self.string(path, s.value(), value.span(), deep),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.value(&path.index(i), item, deep);
                }
            }
            Value::InlineTable(t) => {
                for (key, item) in t {
                    self.value(&path.child(key), item, deep);
                }
            }
            _ => {}
        }
    }

    /// A key that is itself a secret (`"sk-…" = true`): an unmistakable
    /// shape anywhere, a random token where values are checked deep.
    fn key_name(&mut self, path: &DocPath, key: &str, span: Option<Range<usize>>, deep: bool) {
        let kind = unmistakable_secret(key).or_else(|| {
            (deep || !self.is_known(path))
                .then(|| looks_like_secret(key))
                .flatten()
        });
        if let Some(kind) = kind {
            self.report(path, span, &format!("{kind}, used as a key's name"));
        }
    }

    /// One secret finding at `span`.
    fn report(&mut self, path: &DocPath, span: Option<Range<usize>>, kind: &str) {
        let (line, column) = self.locator.at(span);
        self.findings.push(Finding {
            severity: Severity::Error,
            path: path.clone(),
            line,
            column,
            message: secret_message(kind),
            fix: None,
        });
    }

    /// Whether the layouts know `path` as a field (else it is an unknown
    /// key, whose value is checked as deep as in an unknown table).
    fn is_known(&self, path: &DocPath) -> bool {
        self.layouts
            .try_resolve(path)
            .is_some_and(|r| r.field.is_some())
    }

    fn string(&mut self, path: &DocPath, text: &str, span: Option<Range<usize>>, deep: bool) {
        if self.already_found(path) {
            return;
        }
        let named = path
            .last_key()
            .is_some_and(|k| is_secret_name(k) && is_literal_secret_value(text));
        let deep = deep || !self.is_known(path);
        let kind = secret_in_url(text)
            .or_else(|| unmistakable_secret(text))
            .or_else(|| deep.then(|| looks_like_secret(text)).flatten())
            .or_else(|| named.then_some("a value under a secret's name"));
        if let Some(kind) = kind {
            self.report(path, span, kind);
        }
    }

    /// A path reported already, or inside one (an array element of a field
    /// reported as a whole), is not reported again.
    fn already_found(&self, path: &DocPath) -> bool {
        let mut at = Some(path.clone());
        while let Some(p) = at {
            if self.already.contains(&p) {
                return true;
            }
            at = p.parent();
        }
        false
    }

    /// Whether strings below `path` get the key-likeness check: a section
    /// marked `scan_secrets`, or a table no layout knows (`[ui.extra]`).
    fn scans_below(&self, path: &DocPath) -> bool {
        let pattern = path.pattern();
        match self.layouts.section_for_pattern(&pattern) {
            Some(section) => section.scan_secrets,
            None => {
                let known_parent = self.layouts.known_tables().any(|t| {
                    t == pattern
                        || t.starts_with(&format!("{pattern}."))
                        || t.starts_with(&format!("{pattern}["))
                });
                !known_parent
            }
        }
    }
}

/// A password in a URL's userinfo, a key as its user, or a credential in its
/// query string. `${VAR}`-style references are not secrets.
pub(crate) fn secret_in_url(text: &str) -> Option<&'static str> {
    let start = text.find("://")?;
    let scheme_start = text[..start]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .map_or(0, |i| i + 1);
    let candidate = text[scheme_start..].split_whitespace().next()?;
    let url = url::Url::parse(candidate).ok()?;
    let is_reference = |v: &str| v.contains('$') || v.contains("%24") || v.contains("%7B");
    if let Some(password) = url.password()
        && !password.is_empty()
        && !is_reference(password)
    {
        return Some("a password in a URL");
    }
    let user = url.username();
    if !user.is_empty() && !is_reference(user) && looks_like_secret(user).is_some() {
        return Some("a key as a URL's user name");
    }
    for (name, value) in url.query_pairs() {
        if value.is_empty() || is_reference(&value) {
            continue;
        }
        if is_secret_param(&name) || looks_like_secret(&value).is_some() {
            return Some("a credential in a URL's query string");
        }
    }
    if url
        .path_segments()
        .into_iter()
        .flatten()
        .any(|seg| !is_reference(seg) && looks_like_secret(seg).is_some())
    {
        return Some("a token in a URL's path (a webhook URL is a secret)");
    }
    None
}

/// A query parameter whose name says it carries a credential.
pub(crate) fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|p| name.eq_ignore_ascii_case(p)) || is_secret_name(name)
}

/// Shapes that are secrets wherever they stand (no name or path looks so).
fn unmistakable_secret(text: &str) -> Option<&'static str> {
    let kind = looks_like_secret(text)?;
    (kind != RANDOM_TOKEN).then_some(kind)
}

const RANDOM_TOKEN: &str = "a long random token";

/// What kind of secret `s` looks like, if any.
pub fn looks_like_secret(s: &str) -> Option<&'static str> {
    let s = s.trim();
    if s.contains("-----BEGIN") {
        return Some("a PEM block (private key or certificate)");
    }
    if is_aws_key_id(s) || find_aws_key_id(s).is_some() {
        return Some("an AWS access key id");
    }
    if find_jwt(s).is_some() {
        return Some("a JSON web token");
    }
    if find_auth_scheme_token(s).is_some() {
        return Some("an Authorization header value");
    }
    if s.contains("AccountKey=") || s.contains("SharedAccessSignature=") {
        return Some("an Azure connection string");
    }
    if ["sk-", "ghp_", "github_pat_", "xoxb-", "xoxp-", "AIza"]
        .iter()
        .any(|p| s.starts_with(p) && s.len() >= 20)
    {
        return Some("an API token");
    }
    if is_random_token(s) {
        return Some(RANDOM_TOKEN);
    }
    None
}

/// Where an AWS access key id stands inside a longer text (a word of its
/// own: `AKIA` or `ASIA` and 16 more upper-case letters or digits).
pub(crate) fn find_aws_key_id(s: &str) -> Option<std::ops::Range<usize>> {
    let bytes = s.as_bytes();
    let is_key_char = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let mut from = 0;
    while let Some(at) = s[from..].find("AKIA").or_else(|| s[from..].find("ASIA")) {
        let start = from + at;
        let end = start + 20;
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let body_ok = end <= bytes.len() && bytes[start..end].iter().all(|b| is_key_char(*b));
        let after_ok = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before_ok && body_ok && after_ok {
            return Some(start..end);
        }
        from = start + 4;
    }
    None
}

/// Where a JSON web token stands: `eyJ…` base64url, a dot, `eyJ…`, a dot,
/// the signature.
pub(crate) fn find_jwt(s: &str) -> Option<std::ops::Range<usize>> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut from = 0;
    while let Some(at) = s[from..].find("eyJ") {
        let start = from + at;
        let rest = &s[start..];
        let len = rest
            .find(|c: char| !(is_b64(c) || c == '.'))
            .unwrap_or(rest.len());
        let parts: Vec<&str> = rest[..len].split('.').collect();
        if parts.len() >= 3 && parts[1].starts_with("eyJ") && parts[0].len() >= 10 {
            return Some(start..start + len);
        }
        from = start + 3;
    }
    None
}

/// The token of an `Authorization` value in a text: `Bearer <token>`,
/// `Basic <token>`, `Token <token>` (16 characters or more).
pub(crate) fn find_auth_scheme_token(s: &str) -> Option<std::ops::Range<usize>> {
    let lower = s.to_ascii_lowercase();
    for scheme in ["bearer ", "basic ", "token "] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(scheme) {
            let start = from + at;
            let word_start = start == 0 || !lower.as_bytes()[start - 1].is_ascii_alphanumeric();
            let token_start = start + scheme.len();
            let rest = &s[token_start..];
            let len = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ',' | ';'))
                .unwrap_or(rest.len());
            if word_start && len >= 16 && !rest[..len].contains('$') {
                return Some(token_start..token_start + len);
            }
            from = token_start;
        }
    }
    None
}

/// Whether a key's name says it holds a secret (`password`, `client_secret`,
/// `api_key`, `--token`), not a reference to one (`token_env`,
/// `secret_key_env`) or a count (`max_tokens`).
pub fn is_secret_name(key: &str) -> bool {
    let lower = key.trim_start_matches('-').to_ascii_lowercase();
    let parts: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    let reference = parts.last().is_some_and(|last| {
        matches!(
            *last,
            "env" | "var" | "variable" | "file" | "path" | "name" | "id" | "ids" | "url"
        )
    });
    if reference {
        return false;
    }
    let named = parts.iter().any(|p| {
        matches!(
            *p,
            "password"
                | "passwd"
                | "passphrase"
                | "pwd"
                | "secret"
                | "token"
                | "apikey"
                | "credential"
                | "credentials"
        )
    });
    let pair = parts
        .windows(2)
        .any(|w| w[1] == "key" && matches!(w[0], "api" | "access" | "private" | "secret" | "auth"));
    named || pair
}

/// A literal value under a secret's name: not empty, not a reference
/// (`${VAR}`), not a number or a boolean.
pub(crate) fn is_literal_secret_value(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && !v.contains('$') && v.parse::<f64>().is_err() && !matches!(v, "true" | "false")
}

fn is_aws_key_id(s: &str) -> bool {
    (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.len() == 20
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Long, unbroken and high in entropy, with letters and digits mixed: how
/// keys and tokens look, and how names, paths and URLs do not.
pub(crate) fn is_random_token(s: &str) -> bool {
    if s.len() < 24 || s.chars().any(char::is_whitespace) || s.contains("://") {
        return false;
    }
    let env_style = s
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let has_digit = s.chars().any(|c| c.is_ascii_digit());
    let has_upper = s.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = s.chars().any(|c| c.is_ascii_lowercase());
    !env_style && has_digit && (has_upper || has_lower) && entropy_bits_per_char(s) >= 3.8
}

/// Shannon entropy over bytes (tokens are ASCII; a byte histogram needs no allocation).
fn entropy_bits_per_char(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&k| k > 0)
        .map(|&k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::looks_like_secret;
    use crate::core::layout::LayoutSet;
    use crate::core::validate::{Finding, validate_text};

    /// The secret findings of a document, as (path, message).
    fn secrets_in(text: &str) -> Vec<Finding> {
        let layouts = LayoutSet::builtin().expect("the built-in layouts load");
        validate_text(text, &layouts)
            .expect("valid TOML")
            .into_iter()
            .filter(|f| f.message.contains("literal secret"))
            .collect()
    }

    fn flags(text: &str, path: &str, kind: &str, secret: &str) {
        let found = secrets_in(text);
        let hit = found.iter().find(|f| f.path == path);
        assert!(hit.is_some(), "no secret finding at {path}: {found:#?}");
        let hit = hit.expect("checked above");
        assert!(hit.is_error() && hit.message.contains(kind), "{hit:?}");
        assert!(
            !hit.message.contains(secret),
            "the message echoes the secret: {hit:?}"
        );
        assert!(hit.line.is_some(), "{hit:?}");
    }

    #[test]
    fn finds_secrets_in_urls_unknown_keys_and_tables() {
        flags(
            "[storage.assets.images]\nbackend = \"s3\"\nbucket = \"b\"\nregion = \"r\"\naccess_key_env = \"A\"\nsecret_key_env = \"B\"\nendpoint_url = \"https://AKIAIOSFODNN7EXAMPLE:hunter2secret@minio.local\"\n",
            "storage.assets.images.endpoint_url",
            "password in a URL",
            "hunter2secret",
        );
        flags(
            "[[endpoints]]\nname = \"x\"\nkind = \"openai_compatible\"\nbase_url = \"https://api.example.com/v1?api_key=sk-abcdefghijklmnopqrstuvwx\"\n",
            "endpoints[0].base_url",
            "query string",
            "sk-abcdefghijklmnopqrstuvwx",
        );
        flags(
            "[ui.extra]\ntoken = \"Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1Hf5Jg0Ks\"\n",
            "ui.extra.token",
            "random token",
            "Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1Hf5Jg0Ks",
        );
        flags(
            "[storage.assets.images]\nbackend = \"local\"\npath = \"data/images\"\nmy_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n",
            "storage.assets.images.my_key",
            "random token",
            "wJalrXUtnFEMI",
        );
        flags(
            "[server]\nloopback_alias = \"AKIAIOSFODNN7EXAMPLE\"\n",
            "server.loopback_alias",
            "AWS access key id",
            "AKIAIOSFODNN7EXAMPLE",
        );
    }

    #[test]
    fn names_references_and_plain_urls_are_not_secrets() {
        for text in [
            "[ollama]\nollama_base_url = \"http://user@127.0.0.1:11434?timeout=30\"\n",
            "[[endpoints]]\nname = \"x\"\nkind = \"vllm\"\nbase_url = \"https://me:${PASSWORD}@host/v1\"\n",
            "[server]\nlog_path = \"logs/chat_proxy_2024_0123456789abcdef.jsonl\"\n",
            include_str!("../../../sample_configs/chat_proxy.toml"),
            include_str!("../../../sample_configs/full_example.toml"),
        ] {
            assert_eq!(secrets_in(text), Vec::new(), "{text}");
        }
    }

    #[test]
    fn a_known_field_is_reported_once() {
        let text = "[storage.assets.images]\nbackend = \"s3\"\nbucket = \"b\"\nregion = \"r\"\naccess_key_env = \"AKIAIOSFODNN7EXAMPLE\"\nsecret_key_env = \"B\"\n";
        let found = secrets_in(text);
        assert_eq!(found.len(), 1, "{found:#?}");
    }

    #[test]
    fn spots_secrets_not_names() {
        assert!(looks_like_secret("AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(looks_like_secret("-----BEGIN PRIVATE KEY-----\nabc").is_some());
        assert!(looks_like_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_some());
        assert!(
            looks_like_secret("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==")
                .is_some()
        );
        assert!(looks_like_secret("sk-proj-abcdefghijklmnop1234").is_some());
        for fine in [
            "AWS_SECRET_ACCESS_KEY",
            "IMAGEWORKS_S3_ACCESS_KEY_ID",
            "data/images",
            "https://s3.eu-west-1.amazonaws.com/bucket",
            "my-project.appspot.com",
            "imageworks-assets-2024",
            "eu-west-1",
        ] {
            assert_eq!(looks_like_secret(fine), None, "{fine}");
        }
    }
}
