//! The proxy's file regeneration on `PUT` (contract §4), simulated so the
//! studio can show the file exactly as the proxy will write it, and name
//! everything the proxy will drop.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};
use toml_edit::Item;

use super::json_value::default_json;
use crate::core::document::parse_spanned;
use crate::core::layout::LayoutSet;

/// The two comment lines the proxy puts at the top of every file it writes.
pub const PROXY_HEADER: [&str; 2] = [
    "# ImageWorks Chat Proxy configuration.",
    "# Generated automatically. Edit values as needed.",
];

/// The tables the proxy writes, in its order, each with its keys in order.
/// A key whose `proxy_section` differs from its layout section has no
/// section in the proxy's map; the proxy appends such tables after its own.
pub fn proxy_tables(layouts: &LayoutSet) -> Vec<(String, Vec<String>)> {
    let mut own: Vec<(String, Vec<String>)> = Vec::new();
    let mut extra: Vec<(String, Vec<String>)> = Vec::new();
    for (section, field) in layouts.proxy_fields() {
        let (table, list) = match field.proxy_section.as_deref() {
            Some(t) if t != section.table => (t, &mut extra),
            _ => (section.table.as_str(), &mut own),
        };
        match list.iter_mut().find(|(name, _)| name == table) {
            Some((_, keys)) => keys.push(field.key.clone()),
            None => list.push((table.to_owned(), vec![field.key.clone()])),
        }
    }
    own.extend(extra);
    own
}

/// The file the proxy writes from its `file` view (defaults < file) with
/// `changes` applied: header, fixed tables and keys, `null` as `""`, no
/// trailing newline. Keys missing from both get their default.
pub fn regenerate(
    file_view: &Map<String, Value>,
    changes: &Map<String, Value>,
    layouts: &LayoutSet,
) -> String {
    let mut lines: Vec<String> = PROXY_HEADER.iter().map(|s| (*s).to_owned()).collect();
    for (table, keys) in proxy_tables(layouts) {
        lines.push(String::new());
        lines.push(format!("[{table}]"));
        for key in keys {
            let value = changes
                .get(&key)
                .or_else(|| file_view.get(&key))
                .cloned()
                .unwrap_or_else(|| default_for(layouts, &key));
            lines.push(format!("{key} = {}", format_value(&value)));
        }
    }
    lines.join("\n")
}

fn default_for(layouts: &LayoutSet, key: &str) -> Value {
    layouts
        .proxy_field_by_key(key)
        .map_or(Value::Null, |(_, f)| default_json(f))
}

/// One value exactly as the proxy's `_format_value` writes it (contract §8):
/// lists as `[a, b]`, bools as `true`/`false`, numbers as Python's `str()`,
/// `null` as `""`, and everything else as `"` + `str(value)` + `"` with
/// only `"` escaped. A backslash, a newline or a tab goes into the file raw,
/// so some strings come back changed or make the file unreadable: see
/// [`written_faithfully`].
pub fn format_value(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(format_value).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => python_number(n),
        Value::Null => "\"\"".to_owned(),
        Value::String(s) => proxy_string(s),
        // `str(dict)`: a Python repr; no setting holds a table, and such a
        // value is never written faithfully (see `written_faithfully`).
        Value::Object(_) => proxy_string(&value.to_string()),
    }
}

/// `"` + text + `"`, escaping `"` and nothing else, as the proxy does.
fn proxy_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

/// Python's `str()` of a JSON number: integers as their digits (any size),
/// floats as Python's shortest repr (`2.0`, `1e+16`, `1e-05`).
fn python_number(n: &serde_json::Number) -> String {
    if !n.is_f64() {
        return n.to_string();
    }
    n.as_f64().map_or_else(|| n.to_string(), python_float)
}

/// `repr(float)`: the shortest digits that read back, positional when the
/// decimal exponent is in -4..16, else `d.ddde+XX`.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point as usize;
            let int: String = format!("{digits:0<point$}");
            let (int, frac) = int.split_at(point);
            let frac = if frac.is_empty() { "0" } else { frac };
            format!("{int}.{frac}")
        };
        format!("{sign}{text}")
    } else {
        let sign_e = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{sign_e}{:02}", exp.unsigned_abs())
    }
}

