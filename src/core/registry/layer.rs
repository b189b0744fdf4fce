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
use super::error::RegistryError;
use super::json_text::{self, JsonTextError};
use super::model::{CREATED_FROM_DOWNLOAD, dynamic_field_paths, is_dynamic};
use super::parallel::par_map;

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
    entry
        .get("name")
        .and_then(Value::as_str)
        .map_or("", python_strip)
}

/// The name ImageWorks keys an entry by in its merge,
/// `str(raw.get("name") or "").strip()`: spaces stripped, a number or
/// `true` as Python prints it; "" (the entry is skipped) for a missing,
/// blank, zero, `false` or `null` name. A list or object gives "": its
/// loader fails on those (`name_note` says so).
pub fn merge_key(name: Option<&Value>) -> Cow<'_, str> {
    match name {
        Some(Value::String(s)) => Cow::Borrowed(python_strip(s)),
        Some(Value::Bool(true)) => Cow::Borrowed("True"),
        Some(Value::Number(n)) => Cow::Owned(python_number_str(n)),
        _ => Cow::Borrowed(""),
    }
}

/// Python's `str.strip()`: Unicode whitespace and the separators
/// U+001C..U+001F, which Python counts as whitespace and Rust does not.
fn python_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// `str(x or "")` of a JSON number as Python reads it.
fn python_number_str(n: &serde_json::Number) -> String {
    let text = n.to_string();
    if text.contains(['.', 'e', 'E']) {
        let f: f64 = text.parse().unwrap_or(0.0);
        return if f == 0.0 {
            String::new()
        } else if f.is_infinite() {
            if f > 0.0 { "inf" } else { "-inf" }.to_owned()
        } else {
            json_text::python_float_repr(f)
        };
    }
    // An integer: Python prints it without sign for zero, which is falsy.
    match text
        .trim_start_matches('-')
        .trim_start_matches('0')
        .is_empty()
    {
        true => String::new(),
        false => text,
    }
}

