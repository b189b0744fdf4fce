//! A merged entry's snapshot text built from its layers' text, when that
//! text is exactly what the writer (`json_text`) writes.
//!
//! Whether `model_registry.json` is stale is whether it is what a save would
//! write. Building that from values parses every entry of both layers into
//! `serde_json::Value` trees: on a large registry most of the check's time
//! and memory. But an entry written by ImageWorks (`json.dumps(indent=2)`)
//! or by this editor is already the writer's text, and that can be checked
//! in one pass over its bytes without building anything ([`value_end`]).
//! Then the merge can work on the text: the members of objects both sides
//! have are merged by the merge rule (`merge::deep_merge_over`: nulls
//! skipped, objects recurse, the rest replaces in place, new keys appended),
//! and every other value is copied as it is. Because each part is the
//! writer's text of its value at the same depth, the result is byte for
//! byte the writer's text of the merged value. Text laid out any other way
//! gives `None`, and the caller builds the value.

use std::collections::HashMap;
use std::ops::Range;

/// A value of an entry being merged.
enum Node<'a> {
    /// The writer's text of the value, checked.
    Text(&'a str),
    /// An object with merged members: (key as written, with its quotes; value).
    Object(Vec<(&'a str, Node<'a>)>),
}

impl<'a> Node<'a> {
    fn is_object(&self) -> bool {
        match self {
            Self::Text(text) => text.starts_with('{'),
            Self::Object(_) => true,
        }
    }

    /// The members of this object (split from its text on first use); the
    /// caller checked `is_object`.
    fn members(&mut self, depth: usize) -> Option<&mut Vec<(&'a str, Node<'a>)>> {
        if let Self::Text(text) = *self {
            let members = split_object(text, depth)?
                .into_iter()
                .map(|(key, value)| (key, Node::Text(value)))
                .collect();
            *self = Self::Object(members);
        }
        match self {
            Self::Object(members) => Some(members),
            Self::Text(_) => None,
        }
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Self::Text(text) => out.push_str(text),
            Self::Object(members) if members.is_empty() => out.push_str("{}"),
            Self::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline_indent(out, depth + 1);
                    out.push_str(key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                newline_indent(out, depth);
                out.push('}');
            }
        }
    }
}

fn newline_indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Append to `out` the writer's text (as a list item, depth 1) of the
/// merge of `base` and then each of `overlays` (the texts of layer entries,
/// list items as well); `None`, with nothing appended, when any of them is
/// not exactly the writer's text.
pub(crate) fn merged_entry_text(
    base: Option<&str>,
    overlays: &[&str],
    out: &mut String,
) -> Option<()> {
    const DEPTH: usize = 1;
    let mut overlays = overlays.iter().copied();
    let mut value = match (base, overlays.next()) {
        (Some(base), Some(first)) => {
            let mut value = Node::Text(base);
            if !value.is_object() {
                checked(base, DEPTH)?;
            }
            merge_over(&mut value, first, DEPTH)?;
            value
        }
        (Some(only), None) | (None, Some(only)) => Node::Text(checked(only, DEPTH)?),
        (None, None) => Node::Text("null"),
    };
    // Every part is checked by now: split (objects) or `checked` (the rest).
    for overlay in overlays {
        merge_over(&mut value, overlay, DEPTH)?;
    }
    value.write(out, DEPTH);
    Some(())
}

/// `text` when it is exactly the writer's text of one value at `depth`.
fn checked(text: &str, depth: usize) -> Option<&str> {
    (value_end(text.as_bytes(), 0, depth)? == text.len()).then_some(text)
}

/// `deep_merge_over(node, overlay)` on text.
fn merge_over<'a>(node: &mut Node<'a>, overlay: &'a str, depth: usize) -> Option<()> {
    if node.is_object() && overlay.starts_with('{') {
        let over = split_object(overlay, depth)?;
        merge_members(node.members(depth)?, over, depth)
    } else {
        *node = Node::Text(checked(overlay, depth)?);
        Some(())
    }
}

