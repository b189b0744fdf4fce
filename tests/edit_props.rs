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
        FieldType::String | FieldType::OptionalString | FieldType::Path => format!("\"text {n}\""),
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
