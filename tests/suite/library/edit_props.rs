//! Property: random set/unset sequences on random valid documents change
//! nothing outside the edited keys.

use std::collections::{BTreeMap, BTreeSet};

use iw_studio::core::document::{ConfigDocument, DocPath, values_equal};
use iw_studio::core::layout::{Field, FieldType, LayoutSet, SectionKind};
use proptest::prelude::*;

/// (table, field) pairs of every plain-table setting.
fn settings(layouts: &LayoutSet) -> Vec<(String, Field)> {
    layouts
        .sections()
        .filter(|s| s.kind == SectionKind::Table)
        .flat_map(|s| s.fields.iter().map(|f| (s.table.clone(), f.clone())))
        .collect()
}

fn literal(field: &Field, seed: u64) -> String {
    let n = seed % 1000;
    match field.ty {
        FieldType::Bool => seed.is_multiple_of(2).to_string(),
        FieldType::Int | FieldType::OptionalInt => {
            let (lo, hi) = (
                field.min.unwrap_or(0.0) as u64,
                field.max.unwrap_or(1e6) as u64,
            );
            (lo + seed % (hi - lo + 1)).to_string()
        }
        FieldType::Float => format!("{:.2}", 0.05 + (n as f64) / 1100.0),
        FieldType::Enum => format!("\"{}\"", field.values[seed as usize % field.values.len()]),
        FieldType::Url => format!("\"http://host{n}:8080\""),
        FieldType::EnvVar => format!("\"VAR_{n}\""),
        FieldType::StringList => format!("[\"a{n}\", \"b\"]"),
        FieldType::String | FieldType::OptionalString | FieldType::Path | FieldType::Json => {
            format!("\"text {n}\"")
        }
    }
}

/// A document with some sections, some keys, comments and blank lines.
fn render_doc(all: &[(String, Field)], picks: &[(usize, u64, bool)]) -> String {
    let mut by_table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for &(i, seed, comment) in picks {
        let (table, field) = &all[i % all.len()];
        let line = format!(
            "{} = {}{}",
            field.key,
            literal(field, seed),
            if comment { "   # note" } else { "" }
        );
        let lines = by_table.entry(table).or_default();
        if !lines
            .iter()
            .any(|l| l.starts_with(&format!("{} =", field.key)))
        {
            lines.push(line);
        }
    }
    let mut out = String::from("# generated\n");
    for (table, lines) in by_table {
        out.push_str(&format!(
            "\n# about {table}\n[{table}]\n{}\n",
            lines.join("\n")
        ));
    }
    out
}

/// Lines outside the edited keys and outside tables the edits created.
fn untouched_lines(
    text: &str,
    edited: &BTreeSet<(String, String)>,
    original_tables: &BTreeSet<String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut table = String::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.to_owned();
            if !original_tables.contains(&table) {
                if out.last().is_some_and(String::is_empty) {
                    out.pop(); // the blank line a new table brings
                }
                continue;
            }
        }
        let key = line.split(" = ").next().unwrap_or_default();
        if !edited.contains(&(table.clone(), key.to_owned())) {
            out.push(line.to_owned());
        }
    }
    out
}

fn setting_path(table: &str, key: &str) -> DocPath {
    let mut keys: Vec<&str> = table.split('.').collect();
    keys.push(key);
    DocPath::keys(&keys)
}

