//! TOML ↔ JSON for setting values: the proxy reads the file with a TOML
//! parser and reports values as JSON, so the studio compares in JSON.

use serde_json::{Map, Number, Value};
use toml_edit::{Array, InlineTable, Item, TableLike};

use crate::core::document::ConfigDocument;
use crate::core::layout::Field;

/// A TOML value as the proxy's JSON would show it (no coercion, no checks).
pub fn toml_to_json(value: &toml_edit::Value) -> Value {
    match value {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::from(*i.value()),
        toml_edit::Value::Float(f) => {
            Number::from_f64(*f.value()).map_or(Value::Null, Value::Number)
        }
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(d) => Value::String(d.value().to_string()),
        toml_edit::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml_edit::Value::InlineTable(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.to_owned(), toml_to_json(v)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

/// A JSON value as a TOML value; `null` becomes `""`, which is how the
/// proxy writes "none".
pub fn json_to_toml(value: &Value) -> toml_edit::Value {
    match value {
        Value::Null => toml_edit::Value::from(""),
        Value::Bool(b) => toml_edit::Value::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml_edit::Value::from(i),
            None => toml_edit::Value::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => toml_edit::Value::from(s.as_str()),
        Value::Array(items) => {
            let mut array = Array::new();
            for item in items {
                array.push(json_to_toml(item));
            }
            toml_edit::Value::Array(array)
        }
        Value::Object(map) => {
            let mut table = InlineTable::new();
            for (k, v) in map {
                table.insert(k, json_to_toml(v));
            }
            toml_edit::Value::InlineTable(table)
        }
    }
}

/// The table at a dotted path (`server`), whether written as `[server]`,
/// as dotted keys or as an inline table: a TOML parser sees them alike.
pub fn table_like<'a>(doc: &'a ConfigDocument, table: &str) -> Option<&'a dyn TableLike> {
    let mut current: &dyn TableLike = doc.root();
    for part in table.split('.') {
        current = current.get(part)?.as_table_like()?;
    }
    Some(current)
}

/// The raw value of `key` in `table`, if it is a plain value.
pub fn value_in<'a>(
    doc: &'a ConfigDocument,
    table: &str,
    key: &str,
) -> Option<&'a toml_edit::Value> {
    table_like(doc, table)?.get(key).and_then(Item::as_value)
}

/// A file value as the proxy holds it after reading: `""` is none where the
/// proxy says so, anything else unchanged.
pub fn as_proxy_reads(field: &Field, value: &toml_edit::Value) -> Value {
    match toml_to_json(value) {
        Value::String(s) if s.is_empty() && field.empty_means_none => Value::Null,
        other => other,
    }
}

/// A field's built-in default as JSON (`null` for "none").
pub fn default_json(field: &Field) -> Value {
    field.default.as_ref().map_or(Value::Null, toml_to_json)
}
