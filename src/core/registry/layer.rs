//! Reading a registry layer file, only as deep as the caller needs.
//!
//! Building full `serde_json::Value`s is most of the cost of opening a large
//! registry (10,000 entries are ~80 MB of JSON per layer) and most of the
//! memory it holds, yet browsing, filtering and validating read only a
//! handful of top-level fields. So a layer keeps its file text, split into
//! entry spans (by lines in ImageWorks' layout, else by a validating
//! tokeniser pass); for each entry it reads its name and where its summary
//! fields, its capabilities and its runtime-state fields are, and parses the
//! whole entry the first time something asks for it. Edits replace entries
//! with parsed values; untouched entries stay as text.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::capabilities::CapsPart;
use super::json_text::{self, JsonTextError};
use super::model::{CREATED_FROM_DOWNLOAD, dynamic_field_paths, is_dynamic};
use super::parallel::par_map;
use super::store::RegistryError;

/// The top-level fields the table, filter, validator and `registry list`
/// read, besides `capabilities` (see `capabilities.rs`). An entry's summary
/// is these fields (whole) in file order; because the merge works key by
/// key, the merged summary is the summary of the merged entry.
pub const SUMMARY_KEYS: [&str; 9] = [
    "name",
    "display_name",
    "backend",
    "backend_config",
    "quantization",
    "deprecated",
    "served_model_id",
    "model_aliases",
    "chat_template",
];

fn summary_key(key: &str) -> Option<&'static str> {
    SUMMARY_KEYS.iter().find(|k| **k == key).copied()
}

/// The summary of a parsed entry (see `SUMMARY_KEYS`).
pub fn summary_of(entry: &Value) -> Value {
    let fields = entry.as_object().into_iter().flatten();
    Value::Object(
        fields
            .filter(|(k, _)| summary_key(k).is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// Read access to one layer's entries, parsed (`[Value]`) or lazy (`LazyLayer`).
pub trait EntrySource: Sync {
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `name` of entry `index`, or "" when it has none.
    fn name(&self, index: usize) -> &str;

    /// The entry's summary (see `SUMMARY_KEYS`).
    fn summary(&self, index: usize) -> Cow<'_, Value>;

    /// The whole entry, kept once parsed.
    fn full(&self, index: usize) -> &Value;

    /// The whole entry, parsed for this use only when it is not kept: for
    /// passes over every entry (saving) that should not grow memory.
    fn parsed(&self, index: usize) -> Cow<'_, Value> {
        Cow::Borrowed(self.full(index))
    }

    /// The entry's `capabilities`, if it has that key.
    fn capabilities(&self, index: usize) -> Option<CapsPart<'_>> {
        self.full(index)
            .get("capabilities")
            .map(CapsPart::from_value)
    }

    /// Paths of the entry's runtime-state fields (`model::dynamic_field_paths`).
    fn dynamic_fields(&self, index: usize) -> Vec<String> {
        dynamic_field_paths(self.full(index))
    }

    /// The entry's JSON text as read, when it is still that text (not edited).
    fn raw_text(&self, _index: usize) -> Option<&str> {
        None
    }
}

fn entry_name(entry: &Value) -> &str {
    entry.get("name").and_then(Value::as_str).unwrap_or("")
}

impl EntrySource for [Value] {
    fn len(&self) -> usize {
        <[Value]>::len(self)
    }

    fn name(&self, index: usize) -> &str {
        entry_name(&self[index])
    }

    fn summary(&self, index: usize) -> Cow<'_, Value> {
        Cow::Owned(summary_of(&self[index]))
    }

    fn full(&self, index: usize) -> &Value {
        &self[index]
    }
}

impl EntrySource for Vec<Value> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn name(&self, index: usize) -> &str {
        self.as_slice().name(index)
    }

    fn summary(&self, index: usize) -> Cow<'_, Value> {
        self.as_slice().summary(index)
    }

    fn full(&self, index: usize) -> &Value {
        &self[index]
    }
}

