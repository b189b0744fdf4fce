//! Curated values that hide a different discovered value.
//!
//! ImageWorks' own GUI saves its edits to the discovered layer, where a
//! curated value for the same field hides them (its docs call this the
//! curated-override issue). Like an env var that overrides a setting, such a
//! field is shown, and reported by `registry check` as information: the
//! curated value wins, which may or may not be what the admin wants.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;
use serde_json::value::RawValue;

use super::capabilities::ObjectKey;
use super::finding::{Finding, Severity};
use super::layer::EntrySource;
use super::merge::{EntryLayer, Merged, MergedEntry};
use super::parallel::par_map;

/// One field whose curated value hides the discovered one.
#[derive(Clone, Debug, PartialEq)]
pub struct Masked {
    /// Dotted path (`backend_config.extra_args`, `display_name`).
    pub path: String,
    /// The discovered value the curated one hides.
    pub discovered: Value,
}

/// Every field where `curated`, merged over `discovered`, replaces a
/// different non-null value. Objects are compared key by key (the merge
/// recurses into them); anything else is one field.
pub fn masked_fields(curated: &Value, discovered: &Value) -> Vec<Masked> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(curated, discovered, &mut path, &mut out);
    out
}

fn walk<'a>(cur: &'a Value, dis: &Value, path: &mut Vec<&'a str>, out: &mut Vec<Masked>) {
    match (cur.as_object(), dis.as_object()) {
        (Some(c), Some(d)) => {
            for (key, value) in c {
                if let Some(old) = d.get(key) {
                    path.push(key);
                    walk(value, old, path, out);
                    path.pop();
                }
            }
        }
        _ if cur.is_null() || dis.is_null() || cur == dis => {}
        _ => out.push(Masked {
            path: path.join("."),
            discovered: dis.clone(),
        }),
    }
}

/// The masked fields of one merged entry (none unless it is in both layers):
/// the counting (last) curated copy against the discovered entry.
pub fn entry_masked_fields<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    entry: &MergedEntry,
    curated: &C,
    discovered: &D,
) -> Vec<Masked> {
    let (EntryLayer::Both, Some(c), Some(d)) =
        (entry.layer, entry.curated_index, entry.discovered_index)
    else {
        return Vec::new();
    };
    if c >= curated.len() || d >= discovered.len() {
        return Vec::new();
    }
    match (curated.raw_text(c), discovered.raw_text(d)) {
        (Some(cur), Some(dis)) => masked_in_text(cur, dis),
        _ => masked_fields(&curated.parsed(c), &discovered.parsed(d)),
    }
}

/// `masked_fields` on two entries' JSON text. Equal text is an equal value,
/// so fields written the same way (most of them, both layers being
/// `json.dumps` output) are skipped without building them; objects whose
/// text differs are compared member by member the same way, and only the
/// values that differ and are not both objects are parsed and compared.
fn masked_in_text(cur: &str, dis: &str) -> Vec<Masked> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    if masked_members(cur, dis, &mut path, &mut out).is_err() {
        // Both texts passed the layer's parse; fall back to whole values.
        let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap_or(Value::Null);
        return masked_fields(&parse(cur), &parse(dis));
    }
    out
}

/// `walk` over the members of two objects' text, at `path`.
fn masked_members<'a>(
    cur: &'a str,
    dis: &'a str,
    path: &mut Vec<Cow<'a, str>>,
    out: &mut Vec<Masked>,
) -> Result<(), serde_json::Error> {
    let (cur_fields, dis_fields) = (top_level(cur)?, top_level(dis)?);
    let dis_by_key: HashMap<&str, &RawValue> =
        dis_fields.iter().map(|(k, v)| (k.as_ref(), *v)).collect();
    for (key, raw) in cur_fields {
        let Some(old) = dis_by_key.get(key.as_ref()) else {
            continue;
        };
        let (value, old) = (raw.get(), old.get());
        if value == old {
            continue;
        }
        path.push(key);
        if value.starts_with('{') && old.starts_with('{') {
            masked_members(value, old, path, out)?;
        } else {
            // Not both objects: one field, compared as values (`walk`).
            let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap_or(Value::Null);
            for masked in masked_fields(&parse(value), &parse(old)) {
                out.push(Masked {
                    path: path.join("."),
                    discovered: masked.discovered,
                });
            }
        }
        path.pop();
    }
    Ok(())
}