/// A value the proxy's writer does not write back as it was given: what
/// the file would say instead.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mangled {
    pub key: String,
    /// `server.log_path`.
    pub path: String,
    pub value: Value,
    /// The line the proxy writes.
    pub written: String,
    /// What a TOML reader gets from that line; `None` when it cannot read it.
    pub reads_as: Option<Value>,
    /// Where tomllib stops on that line, when it cannot read it.
    pub error: Option<String>,
}

impl Mangled {
    pub fn describe(&self) -> String {
        match (&self.reads_as, &self.error) {
            (Some(v), _) => format!(
                "{}: the proxy writes “{}”, which reads back as {}",
                self.path,
                self.written,
                named_controls(v)
            ),
            (None, Some(e)) => format!(
                "{}: the proxy writes “{}”, which is not valid TOML ({e}); the proxy then answers 500 and does not start again until the file is mended",
                self.path, self.written
            ),
            (None, None) => format!("{}: the proxy writes “{}”", self.path, self.written),
        }
    }
}

/// A value read back, its control characters named (`<tab>`, `<newline>`)
/// so "C:\temp" and "C:<tab>emp" do not look alike.
fn named_controls(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '\t' => out.push_str("<tab>"),
                    '\n' => out.push_str("<newline>"),
                    '\r' => out.push_str("<carriage return>"),
                    c if c.is_control() => out.push_str(&format!("<U+{:04X}>", u32::from(c))),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        other => other.to_string(),
    }
}

/// Whether `key = format_value(value)` reads back as `value`. When not, the
/// line and what it reads as (or the parse error).
pub fn written_faithfully(key: &str, value: &Value) -> Result<(), (String, Result<Value, String>)> {
    let line = format!("{key} = {}", format_value(value));
    let read = match crate::core::document::ConfigDocument::parse(&line) {
        Ok(doc) => {
            let dialect = crate::core::validate::dialect::check(&line);
            let back = doc.root().get(key).and_then(toml_edit::Item::as_value);
            match (dialect.first(), back) {
                (Some(f), _) => Err(f.message.clone()),
                (None, Some(v)) => Ok(super::json_value::toml_to_json(v)),
                (None, None) => Err("no value".to_owned()),
            }
        }
        Err(e) => Err(format!("line 1, column {}: {}", e.column, e.message)),
    };
    match &read {
        Ok(back) if same_value(back, &read_back_null(value)) => Ok(()),
        _ => Err((line, read)),
    }
}

/// `null` is written as `""`, which is what a reader gets back.
fn read_back_null(value: &Value) -> Value {
    if value.is_null() {
        Value::String(String::new())
    } else {
        value.clone()
    }
}

/// JSON equality with numbers compared by value (`2.0` and `2.0e0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || (x.is_f64() || y.is_f64()) && x.as_f64() == y.as_f64()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        _ => a == b,
    }
}

/// Every value of the file a `PUT` of `changes` writes (the proxy rewrites
/// all its keys, so the ones already in the file count too) that does not
/// come back as it went in.
pub fn mangled_values(
    file_view: &Map<String, Value>,
    changes: &Map<String, Value>,
    layouts: &LayoutSet,
) -> Vec<Mangled> {
    layouts
        .proxy_fields()
        .filter_map(|(_, field)| {
            let value = changes
                .get(&field.key)
                .or_else(|| file_view.get(&field.key))?;
            let (written, read) = written_faithfully(&field.key, value).err()?;
            Some(Mangled {
                key: field.key.clone(),
                path: field.path.clone(),
                value: value.clone(),
                written,
                reads_as: read.as_ref().ok().cloned(),
                error: read.err(),
            })
        })
        .collect()
}

/// Something in the current file that a `PUT` will not keep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Loss {
    /// A comment (own line or after a value).
    Comment { line: usize, text: String },
    /// A whole table the proxy does not know, with everything in it.
    Table {
        name: String,
        line: usize,
        keys: usize,
    },
    /// A key the proxy does not write where it is (unknown, wrong section, top level).
    Key { path: String, line: usize },
    /// A kept value whose spelling changes (`port = 0x1F90` → `port = 8080`).
    Formatting {
        line: usize,
        before: String,
        after: String,
    },
    /// Key order or the final newline differ from the proxy's fixed layout.
    Layout { what: String },
}

