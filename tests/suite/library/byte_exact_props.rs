//! Property: on generated valid TOML (CRLF, LF and mixed newlines, BOM,
//! comments everywhere, dotted keys with quoting and whitespace, out-of-order
//! dotted keys, quoted and empty-name keys, inline tables, arrays of tables,
//! multi-line strings, with or without a final newline), random set / unset /
//! set-in-an-array-entry /
//! add-key / add-table / array edits keep every line they do not touch
//! byte-identical and in order, give new lines the file's newline, and the
//! result parses to what the same edits give on a plain toml_edit document.
//!
//! 10,000 cases by default (`PROPTEST_CASES` overrides); failures are kept in
//! `proptest-regressions/byte_exact_props.txt`.

use std::ops::Range;
use std::sync::OnceLock;

use iw_studio::core::document::{ConfigDocument, DocPath};
use iw_studio::core::layout::LayoutSet;
use proptest::prelude::*;
use toml_edit::{DocumentMut, Item, Table, Value};

fn layouts() -> &'static LayoutSet {
    static LAYOUTS: OnceLock<LayoutSet> = OnceLock::new();
    LAYOUTS.get_or_init(|| LayoutSet::builtin().expect("the built-in layouts load"))
}

/// One generated key-value: (key form, value form, trailing comment, comment above).
type ItemSpec = (u8, u8, bool, bool);

#[derive(Debug, Clone)]
struct Spec {
    bom: bool,
    /// 0: LF, 1: CRLF, 2: mixed (per line).
    newline_mode: u8,
    mixed: Vec<bool>,
    final_newline: bool,
    root: Vec<ItemSpec>,
    tables: Vec<(u8, Vec<ItemSpec>)>,
    entries: Vec<Vec<ItemSpec>>,
}

fn items() -> impl Strategy<Value = Vec<ItemSpec>> {
    prop::collection::vec((0u8..8, 0u8..7, any::<bool>(), any::<bool>()), 0..5)
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        0u8..3,
        prop::collection::vec(any::<bool>(), 64),
        any::<bool>(),
        items(),
        prop::collection::vec((0u8..5, items()), 0..4),
        prop::collection::vec(items(), 0..4),
    )
        .prop_map(
            |(bom, newline_mode, mixed, final_newline, root, tables, entries)| Spec {
                bom,
                newline_mode,
                mixed,
                final_newline,
                root,
                tables,
                entries,
            },
        )
}

/// A key the generated text holds: its full path and its lines.
#[derive(Debug, Clone)]
struct KeyLines {
    path: Vec<String>,
    lines: Range<usize>,
}

#[derive(Debug, Default)]
struct Generated {
    lines: Vec<String>,
    keys: Vec<KeyLines>,
    /// Lines of each `[[arr]]` entry, with the comment above it.
    entries: Vec<Range<usize>>,
    /// The line of each entry's `id = ..` key.
    entry_ids: Vec<usize>,
    counter: usize,
}

