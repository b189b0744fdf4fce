//! Capability flags, read and merged without building their objects.
//!
//! ImageWorks writes about seventy capability flags per entry, nearly all
//! `false`. Held as `serde_json` maps they were most of a large registry's
//! memory and load time, yet the table, filter and CLI only ask which flags
//! are on. So a layer keeps each entry's `capabilities` as JSON text, and the
//! merge reduces the layers' values to the names of the flags that end up
//! `true`, by the same rule as the whole-entry merge.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// What a flag's value means to a reader, and to the merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    On,
    /// Any other non-null value (`false`, a string, an object...).
    Off,
    /// `null`: skipped when merged over another value.
    Null,
}

impl Flag {
    fn of(value: &Value) -> Self {
        match value {
            Value::Bool(true) => Self::On,
            Value::Null => Self::Null,
            _ => Self::Off,
        }
    }
}

/// One layer's `capabilities` value.
#[derive(Clone, Debug, PartialEq)]
pub enum CapsPart<'a> {
    Null,
    NotObject,
    Flags(FlagList<'a>),
}

/// Flags in key order. A bitmap of key hashes makes the common lookup (a
/// key not there yet) cheap; merging ~70 flags per entry by plain search
/// was most of a large registry's merge time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlagList<'a> {
    flags: Vec<(Cow<'a, str>, Flag)>,
    seen: [u64; 8],
}

impl<'a> FlagList<'a> {
    /// Give `key` the state `flag`, keeping an existing key's place.
    /// `hint` is where the key probably is (layers share a key order).
    fn set(&mut self, key: Cow<'a, str>, flag: Flag, hint: usize) {
        if let Some(slot) = self.flags.get_mut(hint)
            && slot.0 == key
        {
            slot.1 = flag;
            return;
        }
        let (word, bit) = hash_bit(&key);
        if self.seen[word] & bit != 0
            && let Some(slot) = self.flags.iter_mut().find(|(k, _)| *k == key)
        {
            slot.1 = flag;
            return;
        }
        self.seen[word] |= bit;
        self.flags.push((key, flag));
    }
}

/// Which bit of `FlagList::seen` stands for `key` (FNV-1a).
fn hash_bit(key: &str) -> (usize, u64) {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (((hash >> 6) & 7) as usize, 1 << (hash & 63))
}

impl<'a> CapsPart<'a> {
    pub fn from_value(value: &'a Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Object(map) => {
                let mut flags = FlagList::default();
                for (k, v) in map {
                    flags.set(Cow::Borrowed(k.as_str()), Flag::of(v), usize::MAX);
                }
                Self::Flags(flags)
            }
            _ => Self::NotObject,
        }
    }

    /// From the value's JSON text (already checked to be valid JSON). Only
    /// an object is parsed; anything else is told by its first byte.
    pub fn from_json(text: &'a str) -> Self {
        match text.as_bytes().first() {
            Some(b'{') => serde_json::from_str::<FlagObject<'a>>(text)
                .map_or(Self::NotObject, |object| Self::Flags(object.0)),
            Some(b'n') => Self::Null,
            _ => Self::NotObject,
        }
    }
}

/// The names of the flags that are on once `overlays` are merged over
/// `base` (`None`: the layer has no `capabilities`), in merged key order.
pub fn merged_on_flags<'a>(
    base: Option<CapsPart<'a>>,
    overlays: impl IntoIterator<Item = Option<CapsPart<'a>>>,
) -> Vec<Box<str>> {
    let mut merged = base;
    for overlay in overlays {
        merged = merge_over(merged, overlay);
    }
    match merged {
        Some(CapsPart::Flags(list)) => list
            .flags
            .into_iter()
            .filter(|(_, f)| *f == Flag::On)
            .map(|(k, _)| k.into())
            .collect(),
        _ => Vec::new(),
    }
}