impl Loss {
    /// One line for lists and confirmations.
    pub fn describe(&self) -> String {
        match self {
            Self::Comment { line, text } => format!("line {line}: comment “{text}”"),
            Self::Table { name, line, keys } => {
                format!(
                    "line {line}: table {name} ({}) is dropped",
                    crate::core::plural::count(*keys, "key", "keys")
                )
            }
            Self::Key { path, line } => format!("line {line}: key “{path}” is dropped"),
            Self::Formatting {
                line,
                before,
                after,
            } => {
                format!("line {line}: “{before}” is rewritten as “{after}”")
            }
            Self::Layout { what } => format!("layout: {what}"),
        }
    }
}

/// Everything in `current_text` a `PUT` would lose. A file that is not TOML
/// loses everything; that is reported as one layout loss.
pub fn losses(current_text: &str, layouts: &LayoutSet) -> Vec<Loss> {
    let Ok(parsed) = parse_spanned(current_text) else {
        return vec![Loss::Layout {
            what: "the current file is not valid TOML; the proxy cannot read it and a PUT replaces all of it".to_owned(),
        }];
    };
    let lines = LineIndex::new(current_text);
    let tables = proxy_tables(layouts);
    let mut out = comment_losses(current_text);
    let mut kept_order = Vec::new();
    for (name, item) in parsed.as_table() {
        let line = lines.line_of(
            item.span()
                .or_else(|| parsed.as_table().key(name).and_then(|k| k.span())),
        );
        match tables.iter().find(|(t, _)| t == name) {
            _ if item.is_value() => out.push(Loss::Key {
                path: name.to_owned(),
                line,
            }),
            Some((_, keys)) => table_losses(
                name,
                item,
                keys,
                &lines,
                current_text,
                &mut out,
                &mut kept_order,
            ),
            None => out.push(table_loss(name, item, line)),
        }
    }
    out.extend(layout_losses(current_text, &tables, &kept_order));
    out
}

fn table_loss(name: &str, item: &Item, line: usize) -> Loss {
    let shown = if item.is_array_of_tables() {
        format!("[[{name}]]")
    } else {
        format!("[{name}]")
    };
    let keys = leaf_keys(item);
    Loss::Table {
        name: shown,
        line,
        keys,
    }
}

/// The keys holding values in `item`, its sub-tables' included (`[ui]`
/// with `[ui.pages]` of two keys loses two keys, not one table).
fn leaf_keys(item: &Item) -> usize {
    if let Some(entries) = item.as_array_of_tables() {
        return entries
            .iter()
            .flat_map(|t| t.iter())
            .map(|(_, v)| leaf_keys(v))
            .sum();
    }
    match item.as_table_like() {
        Some(t) => t.iter().map(|(_, v)| leaf_keys(v)).sum(),
        None => usize::from(item.is_value()),
    }
}

fn table_losses(
    name: &str,
    item: &Item,
    keys: &[String],
    lines: &LineIndex,
    text: &str,
    out: &mut Vec<Loss>,
    kept_order: &mut Vec<String>,
) {
    let Some(table) = item.as_table_like() else {
        return;
    };
    for (key, value) in table.iter() {
        let line = lines.line_of(table.key(key).and_then(|k| k.span()));
        if !keys.iter().any(|k| k == key) || !value.is_value() {
            out.push(Loss::Key {
                path: format!("{name}.{key}"),
                line,
            });
            continue;
        }
        kept_order.push(key.to_owned());
        if let Some(v) = value.as_value() {
            let before = strip_comment(LineIndex::text(text, line)).trim().to_owned();
            let after = format!(
                "{key} = {}",
                format_value(&super::json_value::toml_to_json(v))
            );
            if before != after {
                out.push(Loss::Formatting {
                    line,
                    before,
                    after,
                });
            }
        }
    }
}