/// A layer whose entries are parsed in full only when first asked for.
#[derive(Clone, Default)]
pub struct LazyLayer {
    text: Arc<String>,
    entries: Vec<LazyEntry>,
    /// Where each entry of `text` is, in file order.
    original_spans: Vec<Range<usize>>,
}

#[derive(Clone)]
struct LazyEntry {
    /// Where the entry is in `text`; `None` for entries an edit put here.
    span: Option<Range<usize>>,
    name: Box<str>,
    summary: Fields,
    capabilities: Caps,
    dynamic: Vec<String>,
    full: OnceLock<Value>,
}

/// Where an entry's summary fields are. As text they cost no memory of
/// their own; the merge parses them into the merged entry's summary.
#[derive(Clone)]
enum Fields {
    /// Each field's key and the range of its JSON value in the layer's text.
    Text(Vec<(&'static str, Range<usize>)>),
    Value(Value),
}

/// Where an entry's `capabilities` value is.
#[derive(Clone)]
enum Caps {
    Absent,
    /// Its JSON text in the layer's text.
    Text(Range<usize>),
    Value(Value),
}

impl LazyEntry {
    fn from_value(value: Value) -> Self {
        Self {
            span: None,
            name: entry_name(&value).into(),
            summary: Fields::Value(summary_of(&value)),
            capabilities: value
                .get("capabilities")
                .map_or(Caps::Absent, |c| Caps::Value(c.clone())),
            dynamic: dynamic_field_paths(&value),
            full: OnceLock::from(value),
        }
    }
}

impl LazyLayer {
    /// Split `text` into entries and parse their summaries; errors name
    /// `path` and the line and column (or the entry's index).
    pub fn parse(path: &Path, text: Arc<String>) -> Result<Self, RegistryError> {
        let base = text.as_ptr() as usize;
        let range = |raw: &str| {
            let start = raw.as_ptr() as usize - base;
            start..start + raw.len()
        };
        let entries = parse_each(path, &text, |span, entry| {
            let part = serde_json::from_str::<Summary<'_>>(entry)?;
            // The last `name` counts, as in a full parse; a non-string name is "".
            let name = match part.fields.iter().rev().find(|(k, _)| *k == "name") {
                Some((_, raw)) => serde_json::from_str::<Value>(raw)?
                    .as_str()
                    .unwrap_or("")
                    .into(),
                None => "".into(),
            };
            Ok(LazyEntry {
                span: Some(span.clone()),
                name,
                summary: Fields::Text(
                    part.fields
                        .iter()
                        .map(|(k, raw)| (*k, range(raw)))
                        .collect(),
                ),
                capabilities: part
                    .capabilities
                    .map_or(Caps::Absent, |raw| Caps::Text(range(raw))),
                dynamic: part.dynamic,
                full: OnceLock::new(),
            })
        })?;
        let original_spans = entries.iter().filter_map(|e| e.span.clone()).collect();
        Ok(Self {
            text,
            entries,
            original_spans,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Value> {
        (index < self.entries.len()).then(|| self.full(index))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| &*e.name)
    }

    /// Every entry, parsing (and keeping) those not yet parsed.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Value> {
        (0..self.entries.len()).map(|i| self.full(i))
    }

    /// Every entry, without keeping what had to be parsed.
    pub fn values(&self) -> impl ExactSizeIterator<Item = Cow<'_, Value>> {
        (0..self.entries.len()).map(|i| self.parsed(i))
    }

    /// Whether the entries are still those of the text read, in order, as
    /// values: an edit that was undone is no change. Only edited entries are
    /// compared (each with its original), so this stays cheap after every
    /// edit on a large layer, unlike serializing it.
    pub fn matches_text(&self) -> bool {
        self.entries.len() == self.original_spans.len()
            && self
                .entries
                .iter()
                .zip(&self.original_spans)
                .all(|(entry, original)| match (&entry.span, entry.full.get()) {
                    (Some(span), _) => span == original,
                    (None, Some(value)) => *value == self.parse_span(original),
                    (None, None) => false,
                })
    }

    /// Make position `index` hold `value`: replace it when `occupied`, else
    /// insert; `None` removes an occupied position.
    pub(crate) fn put(&mut self, index: usize, occupied: bool, value: Option<Value>) {
        match (occupied, value) {
            (true, Some(v)) => {
                if let Some(slot) = self.entries.get_mut(index) {
                    *slot = LazyEntry::from_value(v);
                }
            }
            (true, None) if index < self.entries.len() => {
                self.entries.remove(index);
            }
            (false, Some(v)) => {
                let at = index.min(self.entries.len());
                self.entries.insert(at, LazyEntry::from_value(v));
            }
            _ => {}
        }
    }

    fn parse_span(&self, span: &Range<usize>) -> Value {
        // The span passed the validating split and the summary parse, so
        // this parse cannot fail; Null would only hide a serde_json bug.
        serde_json::from_str(&self.text[span.clone()]).unwrap_or(Value::Null)
    }
}

impl EntrySource for LazyLayer {
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn name(&self, index: usize) -> &str {
        &self.entries[index].name
    }

    fn summary(&self, index: usize) -> Cow<'_, Value> {
        match &self.entries[index].summary {
            Fields::Value(value) => Cow::Borrowed(value),
            Fields::Text(fields) => {
                let mut map = Map::new();
                for (key, range) in fields {
                    // Checked by the summary parse; see `parse_span`.
                    let value = serde_json::from_str(&self.text[range.clone()]);
                    map.insert((*key).to_owned(), value.unwrap_or(Value::Null));
                }
                Cow::Owned(Value::Object(map))
            }
        }
    }

    fn full(&self, index: usize) -> &Value {
        let entry = &self.entries[index];
        entry.full.get_or_init(|| match &entry.span {
            Some(span) => self.parse_span(span),
            None => Value::Null,
        })
    }

    fn parsed(&self, index: usize) -> Cow<'_, Value> {
        let entry = &self.entries[index];
        match (entry.full.get(), &entry.span) {
            (Some(value), _) => Cow::Borrowed(value),
            (None, Some(span)) => Cow::Owned(self.parse_span(span)),
            (None, None) => Cow::Owned(Value::Null),
        }
    }

