//! Generated registry layers with what real files hold and ImageWorks'
//! loader reacts to (deep nesting, a BOM, `NaN`/`Infinity`, padded, blank
//! and number names, repeated keys, control characters, indentation units,
//! CRLF): the editor never panics, refuses exactly what it cannot hold,
//! reports what ImageWorks would (an error where it fails, a warning where
//! it changes the entry), writes ImageWorks' merge as the snapshot, and an
//! edit leaves every other entry's bytes alone. Prints its figures.

use std::collections::BTreeMap;
use std::fs;
use std::sync::Mutex;

use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use iw_studio::core::registry::{
    MAX_ENTRY_DEPTH, RegistryCommand, RegistryError, RegistryStore, Severity, apply_command,
    validate_loaded,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum NameKind {
    Plain,
    Padded,
    Blank,
    Number,
    Float,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Depth {
    Flat,
    AtLimit,
    OverLimit,
}

#[derive(Clone, Debug)]
struct EntrySpec {
    id: u8,
    name: NameKind,
    depth: Depth,
    repeated_key: bool,
    /// An escaped control character in a string (valid JSON).
    escaped_control: bool,
    /// A raw control character in a string (invalid JSON for both readers).
    raw_control: bool,
    non_finite: bool,
}

#[derive(Clone, Debug)]
struct Case {
    indent: Option<&'static str>,
    bom: bool,
    crlf: bool,
    entries: Vec<EntrySpec>,
}

fn entry_spec() -> impl Strategy<Value = EntrySpec> {
    (
        0u8..6,
        prop_oneof![
            6 => Just(NameKind::Plain),
            1 => Just(NameKind::Padded),
            1 => Just(NameKind::Blank),
            1 => Just(NameKind::Number),
            1 => Just(NameKind::Float),
        ],
        prop_oneof![8 => Just(Depth::Flat), 1 => Just(Depth::AtLimit), 1 => Just(Depth::OverLimit)],
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.08),
    )
        .prop_map(
            |(id, name, depth, repeated_key, escaped_control, raw_control, non_finite)| EntrySpec {
                id,
                name,
                depth,
                repeated_key,
                escaped_control,
                raw_control,
                non_finite,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            Just(Some("  ")),
            Just(Some("    ")),
            Just(Some("\t")),
            Just(None)
        ],
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.2),
        prop::collection::vec(entry_spec(), 1..6),
    )
        .prop_map(|(indent, bom, crlf, entries)| Case {
            indent,
            bom,
            crlf,
            entries,
        })
}

/// The raw `name` JSON of an entry.
fn name_json(spec: &EntrySpec) -> String {
    match spec.name {
        NameKind::Plain => format!("\"m{}\"", spec.id),
        NameKind::Padded => format!("\"  m{} \"", spec.id),
        NameKind::Blank => "\"  \"".into(),
        NameKind::Number => format!("{}", spec.id),
        NameKind::Float => format!("{}.5", spec.id),
    }
}

/// ImageWorks' merge key for that name (`str(name or "").strip()`).
fn merge_key(spec: &EntrySpec) -> String {
    match spec.name {
        NameKind::Plain | NameKind::Padded => format!("m{}", spec.id),
        NameKind::Blank => String::new(),
        NameKind::Number if spec.id == 0 => String::new(),
        NameKind::Number => format!("{}", spec.id),
        NameKind::Float => format!("{}.5", spec.id),
    }
}

/// Key/value texts of one entry's fields, in order.
fn fields(spec: &EntrySpec) -> Vec<(String, String)> {
    let mut fields = vec![
        ("name".to_owned(), name_json(spec)),
        ("backend".to_owned(), "\"vllm\"".to_owned()),
    ];
    if spec.repeated_key {
        fields.push(("x".into(), "1".into()));
        fields.push(("x".into(), "2".into()));
    }
    if spec.escaped_control {
        fields.push(("note".into(), "\"a\\u0001b\\tc\"".into()));
    }
    if spec.raw_control {
        fields.push(("note".into(), "\"a\u{1}b\"".into()));
    }
    if spec.non_finite {
        fields.push(("temperature".into(), "NaN".into()));
    }
    let nested = match spec.depth {
        Depth::Flat => 1,
        Depth::AtLimit => MAX_ENTRY_DEPTH - 1,
        Depth::OverLimit => MAX_ENTRY_DEPTH,
    };
    // The entry is level 1; `deep` adds `nested` levels.
    fields.push((
        "deep".into(),
        format!("{}1{}", "{\"a\": ".repeat(nested), "}".repeat(nested)),
    ));
    fields
}