/// An entry's top-level fields as raw text, in order; a repeated key keeps
/// its first place and its last value, as a full parse does.
fn top_level(text: &str) -> Result<Vec<(Cow<'_, str>, &RawValue)>, serde_json::Error> {
    let fields: Vec<(Cow<'_, str>, &RawValue)> = serde_json::from_str::<RawFields<'_>>(text)?.0;
    let mut out: Vec<(Cow<'_, str>, &RawValue)> = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    Ok(out)
}

struct RawFields<'de>(Vec<(Cow<'de, str>, &'de RawValue)>);

impl<'de> serde::Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RawFieldsVisitor)
    }
}

struct RawFieldsVisitor;

impl<'de> serde::de::Visitor<'de> for RawFieldsVisitor {
    type Value = RawFields<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a registry entry (a JSON object)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<ObjectKey<'de>>()? {
            fields.push((key.0, map.next_value::<&'de RawValue>()?));
        }
        Ok(RawFields(fields))
    }
}

/// What the editor and `registry check` say about a masked field.
pub fn masked_message(discovered: &Value) -> String {
    format!("curated hides discovered: {}", short_json(discovered))
}

/// A value as one line of JSON, cut to a readable length.
pub fn short_json(value: &Value) -> String {
    const LIMIT: usize = 120;
    let text = value.to_string();
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The info findings of one merged entry.
pub fn entry_masking_findings<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    entry: &MergedEntry,
    curated: &C,
    discovered: &D,
) -> Vec<Finding> {
    entry_masked_fields(entry, curated, discovered)
        .into_iter()
        .map(|m| Finding {
            severity: Severity::Info,
            entry: entry.name().to_owned(),
            field: m.path,
            message: masked_message(&m.discovered),
            fix: None,
        })
        .collect()
}

/// Info findings for every masked field of the registry, in merged order.
pub fn masking_findings<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    curated: &C,
    discovered: &D,
    merged: &Merged,
) -> Vec<Finding> {
    par_map(&merged.entries, |_, e| {
        entry_masking_findings(e, curated, discovered)
    })
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::merge_layers;
    use serde_json::json;

    #[test]
    fn different_values_under_curated_ones_are_masked() {
        let dis = json!({"name": "a", "display_name": "New", "o": {"p": 1, "q": [1]},
            "same": 3, "gone": null, "list": [1, 2], "scalar": 1});
        let cur = json!({"name": "a", "display_name": "Old", "o": {"p": 1, "q": [2], "r": 1},
            "same": 3, "gone": "x", "list": [1, 2], "scalar": {"now": "object"}, "skip": null});
        let got: Vec<(String, Value)> = masked_fields(&cur, &dis)
            .into_iter()
            .map(|m| (m.path, m.discovered))
            .collect();
        let want = [
            ("display_name".to_owned(), json!("New")),
            ("o.q".to_owned(), json!([1])),
            ("scalar".to_owned(), json!(1)),
        ];
        assert_eq!(got, want);
        // The text route gives the same answer.
        let dis_text = crate::core::registry::json_text::to_python_json(&dis);
        let text = masked_in_text(&cur.to_string(), &dis_text);
        assert_eq!(text, masked_fields(&cur, &dis));
    }

    #[test]
    fn findings_only_for_entries_in_both_layers() {
        let dis = vec![
            json!({"name": "a", "display_name": "New"}),
            json!({"name": "b"}),
        ];
        let cur = vec![
            json!({"name": "a", "display_name": "Old"}),
            json!({"name": "c", "display_name": "C"}),
        ];
        let merged = merge_layers(&cur, &dis, &[]);
        let f = masking_findings(&cur, &dis, &merged);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].entry.as_str(), f[0].field.as_str()),
            ("a", "display_name")
        );
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(f[0].message, "curated hides discovered: \"New\"");
    }

    #[test]
    fn repeated_keys_count_once_with_their_last_value() {
        let fields = top_level(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap_or_default();
        let got: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_ref(), v.get())).collect();
        assert_eq!(got, [("a", "3"), ("b", "2")]);
    }
}
