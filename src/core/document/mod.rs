//! The lossless `chat_proxy.toml` document: the single source of truth every
//! front end reads and edits. Every byte outside the lines an edit touches
//! stays as it was (newlines, BOM, key spelling, order): edits are patches
//! over the text (`patch.rs`); a changed value keeps its trailing comment; a
//! missing key or table is inserted where the layouts put it, formatted as a
//! person would have written it, with the newline of its neighbours.

mod lines;
pub(crate) mod parse_error;
mod patch;
mod path;
pub(crate) mod placement;
mod regions;
mod same_content;

pub use parse_error::ParseError;
pub use path::{DocPath, PathError, Segment};
pub use regions::{Fragment, RegionText};

use std::ops::Range;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::core::layout::LayoutSet;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("“{path}”: “{blocker}” is {found}, not a table, so nothing can go below it")]
    NotATable {
        path: String,
        blocker: String,
        found: &'static str,
    },
    #[error("“{path}”: there is no entry {index} in “{array}” (it has {len})")]
    NoSuchEntry {
        path: String,
        array: String,
        index: usize,
        len: usize,
    },
    #[error("“{path}”: an index needs an array of tables like [[endpoints]]")]
    NotAnArray { path: String },
    #[error(
        "“{path}”: “{table}” is written inline (“{table} = {{ ... }}” or \
         `{table} = [{{ ... }}]`); edits inside an inline table are not made here, since rewriting it would \
         change lines you wrote: turn it into a [{table}] table (one `key = value` \
         per line below the header), or change the value on that line by hand"
    )]
    InsideInlineTable { path: String, table: String },
    #[error(transparent)]
    Path(#[from] PathError),
}

/// A parsed `chat_proxy.toml`.
#[derive(Clone, Debug, Default)]
pub struct ConfigDocument {
    /// The model: always the parse of `text`.
    doc: DocumentMut,
    /// What is saved: the text as read, with each edit spliced in.
    text: String,
    /// The newline the file used when read: a file whose edits leave it a
    /// single line still writes new lines with it.
    newline: &'static str,
    /// Edits whose splice failed and that were rendered from the model
    /// instead (a bug to report; tests assert there are none).
    rendered_edits: usize,
    /// Where each table's lines are (`regions.rs`).
    regions: regions::Regions,
    /// The inverse of every edit since the last `take_inverses`, when a
    /// session records them for its undo steps (`None`: not recorded).
    inverses: Option<Vec<Inverse>>,
    /// The model as every reader sees it when the file writes a table
    /// inline (`server = { port = 8100 }`, `endpoints = [{ ... }]`): those
    /// spelled out as tables, so `[server]`, `server.port = ` and
    /// `server = { port = }` read the same everywhere. `None` when the file
    /// has no inline table (the model is read as it is, no copy).
    spelled: Option<Table>,
}

/// What undoes one edit: the bytes it replaced and, for a value changed in
/// place, the model's old value; applying it gives the inverse back (redo).
/// An undo step is a list of these, never a copy of the document.
#[derive(Clone, Debug)]
pub struct Inverse(InverseKind);

#[derive(Clone, Debug)]
enum InverseKind {
    /// A value replaced in place on its line: `[at, at + len)` held `text`,
    /// and the model's value at `path` was `value`.
    Value {
        path: DocPath,
        at: usize,
        len: usize,
        text: String,
        value: Value,
    },
    /// Any other edit: `[at, at + len)` held `text`; the model is re-read
    /// from the text.
    Text { at: usize, len: usize, text: String },
}

impl Inverse {
    /// The value this inverse changes in place, when it is such an edit
    /// (its re-validation can be local); `None` for an edit of lines.
    pub fn value_path(&self) -> Option<&DocPath> {
        match &self.0 {
            InverseKind::Value { path, .. } => Some(path),
            InverseKind::Text { .. } => None,
        }
    }

    /// Two changes in a row of the same value in place are one: the first's
    /// old bytes with the second's length.
    fn absorb(&mut self, next: &Inverse) -> bool {
        match (&mut self.0, &next.0) {
            (
                InverseKind::Value { path, at, len, .. },
                InverseKind::Value {
                    path: p2,
                    at: a2,
                    len: l2,
                    ..
                },
            ) if path == p2 && at == a2 => {
                *len = *l2;
                true
            }
            _ => false,
        }
    }
}