fn entry_text(spec: &EntrySpec, indent: Option<&str>, nl: &str) -> String {
    let fields = fields(spec);
    match indent {
        None => {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("\"{k}\": {v}"))
                .collect();
            format!("{{{}}}", body.join(", "))
        }
        Some(unit) => {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{unit}{unit}\"{k}\": {v}"))
                .collect();
            format!("{{{nl}{}{nl}{unit}}}", body.join(&format!(",{nl}")))
        }
    }
}

fn layer_text(case: &Case) -> (String, Vec<String>) {
    let nl = if case.crlf { "\r\n" } else { "\n" };
    let entries: Vec<String> = case
        .entries
        .iter()
        .map(|e| entry_text(e, case.indent, nl))
        .collect();
    let body = match case.indent {
        None => format!("[{}]", entries.join(", ")),
        Some(unit) => {
            let items: Vec<String> = entries.iter().map(|e| format!("{unit}{e}")).collect();
            format!("[{nl}{}{nl}]{nl}", items.join(&format!(",{nl}")))
        }
    };
    let bom = if case.bom { "\u{feff}" } else { "" };
    (format!("{bom}{body}"), entries)
}

/// ImageWorks' merge of a curated layer over an empty discovered one:
/// entries keyed by the stripped name, a repeated key deep-merged over
/// the first (null skipped, objects recursively, the rest replaced).
fn imageworks_merge(curated: &[Value], keys: &[String]) -> Vec<Value> {
    let mut order: Vec<String> = Vec::new();
    let mut merged: BTreeMap<String, Value> = BTreeMap::new();
    for (entry, key) in curated.iter().zip(keys) {
        if key.is_empty() {
            continue;
        }
        match merged.get_mut(key) {
            Some(base) => merge_over(base, entry),
            None => {
                order.push(key.clone());
                merged.insert(key.clone(), entry.clone());
            }
        }
    }
    order.iter().filter_map(|k| merged.remove(k)).collect()
}