    fn capabilities(&self, index: usize) -> Option<CapsPart<'_>> {
        match &self.entries[index].capabilities {
            Caps::Absent => None,
            Caps::Text(range) => Some(CapsPart::from_json(&self.text[range.clone()])),
            Caps::Value(value) => Some(CapsPart::from_value(value)),
        }
    }

    fn dynamic_fields(&self, index: usize) -> Vec<String> {
        self.entries[index].dynamic.clone()
    }

    fn raw_text(&self, index: usize) -> Option<&str> {
        let span = self.entries[index].span.clone()?;
        self.text.get(span)
    }
}

impl fmt::Debug for LazyLayer {
    // The text can be tens of megabytes: show its shape, not its content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyLayer")
            .field("entries", &self.entries.len())
            .field("text_bytes", &self.text.len())
            .finish()
    }
}

/// Parse a registry file (a JSON array of objects) into values, entries in
/// parallel.
pub fn parse_entries(path: &Path, text: &str) -> Result<Vec<Value>, RegistryError> {
    parse_each(path, text, |_, entry| serde_json::from_str(entry))
}

/// `parse(span, entry_text)` for every entry of a registry file, on all
/// cores. Files in ImageWorks' layout are split by lines; any other text,
/// or an entry that does not parse, goes through the validating split,
/// which reports where the file is wrong.
fn parse_each<T: Send>(
    path: &Path,
    text: &str,
    parse: impl Fn(&Range<usize>, &str) -> Result<T, serde_json::Error> + Sync,
) -> Result<Vec<T>, RegistryError> {
    if let Some(spans) = python_layout_spans(text) {
        let parsed: Option<Vec<T>> =
            par_map(&spans, |_, span| parse(span, &text[span.clone()]).ok())
                .into_iter()
                .collect();
        if let Some(parsed) = parsed {
            return Ok(parsed);
        }
    }
    let spans = entry_spans(path, text)?;
    par_map(&spans, |_, span| {
        parse(span, &text[span.clone()]).map_err(|e| located(path, text, span.start, e))
    })
    .into_iter()
    .collect()
}