/// Append `next` to an undo step, merging it into the step's last inverse
/// when both change the same value in place (typing in one field).
pub fn push_inverse(step: &mut Vec<Inverse>, next: Inverse) {
    if let Some(last) = step.last_mut()
        && last.absorb(&next)
    {
        return;
    }
    step.push(next);
}

impl ConfigDocument {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let parsed = parse_spanned(text)?;
        Ok(Self::from_spanned(parsed))
    }

    /// Take over an already-parsed document.
    pub fn from_spanned(parsed: toml_edit::Document<String>) -> Self {
        Self {
            text: parsed.raw().to_owned(),
            newline: lines::file_newline(parsed.raw()),
            regions: regions::Regions::of(&parsed),
            doc: parsed.into_mut(),
            rendered_edits: 0,
            inverses: None,
            spelled: None,
        }
        .with_spelled()
    }

    fn with_spelled(mut self) -> Self {
        self.respell();
        self
    }

    /// Recompute the read model after an edit (only when the file has inline
    /// tables: one pass that finds none otherwise).
    fn respell(&mut self) {
        self.spelled = spelled_out(self.doc.as_table());
    }

    /// Whether the file writes a table inline (readers then see it spelled
    /// out; a check on the lines of one table cannot see it, so it is done
    /// on the whole file).
    pub fn has_inline_tables(&self) -> bool {
        self.spelled.is_some()
    }

    /// The model as read: inline tables spelled out as tables.
    fn read_root(&self) -> &Table {
        self.spelled.as_ref().unwrap_or_else(|| self.doc.as_table())
    }

    /// Edits walk the tables written with headers or dotted keys; a path
    /// through an inline table (or an array of them) is refused by name.
    fn refuse_inside_inline(&self, path: &DocPath) -> Result<(), EditError> {
        let mut table = self.doc.as_table();
        let mut walked = DocPath::default();
        // Segments consumed so far, array indexes included.
        let mut consumed = 0;
        let mut segments = path.0.iter();
        while let Some(seg) = segments.next() {
            let Segment::Key(key) = seg else {
                return Ok(());
            };
            walked = walked.child(key);
            consumed += 1;
            let inline = match table.get(key) {
                Some(Item::Table(t)) => {
                    table = t;
                    continue;
                }
                Some(Item::ArrayOfTables(a)) => {
                    consumed += 1;
                    match segments.next().and_then(|s| match s {
                        Segment::Index(i) => a.get(*i),
                        Segment::Key(_) => None,
                    }) {
                        Some(entry) => {
                            table = entry;
                            continue;
                        }
                        None => return Ok(()),
                    }
                }
                Some(Item::Value(Value::InlineTable(_))) => true,
                Some(Item::Value(Value::Array(a))) => is_array_of_inline_tables(a),
                _ => false,
            };
            if inline && consumed < path.0.len() {
                return Err(EditError::InsideInlineTable {
                    path: path.to_string(),
                    table: walked.to_string(),
                });
            }
            return Ok(());
        }
        Ok(())
    }

    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// The text, borrowed (what a redraw reads: no copy of a large file).
    pub fn text_str(&self) -> &str {
        &self.text
    }

    /// Record the inverse of every edit from now on (for a session's undo).
    pub fn record_inverses(&mut self) {
        self.inverses.get_or_insert_with(Vec::new);
    }

    /// The inverses recorded since the last call, in the order of the edits.
    pub fn take_inverses(&mut self) -> Vec<Inverse> {
        self.inverses
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn record(&mut self, inverse: Inverse) {
        if let Some(list) = &mut self.inverses {
            list.push(inverse);
        }
    }

    /// Undo one edit: put its old bytes back (and the model's old value, or
    /// the model re-read from the text). Returns what redoes it.
    pub fn apply_inverse(&mut self, inverse: Inverse) -> Inverse {
        match inverse.0 {
            InverseKind::Value {
                path,
                at,
                len,
                text,
                value,
            } => {
                let current = self.replace_bytes(at..at + len, &text);
                self.regions.shift_after(at, len, text.len());
                let old = self.put_model_value(&path, value);
                if self.spelled.is_some() {
                    self.respell();
                }
                match old {
                    Some(value) => Inverse(InverseKind::Value {
                        path,
                        at,
                        len: text.len(),
                        text: current,
                        value,
                    }),
                    None => {
                        // The model had no value there (a bug): re-read it all.
                        self.reread_text();
                        Inverse(InverseKind::Text {
                            at,
                            len: text.len(),
                            text: current,
                        })
                    }
                }
            }
            InverseKind::Text { at, len, text } => {
                let current = self.replace_bytes(at..at + len, &text);
                self.reread_text();
                Inverse(InverseKind::Text {
                    at,
                    len: text.len(),
                    text: current,
                })
            }
        }
    }

    fn replace_bytes(&mut self, range: Range<usize>, with: &str) -> String {
        let current = self.text.get(range.clone()).unwrap_or_default().to_owned();
        self.text.replace_range(range, with);
        current
    }

    /// Set the model's value at `path` (an existing value); returns the old one.
    fn put_model_value(&mut self, path: &DocPath, value: Value) -> Option<Value> {
        let (parent, key) = split_key(path).ok()?;
        let table = self.resolve_table(&parent, path).ok()?;
        let old = table.get_mut(key)?.as_value_mut()?;
        Some(std::mem::replace(old, value))
    }

    /// The model and regions re-read from the text (after an inverse of lines).
    fn reread_text(&mut self) {
        if let Ok(parsed) = toml_edit::Document::parse(self.text.clone()) {
            self.regions = regions::Regions::of(&parsed);
            self.doc = parsed.into_mut();
        }
        self.respell();
    }

    /// The lines of the table that holds `path`'s key-value (its nearest
    /// explicit table): what a local re-check of the edit reads.
    pub fn lines_holding(&self, path: &DocPath) -> Option<RegionText<'_>> {
        let parent = path.parent()?;
        let (owner, _) = self.explicit_owner(&parent)?;
        self.regions.own_lines(&owner, &self.text)
    }

    /// The explicit table `unit` with its sub-tables, parsed on its own.
    pub fn fragment(&self, unit: &DocPath) -> Option<Fragment> {
        self.regions.fragment(unit, &self.text)
    }

    /// Start and 1-based line of every region (header line), in text order.
    pub fn region_starts(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.regions.starts()
    }

    /// Line and column (1-based, the column in characters) of the value at
    /// `path`, read from the lines of its table only.
    pub fn value_position(&self, path: &DocPath) -> Option<(usize, usize)> {
        let (span, region) = self.value_span(path)?;
        let head = &region.text[..span.start - region.start];
        let line_start = head.rfind('\n').map_or(0, |i| i + 1);
        let line = region.first_line + head.bytes().filter(|b| *b == b'\n').count();
        Some((line, head[line_start..].chars().count() + 1))
    }

    /// The byte span of the existing value at `path`, found by parsing only
    /// the lines of its table; with those lines.
    fn value_span(&self, path: &DocPath) -> Option<(Range<usize>, RegionText<'_>)> {
        let (parent, key) = split_key(path).ok()?;
        let (owner, within) = self.explicit_owner(&parent)?;
        let region = self.regions.own_lines(&owner, &self.text)?;
        let parsed = toml_edit::Document::parse(region.text.to_owned()).ok()?;
        let span = regions::value_span(parsed.as_table(), &owner, &within, key, region.start)?;
        Some((span, region))
    }

    /// The nearest table at or above `table` in the model that has a header
    /// (or the root), and the dotted keys from it down to `table`.
    fn explicit_owner(&self, table: &DocPath) -> Option<(DocPath, Vec<Segment>)> {
        let mut at = self.doc.as_table();
        let mut walked = DocPath::default();
        let mut owner = 0;
        let mut segments = table.0.iter();
        while let Some(seg) = segments.next() {
            let Segment::Key(key) = seg else { return None };
            walked = walked.child(key);
            at = match at.get(key)? {
                Item::Table(t) => {
                    if !t.is_implicit() && !t.is_dotted() {
                        owner = walked.0.len();
                    }
                    t
                }
                Item::ArrayOfTables(a) => {
                    let Some(Segment::Index(i)) = segments.next() else {
                        return None;
                    };
                    walked = walked.index(*i);
                    owner = walked.0.len();
                    a.get(*i)?
                }
                _ => return None,
            };
        }
        let within = table.0[owner..].to_vec();
        Some((DocPath(table.0[..owner].to_vec()), within))
    }

    /// Change an existing value by replacing only its bytes, located and
    /// checked on the lines of its table alone (no parse of the whole file).
    /// `None` when that cannot be done safely; the caller then splices with
    /// a full parse. A value on several lines, before or after, is never
    /// done here: the edit then keeps every line number as it is.
    fn set_in_place(&mut self, path: &DocPath, value: &Value, old: Value) -> Option<Inverse> {
        let bytes = patch::bare(value);
        if bytes.contains('\n') {
            return None;
        }
        let (span, region) = self.value_span(path)?;
        let old_bytes = self.text.get(span.clone())?;
        if old_bytes.contains('\n') {
            return None;
        }
        let local = span.start - region.start..span.end - region.start;
        let mut edited = region.text.to_owned();
        edited.replace_range(local, &bytes);
        if !self.region_reads_as(path, region.text, edited, value)? {
            return None;
        }
        let old_bytes = old_bytes.to_owned();
        self.text.replace_range(span.clone(), &bytes);
        self.regions
            .shift_after(span.start, span.len(), bytes.len());
        Some(Inverse(InverseKind::Value {
            path: path.clone(),
            at: span.start,
            len: bytes.len(),
            text: old_bytes,
            value: old,
        }))
    }

    /// The local check of an in-place edit: the edited lines parse to the
    /// original lines with just `path` set to `value`.
    fn region_reads_as(
        &self,
        path: &DocPath,
        original: &str,
        edited: String,
        value: &Value,
    ) -> Option<bool> {
        let (parent, key) = split_key(path).ok()?;
        let (owner, within) = self.explicit_owner(&parent)?;
        let edited = toml_edit::Document::parse(edited).ok()?;
        let mut expected = toml_edit::Document::parse(original.to_owned())
            .ok()?
            .into_mut();
        let table = regions::table_mut(expected.as_table_mut(), &owner, &within)?;
        *table.get_mut(key)?.as_value_mut()? = value.clone();
        Some(same_content::tables_equal(
            edited.as_table(),
            expected.as_table(),
        ))
    }

    /// How many edits could not be spliced and were rendered whole
    /// (losing formatting, never data). Zero unless there is a bug.
    #[doc(hidden)]
    pub fn rendered_edits(&self) -> usize {
        self.rendered_edits
    }

    /// The current text parsed with spans, for locating what an edit touches.
    fn spanned(&self) -> Option<toml_edit::Document<String>> {
        toml_edit::Document::parse(self.text.clone()).ok()
    }

    /// Make `self.doc` (already edited) the document: apply `splice` to the
    /// text and check that the result parses to the edited model. A splice
    /// that is missing or wrong (a bug) falls back to rendering the model in
    /// the file's newline style, so data is never lost, only formatting.
    fn commit(&mut self, splice: Option<patch::Splice>) {
        let spliced = splice
            .and_then(|s| s.apply(&self.text))
            .map(|t| keep_final_newline(&self.text, t))
            .map(|t| self.in_remembered_newline(t))
            .and_then(|t| {
                let parsed = toml_edit::Document::parse(t).ok()?;
                same_content::tables_equal(parsed.as_table(), self.doc.as_table()).then_some(parsed)
            });
        let parsed = spliced.or_else(|| {
            self.rendered_edits += 1;
            let rendered = rendered_like(&self.doc, &self.text);
            toml_edit::Document::parse(rendered).ok()
        });
        let before = match parsed {
            Some(parsed) => {
                self.regions = regions::Regions::of(&parsed);
                let text = parsed.raw().to_owned();
                self.doc = parsed.into_mut();
                std::mem::replace(&mut self.text, text)
            }
            None => {
                self.regions = regions::Regions::default();
                std::mem::replace(&mut self.text, self.doc.to_string())
            }
        };
        self.respell();
        if self.inverses.is_some() {
            let inverse = lines_inverse(&before, &self.text);
            self.record(inverse);
        }
    }

    /// A one-line text has no newline to copy: lines added to it take the
    /// newline the file had when read.
    fn in_remembered_newline(&self, edited: String) -> String {
        if self.newline != "\r\n" || self.text.contains('\n') {
            return edited;
        }
        lines::with_newline(&edited.replace("\r\n", "\n"), self.newline)
    }

    /// The document's root table as every reader sees it: a table written
    /// inline reads as if it had a header.
    pub fn root(&self) -> &Table {
        self.read_root()
    }

    /// The item at `path` (a key, possibly of an array entry: `endpoints[0].name`).
    pub fn get(&self, path: &DocPath) -> Option<&Item> {
        let (parent, key) = split_key(path).ok()?;
        self.table_at(&parent)?.get(key)
    }

    /// The table at `path`, following array indices (`endpoints[1]`).
    pub fn table_at(&self, path: &DocPath) -> Option<&Table> {
        table_at(self.read_root(), path)
    }

    pub fn get_value(&self, path: &DocPath) -> Option<&Value> {
        self.get(path)?.as_value()
    }

    /// Set a value; returns whether the document changed. An equal value
    /// (same type and value) leaves every byte alone.
    pub fn set_value(
        &mut self,
        layouts: &LayoutSet,
        path: &DocPath,
        mut value: Value,
    ) -> Result<bool, EditError> {
        let (parent_path, key) = split_key(path)?;
        self.refuse_inside_inline(path)?;
        let table = self.table_mut_creating(layouts, &parent_path, path)?;
        if let Some(existing) = table.get(key).and_then(Item::as_value).cloned() {
            if values_equal(&existing, &value) {
                return Ok(false);
            }
            *value.decor_mut() = existing.decor().clone();
            let in_place = self.set_in_place(path, &value, existing);
            let splice = match in_place {
                Some(_) => None,
                None => self.spanned().and_then(|s| {
                    patch::set_existing(table_at(s.as_table(), &parent_path)?, key, &value)
                }),
            };
            self.table_mut_creating(layouts, &parent_path, path)?
                .insert(key, Item::Value(value));
            match in_place {
                Some(inverse) => {
                    if self.spelled.is_some() {
                        self.respell();
                    }
                    self.record(inverse);
                }
                None => self.commit(splice),
            }
            return Ok(true);
        }
        let table = self.table_mut_creating(layouts, &parent_path, path)?;
        if let Some(other) = table.get(key)
            && !other.is_none()
        {
            return Err(EditError::NotATable {
                path: path.to_string(),
                blocker: path.to_string(),
                found: other.type_name(),
            });
        }
        table.insert(key, Item::Value(value));
        placement::place_new_key(layouts, &parent_path, table, key);
        let splice = self.spanned().and_then(|s| {
            let text = s.raw();
            match table_at(s.as_table(), &parent_path) {
                Some(spanned) => patch::insert_key(
                    text,
                    &patch::headers(&s),
                    spanned,
                    &parent_path,
                    table_at(self.doc.as_table(), &parent_path)?,
                    key,
                ),
                None => patch::insert_table(
                    text,
                    &patch::headers(&s),
                    self.doc.as_table(),
                    &parent_path,
                ),
            }
        });
        self.commit(splice);
        Ok(true)
    }

    /// Drop the byte-order mark that starts the text (the proxy's `tomllib`
    /// rejects it); returns whether there was one. Every other byte stays.
    pub fn remove_bom(&mut self) -> bool {
        let Some(splice) = patch::remove_bom(&self.text) else {
            return false;
        };
        self.commit(Some(splice));
        true
    }

    /// Remove a key or table; returns whether anything was there.
    pub fn remove(&mut self, path: &DocPath) -> Result<bool, EditError> {
        let (parent_path, key) = split_key(path)?;
        self.refuse_inside_inline(path)?;
        let Some(table) = self.existing_table_mut(&parent_path) else {
            return Ok(false);
        };
        if table.remove(key).is_none() {
            return Ok(false);
        }
        let splice = self.spanned().and_then(|s| {
            let text = s.raw();
            let headers = patch::headers(&s);
            patch::remove_item(text, &headers, table_at(s.as_table(), &parent_path)?, key)
        });
        self.commit(splice);
        Ok(true)
    }

    /// Entries of an array of tables (`endpoints`), or `None` when absent.
    pub fn array(&self, table: &str) -> Option<&ArrayOfTables> {
        self.read_root().get(table)?.as_array_of_tables()
    }

    /// The array as written with `[[table]]` headers (what edits change).
    fn written_array(&self, table: &str) -> Option<&ArrayOfTables> {
        self.doc.get(table)?.as_array_of_tables()
    }

    /// Append a new `[[table]]` entry; returns its index.
    pub fn push_array_entry(
        &mut self,
        layouts: &LayoutSet,
        table: &str,
        mut entry: Table,
    ) -> Result<usize, EditError> {
        if let Some(Item::Value(Value::Array(a))) = self.doc.get(table)
            && is_array_of_inline_tables(a)
        {
            return Err(EditError::InsideInlineTable {
                path: format!("{table}[]"),
                table: table.to_owned(),
            });
        }
        self.array_mut_creating(table)?;
        let position = placement::position_for_new_array_entry(layouts, &mut self.doc, table);
        entry.set_position(Some(position));
        let array = self.array_mut_creating(table)?;
        array.push(entry);
        let index = array.len() - 1;
        let entry_path = DocPath(vec![Segment::Key(table.to_owned()), Segment::Index(index)]);
        let splice = self.spanned().and_then(|s| {
            let text = s.raw();
            let headers = patch::headers(&s);
            patch::insert_table(text, &headers, self.doc.as_table(), &entry_path)
        });
        self.commit(splice);
        Ok(index)
    }

    /// Copy entry `index` to just after it; returns the new index.
    pub fn duplicate_array_entry(&mut self, table: &str, index: usize) -> Result<usize, EditError> {
        let copy = self.array_entry(table, index)?.clone();
        let position = copy.position().unwrap_or_default();
        placement::bump_positions_after(self.doc.as_table_mut(), position);
        let mut copy = copy;
        copy.set_position(Some(position + 1));
        // The original's leading comment describes the original, not the copy.
        copy.decor_mut().set_prefix("\n");
        let array = self.array_mut_creating(table)?;
        array.insert(index + 1, copy);
        let splice = self.spanned().and_then(|s| {
            let text = s.raw();
            patch::duplicate_entry(text, &patch::headers(&s), table, index)
        });
        self.commit(splice);
        Ok(index + 1)
    }

    pub fn remove_array_entry(&mut self, table: &str, index: usize) -> Result<Table, EditError> {
        self.array_entry(table, index)?;
        let array = self.array_mut_creating(table)?;
        let removed = array.remove(index);
        if array.is_empty() {
            self.doc.remove(table);
        }
        let splice = self.spanned().and_then(|s| {
            let text = s.raw();
            let headers = patch::headers(&s);
            patch::remove_entry(text, &headers, s.as_table(), table, index)
        });
        self.commit(splice);
        Ok(removed)
    }

    /// Move entry `from` to index `to`, keeping each entry's own comments.
    pub fn move_array_entry(
        &mut self,
        table: &str,
        from: usize,
        to: usize,
    ) -> Result<(), EditError> {
        self.array_entry(table, from)?;
        self.array_entry(table, to)?;
        let array = self.array_mut_creating(table)?;
        let mut positions: Vec<_> = array.iter().map(Table::position).collect();
        positions.sort();
        let mut entries: Vec<Table> = array.iter().cloned().collect();
        let moved = entries.remove(from);
        entries.insert(to, moved);
        array.clear();
        for (mut entry, position) in entries.into_iter().zip(positions) {
            entry.set_position(position);
            array.push(entry);
        }
        let splice = self.spanned().and_then(|s| {
            let text = s.raw();
            patch::move_entry(text, &patch::headers(&s), table, from, to)
        });
        self.commit(splice);
        Ok(())
    }

    fn array_entry(&self, table: &str, index: usize) -> Result<&Table, EditError> {
        self.refuse_inside_inline(&DocPath(vec![
            Segment::Key(table.to_owned()),
            Segment::Index(index),
            Segment::Key(String::new()),
        ]))?;
        let len = self.written_array(table).map_or(0, ArrayOfTables::len);
        self.written_array(table)
            .and_then(|a| a.get(index))
            .ok_or_else(|| EditError::NoSuchEntry {
                path: format!("{table}[{index}]"),
                array: table.to_owned(),
                index,
                len,
            })
    }

    fn array_mut_creating(&mut self, table: &str) -> Result<&mut ArrayOfTables, EditError> {
        let item = self
            .doc
            .entry(table)
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
        let found = item.type_name();
        item.as_array_of_tables_mut()
            .ok_or_else(|| EditError::NotAnArray {
                path: format!("{table} (it is {found})"),
            })
    }

    fn existing_table_mut(&mut self, path: &DocPath) -> Option<&mut Table> {
        let mut table = self.doc.as_table_mut();
        for seg in &path.0 {
            table = match seg {
                Segment::Key(k) => table.get_mut(k)?.as_table_mut()?,
                Segment::Index(_) => return None,
            };
        }
        Some(table)
    }

    /// Walk to the table at `path`, creating missing tables where the layouts put them.
    fn table_mut_creating(
        &mut self,
        layouts: &LayoutSet,
        path: &DocPath,
        full: &DocPath,
    ) -> Result<&mut Table, EditError> {
        if self.resolve_table(path, full).is_err() {
            placement::create_tables(layouts, &mut self.doc, path);
        }
        self.resolve_table(path, full)
    }

    fn resolve_table(&mut self, path: &DocPath, full: &DocPath) -> Result<&mut Table, EditError> {
        let mut table = self.doc.as_table_mut();
        let mut walked = DocPath::default();
        let mut segments = path.0.iter().peekable();
        while let Some(seg) = segments.next() {
            let Segment::Key(key) = seg else {
                return Err(EditError::NotAnArray {
                    path: full.to_string(),
                });
            };
            walked = walked.child(key);
            let item = table.get_mut(key).ok_or_else(|| EditError::NotATable {
                path: full.to_string(),
                blocker: walked.to_string(),
                found: "missing",
            })?;
            table = match item {
                Item::Table(t) => t,
                Item::ArrayOfTables(array) => {
                    let Some(Segment::Index(i)) = segments.next() else {
                        return Err(EditError::NotATable {
                            path: full.to_string(),
                            blocker: walked.to_string(),
                            found: "an array of tables (give an index)",
                        });
                    };
                    let len = array.len();
                    array.get_mut(*i).ok_or_else(|| EditError::NoSuchEntry {
                        path: full.to_string(),
                        array: walked.to_string(),
                        index: *i,
                        len,
                    })?
                }
                other => {
                    return Err(EditError::NotATable {
                        path: full.to_string(),
                        blocker: walked.to_string(),
                        found: other.type_name(),
                    });
                }
            };
        }
        Ok(table)
    }
}