fn merge_over(base: &mut Value, overlay: &Value) {
    let (Some(base), Some(overlay)) = (base.as_object_mut(), overlay.as_object()) else {
        return;
    };
    for (key, value) in overlay {
        match (base.get_mut(key), value) {
            (_, Value::Null) => {}
            (Some(b @ Value::Object(_)), Value::Object(_)) => merge_over(b, value),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[derive(Default, Debug)]
struct Figures {
    runs: usize,
    refused_too_deep: usize,
    refused_non_finite: usize,
    refused_malformed: usize,
    loaded: usize,
    edited: usize,
    bom: usize,
    odd_names: usize,
    variants: BTreeMap<String, usize>,
}

/// Record which variants `case` holds (the figures printed at the end).
fn count_variants(case: &Case, figures: &Mutex<Figures>) -> Result<(), TestCaseError> {
    let fail = |m: String| TestCaseError::fail(m);
    let mut f = figures.lock().map_err(|e| fail(e.to_string()))?;
    f.runs += 1;
    let indent = format!("indent {:?}", case.indent);
    *f.variants.entry(indent).or_default() += 1;
    for e in &case.entries {
        for (on, label) in [
            (true, format!("name {:?}", e.name)),
            (true, format!("depth {:?}", e.depth)),
            (e.repeated_key, "repeated key".to_owned()),
            (e.escaped_control, "escaped control char".to_owned()),
            (e.raw_control, "raw control char".to_owned()),
            (e.non_finite, "NaN".to_owned()),
        ] {
            if on {
                *f.variants.entry(label).or_default() += 1;
            }
        }
    }
    for (on, label) in [(case.bom, "BOM"), (case.crlf, "CRLF")] {
        if on {
            *f.variants.entry(label.to_owned()).or_default() += 1;
        }
    }
    Ok(())
}

/// A layer the reader had to refuse: refused for the right reason, counted.
fn count_refusal(e: RegistryError, figures: &Mutex<Figures>) -> Result<(), TestCaseError> {
    let fail = |m: String| TestCaseError::fail(m);
    let mut f = figures.lock().map_err(|e| fail(e.to_string()))?;
    match e {
        RegistryError::TooDeep { depth, max, .. } => {
            prop_assert!(depth > max);
            f.refused_too_deep += 1;
        }
        RegistryError::Malformed { message, .. } if message.contains("NaN") => {
            f.refused_non_finite += 1;
        }
        RegistryError::Malformed { .. } => f.refused_malformed += 1,
        other => return Err(fail(format!("unexpected refusal: {other}"))),
    }
    Ok(())
}

fn check_case(case: &Case, figures: &Mutex<Figures>) -> Result<(), TestCaseError> {
    let fail = |m: String| TestCaseError::fail(m);
    let (text, entry_texts) = layer_text(case);
    let dir = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    fs::write(dir.path().join(CURATED_FILE), &text).map_err(|e| fail(e.to_string()))?;
    fs::write(dir.path().join(DISCOVERED_FILE), "[]\n").map_err(|e| fail(e.to_string()))?;
    count_variants(case, figures)?;
    let loaded = RegistryStore::load(dir.path());
    // What a reader must refuse, in file order (the first one is reported).
    let first_bad = case
        .entries
        .iter()
        .find(|e| e.raw_control || e.non_finite || e.depth == Depth::OverLimit);
    let mut store = match (loaded, first_bad) {
        (Ok(store), None) => store,
        (Ok(_), Some(bad)) => return Err(fail(format!("loaded, yet holds {bad:?}"))),
        (Err(e), None) => return Err(fail(format!("refused a readable layer: {e}"))),
        (Err(e), Some(_)) => return count_refusal(e, figures),
    };
    let findings = validate_loaded(&store);
    let bom_errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.message.contains("BOM"))
        .count();
    prop_assert_eq!(bom_errors, usize::from(case.bom), "{:?}", findings);
    let odd = case
        .entries
        .iter()
        .filter(|e| e.name != NameKind::Plain)
        .count();
    let name_warnings = findings
        .iter()
        .filter(|f| f.field == "name" && f.severity == Severity::Warning)
        .count();
    prop_assert_eq!(name_warnings, odd, "{:?}", findings);
    // The snapshot is ImageWorks' merge.
    store.save().map_err(|e| fail(e.to_string()))?;
    let parsed: Vec<Value> = entry_texts
        .iter()
        .map(|t| serde_json::from_str(&t.replace("\r\n", "\n")))
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let keys: Vec<String> = case.entries.iter().map(merge_key).collect();
    let snapshot =
        fs::read_to_string(dir.path().join(SNAPSHOT_FILE)).map_err(|e| fail(e.to_string()))?;
    let snapshot: Value = serde_json::from_str(&snapshot).map_err(|e| fail(e.to_string()))?;
    prop_assert_eq!(snapshot, Value::Array(imageworks_merge(&parsed, &keys)));
    // Edit the last copy of one plain name: every other entry keeps its bytes.
    {
        let mut f = figures.lock().map_err(|e| fail(e.to_string()))?;
        f.loaded += 1;
        f.bom += usize::from(case.bom);
        f.odd_names += odd;
    }
    let Some(target) = case
        .entries
        .iter()
        .rposition(|e| merge_key(e) == format!("m{}", e.id) && e.name == NameKind::Plain)
    else {
        return Ok(());
    };
    let name = merge_key(&case.entries[target]);
    let last_copy = keys.iter().rposition(|k| *k == name);
    let command = RegistryCommand::SetField {
        name: name.clone(),
        path: "display_name".into(),
        value: Value::from("Edited"),
    };
    apply_command(&mut store, &command).map_err(|e| fail(e.to_string()))?;
    store.save().map_err(|e| fail(e.to_string()))?;
    let after =
        fs::read_to_string(dir.path().join(CURATED_FILE)).map_err(|e| fail(e.to_string()))?;
    prop_assert_eq!(after.starts_with('\u{feff}'), case.bom);
    for (i, entry) in entry_texts.iter().enumerate() {
        if Some(i) != last_copy {
            prop_assert!(
                after.contains(entry.as_str()),
                "entry {} rewritten:\n{}",
                i,
                after
            );
        }
    }
    let reread: Vec<Value> = serde_json::from_str(after.trim_start_matches('\u{feff}'))
        .map_err(|e| fail(format!("{e}: {after}")))?;
    let edited = last_copy.and_then(|i| reread.get(i));
    prop_assert_eq!(
        edited.and_then(|e| e.get("display_name")),
        Some(&Value::from("Edited"))
    );
    if let Some(unit) = case.indent {
        let line = format!("{unit}{unit}\"display_name\": \"Edited\"");
        prop_assert!(
            after.contains(&line),
            "not in the file's layout:\n{}",
            after
        );
    }
    figures.lock().map_err(|e| fail(e.to_string()))?.edited += 1;
    Ok(())
}

#[test]
fn generated_layers_are_read_checked_merged_and_edited_as_imageworks_would() {
    let cases: u32 = std::env::var("REGISTRY_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let figures = Mutex::new(Figures::default());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |c| check_case(&c, &figures));
    let figures = figures.into_inner().unwrap_or_default();
    eprintln!("registry layer properties: {figures:#?}");
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(figures.refused_too_deep > 0 && figures.refused_non_finite > 0 && figures.edited > 0);
}