/// `merge_maps` on text: `over`'s members (checked by the split) over `base`'s.
fn merge_members<'a>(
    base: &mut Vec<(&'a str, Node<'a>)>,
    over: Vec<(&'a str, &'a str)>,
    depth: usize,
) -> Option<()> {
    // Canonical keys are equal exactly when their text is. Large objects
    // (capability flags) are looked up by a map, small ones by a scan.
    let mut index: Option<HashMap<&str, usize>> = (base.len() > 16).then(|| {
        base.iter()
            .enumerate()
            .map(|(i, (key, _))| (*key, i))
            .collect()
    });
    for (key, value) in over {
        if value == "null" {
            continue;
        }
        let at = match &index {
            Some(map) => map.get(key).copied(),
            None => base.iter().position(|(k, _)| *k == key),
        };
        match at {
            // The same text over the same text merges to itself (both are
            // checked): no need to split them again, level by level.
            Some(i) if matches!(base[i].1, Node::Text(text) if text == value) => {}
            Some(i) if base[i].1.is_object() && value.starts_with('{') => {
                let inner = split_object(value, depth + 1)?;
                merge_members(base[i].1.members(depth + 1)?, inner, depth + 1)?;
            }
            Some(i) => base[i].1 = Node::Text(value),
            None => {
                if let Some(map) = &mut index {
                    map.insert(key, base.len());
                }
                base.push((key, Node::Text(value)));
            }
        }
    }
    Some(())
}

/// The members of the object `text` (at `depth`) as (key text, value text),
/// each checked to be the writer's text; `None` otherwise.
fn split_object(text: &str, depth: usize) -> Option<Vec<(&str, &str)>> {
    let bytes = text.as_bytes();
    let (members, end) = object_members(bytes, 0, depth)?;
    (end == bytes.len()).then(|| {
        members
            .into_iter()
            .map(|(k, v)| (&text[k], &text[v]))
            .collect()
    })
}

/// Where the writer's text of a value at `depth` that starts at `i` ends;
/// `None` when the bytes there are not exactly what the writer writes for
/// the value they hold (layout, escapes, a repeated key, ...).
pub(crate) fn value_end(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    match *b.get(i)? {
        b'{' => object_members(b, i, depth).map(|(_, end)| end),
        b'[' => array_end(b, i, depth),
        b'"' => string_end(b, i),
        b't' => literal_end(b, i, b"true"),
        b'f' => literal_end(b, i, b"false"),
        b'n' => literal_end(b, i, b"null"),
        b'-' | b'0'..=b'9' => number_end(b, i),
        _ => None,
    }
}

fn literal_end(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b[i..].starts_with(word).then_some(i + word.len())
}

/// `\n` and `depth` indents at `i`: where the next token starts.
fn after_indent(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    let end = i + 1 + 2 * depth;
    let run = b.get(i..end)?;
    (run[0] == b'\n' && run[1..].iter().all(|&c| c == b' ')).then_some(end)
}

type Members = Vec<(Range<usize>, Range<usize>)>;

/// The object at `i`: its members (key and value ranges) and its end.
fn object_members(b: &[u8], i: usize, depth: usize) -> Option<(Members, usize)> {
    if b.get(i + 1) == Some(&b'}') {
        return Some((Vec::new(), i + 2));
    }
    let mut members = Vec::new();
    let mut at = i + 1;
    loop {
        let key = after_indent(b, at, depth + 1)?;
        let key_end = string_end(b, key)?;
        let value = key_end + 2;
        if b.get(key_end..value)? != b": " {
            return None;
        }
        let value_end = value_end(b, value, depth + 1)?;
        members.push((key..key_end, value..value_end));
        match b.get(value_end) {
            Some(b',') => at = value_end + 1,
            _ => {
                let close = after_indent(b, value_end, depth)?;
                if b.get(close) != Some(&b'}') || repeats_a_key(b, &members) {
                    return None;
                }
                return Some((members, close + 1));
            }
        }
    }
}

/// A key written twice: a parse keeps one, the writer would write one.
fn repeats_a_key(b: &[u8], members: &Members) -> bool {
    let key = |m: &(Range<usize>, Range<usize>)| &b[m.0.clone()];
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(n, m)| members[..n].iter().any(|o| key(o) == key(m)));
    }
    let mut keys: Vec<&[u8]> = members.iter().map(key).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