impl Generated {
    fn fresh(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    fn value(&mut self, form: u8) -> Vec<String> {
        let n = self.fresh();
        match form {
            0 => vec![n.to_string()],
            1 => vec![format!("\"s{n}\"")],
            2 => vec![format!("'lit {n}'")],
            3 => vec![format!("{{ a = {n}, \"b c\" = 'x' }}")],
            4 => vec![format!("[{n}, 2 ]")],
            5 => vec![
                "\"\"\"".into(),
                format!("line {n}"),
                "# not a comment\"\"\"".into(),
            ],
            _ => vec!["'''".into(), format!("[not.a.header{n}]"), "'''".into()],
        }
    }

    fn item(&mut self, table: &[String], spec: ItemSpec, used_empty: &mut bool) {
        let (form, value, trailing, above) = spec;
        let n = self.fresh();
        if above {
            self.lines.push(format!("  # about {n}"));
        }
        // (written key, its path below the table); some forms write several keys.
        let keys: Vec<(String, Vec<String>)> = match form {
            0 => vec![(format!("k{n}"), vec![format!("k{n}")])],
            1 => vec![(format!("\"q {n}\""), vec![format!("q {n}")])],
            2 if !*used_empty => {
                *used_empty = true;
                vec![("\"\"".into(), vec![String::new()])]
            }
            3 => vec![(
                format!("\"d{n}\".'last'"),
                vec![format!("d{n}"), "last".into()],
            )],
            4 => vec![(
                format!("f{n} . flavor"),
                vec![format!("f{n}"), "flavor".into()],
            )],
            5 => vec![
                (format!("o{n}.type"), vec![format!("o{n}"), "type".into()]),
                (format!("u{n}.type"), vec![format!("u{n}"), "type".into()]),
                (format!("o{n}.skin"), vec![format!("o{n}"), "skin".into()]),
                (format!("u{n}.skin"), vec![format!("u{n}"), "skin".into()]),
            ],
            6 => vec![(format!("  k{n}"), vec![format!("k{n}")])],
            _ => vec![(format!("k{n}\t"), vec![format!("k{n}")])],
        };
        for (written, below) in keys {
            let start = self.lines.len();
            let mut value = self.value(value);
            if trailing && let Some(last) = value.last_mut() {
                last.push_str("  # trailing");
            }
            value[0] = format!("{written} = {}", value[0]);
            self.lines.extend(value);
            let mut path = table.to_vec();
            path.extend(below);
            self.keys.push(KeyLines {
                path,
                lines: start..self.lines.len(),
            });
        }
    }

    fn table(&mut self, path: &[String], items: &[ItemSpec]) {
        // `"" = ..` at the root would clash with a `["".e]` header.
        let mut used_empty = path.is_empty();
        for &item in items {
            self.item(path, item, &mut used_empty);
        }
    }
}

fn generate(spec: &Spec) -> (String, Generated) {
    let mut g = Generated::default();
    g.lines.push("# generated".into());
    g.table(&[], &spec.root);
    for (kind, items) in &spec.tables {
        let n = g.fresh();
        let (header, path): (String, Vec<String>) = match kind {
            0 => (format!("[t{n}]"), vec![format!("t{n}")]),
            1 => (format!("[t{n}.'b']"), vec![format!("t{n}"), "b".into()]),
            2 => (
                format!("[t{n}.'\"b\"']"),
                vec![format!("t{n}"), "\"b\"".into()],
            ),
            3 => (format!("[\"\".e{n}]"), vec![String::new(), format!("e{n}")]),
            _ => (format!("[ \"t{n}\" ]  # header"), vec![format!("t{n}")]),
        };
        g.lines.push(String::new());
        g.lines.push(format!("# about t{n}"));
        g.lines.push(header);
        g.table(&path, items);
    }
    for items in &spec.entries {
        let start = g.lines.len();
        g.lines.push(String::new());
        g.lines.push("# an entry".into());
        g.lines.push("[[arr]]".into());
        let n = g.fresh();
        g.entry_ids.push(g.lines.len());
        g.lines.push(format!("id = {n}"));
        let keys_before = g.keys.len();
        g.table(&["arr".into()], items);
        // Keys of entries are edited by the array operations only.
        g.keys.truncate(keys_before);
        g.entries.push(start + 1..g.lines.len());
    }
    // An entry's lines run to the blank line before the next one (which the
    // entry's region holds: it separates the entry from what follows).
    for i in 1..g.entries.len() {
        g.entries[i - 1].end = g.entries[i].start;
    }
    if spec.mixed[63] {
        g.lines.push("# the end".into());
    } else if let Some(last) = g.entries.last_mut() {
        // Cut from the end of the file, an entry takes the blank line before it.
        last.start -= 1;
    }
    let mut text = String::new();
    if spec.bom {
        text.push('\u{feff}');
    }
    let count = g.lines.len();
    for (i, line) in g.lines.iter().enumerate() {
        text.push_str(line);
        if i + 1 < count || spec.final_newline {
            let crlf = match spec.newline_mode {
                0 => false,
                1 => true,
                _ => spec.mixed[i % spec.mixed.len()],
            };
            text.push_str(if crlf { "\r\n" } else { "\n" });
        }
    }
    (text, g)
}

/// The same edit applied with plain toml_edit calls: the expected data.
fn expect_table<'a>(root: &'a mut Table, path: &[String]) -> Option<&'a mut Table> {
    let mut table = root;
    for key in path {
        if table.get(key).is_none() {
            let mut new = Table::new();
            new.set_implicit(true);
            table.insert(key, Item::Table(new));
        }
        table = table.get_mut(key)?.as_table_mut()?;
    }
    Some(table)
}

/// A canonical text of the data of a table (formatting and order ignored).
fn canon_table(table: &Table) -> String {
    let mut parts: Vec<String> = table
        .iter()
        .filter_map(|(k, item)| canon_item(item).map(|c| format!("{k:?}:{c}")))
        .collect();
    parts.sort();
    format!("{{{}}}", parts.join(","))
}

fn canon_item(item: &Item) -> Option<String> {
    match item {
        Item::None => None,
        Item::Value(v) => Some(canon_value(v)),
        // An empty table is left out: the document writes a `[header]` for a
        // table it creates, and removing its last key leaves that header.
        Item::Table(t) => Some(canon_table(t)).filter(|c| c != "{}"),
        Item::ArrayOfTables(a) => Some(format!(
            "[{}]",
            a.iter().map(canon_table).collect::<Vec<_>>().join(",")
        )),
    }
}