/// `root` with every table written inline spelled out as a table (and an
/// array of inline tables as an array of tables), as TOML defines them to be
/// the same; `None` when there is none. Keys and values keep their spans.
pub fn spelled_out(root: &Table) -> Option<Table> {
    if !has_inline(root) {
        return None;
    }
    let mut copy = root.clone();
    spell_out(&mut copy);
    Some(copy)
}

fn has_inline(table: &Table) -> bool {
    table.iter().any(|(_, item)| match item {
        Item::Value(Value::InlineTable(_)) => true,
        Item::Value(Value::Array(a)) => is_array_of_inline_tables(a),
        Item::Table(t) => has_inline(t),
        Item::ArrayOfTables(a) => a.iter().any(has_inline),
        Item::Value(_) | Item::None => false,
    })
}

/// A non-empty array whose every element is an inline table: TOML's other
/// spelling of an array of tables.
fn is_array_of_inline_tables(array: &toml_edit::Array) -> bool {
    !array.is_empty() && array.iter().all(Value::is_inline_table)
}

fn spell_out(table: &mut Table) {
    for (_, item) in table.iter_mut() {
        let inline = matches!(item, Item::Value(Value::InlineTable(_)))
            || matches!(item, Item::Value(Value::Array(a)) if is_array_of_inline_tables(a));
        if inline {
            let taken = std::mem::take(item);
            *item = match taken {
                Item::Value(Value::Array(_)) => match taken.into_array_of_tables() {
                    Ok(a) => Item::ArrayOfTables(a),
                    Err(back) => back,
                },
                other => match other.into_table() {
                    Ok(t) => Item::Table(t),
                    Err(back) => back,
                },
            };
        }
        match item {
            Item::Table(t) => spell_out(t),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(spell_out),
            Item::Value(_) | Item::None => {}
        }
    }
}