fn array_end(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    if b.get(i + 1) == Some(&b']') {
        return Some(i + 2);
    }
    let mut at = i + 1;
    loop {
        let item = after_indent(b, at, depth + 1)?;
        let end = value_end(b, item, depth + 1)?;
        match b.get(end) {
            Some(b',') => at = end + 1,
            _ => {
                let close = after_indent(b, end, depth)?;
                return (b.get(close) == Some(&b']')).then_some(close + 1);
            }
        }
    }
}

/// A string as Python's `ensure_ascii` encoder writes it: printable ASCII
/// (and DEL) as is, the short escapes, `\u` in lower-case hex for the rest,
/// characters beyond the BMP as a surrogate pair.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut at = i + 1;
    // Most strings (keys, short values) end within a few bytes, where a
    // plain loop beats setting up a vector search.
    let short = (at + 24).min(b.len());
    while at < short {
        match b[at] {
            b'"' => return Some(at + 1),
            b'\\' => at = escape_end(b, at)?,
            0x20..=0x7f => at += 1,
            _ => return None,
        }
    }
    loop {
        // The run up to the next quote or backslash must be printable
        // ASCII: found by memchr and checked in one vectorised pass, rather
        // than byte by byte (strings are most of a registry's bytes).
        let rest = b.get(at..)?;
        let run = memchr::memchr2(b'"', b'\\', rest)?;
        if !rest[..run].iter().all(|&c| c.wrapping_sub(0x20) < 0x60) {
            return None;
        }
        at += run;
        match b[at] {
            b'"' => return Some(at + 1),
            _ => at = escape_end(b, at)?,
        }
    }
}

/// The escape at `i` (a backslash), if the writer writes it so.
fn escape_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i + 1)? {
        b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f' => Some(i + 2),
        b'u' => {
            let unit = hex4(b, i + 2)?;
            match unit {
                // Written by a short escape, or as itself.
                0x08 | 0x09 | 0x0a | 0x0c | 0x0d | 0x20..=0x7f => None,
                0xd800..=0xdbff => {
                    let low = b
                        .get(i + 6..i + 8)
                        .filter(|s| *s == b"\\u")
                        .and_then(|_| hex4(b, i + 8))?;
                    (0xdc00..=0xdfff).contains(&low).then_some(i + 12)
                }
                0xdc00..=0xdfff => None,
                _ => Some(i + 6),
            }
        }
        _ => None,
    }
}

/// Four lower-case hex digits at `i`.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)?.iter().try_fold(0u32, |acc, &c| {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        Some(acc * 16 + u32::from(digit))
    })
}

