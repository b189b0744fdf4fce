//! Properties over config files however their tables are spelled: headers,
//! dotted keys, inline tables, super-tables, deep nesting, a BOM, NaN and
//! inf, control characters in strings, keys and comments.
//!
//! - nothing panics (parse, check, get, preview, search, a set);
//! - check, get and preview agree on every key whatever the spelling;
//! - a set changes nothing but the edited line (or adds lines);
//! - control characters never reach printed text raw.

use std::collections::BTreeMap;

use iw_studio::core::document::{ConfigDocument, DocPath, values_equal};
use iw_studio::core::layout::{Field, FieldType, LayoutSet, SectionKind};
use iw_studio::core::proxy::effective::preview;
use iw_studio::core::search::search;
use iw_studio::core::terminal_text::escape_controls;
use iw_studio::core::validate::validate_document;
use proptest::prelude::*;

/// (table, field) of every plain-table setting.
fn settings(layouts: &LayoutSet) -> Vec<(String, Field)> {
    layouts
        .sections()
        .filter(|s| s.kind == SectionKind::Table)
        .flat_map(|s| s.fields.iter().map(|f| (s.table.clone(), f.clone())))
        .collect()
}

/// Values of every kind, some out of range or of the wrong type, some
/// NaN/inf, some strings with control characters (as TOML escapes).
fn literal(field: &Field, seed: u64) -> String {
    match seed % 9 {
        0 => "nan".to_owned(),
        1 => ["inf", "-inf", "+inf"][(seed / 9 % 3) as usize].to_owned(),
        2 => "\"a\\u001b]0;pwned\\u0007\\u001b[2J\"".to_owned(),
        3 => format!("{}", seed % 100_000),
        _ => match field.ty {
            FieldType::Bool => seed.is_multiple_of(2).to_string(),
            FieldType::Int | FieldType::OptionalInt => (seed % 2000).to_string(),
            FieldType::Float => format!("{:.2}", (seed % 300) as f64 / 100.0),
            FieldType::Enum => format!("\"{}\"", field.values[seed as usize % field.values.len()]),
            FieldType::StringList => format!("[\"a{}\", \"b\"]", seed % 7),
            _ => format!("\"text {}\"", seed % 50),
        },
    }
}

#[derive(Clone, Copy, Debug)]
enum Spelling {
    Header,
    Dotted,
    Inline,
    /// `[first]` then the rest of the table name as dotted keys or an
    /// inline table below it (only for tables with more than one part).
    Super,
}

fn spelling(n: u8) -> Spelling {
    match n % 4 {
        0 => Spelling::Header,
        1 => Spelling::Dotted,
        2 => Spelling::Inline,
        _ => Spelling::Super,
    }
}

/// A quoted key when a part needs it.
fn key(part: &str) -> String {
    if part
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !part.is_empty()
    {
        part.to_owned()
    } else {
        let escaped: String = part
            .chars()
            .map(|c| match c {
                '"' => "\\\"".to_owned(),
                '\\' => "\\\\".to_owned(),
                c if c.is_control() => format!("\\u{:04x}", u32::from(c)),
                c => c.to_string(),
            })
            .collect();
        format!("\"{escaped}\"")
    }
}

fn dotted(parts: &[String]) -> String {
    parts.iter().map(|p| key(p)).collect::<Vec<_>>().join(".")
}