/// The table at `path` below `root`, following array indices (`endpoints[1]`).
fn table_at<'a>(root: &'a Table, path: &DocPath) -> Option<&'a Table> {
    let mut table = root;
    let mut segments = path.0.iter();
    while let Some(seg) = segments.next() {
        let Segment::Key(key) = seg else { return None };
        table = match table.get(key)? {
            Item::Table(t) => t,
            Item::ArrayOfTables(a) => match segments.next()? {
                Segment::Index(i) => a.get(*i)?,
                Segment::Key(_) => return None,
            },
            _ => return None,
        };
    }
    Some(table)
}

/// What turns `after` back into `before`: the bytes between their common
/// start and common end.
fn lines_inverse(before: &str, after: &str) -> Inverse {
    let prefix = common_len(before.bytes(), after.bytes());
    let max_suffix = before.len().min(after.len()) - prefix;
    let suffix = common_len(before.bytes().rev(), after.bytes().rev()).min(max_suffix);
    // Cut on character boundaries: the common parts end where both agree.
    let (mut at, mut suffix) = (prefix, suffix);
    while !before.is_char_boundary(at) || !after.is_char_boundary(at) {
        at -= 1;
    }
    while !before.is_char_boundary(before.len() - suffix)
        || !after.is_char_boundary(after.len() - suffix)
    {
        suffix -= 1;
    }
    Inverse(InverseKind::Text {
        at,
        len: after.len() - suffix - at,
        text: before[at..before.len() - suffix].to_owned(),
    })
}