fn tables_of(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')))
        .map(str::to_owned)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn edits_touch_only_edited_keys(
        picks in prop::collection::vec((0usize..80, any::<u64>(), any::<bool>()), 0..30),
        ops in prop::collection::vec((0usize..80, any::<u64>(), any::<bool>()), 1..12),
    ) {
        let layouts = LayoutSet::builtin().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let all = settings(&layouts);
        let original = render_doc(&all, &picks);
        let mut doc = ConfigDocument::parse(&original).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let before = doc.clone();
        let mut edited = BTreeSet::new();
        let mut expected: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
        for (i, seed, unset) in ops {
            let (table, field) = &all[i % all.len()];
            let path = setting_path(table, &field.key);
            if unset {
                doc.remove(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
                expected.insert((table.clone(), field.key.clone()), None);
            } else {
                let lit = literal(field, seed);
                doc.set_value(&layouts, &path, lit.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                expected.insert((table.clone(), field.key.clone()), Some(lit));
            }
            edited.insert((table.clone(), field.key.clone()));
        }
        let text = doc.text();
        let reparsed = ConfigDocument::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        // Edited keys hold what was last written.
        for ((table, key), lit) in &expected {
            let got = reparsed.get_value(&setting_path(table, key));
            let want = lit.as_ref().and_then(|l| l.parse::<toml_edit::Value>().ok());
            let same = match (got, &want) {
                (Some(g), Some(w)) => values_equal(g, w),
                (None, None) => true,
                _ => false,
            };
            prop_assert!(same, "{}.{}: {:?} vs {:?}\n{}", table, key, got.map(ToString::to_string), want.map(|w| w.to_string()), text);
        }
        // Every other key keeps its value...
        for (table, field) in &all {
            if edited.contains(&(table.clone(), field.key.clone())) { continue; }
            let path = setting_path(table, &field.key);
            let a = before.get_value(&path).map(|v| v.to_string());
            let b = reparsed.get_value(&path).map(|v| v.to_string());
            prop_assert_eq!(a, b);
        }
        // ...and every other line, comments and blank lines included, is as it was.
        let tables = tables_of(&original);
        prop_assert_eq!(untouched_lines(&original, &edited, &tables), untouched_lines(&text, &edited, &tables), "\n{}\n---\n{}", original, text);
    }
}

/// Blocks of a document that give every kind of finding: wrong types and
/// ranges, unknown keys and tables, secrets, duplicate names, a default
/// page that is off, modules under a page that is off, TOML 1.1 syntax.
fn block(kind: u8, seed: u64) -> (String, String) {
    let s = seed % 4;
    let port = ["8100", "70000", "\"80a\"", "-1"][s as usize];
    let name = format!("ep-{}", seed % 3);
    match kind {
        0 => (
            "server".into(),
            format!("[server]\nport = {port}\nhost = \"0.0.0.0\"   # bind\nporrt = 1\n"),
        ),
        1 => (
            "ui".into(),
            format!(
                "[ui]\ndefault_page = \"{}\"\n",
                ["results", "chat", "models", "dashboard"][s as usize]
            ),
        ),
        2 => (
            "ui.pages".into(),
            format!(
                "[ui.pages]\nresults = {}\nmodels = {}\n",
                s < 2,
                s.is_multiple_of(2)
            ),
        ),
        3 => (
            "ui.modules".into(),
            format!("[ui.modules]\nbrowse_manage = {}\n", s != 1),
        ),
        4 => (
            String::new(),
            format!(
                "[[endpoints]]\nname = \"{name}\"\naliases = [\"a{s}\", \"ep-{}\"]\nkind = \"openai_compatible\"\nbase_url = \"{}\"\n",
                (seed / 3) % 3,
                if s == 0 {
                    "https://api.example.com/v1?api_key=sk-abcdefghijklmnopqrstuvwx"
                } else {
                    "http://10.0.0.1:8100/v1"
                }
            ),
        ),
        5 => (
            "storage.assets.images".into(),
            format!(
                "[storage.assets.images]\nbackend = \"local\"\npath = \"data/images\"\n{}",
                if s == 0 {
                    "my_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n"
                } else {
                    ""
                }
            ),
        ),
        6 => (
            format!("storage.assets.kind{s}"),
            format!(
                "[storage.assets.kind{s}]   # per tenant\nbackend = \"s3\"\nbucket = \"b{seed}\"\n"
            ),
        ),
        7 => (
            "ui.extra".into(),
            format!(
                "[ui.extra]\ntoken = \"{}\"\n",
                if s == 0 {
                    "Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1Hf5Jg0Ks"
                } else {
                    "plain"
                }
            ),
        ),
        8 => (
            "timeouts".into(),
            "[timeouts]\nat = 07:32\nnote = \"a\\e\"\nspan = {a = 1, b = 2}\n".into(),
        ),
        _ => (
            "storage".into(),
            "[storage]\ndefault_backend = \"local\"\nextra.note = \"x\"\n".into(),
        ),
    }
}

fn findings_doc(picks: &[(u8, u64)], root_key: bool, crlf: bool, bom: bool) -> String {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    if root_key {
        out.push_str("title = \"x\"\n");
    }
    for &(kind, seed) in picks {
        let (table, text) = block(kind, seed);
        if !table.is_empty() && !seen.insert(table) {
            continue;
        }
        out.push_str("\n# block\n");
        out.push_str(&text);
    }
    if crlf {
        out = out.replace('\n', "\r\n");
    }
    if bom {
        out.insert(0, '\u{feff}');
    }
    out
}

/// Every value of the document (array entries included), by path.
fn value_paths(table: &toml_edit::Table, at: &DocPath, out: &mut Vec<DocPath>) {
    for (key, item) in table {
        let path = at.child(key);
        match item {
            toml_edit::Item::Value(_) => out.push(path),
            toml_edit::Item::Table(t) => value_paths(t, &path, out),
            toml_edit::Item::ArrayOfTables(a) => {
                for (i, entry) in a.iter().enumerate() {
                    value_paths(entry, &path.index(i), out);
                }
            }
            toml_edit::Item::None => {}
        }
    }
}

const NEW_VALUES: &[&str] = &[
    "8100",
    "70000",
    "-1",
    "\"x\"",
    "\"ep-0\"",
    "\"ep-1\"",
    "\"AKIAIOSFODNN7EXAMPLE\"",
    "\"http://u:pw@h/v1\"",
    "\"results\"",
    "\"chat\"",
    "true",
    "false",
    "[\"a0\"]",
    "[\"a1\", \"ep-0\"]",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// After any sequence of edits, undos and redos, the findings a session
    /// keeps up to date (re-checking only what an edit can change) are the
    /// findings of a fresh check of its text: same messages, paths, lines
    /// and columns, in the same order.
    #[test]
    fn incremental_findings_equal_a_fresh_check(
        picks in prop::collection::vec((0u8..10, any::<u64>()), 1..12),
        root_key in any::<bool>(),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        ops in prop::collection::vec((0u8..12, any::<usize>(), any::<usize>()), 1..10),
    ) {
        use iw_studio::core::session::{Command, EditSession};
        use iw_studio::core::validate::validate_text;
        let layouts = std::sync::Arc::new(LayoutSet::builtin().map_err(|e| TestCaseError::fail(e.to_string()))?);
        let text = findings_doc(&picks, root_key, crlf, bom);
        let Ok(mut session) = EditSession::from_text(&text, std::sync::Arc::clone(&layouts)) else {
            return Err(TestCaseError::reject("not valid TOML"));
        };
        let all = settings(&layouts);
        for (kind, pick, value) in ops {
            let mut paths = Vec::new();
            value_paths(session.doc().root(), &DocPath::default(), &mut paths);
            let command = match kind {
                0..=6 if !paths.is_empty() => Some(Command::SetValue {
                    path: paths[pick % paths.len()].clone(),
                    value: NEW_VALUES[value % NEW_VALUES.len()].parse().map_err(|e| TestCaseError::fail(format!("{e}")))?,
                }),
                7 => { session.undo(); None }
                8 => { session.redo(); None }
                9 if !paths.is_empty() => Some(Command::Remove { path: paths[pick % paths.len()].clone() }),
                _ => {
                    let (table, field) = &all[pick % all.len()];
                    Some(Command::SetValue {
                        path: setting_path(table, &field.key),
                        value: literal(field, value as u64).parse().map_err(|e| TestCaseError::fail(format!("{e}")))?,
                    })
                }
            };
            if let Some(command) = command {
                // Some edits are refused (a key under a value); the state must stay consistent.
                let _ = session.apply(command);
            }
            let fresh = validate_text(session.raw_text(), &layouts)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{}", session.raw_text())))?;
            prop_assert_eq!(session.findings(), fresh.as_slice(), "\n{}", session.raw_text());
            let errors = fresh.iter().filter(|f| f.is_error()).count();
            prop_assert_eq!(session.error_count(), errors);
            prop_assert_eq!(session.warning_count(), fresh.len() - errors);
        }
    }
}