/// The pairs of one table as the inside of an inline table.
fn inline(pairs: &[(String, String)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{} = {v}", key(k)))
        .collect();
    format!("{{ {} }}", body.join(", "))
}

/// A table's name, its keys and values, and how it is spelled.
type Chosen<'t> = (&'t Vec<String>, &'t Vec<(String, String)>, Spelling);

/// One document: `tables` (name parts → key/value pairs), each spelled as
/// asked; root-level spellings first, then the headers.
fn render(
    tables: &BTreeMap<Vec<String>, Vec<(String, String)>>,
    spellings: &[Spelling],
    bom: bool,
    comment: &str,
) -> String {
    let mut root = String::new();
    let mut headers = String::new();
    let chosen: Vec<Chosen<'_>> = tables
        .iter()
        .zip(spellings.iter().cycle())
        .map(|((name, pairs), s)| (name, pairs, *s))
        .collect();
    // A `[first]` header cannot follow root keys under `first`.
    let at_root: Vec<&str> = chosen
        .iter()
        .filter(|(_, _, s)| matches!(s, Spelling::Dotted | Spelling::Inline))
        .map(|(name, _, _)| name[0].as_str())
        .collect();
    let mut supers: BTreeMap<&str, String> = BTreeMap::new();
    for (name, pairs, s) in chosen {
        let s = match s {
            Spelling::Super if name.len() < 2 || at_root.contains(&name[0].as_str()) => {
                Spelling::Header
            }
            s => s,
        };
        match s {
            Spelling::Header => {
                headers.push_str(&format!("\n[{}]\n", dotted(name)));
                for (k, v) in pairs {
                    headers.push_str(&format!("{} = {v}\n", key(k)));
                }
            }
            Spelling::Dotted => {
                for (k, v) in pairs {
                    root.push_str(&format!("{}.{} = {v}\n", dotted(name), key(k)));
                }
            }
            Spelling::Inline => {
                root.push_str(&format!("{} = {}\n", dotted(name), inline(pairs)));
            }
            Spelling::Super => {
                supers
                    .entry(name[0].as_str())
                    .or_default()
                    .push_str(&format!("{} = {}\n", dotted(&name[1..]), inline(pairs)));
            }
        }
    }
    for (first, lines) in supers {
        headers.push_str(&format!("\n[{}]\n{lines}", key(first)));
    }
    let bom = if bom { "\u{feff}" } else { "" };
    format!("{bom}# {comment}\n{root}{headers}")
}

/// What check says, sorted: (path, error?, message), lines left out (they
/// differ with the spelling).
fn findings(doc: &ConfigDocument, layouts: &LayoutSet) -> Vec<(String, bool, String)> {
    let mut all: Vec<_> = validate_document(doc, layouts)
        .into_iter()
        .map(|f| (f.path.to_string(), f.is_error(), f.message))
        .collect();
    all.sort();
    all
}

fn layouts() -> LayoutSet {
    LayoutSet::builtin().expect("the built-in layouts load")
}

type Table = (Vec<String>, Vec<(String, String)>);

/// Tables of known settings (with their values), plus unknown tables,
/// some deep, with keys that need quoting (control characters included).
fn tables_strategy() -> impl Strategy<Value = Vec<Table>> {
    let known = prop::collection::vec((any::<prop::sample::Index>(), any::<u64>()), 1..12);
    let unknown = prop::collection::vec(
        (
            1usize..40,
            prop::sample::select(vec!["extra", "deep", "x\u{1b}[2J", "é", "a b"]),
            any::<u64>(),
        ),
        0..3,
    );
    (known, unknown).prop_map(|(known, unknown)| {
        let layouts = layouts();
        let all = settings(&layouts);
        let mut tables: BTreeMap<Vec<String>, Vec<(String, String)>> = BTreeMap::new();
        for (i, seed) in known {
            let (table, field) = i.get(&all);
            let name: Vec<String> = table.split('.').map(str::to_owned).collect();
            let pairs = tables.entry(name).or_default();
            if !pairs.iter().any(|(k, _)| *k == field.key) {
                pairs.push((field.key.clone(), literal(field, seed)));
            }
        }
        for (depth, root, seed) in unknown {
            let mut name = vec![root.to_owned()];
            name.extend((1..depth).map(|i| format!("n{i}")));
            // One key once per table: two unknown tables of one name and
            // depth would otherwise give a duplicate key (invalid TOML).
            let key = format!("k\u{7}{}", seed % 3);
            let pairs = tables.entry(name).or_default();
            if !pairs.iter().any(|(k, _)| *k == key) {
                pairs.push((key, format!("{}", seed % 10)));
            }
        }
        // A table and a table below it cannot both be inline/dotted in any
        // order; keep only leaves (no name is a prefix of another).
        let names: Vec<Vec<String>> = tables.keys().cloned().collect();
        tables.retain(|name, _| {
            !names
                .iter()
                .any(|other| other.len() > name.len() && other.starts_with(name))
        });
        tables.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        ..ProptestConfig::default()
    })]

    /// Every spelling of the same tables reads the same: findings, every
    /// key's value, the preview's draft values; nothing panics, and a set
    /// outside the inline tables changes only its own line.
    #[test]
    fn every_spelling_reads_the_same(
        tables in tables_strategy(),
        picks in prop::collection::vec(any::<u8>(), 1..8),
        bom in any::<bool>(),
        comment in "[ -~\t]{0,20}",
    ) {
        let layouts = layouts();
        let tables: BTreeMap<_, _> = tables.into_iter().collect();
        let headers = render(&tables, &[Spelling::Header], bom, &comment);
        let spelled: Vec<Spelling> = picks.iter().copied().map(spelling).collect();
        let text = render(&tables, &spelled, bom, &comment);
        let base = ConfigDocument::parse(&headers).map_err(|e| TestCaseError::fail(format!("{e}\n{headers}")))?;
        let doc = ConfigDocument::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(findings(&doc, &layouts), findings(&base, &layouts), "{}", text);
        for (name, pairs) in &tables {
            for (k, _) in pairs {
                let mut parts = name.clone();
                parts.push(k.clone());
                let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                let path = DocPath::keys(&refs);
                let (a, b) = (doc.get_value(&path), base.get_value(&path));
                prop_assert!(
                    matches!((a, b), (Some(a), Some(b)) if values_equal(a, b)),
                    "{path}: {a:?} vs {b:?}\n{text}"
                );
            }
        }
        let env = BTreeMap::new();
        let (p, q) = (preview(&doc, &layouts, None, &env), preview(&base, &layouts, None, &env));
        for (r, s) in p.rows.iter().zip(&q.rows) {
            prop_assert_eq!(&r.draft, &s.draft, "{}\n{}", r.key, text);
            prop_assert_eq!(r.draft_sets_it, s.draft_sets_it, "{}\n{}", r.key, text);
        }
        prop_assert_eq!(
            search(&layouts, Some(&doc), "port").len(),
            search(&layouts, Some(&base), "port").len()
        );
        // Printed findings carry no control character once shown.
        for f in validate_document(&doc, &layouts) {
            let shown = escape_controls(&f.to_string()).into_owned();
            prop_assert!(!shown.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{shown:?}");
        }
        // A set of a key in a table written with a header changes its line alone.
        let (name, pairs) = tables.iter().next().expect("one table at least");
        let mut edited = doc.clone();
        let mut parts = name.clone();
        parts.push(pairs[0].0.clone());
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        let path = DocPath::keys(&refs);
        let set = edited.set_value(&layouts, &path, toml_edit::Value::from(7));
        match spelled[0] {
            Spelling::Header | Spelling::Dotted => {
                prop_assert!(set.is_ok(), "{set:?}\n{text}");
                let (before, after) = (doc.text(), edited.text());
                let (lb, la): (Vec<_>, Vec<_>) = (before.lines().collect(), after.lines().collect());
                prop_assert_eq!(lb.len(), la.len(), "{}", after);
                let changed = lb.iter().zip(&la).filter(|(x, y)| x != y).count();
                prop_assert!(changed <= 1, "{before}\n---\n{after}");
            }
            Spelling::Inline | Spelling::Super => {
                // Refused with the reason, or (a one-part table spelled
                // as a header) done: never a cut or rewritten file.
                if set.is_err() {
                    prop_assert_eq!(edited.text(), doc.text());
                }
            }
        }
    }

    /// Any text at all: parsing, checking and reading never panic, and a
    /// parse error is shown without a raw control character.
    #[test]
    fn any_text_never_panics_and_errors_print_safely(
        text in "(\u{feff})?([a-z\\[\\]{}=., \"'#\n\t\u{1b}\u{7}\r\u{202e}0-9]|nan|inf|\\[\\[|\\]\\]){0,120}",
    ) {
        let layouts = layouts();
        match ConfigDocument::parse(&text) {
            Ok(doc) => {
                let found = validate_document(&doc, &layouts);
                for f in &found {
                    let _ = doc.get_value(&f.path);
                }
                let _ = preview(&doc, &layouts, None, &BTreeMap::new());
                let _ = search(&layouts, Some(&doc), "a");
            }
            Err(e) => {
                let shown = e.to_string();
                prop_assert!(
                    !shown.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
                    "{shown:?}"
                );
            }
        }
    }
}