fn canon_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{:?}", s.value()),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => f.value().to_string(),
        Value::Boolean(b) => b.value().to_string(),
        Value::Datetime(d) => d.value().to_string(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canon_value).collect::<Vec<_>>().join(",")
        ),
        Value::InlineTable(t) => {
            let mut parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k:?}:{}", canon_value(v)))
                .collect();
            parts.sort();
            format!("{{{}}}", parts.join(","))
        }
    }
}

fn path_of(keys: &[String]) -> DocPath {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    DocPath::keys(&keys)
}

/// One random edit: (kind, pick, second pick, value).
type OpSpec = (u8, usize, usize, i64);

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// Apply `op` to the document and to the expectation; returns the lines of
/// the original text it touches.
fn apply(
    op: OpSpec,
    g: &Generated,
    doc: &mut ConfigDocument,
    expected: &mut DocumentMut,
    array_done: &mut bool,
    serial: usize,
) -> Result<Vec<Range<usize>>, TestCaseError> {
    let (kind, a, b, v) = op;
    let value: Value = v.into();
    let key = (!g.keys.is_empty()).then(|| &g.keys[a % g.keys.len()]);
    match (kind, key) {
        (0, Some(k)) => {
            doc.set_value(layouts(), &path_of(&k.path), value.clone())
                .map_err(fail)?;
            let (last, parent) = k.path.split_last().ok_or_else(|| fail("empty path"))?;
            if let Some(t) = expect_table(expected.as_table_mut(), parent) {
                t.insert(last, Item::Value(value));
            }
            Ok(vec![k.lines.clone()])
        }
        (1, Some(k)) => {
            doc.remove(&path_of(&k.path)).map_err(fail)?;
            let (last, parent) = k.path.split_last().ok_or_else(|| fail("empty path"))?;
            if let Some(t) = expect_table(expected.as_table_mut(), parent) {
                t.remove(last);
            }
            Ok(vec![k.lines.clone()])
        }
        (2, Some(k)) => {
            // A new key next to an existing one: root, a header table or a dotted table.
            let mut path = k.path.clone();
            path.pop();
            let parent_exists = doc.table_at(&path_of(&path)).is_some_and(|t| !t.is_empty());
            if !parent_exists {
                return Ok(Vec::new()); // its last key was removed: nothing to copy the spelling from
            }
            path.push(format!("new{serial}"));
            doc.set_value(layouts(), &path_of(&path), value.clone())
                .map_err(fail)?;
            let (last, parent) = path.split_last().ok_or_else(|| fail("empty path"))?;
            if let Some(t) = expect_table(expected.as_table_mut(), parent) {
                t.insert(last, Item::Value(value));
            }
            Ok(Vec::new())
        }
        (3, _) => {
            let path = vec![format!("nt{serial}"), "k".to_owned()];
            doc.set_value(layouts(), &path_of(&path), value.clone())
                .map_err(fail)?;
            if let Some(t) = expect_table(expected.as_table_mut(), &path[..1]) {
                t.set_implicit(false);
                t.insert("k", Item::Value(value));
            }
            Ok(Vec::new())
        }
        (4, _) if !*array_done => {
            *array_done = true;
            apply_array_op(a, b, v, g, doc, expected)
        }
        (5, _) if !*array_done && !g.entries.is_empty() => {
            // A key of an array entry, as the endpoint forms edit them.
            let i = a % g.entries.len();
            let path = DocPath::parse(&format!("arr[{i}].id")).map_err(fail)?;
            doc.set_value(layouts(), &path, value.clone())
                .map_err(fail)?;
            let entry = expected
                .get_mut("arr")
                .and_then(Item::as_array_of_tables_mut)
                .and_then(|array| array.get_mut(i))
                .ok_or_else(|| fail("no entry"))?;
            entry.insert("id", Item::Value(value));
            let line = g.entry_ids[i];
            Ok(std::iter::once(line..line + 1).collect())
        }
        _ => Ok(Vec::new()),
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/proptest-regressions/byte_exact_props.txt"
            )),
        )),
        .. ProptestConfig::default()
    })]

    #[test]
    fn edits_keep_every_untouched_byte(
        spec in spec(),
        ops in prop::collection::vec((0u8..6, any::<usize>(), any::<usize>(), -1000i64..1000), 1..4),
    ) {
        let (original, g) = generate(&spec);
        let mut doc = ConfigDocument::parse(&original).map_err(|e| fail(format!("{e}\n{original}")))?;
        let mut expected: DocumentMut = original.parse().map_err(fail)?;
        let mut touched: Vec<Range<usize>> = Vec::new();
        let mut array_done = false;
        for (serial, op) in ops.into_iter().enumerate() {
            touched.extend(apply(op, &g, &mut doc, &mut expected, &mut array_done, serial)?);
        }
        let text = doc.text();
        prop_assert_eq!(doc.rendered_edits(), 0, "fell back to rendering:\n{:?}\n{:?}", original, text);
        // The data is what plain toml_edit edits give.
        let reparsed: DocumentMut = text.parse().map_err(|e| fail(format!("{e}\n{text:?}")))?;
        prop_assert_eq!(canon_table(reparsed.as_table()), canon_table(expected.as_table()), "\n{:?}\n{:?}", original, text);
        // BOM and final newline stay.
        prop_assert_eq!(text.starts_with('\u{feff}'), spec.bom);
        prop_assert_eq!(text.ends_with('\n'), spec.final_newline, "{:?}", text);
        // Every untouched line keeps its bytes, in order.
        let untouched: Vec<&str> = original
            .split_inclusive('\n')
            .enumerate()
            .filter(|(i, _)| !touched.iter().any(|r| r.contains(i)))
            .map(|(_, l)| l)
            .collect();
        let mut pending = untouched.iter().peekable();
        let mut new_lines = Vec::new();
        for line in text.split_inclusive('\n') {
            // The last line of a file without a final newline gains one when
            // something is written after it; that is its only change.
            // Likewise the line that becomes last loses its newline.
            let bare = |x: &'_ str| -> String { x.trim_end_matches('\n').trim_end_matches('\r').to_owned() };
            // (Once a file without a final newline loses the line that ended it,
            // the newline style of the line that now ends it is a guess.)
            let relaxed = !spec.final_newline;
            let same = |l: &str| {
                l == line || ((relaxed || !l.ends_with('\n') || !line.ends_with('\n')) && bare(l) == bare(line))
            };
            if pending.peek().is_some_and(|l| same(l)) {
                pending.next();
            } else {
                new_lines.push(line);
            }
        }
        prop_assert!(pending.peek().is_none(), "lost or changed: {:?}\n{:?}\n{:?}", pending.peek(), original, text);
        // New lines end with the file's newline when the file has one style.
        if spec.newline_mode < 2 && original.contains('\n') {
            let wrong = if spec.newline_mode == 1 { |l: &str| l.ends_with('\n') && !l.ends_with("\r\n") } else { |l: &str| l.ends_with("\r\n") };
            prop_assert!(!new_lines.iter().any(|l| wrong(l)), "{:?}\n{:?}", new_lines, text);
        }
    }
}