/// The entry spans of a file as `json.dumps(indent=2)` lays it out, found
/// from line starts alone (several times faster than tokenising): the list
/// opens with `[`, each entry opens with `{` after two spaces and closes on
/// a line that is two spaces and `}` (deeper lines are indented further, and
/// strings cannot hold raw newlines), entries are separated by `,\n  ` and
/// the list closes with `\n]`. `None` for any other layout. The spans are
/// not checked here: the caller parses each one whole, and the file is a
/// valid list of objects exactly when every span parses.
fn python_layout_spans(text: &str) -> Option<Vec<Range<usize>>> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body == "[]" {
        return Some(Vec::new());
    }
    let bytes = body.as_bytes();
    if !body.starts_with("[\n  {") || !body.ends_with("\n]") {
        return None;
    }
    let mut spans = Vec::new();
    let mut start = 4;
    let mut lines = memchr::memchr_iter(b'\n', bytes);
    loop {
        let end = if bytes[start..].starts_with(b"{}") {
            start + 2
        } else {
            let closing = lines.find(|&nl| nl > start && bytes[nl + 1..].starts_with(b"  }"))?;
            closing + 4
        };
        spans.push(start..end);
        match &bytes[end..] {
            b"\n]" => return Some(spans),
            rest if rest.starts_with(b",\n  {") => start = end + 4,
            _ => return None,
        }
    }
}

/// Byte ranges of the entries of a registry file, checking that it is JSON,
/// a list, and a list of objects.
fn entry_spans(path: &Path, text: &str) -> Result<Vec<Range<usize>>, RegistryError> {
    let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| not_a_list(path, text, e))?;
    let base = text.as_ptr() as usize;
    raws.iter()
        .enumerate()
        .map(|(index, raw)| {
            let entry = raw.get();
            if !entry.starts_with('{') {
                return Err(RegistryError::BadShape {
                    path: path.to_path_buf(),
                    index,
                    message: "is not a JSON object".into(),
                });
            }
            let start = entry.as_ptr() as usize - base;
            Ok(start..start + entry.len())
        })
        .collect()
}

/// Why `text` is not a JSON list: its syntax error, else the wrong shape.
fn not_a_list(path: &Path, text: &str, error: serde_json::Error) -> RegistryError {
    let malformed = |e: JsonTextError| RegistryError::Malformed {
        path: path.to_path_buf(),
        line: e.line,
        column: e.column,
        message: e.message,
    };
    if error.is_syntax() || error.is_eof() {
        return malformed(error.into());
    }
    match json_text::parse(text) {
        Err(e) => malformed(e),
        Ok(_) => malformed(JsonTextError {
            line: 1,
            column: 1,
            message: "expected a JSON array of entries".into(),
        }),
    }
}

/// An error in the entry starting at byte `offset`, placed in the whole file.
fn located(path: &Path, text: &str, offset: usize, error: serde_json::Error) -> RegistryError {
    let e = JsonTextError::from(error);
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = if e.line == 1 {
        before[line_start..].chars().count() + e.column
    } else {
        e.column
    };
    RegistryError::Malformed {
        path: path.to_path_buf(),
        line: before.matches('\n').count() + e.line,
        column,
        message: e.message,
    }
}

/// What an entry's span yields without building the whole entry: its
/// summary fields and the paths of its runtime-state fields. Everything
/// else is checked by the parser but not kept.
struct Summary<'de> {
    /// Each summary field's key and JSON text, in file order.
    fields: Vec<(&'static str, &'de str)>,
    /// The JSON text of `capabilities`.
    capabilities: Option<&'de str>,
    dynamic: Vec<String>,
}

impl<'de> Deserialize<'de> for Summary<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SummaryVisitor)
    }
}

struct SummaryVisitor;