fn common_len(a: impl Iterator<Item = u8>, b: impl Iterator<Item = u8>) -> usize {
    a.zip(b).take_while(|(x, y)| x == y).count()
}

/// `edited` ends with a newline exactly when `original` did (a file the
/// proxy's own writer saved has none, and keeps none).
fn keep_final_newline(original: &str, mut edited: String) -> String {
    let had = original.is_empty() || original.ends_with('\n');
    if !had && edited.ends_with('\n') {
        edited.pop();
        if edited.ends_with('\r') {
            edited.pop();
        }
    }
    edited
}

/// The model rendered by toml_edit, in the newline style of `like`, with its BOM.
fn rendered_like(doc: &DocumentMut, like: &str) -> String {
    let rendered = doc.to_string().replace("\r\n", "\n");
    let mut text = lines::with_newline(&rendered, lines::file_newline(like));
    if lines::bom_len(like) > 0 {
        text.insert(0, '\u{feff}');
    }
    keep_final_newline(like, text)
}

fn split_key(path: &DocPath) -> Result<(DocPath, &str), EditError> {
    match (path.parent(), path.last_key()) {
        (Some(parent), Some(key)) => Ok((parent, key)),
        _ => Err(EditError::Path(PathError {
            path: path.to_string(),
            reason: "it must end in a key",
        })),
    }
}

/// Parse keeping spans, for validation with line numbers.
pub fn parse_spanned(text: &str) -> Result<toml_edit::Document<String>, ParseError> {
    toml_edit::Document::parse(text.to_owned()).map_err(|e| ParseError::from_toml(text, &e))
}

/// Same type and same value, whatever the formatting.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Float(x), Value::Float(y)) => x.value().to_bits() == y.value().to_bits(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Datetime(x), Value::Datetime(y)) => x.value() == y.value(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| values_equal(a, b))
        }
        (Value::InlineTable(x), Value::InlineTable(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => false,
    }
}

/// Start and 1-based line of each region (header line, and the lines before
/// the first header) of a text parsed with spans, in text order.
pub fn region_starts(parsed: &toml_edit::Document<String>) -> Vec<(usize, usize)> {
    regions::Regions::of(parsed).starts().collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod inline_tests;