/// A JSON number; its text is kept as written (`arbitrary_precision`), so
/// any valid number is the writer's text of itself.
fn number_end(b: &[u8], i: usize) -> Option<usize> {
    let digits = |from: usize| {
        let n = b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        (n > 0).then_some(from + n)
    };
    let mut at = i + usize::from(b[i] == b'-');
    at = match b.get(at)? {
        b'0' => at + 1,
        b'1'..=b'9' => digits(at)?,
        _ => return None,
    };
    if b.get(at) == Some(&b'.') {
        at = digits(at + 1)?;
    }
    if matches!(b.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(b.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        at = digits(at)?;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::json_text::{list_to_python_json, parse};
    use crate::core::registry::merge::deep_merge_over;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The writer's text of `v` as a list item (depth 1).
    fn item(v: &Value) -> String {
        let list = list_to_python_json(std::iter::once(v));
        list["[\n  ".len()..list.len() - "\n]\n".len()].to_owned()
    }

    fn text_of(base: Option<&str>, overlays: &[&str]) -> Option<String> {
        let mut out = String::new();
        merged_entry_text(base, overlays, &mut out).map(|()| out)
    }

    fn json(text: &str) -> Value {
        parse(text).unwrap_or(Value::Null)
    }

    #[test]
    fn the_writers_text_is_accepted_and_nothing_else() {
        let v = json(
            r#"{"a": [], "b": {}, "c": [1, {"d": null, "e": -0.50e+3}], "s": "x\"\\\n\u0001\u007f é 😀", "t": true}"#,
        );
        let text = item(&v);
        assert_eq!(checked(&text, 1), Some(text.as_str()));
        let not_written_so = [
            text.replace("\\u00e9", "é"),
            text.replace("\\u00e9", "\\u00E9"),
            text.replace("\\u0001", "\\u0041"),
            text.replace("\"x", "\"\\/x"),
            text.replace("\\n", "\\u000a"),
            text.replace("\\ud83d\\ude00", "\\ude00\\ud83d"),
            text.replace(": [\n", ":[\n"),
            text.replace("    \"b\": {}", "    \"b\": {\n    }"),
            text.replace("\"t\": true", "\"a\": true"),
            text.replace("\n  }", "\n }"),
            serde_json::to_string(&v).unwrap_or_default(),
        ];
        for bad in &not_written_so {
            assert_ne!(bad, &text, "the case changes the text");
            assert_eq!(checked(bad, 1), None, "{bad}");
        }
        for number in ["0", "-0", "1e5", "1E+05", "0.90", "12345678901234567890123"] {
            assert_eq!(checked(number, 1), Some(number));
        }
        for number in ["01", "1.", ".5", "-", "1e", "+1"] {
            assert_ne!(checked(number, 1), Some(number), "{number}");
        }
    }

    #[test]
    fn merging_text_is_merging_values() {
        let base = json(
            r#"{"name": "m", "caps": {"vision": false, "tools": true}, "list": [1, 2], "keep": {"x": 1}}"#,
        );
        let over = json(
            r#"{"caps": {"vision": true, "audio": null, "new": {"y": null}}, "list": [3], "keep": null, "added": "é"}"#,
        );
        let mut want = base.clone();
        deep_merge_over(&mut want, &over);
        assert_eq!(
            text_of(Some(&item(&base)), &[&item(&over)]),
            Some(item(&want))
        );
        assert_eq!(text_of(Some(&item(&base)), &[]), Some(item(&base)));
        assert_eq!(text_of(None, &[&item(&over)]), Some(item(&over)));
        let compact = serde_json::to_string(&over).unwrap_or_default();
        let mut out = String::new();
        assert_eq!(
            merged_entry_text(Some(&item(&base)), &[&compact], &mut out),
            None
        );
        assert_eq!(out, "", "nothing written");
    }

    /// The shipped registry (ImageWorks' own files) is in the writer's
    /// layout: every merged entry's text comes from the layers' text, and
    /// it is what the value would give.
    #[test]
    fn the_shipped_registry_merges_as_text() -> Result<(), Box<dyn std::error::Error>> {
        use crate::core::registry::json_text::write_list_item;
        use crate::core::registry::store::RegistryStore;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_configs/registry");
        let store = RegistryStore::load(&dir)?;
        let (curated, discovered) = (store.curated(), store.discovered());
        let both = store
            .merged()
            .entries
            .iter()
            .filter(|e| e.curated_index.is_some() && e.discovered_index.is_some())
            .count();
        assert!(both > 0, "some entries are in both layers");
        for entry in &store.merged().entries {
            let mut fast = String::new();
            assert_eq!(
                entry.text_from_layers(curated, discovered, &mut fast),
                Some(()),
                "{}",
                entry.name()
            );
            let mut slow = String::new();
            write_list_item(
                &mut slow,
                &entry.value_cow(curated, discovered, store.snapshot_only()),
            );
            assert_eq!(fast, slow, "{}", entry.name());
        }
        Ok(())
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let key = prop::sample::select(vec!["a", "b", "c", "name", "é", "x\"y"]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-z\u{e9}\u{1f600}\n\"]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|kv| Value::Object(
                    kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    fn arb_object() -> impl Strategy<Value = Value> {
        prop::collection::vec(
            (prop::sample::select(vec!["a", "b", "c", "d"]), arb_value()),
            0..6,
        )
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
    }

    proptest! {
        #[test]
        fn text_merge_equals_value_merge(
            base in prop::option::of(arb_object()),
            overlays in prop::collection::vec(arb_object(), 0..3),
        ) {
            let mut want = base.clone();
            for o in &overlays {
                match &mut want {
                    Some(w) => deep_merge_over(w, o),
                    None => want = Some(o.clone()),
                }
            }
            let want = item(&want.unwrap_or(Value::Null));
            let base_text = base.as_ref().map(item);
            let texts: Vec<String> = overlays.iter().map(item).collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            prop_assert_eq!(text_of(base_text.as_deref(), &refs), Some(want));
        }

        #[test]
        fn every_written_value_is_accepted(v in arb_value()) {
            let text = item(&v);
            prop_assert_eq!(checked(&text, 1), Some(text.as_str()));
        }
    }
}