fn layout_losses(text: &str, tables: &[(String, Vec<String>)], kept_order: &[String]) -> Vec<Loss> {
    let mut out = Vec::new();
    let proxy_order: Vec<&String> = tables.iter().flat_map(|(_, keys)| keys.iter()).collect();
    let kept: HashSet<&String> = kept_order.iter().collect();
    let expected: Vec<&String> = proxy_order
        .into_iter()
        .filter(|k| kept.contains(k))
        .collect();
    if expected != kept_order.iter().collect::<Vec<_>>() {
        out.push(Loss::Layout {
            what: "sections and keys are put in the proxy's fixed order".to_owned(),
        });
    }
    if text.ends_with('\n') {
        out.push(Loss::Layout {
            what: "the final newline is removed".to_owned(),
        });
    }
    out
}

/// Comments, found with a small scanner that skips `#` inside strings.
/// The proxy's own two header lines at the top are written again, so kept.
fn comment_losses(text: &str) -> Vec<Loss> {
    let mut out = Vec::new();
    let mut in_multiline: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let (comment, still_open) = find_comment(line, in_multiline);
        in_multiline = still_open;
        let Some(comment) = comment else { continue };
        if i < PROXY_HEADER.len() && line == PROXY_HEADER[i] {
            continue;
        }
        out.push(Loss::Comment {
            line: i + 1,
            text: comment.trim_end().to_owned(),
        });
    }
    out
}

/// The comment on `line`, if any, and whether a multi-line string is still open after it.
fn find_comment<'a>(
    line: &'a str,
    mut open: Option<&'static str>,
) -> (Option<&'a str>, Option<&'static str>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut single: Option<u8> = None;
    while i < bytes.len() {
        // A step of 2 or 3 bytes can land inside a multi-byte character;
        // its continuation bytes are never a quote or `#`, so skip them.
        let Some(rest) = line.get(i..) else {
            i += 1;
            continue;
        };
        if let Some(delim) = open {
            if rest.starts_with(delim) {
                open = None;
                i += 3;
            } else {
                i += if rest.starts_with('\\') && delim == "\"\"\"" {
                    2
                } else {
                    1
                };
            }
            continue;
        }
        if let Some(q) = single {
            if bytes[i] == b'\\' && q == b'"' {
                i += 2;
                continue;
            }
            if bytes[i] == q {
                single = None;
            }
            i += 1;
            continue;
        }
        if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            open = Some(if rest.starts_with('"') {
                "\"\"\""
            } else {
                "'''"
            });
            i += 3;
            continue;
        }
        match bytes[i] {
            b'"' | b'\'' => single = Some(bytes[i]),
            b'#' => return (Some(rest), None),
            _ => {}
        }
        i += 1;
    }
    (None, open)
}

fn strip_comment(line: &str) -> &str {
    match find_comment(line, None).0 {
        Some(c) => &line[..line.len() - c.len()],
        None => line,
    }
}