/// An array-of-tables operation: push, duplicate, remove or move an entry.
fn apply_array_op(
    a: usize,
    b: usize,
    v: i64,
    g: &Generated,
    doc: &mut ConfigDocument,
    expected: &mut DocumentMut,
) -> Result<Vec<Range<usize>>, TestCaseError> {
    let len = g.entries.len();
    let expected_array = expected
        .get_mut("arr")
        .and_then(Item::as_array_of_tables_mut);
    match (b % 4, len) {
        (0, _) => {
            let mut entry = Table::new();
            entry.insert("id", toml_edit::value(v));
            doc.push_array_entry(layouts(), "arr", entry.clone())
                .map_err(fail)?;
            match expected_array {
                Some(array) => array.push(entry),
                None => {
                    let mut array = toml_edit::ArrayOfTables::new();
                    array.push(entry);
                    expected.insert("arr", Item::ArrayOfTables(array));
                }
            }
            Ok(Vec::new())
        }
        (_, 0) => Ok(Vec::new()),
        (1, len) => {
            let i = a % len;
            doc.duplicate_array_entry("arr", i).map_err(fail)?;
            if let Some(array) = expected_array {
                let copy = array.get(i).cloned().ok_or_else(|| fail("no entry"))?;
                let mut all: Vec<Table> = array.iter().cloned().collect();
                all.insert(i + 1, copy);
                array.clear();
                all.into_iter().for_each(|t| array.push(t));
            }
            Ok(Vec::new())
        }
        (2, len) => {
            let i = a % len;
            doc.remove_array_entry("arr", i).map_err(fail)?;
            if let Some(array) = expected_array {
                array.remove(i);
                if array.is_empty() {
                    expected.remove("arr");
                }
            }
            Ok(vec![g.entries[i].clone()])
        }
        (_, len) => {
            let (from, to) = (a % len, b / 4 % len);
            doc.move_array_entry("arr", from, to).map_err(fail)?;
            if let Some(array) = expected_array {
                let mut all: Vec<Table> = array.iter().cloned().collect();
                let moved = all.remove(from);
                all.insert(to, moved);
                array.clear();
                all.into_iter().for_each(|t| array.push(t));
            }
            Ok(if from == to {
                Vec::new()
            } else {
                g.entries.clone()
            })
        }
    }
}