/// What ImageWorks makes of an entry's raw `name` when that is not the
/// name as written: (is it an error, what happens). `None` for a plain name.
pub fn name_note(name: Option<&Value>) -> Option<(bool, String)> {
    let key = merge_key(name);
    match name {
        None => Some((false, "no name: ImageWorks skips this entry".into())),
        Some(Value::String(s)) if key.is_empty() => Some((
            false,
            format!("blank name {s:?}: ImageWorks skips this entry"),
        )),
        Some(Value::String(s)) if *s != *key => Some((
            false,
            format!("name {s:?} is read by ImageWorks as {key:?} (spaces stripped)"),
        )),
        Some(Value::String(_)) => None,
        Some(Value::Array(items)) if !items.is_empty() => Some((
            true,
            "the name is a list: ImageWorks' loader fails on it (unhashable)".into(),
        )),
        Some(Value::Object(map)) if !map.is_empty() => Some((
            true,
            "the name is an object: ImageWorks' loader fails on it (unhashable)".into(),
        )),
        Some(other) if key.is_empty() => Some((
            false,
            format!("name {other}: ImageWorks reads it as no name and skips this entry"),
        )),
        Some(other) => Some((
            false,
            format!("name {other} is not text: ImageWorks reads it as {key:?}"),
        )),
    }
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
    /// The index in `original_spans` of the entry this one is or replaced
    /// (`None`: an added entry): saving keeps the text between entries that
    /// are still neighbours.
    origin: Option<usize>,
    /// The merge key (`merge_key`).
    name: Box<str>,
    /// What ImageWorks makes of the raw name, when not what is written.
    name_note: Option<(bool, String)>,
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
            origin: None,
            name: merge_key(value.get("name")).into(),
            name_note: name_note(value.get("name")),
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
            // The last `name` counts, as in a full parse; the merge keys by
            // it as ImageWorks does (`merge_key`).
            let raw_name = match part.fields.iter().rev().find(|(k, _)| *k == "name") {
                Some((_, raw)) => Some(serde_json::from_str::<Value>(raw)?),
                None => None,
            };
            let name = merge_key(raw_name.as_ref()).into();
            let name_note = name_note(raw_name.as_ref());
            Ok(LazyEntry {
                span: Some(span.clone()),
                origin: None,
                name,
                name_note,
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
        let mut entries = entries;
        for (i, entry) in entries.iter_mut().enumerate() {
            entry.origin = Some(i);
        }
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

    /// For each entry whose raw name ImageWorks reads otherwise (see
    /// `name_note`): its index, whether that is an error, and what happens.
    pub fn name_notes(&self) -> impl Iterator<Item = (usize, bool, &str)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            e.name_note
                .as_ref()
                .map(|(err, note)| (i, *err, note.as_str()))
        })
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
                    let origin = slot.origin;
                    *slot = LazyEntry::from_value(v);
                    slot.origin = origin;
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

    /// Remove the entries at `indexes` in one pass (a maintenance action
    /// removing thousands must not shift the list once per entry).
    pub(crate) fn remove_all(&mut self, indexes: &std::collections::HashSet<usize>) {
        if indexes.is_empty() {
            return;
        }
        let mut i = 0;
        self.entries.retain(|_| {
            let keep = !indexes.contains(&i);
            i += 1;
            keep
        });
    }

    /// The layer's file text after its edits (`\r\n` newlines in edited
    /// parts when `crlf`; no BOM). Entries not edited keep their bytes as
    /// read, and so does the text between entries that are still
    /// neighbours: an edit never rewrites an entry it did not touch.
    /// Edited and added entries are written in the file's own layout: its
    /// indentation unit (2 or 4 spaces, a tab, ...) or, for a file on one
    /// line, Python's one-line form. A layer that had no entries is
    /// written as ImageWorks writes one.
    pub fn file_text(&self, crlf: bool) -> String {
        let nl = if crlf { "\r\n" } else { "\n" };
        let (Some(first), Some(last)) = (self.original_spans.first(), self.original_spans.last())
        else {
            let text = json_text::list_in_parallel(self.len(), |i| self.parsed(i));
            return if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            };
        };
        if self.entries.is_empty() {
            return format!("[]{nl}");
        }
        let text = self.text.as_str();
        let prefix = &text[..first.start];
        let unit = match prefix.rfind('\n') {
            Some(nl_at) => {
                let unit = &prefix[nl_at + 1..];
                Some(
                    match unit.chars().all(|c| c == ' ' || c == '\t') && !unit.is_empty() {
                        true => unit,
                        false => "  ",
                    },
                )
            }
            None => None,
        };
        let layout = json_text::Layout { indent: unit };
        let default_separator = match self.original_spans.get(1) {
            Some(second) => text[first.end..second.start].to_owned(),
            None => match unit {
                Some(unit) => format!(",{nl}{unit}"),
                None => ", ".to_owned(),
            },
        };
        let texts = par_map(&self.entries, |_, entry| {
            match (&entry.span, entry.origin) {
                (Some(span), _) => Cow::Borrowed(&text[span.clone()]),
                // An edit undone gives back the text it replaced, byte for byte.
                (None, Some(o))
                    if entry.full.get() == Some(&self.parse_span(&self.original_spans[o])) =>
                {
                    Cow::Borrowed(&text[self.original_spans[o].clone()])
                }
                (None, _) => {
                    let value = entry.full.get().unwrap_or(&Value::Null);
                    let written = json_text::value_text(value, 1, layout);
                    Cow::Owned(if crlf {
                        written.replace('\n', "\r\n")
                    } else {
                        written
                    })
                }
            }
        });
        let mut out =
            String::with_capacity(text.len() + texts.iter().map(|t| t.len()).sum::<usize>() / 8);
        out.push_str(prefix);
        for (i, entry_text) in texts.iter().enumerate() {
            if i > 0 {
                let neighbours = match (self.entries[i - 1].origin, self.entries[i].origin) {
                    (Some(a), Some(b)) if a + 1 == b => Some(b),
                    _ => None,
                };
                match neighbours {
                    Some(b) => out.push_str(
                        &text[self.original_spans[b - 1].end..self.original_spans[b].start],
                    ),
                    None => out.push_str(&default_separator),
                }
            }
            out.push_str(entry_text);
        }
        out.push_str(&text[last.end..]);
        out
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
    // Spans split by lines are checked for depth only once they parse (a
    // mis-split span is no entry); a too deep one goes through the
    // validating split, which then reports it.
    if let Some(spans) = python_layout_spans(text)
        && too_deep(path, text, &spans).is_ok()
    {
        let parsed: Option<Vec<T>> =
            par_map(&spans, |_, span| parse(span, &text[span.clone()]).ok())
                .into_iter()
                .collect();
        if let Some(parsed) = parsed {
            return Ok(parsed);
        }
    }
    let spans = entry_spans(path, text)?;
    too_deep(path, text, &spans)?;
    par_map(&spans, |_, span| {
        parse(span, &text[span.clone()]).map_err(|e| located(path, text, span.start, e))
    })
    .into_iter()
    .collect()
}

/// The deepest nesting of an entry this editor holds, the entry itself
/// being level 1. serde_json refuses a value nested 128 levels deep (its
/// recursion limit), counting the list a whole file is: reading and
/// writing must never meet that limit, or an entry it refuses would be
/// held as nothing and saved as `null`. ImageWorks' Python reads far
/// deeper, so such a file is refused up front, never read in part.
pub const MAX_ENTRY_DEPTH: usize = 126;