/// Byte offsets → 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    fn line_of(&self, span: Option<std::ops::Range<usize>>) -> usize {
        let Some(span) = span else { return 0 };
        self.starts.partition_point(|s| *s <= span.start)
    }

    fn text(text: &str, line: usize) -> &str {
        text.lines().nth(line.saturating_sub(1)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layouts() -> Result<LayoutSet, String> {
        LayoutSet::builtin().map_err(|e| e.to_string())
    }

    #[test]
    fn regenerated_defaults_lose_nothing_and_have_misc_last() -> Result<(), String> {
        let layouts = layouts()?;
        let text = regenerate(&Map::new(), &Map::new(), &layouts);
        assert!(text.starts_with("# ImageWorks Chat Proxy configuration.\n# Generated automatically. Edit values as needed.\n\n[general]\nschema_version = 1\n"));
        assert!(
            text.ends_with("[misc]\nvllm_restart_backoff_s = 2.0"),
            "{text}"
        );
        assert!(text.contains("loopback_alias = \"\"\n"));
        assert_eq!(losses(&text, &layouts), vec![]);
        Ok(())
    }

    #[test]
    fn a_dropped_table_counts_the_keys_of_its_sub_tables() -> Result<(), String> {
        let layouts = layouts()?;
        let text = "[ui]\ndefault_page = \"models\"\n[ui.pages]\nmodels = true\nresults = false\n[[endpoints]]\nname = \"a\"\n";
        let described: Vec<String> = losses(text, &layouts)
            .iter()
            .filter(|l| matches!(l, Loss::Table { .. }))
            .map(Loss::describe)
            .collect();
        assert_eq!(
            described,
            [
                "line 1: table [ui] (3 keys) is dropped",
                "line 6: table [[endpoints]] (1 key) is dropped"
            ]
        );
        Ok(())
    }

    #[test]
    fn each_kind_of_loss_is_named_with_its_line() -> Result<(), String> {
        let layouts = layouts()?;
        let text = "stray = 1\n[server]\nhost = \"a#b\" # why\nport = 0x1F90\nbogus = 2\n[general]\n# own line\nschema_version = 1\n[ui.pages]\nmodels = true\n";
        let found = losses(text, &layouts);
        let expected = vec![
            Loss::Comment {
                line: 3,
                text: "# why".into(),
            },
            Loss::Comment {
                line: 7,
                text: "# own line".into(),
            },
            Loss::Key {
                path: "stray".into(),
                line: 1,
            },
            Loss::Formatting {
                line: 4,
                before: "port = 0x1F90".into(),
                after: "port = 8080".into(),
            },
            Loss::Key {
                path: "server.bogus".into(),
                line: 5,
            },
            Loss::Table {
                name: "[ui]".into(),
                line: 9,
                keys: 1,
            },
            Loss::Layout {
                what: "sections and keys are put in the proxy's fixed order".into(),
            },
            Loss::Layout {
                what: "the final newline is removed".into(),
            },
        ];
        assert_eq!(found, expected);
        Ok(())
    }

    #[test]
    fn strings_are_written_as_the_proxy_does_escaping_only_quotes() {
        assert_eq!(format_value(&Value::from("a\"b\\c\n")), "\"a\\\"b\\c\n\"");
        assert_eq!(format_value(&Value::from(2.0)), "2.0");
        assert_eq!(
            format_value(&serde_json::json!(["a", "b"])),
            r#"["a", "b"]"#
        );
        assert_eq!(format_value(&Value::Null), r#""""#);
    }

    #[test]
    fn floats_are_written_as_python_repr() {
        for (f, text) in [
            (2.0, "2.0"),
            (0.75, "0.75"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (-0.5, "-0.5"),
            (1e-7, "1e-07"),
            (123.456, "123.456"),
        ] {
            assert_eq!(python_float(f), text, "{f}");
        }
        let big: Value = serde_json::from_str("99999999999999999999").unwrap_or_default();
        assert_eq!(format_value(&big), "99999999999999999999");
    }

    #[test]
    fn backslashes_and_newlines_do_not_survive_the_proxys_writer() {
        assert!(written_faithfully("log_path", &Value::from("logs/a \"b\".jsonl")).is_ok());
        assert!(written_faithfully("log_path", &Value::from("tab\there")).is_ok());
        assert!(written_faithfully("port", &Value::from(8100)).is_ok());
        assert!(written_faithfully("loopback_alias", &Value::Null).is_ok());
        assert!(written_faithfully("x", &serde_json::json!(["vllm", "ollama"])).is_ok());
        // `\t` and `\n` are TOML escapes: a tab and a newline come back.
        let Err((line, read)) = written_faithfully("log_path", &Value::from("C:\\temp\\new.jsonl"))
        else {
            panic!("C:\\temp\\new.jsonl is not written faithfully");
        };
        assert_eq!(line, "log_path = \"C:\\temp\\new.jsonl\"");
        assert_eq!(read, Ok(Value::from("C:\temp\new.jsonl")));
        // `\v` is no TOML escape: the file cannot be read at all.
        let Err((_, read)) =
            written_faithfully("vllm_executor_workdir", &Value::from("D:\\vllm\\work"))
        else {
            panic!("D:\\vllm\\work is not written faithfully");
        };
        assert!(read.is_err(), "{read:?}");
        // `\"` in a value: the quote is escaped, the backslash is not.
        assert!(
            written_faithfully(
                "autostart_map_raw",
                &Value::from("{\"a\": \"say \\\"hi\\\"\"}")
            )
            .is_err()
        );
        assert!(written_faithfully("log_path", &Value::from("two\nlines")).is_err());
    }
}