impl<'de> Visitor<'de> for SummaryVisitor {
    type Value = Summary<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a registry entry (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Summary<'de>, A::Error> {
        let mut fields = Vec::new();
        let mut capabilities = None;
        let mut dynamic = Vec::new();
        let mut from_download = false;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                // A repeated key is kept twice; building the map from the
                // list replaces the first value in place, as a full parse does.
                Key::Summary(key) => {
                    fields.push((key, map.next_value::<&'de RawValue>()?.get()));
                }
                Key::Capabilities => {
                    capabilities = Some(map.next_value::<&'de RawValue>()?.get());
                }
                Key::Metadata => from_download = map.next_value::<MetadataProbe>()?.0,
                Key::Measured(key) => {
                    let value: Value = map.next_value()?;
                    note_dynamic(&mut dynamic, key, is_dynamic(key, &value));
                }
                Key::Dynamic(key) => {
                    map.next_value::<IgnoredAny>()?;
                    note_dynamic(&mut dynamic, &key, true);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if from_download {
            dynamic.push(CREATED_FROM_DOWNLOAD.into());
        }
        Ok(Summary {
            fields,
            capabilities,
            dynamic,
        })
    }
}

/// Keep `dynamic` as `dynamic_field_paths` lists it: each key once, at its
/// first position, present only if its last value is runtime state.
fn note_dynamic(dynamic: &mut Vec<String>, key: &str, is_dynamic: bool) {
    let seen = dynamic.iter().position(|k| k == key);
    match (seen, is_dynamic) {
        (None, true) => dynamic.push(key.to_owned()),
        (Some(i), false) => {
            dynamic.remove(i);
        }
        _ => {}
    }
}

/// An object key, classified without allocating (except for the rare
/// runtime-state key whose name is kept).
enum Key {
    Summary(&'static str),
    Capabilities,
    Metadata,
    /// `performance` / `probes`: runtime state only when not empty.
    Measured(&'static str),
    Dynamic(String),
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "capabilities" => Key::Capabilities,
            "metadata" => Key::Metadata,
            "performance" => Key::Measured("performance"),
            "probes" => Key::Measured("probes"),
            _ => match summary_key(key) {
                Some(k) => Key::Summary(k),
                None if is_dynamic(key, &Value::Null) => Key::Dynamic(key.to_owned()),
                None => Key::Other,
            },
        })
    }
}

/// Whether `metadata` holds `created_from_download` (the rest is skipped).
struct MetadataProbe(bool);

impl<'de> Deserialize<'de> for MetadataProbe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MetadataVisitor)
    }
}

struct MetadataVisitor;

impl<'de> Visitor<'de> for MetadataVisitor {
    type Value = MetadataProbe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    // Also reached by numbers other than plain integers, which serde_json
    // (`arbitrary_precision`) hands over as a one-key map: that key is never
    // `created_from_download`, so they count as no such key, as they should.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetadataProbe, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<MetadataKey>()? {
            map.next_value::<IgnoredAny>()?;
            found |= key.0;
        }
        Ok(MetadataProbe(found))
    }

    // Any other value is not an object, so it has no such key.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<MetadataProbe, E> {
        Ok(MetadataProbe(false))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<MetadataProbe, E> {
        Ok(MetadataProbe(false))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<MetadataProbe, E> {
        Ok(MetadataProbe(false))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<MetadataProbe, E> {
        Ok(MetadataProbe(false))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<MetadataProbe, E> {
        Ok(MetadataProbe(false))
    }

    fn visit_unit<E: de::Error>(self) -> Result<MetadataProbe, E> {
        Ok(MetadataProbe(false))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<MetadataProbe, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MetadataProbe(false))
    }
}

struct MetadataKey(bool);

impl<'de> Deserialize<'de> for MetadataKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(MetadataKeyVisitor)
    }
}

struct MetadataKeyVisitor;