/// An error for the first entry nested deeper than `MAX_ENTRY_DEPTH`.
fn too_deep(path: &Path, text: &str, spans: &[Range<usize>]) -> Result<(), RegistryError> {
    let depths = par_map(spans, |_, span| {
        nesting_depth(text[span.clone()].as_bytes())
    });
    let Some((index, depth)) = depths
        .into_iter()
        .enumerate()
        .find(|(_, d)| *d > MAX_ENTRY_DEPTH)
    else {
        return Ok(());
    };
    let name = serde_json::from_str::<NameOnly>(&text[spans[index].clone()])
        .ok()
        .and_then(|n| n.name)
        .map_or_else(|| "(no name)".to_owned(), |n| n.to_string());
    Err(RegistryError::TooDeep {
        path: path.to_path_buf(),
        index,
        name,
        depth,
        max: MAX_ENTRY_DEPTH,
    })
}

/// Only an entry's `name`; everything else is skipped (at any depth).
#[derive(Deserialize)]
struct NameOnly {
    #[serde(default)]
    name: Option<Value>,
}

/// How deep objects and lists nest in `json` (valid JSON text): 1 for a
/// flat object. Strings are skipped whole, so brackets in them do not count.
pub fn nesting_depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < json.len() {
        match json[i] {
            b'"' => {
                // To the closing quote, stepping over escapes.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &json[i.min(json.len())..]) {
                        Some(at) if json[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                        None => {
                            i = json.len();
                            break;
                        }
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
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
        message: explain_python_token(text, e.line, e.column, e.message),
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
    let line = before.matches('\n').count() + e.line;
    RegistryError::Malformed {
        path: path.to_path_buf(),
        line,
        column,
        message: explain_python_token(text, line, column, e.message),
    }
}

/// `message`, or, when the error is at a `NaN` / `Infinity` / `-Infinity`
/// (which Python's `json` writes and reads, and JSON has not), what that is.
fn explain_python_token(text: &str, line: usize, column: usize, message: String) -> String {
    let Some(line_text) = text.lines().nth(line.saturating_sub(1)) else {
        return message;
    };
    // serde_json's column is at or just past the token's first character.
    let around: String = line_text
        .chars()
        .skip(column.saturating_sub(2))
        .take(10)
        .collect();
    let token = ["-Infinity", "Infinity", "NaN"]
        .into_iter()
        .find(|t| around.contains(t));
    match token {
        Some(token) => format!(
            "{token} is not JSON: ImageWorks' Python reads it as a float, but strict JSON \
             readers (this editor, the proxy's clients) refuse it; write a number or null"
        ),
        None => message,
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
    fn merge_keys_are_what_python_prints() {
        let key = |v: Value| merge_key(Some(&v)).into_owned();
        assert_eq!(key(json!(" a\u{1f} ")), "a");
        assert_eq!(key(json!(7)), "7");
        assert_eq!(key(json!(-0)), "");
        assert_eq!(key(json!(0.0)), "");
        assert_eq!(key(json!(true)), "True");
        assert_eq!(key(json!(false)), "");
        assert_eq!(key(json!(["a"])), "");
        let big: Value = serde_json::from_str("1e400").unwrap_or(Value::Null);
        assert_eq!(key(big), "inf");
        let float: Value = serde_json::from_str("1E16").unwrap_or(Value::Null);
        assert_eq!(key(float), "1e+16");
        assert_eq!(merge_key(None), "");
        assert!(name_note(Some(&json!("plain"))).is_none());
        assert_eq!(name_note(Some(&json!({"a": 1}))).map(|n| n.0), Some(true));
    }

    #[test]
    fn nesting_depth_skips_strings() {
        assert_eq!(nesting_depth(br#"{"a": "[[{{\"", "b": [1, {"c": []}]}"#), 4);
        assert_eq!(nesting_depth(b"1"), 0);
        assert_eq!(nesting_depth(br#"{"unterminated"#), 1);
    }

    #[test]
    fn file_text_keeps_separators_and_writes_in_the_files_layout() -> Result<(), RegistryError> {
        let text = "[\n\t{\"name\": \"a\"},\n\n\t{\"name\": \"b\", \"x\": 1, \"x\": 2},\n\t{\"name\": \"c\"}\n]";
        let mut layer = lazy(text)?;
        assert_eq!(layer.file_text(false), text, "unedited: the same bytes");
        layer.put(0, true, Some(json!({"name": "a", "k": [1]})));
        layer.put(2, true, None);
        layer.put(2, false, Some(json!({"name": "d"})));
        assert_eq!(
            layer.file_text(true),
            "[\n\t{\r\n\t\t\"name\": \"a\",\r\n\t\t\"k\": [\r\n\t\t\t1\r\n\t\t]\r\n\t},\n\n\t{\"name\": \"b\", \"x\": 1, \"x\": 2},\n\n\t{\r\n\t\t\"name\": \"d\"\r\n\t}\n]"
        );
        let mut one_line = lazy(r#"[{"name": "a"}, {"name": "b"}]"#)?;
        one_line.put(1, true, Some(json!({"name": "b", "o": {"p": [1, 2]}})));
        assert_eq!(
            one_line.file_text(false),
            r#"[{"name": "a"}, {"name": "b", "o": {"p": [1, 2]}}]"#
        );
        Ok(())
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
