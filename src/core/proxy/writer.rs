//! The proxy's file regeneration on `PUT` (contract §4), simulated so the
//! studio can show the file exactly as the proxy will write it, and name
//! everything the proxy will drop.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};
use toml_edit::Item;

use super::json_value::{default_json, json_to_toml};
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

/// One value as the proxy writes it: TOML literals, `null` as `""`,
/// floats with a decimal point (`2.0`).
pub fn format_value(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_f64() => {
            let text = n.to_string();
            if text.contains(['.', 'e', 'E']) {
                text
            } else {
                format!("{text}.0")
            }
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(format_value).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::String(s) => basic_string(s),
        other => json_to_toml(other).to_string().trim().to_owned(),
    }
}

/// A TOML basic string, always double-quoted (toml_edit would pick a
/// literal string for text with quotes; the proxy's writer does not).
fn basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
            Self::Comment { line, text } => format!("line {line}: comment `{text}`"),
            Self::Table { name, line, keys } => {
                format!(
                    "line {line}: table {name} ({}) is dropped",
                    crate::core::plural::count(*keys, "key", "keys")
                )
            }
            Self::Key { path, line } => format!("line {line}: key `{path}` is dropped"),
            Self::Formatting {
                line,
                before,
                after,
            } => {
                format!("line {line}: `{before}` is rewritten as `{after}`")
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
    fn strings_are_always_basic_strings() {
        assert_eq!(format_value(&Value::from("a\"b\\c\n")), r#""a\"b\\c\n""#);
        assert_eq!(format_value(&Value::from(2.0)), "2.0");
        assert_eq!(
            format_value(&serde_json::json!(["a", "b"])),
            r#"["a", "b"]"#
        );
        assert_eq!(format_value(&Value::Null), r#""""#);
    }
}