impl Visitor<'_> for MetadataKeyVisitor {
    type Value = MetadataKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<MetadataKey, E> {
        Ok(MetadataKey(key == "created_from_download"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lazy(text: &str) -> Result<LazyLayer, RegistryError> {
        LazyLayer::parse(Path::new("x.json"), Arc::new(text.to_owned()))
    }

    #[test]
    fn summaries_match_full_parse() -> Result<(), RegistryError> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_configs/registry/model_registry.discovered.json");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let full = parse_entries(&path, &text)?;
        let layer = LazyLayer::parse(&path, Arc::new(text))?;
        assert_eq!(EntrySource::len(&layer), full.len());
        for (i, entry) in full.iter().enumerate() {
            assert_eq!(*layer.summary(i), summary_of(entry));
            assert_eq!(
                layer.capabilities(i),
                entry.get("capabilities").map(CapsPart::from_value)
            );
            assert_eq!(layer.dynamic_fields(i), dynamic_field_paths(entry));
            assert_eq!(*layer.parsed(i), *entry);
            assert_eq!(layer.full(i), entry);
        }
        Ok(())
    }

    #[test]
    fn repeated_and_escaped_keys() -> Result<(), RegistryError> {
        let layer = lazy(r#"[{"name": "a", "n\u0061me": "b", "x": [1, {"name": 2}]}]"#)?;
        assert_eq!(*layer.summary(0), json!({"name": "b"}));
        assert_eq!(layer.full(0)["x"][1]["name"], json!(2));
        Ok(())
    }

    #[test]
    fn odd_values_read_as_a_full_parse_reads_them() -> Result<(), RegistryError> {
        let text = r#"[{"name": "a", "metadata": 1.5, "capabilities": -0.5},
            {"name": "b", "metadata": {"created_from_download": null}, "capabilities": null},
            {"name": "c", "metadata": [1], "probes": {"x": 2.5}, "download_x": 1}]"#;
        let layer = lazy(text)?;
        let full = parse_entries(Path::new("x.json"), text)?;
        for (i, entry) in full.iter().enumerate() {
            assert_eq!(layer.dynamic_fields(i), dynamic_field_paths(entry), "{i}");
            assert_eq!(
                layer.capabilities(i),
                entry.get("capabilities").map(CapsPart::from_value),
                "{i}"
            );
        }
        Ok(())
    }

    #[test]
    fn layout_split_finds_entries_or_declines() {
        fn spans(t: &str) -> Option<Vec<&str>> {
            python_layout_spans(t).map(|s| s.iter().map(|r| &t[r.clone()]).collect())
        }
        let text =
            "[\n  {\n    \"a\": {\n      \"b\": 1\n    }\n  },\n  {},\n  {\n    \"c\": 2\n  }\n]\n";
        assert_eq!(
            spans(text),
            Some(vec![
                "{\n    \"a\": {\n      \"b\": 1\n    }\n  }",
                "{}",
                "{\n    \"c\": 2\n  }"
            ])
        );
        assert_eq!(spans("[]\n"), Some(vec![]));
        assert_eq!(spans("[{\"a\": 1}]"), None);
        assert_eq!(spans("[\n  {\n  }\n  x\n]"), None);
        assert_eq!(spans("[\n  {\n    \"a\": 1\n]"), None);
        // Mis-split text is caught by the entry parse and reported exactly.
        let odd = "[\n  {\"a\": {\n  },\n  \"b\": 1}\n]";
        assert!(lazy(odd).is_ok_and(|l| l.len() == 1));
        let bad = "[\n  {\n    \"a\": tru\n  }\n]";
        let err = lazy(bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(err, "x.json: line 4, column 0: expected ident");
    }

    #[test]
    fn errors_name_line_column_and_entry() {
        let err = |t: &str| lazy(t).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err("[\n  {\"name\": \"a\"},\n  {\"name\": }\n]"),
            "x.json: line 3, column 12: expected value"
        );
        assert_eq!(
            err("{}"),
            "x.json: line 1, column 1: expected a JSON array of entries"
        );
        assert_eq!(err("[{}, 3]"), "x.json: entry 1: is not a JSON object");
    }
}