/// `deep_merge_over` for one `capabilities` value: a missing or null overlay
/// leaves the base; objects merge key by key (null members skipped);
/// anything else replaces.
fn merge_over<'a>(
    base: Option<CapsPart<'a>>,
    overlay: Option<CapsPart<'a>>,
) -> Option<CapsPart<'a>> {
    match (base, overlay) {
        (base, None | Some(CapsPart::Null)) => base,
        (Some(CapsPart::Flags(mut flags)), Some(CapsPart::Flags(over))) => {
            for (hint, (key, flag)) in over.flags.into_iter().enumerate() {
                if flag != Flag::Null {
                    flags.set(key, flag, hint);
                }
            }
            Some(CapsPart::Flags(flags))
        }
        (_, overlay) => overlay,
    }
}

/// A capabilities object, read as flags. Values are kept as raw text and
/// told apart by it: a `deserialize_any` visitor would see numbers that
/// are not plain integers as maps (serde_json's `arbitrary_precision`).
struct FlagObject<'de>(FlagList<'de>);

impl<'de> Deserialize<'de> for FlagObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FlagObjectVisitor)
    }
}

struct FlagObjectVisitor;

impl<'de> Visitor<'de> for FlagObjectVisitor {
    type Value = FlagObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut flags = FlagList::default();
        while let Some(ObjectKey(key)) = map.next_key()? {
            let flag = match map.next_value::<&'de RawValue>()?.get() {
                "true" => Flag::On,
                "null" => Flag::Null,
                _ => Flag::Off,
            };
            // A repeated key keeps its first place and its last value.
            flags.set(key, flag, usize::MAX);
        }
        Ok(FlagObject(flags))
    }
}

/// An object key (a flag name, an entry's field), borrowed from the text
/// unless it has escapes.
pub(crate) struct ObjectKey<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for ObjectKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ObjectKeyVisitor)
    }
}

struct ObjectKeyVisitor;

impl<'de> Visitor<'de> for ObjectKeyVisitor {
    type Value = ObjectKey<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(ObjectKey(Cow::Borrowed(key)))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(ObjectKey(Cow::Owned(key.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::merge::deep_merge_over;
    use crate::core::registry::model::RegistryEntry;
    use serde_json::json;

    /// The on-flags of the whole-entry merge, for comparison.
    fn reference(base: Option<&Value>, overlays: &[Option<&Value>]) -> Vec<String> {
        let wrap = |c: Option<&Value>| match c {
            Some(c) => json!({ "capabilities": c }),
            None => json!({}),
        };
        let mut merged = wrap(base);
        for o in overlays {
            deep_merge_over(&mut merged, &wrap(*o));
        }
        let caps = RegistryEntry::new(&merged).capabilities();
        caps.into_iter().map(String::from).collect()
    }

    #[test]
    fn matches_the_whole_entry_merge() {
        let values = [
            json!({"text": true, "vision": false, "tools": true, "x": null}),
            json!({"vision": true, "tools": null, "text": false, "new": true}),
            json!({"tools": {"nested": true}, "text": true}),
            json!(null),
            json!(["vision"]),
            json!(true),
            json!(3),
            json!(-0.5),
            json!({}),
        ];
        let options: Vec<Option<&Value>> = std::iter::once(None)
            .chain(values.iter().map(Some))
            .collect();
        for base in &options {
            for a in &options {
                for b in &options {
                    let want = reference(*base, &[*a, *b]);
                    let from_json = |v: &Option<&Value>| v.map(|v| v.to_string());
                    let (bj, aj, cj) = (from_json(base), from_json(a), from_json(b));
                    let parts = [&aj, &cj].map(|j| j.as_deref().map(CapsPart::from_json));
                    let got = merged_on_flags(bj.as_deref().map(CapsPart::from_json), parts);
                    let got: Vec<String> = got.iter().map(|s| s.to_string()).collect();
                    assert_eq!(got, want, "{base:?} <- {a:?} <- {b:?}");
                    let parts = [a, b].map(|v| v.map(CapsPart::from_value));
                    let got = merged_on_flags(base.map(CapsPart::from_value), parts);
                    let got: Vec<String> = got.iter().map(|s| s.to_string()).collect();
                    assert_eq!(got, want, "values: {base:?} <- {a:?} <- {b:?}");
                }
            }
        }
    }

    #[test]
    fn escaped_and_repeated_keys() {
        let part = CapsPart::from_json(r#"{"vis\u0069on": true, "a": true, "a": false}"#);
        assert_eq!(merged_on_flags(Some(part), []), vec!["vision".into()]);
    }
}
