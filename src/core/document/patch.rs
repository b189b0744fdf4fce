//! Edits as patches over the original bytes.
//!
//! toml_edit stays the model: it parses, finds keys and decides where a new
//! key or table goes (`placement.rs`). But the saved text is never the
//! model re-rendered: toml_edit drops `\r`, the BOM, the spelling of dotted
//! keys and quoted headers, and regroups out-of-order dotted keys. Instead
//! each edit becomes a [`Splice`] of the current text, computed from the
//! spans a fresh `toml_edit::Document` parse records (value, key and header
//! positions) plus the edited model (what the new item is and which existing
//! item it follows). Splices cut and insert whole lines only, except a changed
//! value, which replaces just the value's bytes (its key spelling, spacing and
//! trailing comment stay).
//!
//! Spans were chosen over "diff the render before and after": a render diff
//! has to map the rendered lines back onto the file, which breaks exactly on
//! the lines toml_edit respells or moves, and it cannot keep a dotted key's
//! spelling on the edited line itself.

use std::ops::Range;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Key, Table, Value};

use super::lines::{
    bom_len, glued_comments_start, line_start, newline_at, next_line_start, with_newline,
};
use super::{DocPath, Segment, table_at};

/// Byte-range replacements of one text, applied together.
#[derive(Debug, Default)]
pub(super) struct Splice {
    edits: Vec<(Range<usize>, String)>,
}

impl Splice {
    fn replace(range: Range<usize>, with: String) -> Self {
        Self {
            edits: vec![(range, with)],
        }
    }

    fn insert(at: usize, text: String) -> Self {
        Self::replace(at..at, text)
    }

    fn push(&mut self, range: Range<usize>, with: String) {
        self.edits.push((range, with));
    }

    /// The edited text, or `None` when two edits overlap (a bug upstream,
    /// which the caller answers by re-rendering from the model).
    pub(super) fn apply(mut self, text: &str) -> Option<String> {
        self.edits.sort_by_key(|(r, _)| (r.start, r.end));
        let mut out = String::with_capacity(text.len() + 64);
        let mut at = 0;
        for (range, with) in self.edits {
            if range.start < at || range.end > text.len() {
                return None;
            }
            out.push_str(text.get(at..range.start)?);
            out.push_str(&with);
            at = range.end;
        }
        out.push_str(text.get(at..)?);
        Some(out)
    }
}

/// A `[table]` or `[[array]]` header of the parsed text.
#[derive(Debug)]
pub(super) struct Header {
    path: DocPath,
    /// Start of the header's line.
    line: usize,
    /// Start of the comment block glued to the header (the header line when none).
    glued: usize,
}

/// Every header of the parsed text, in text order, then (as a header of no
/// table) the comments after the last item, so that no table's region holds
/// them: removing or moving the last table leaves the file's last words.
pub(super) fn headers(spanned: &toml_edit::Document<String>) -> Vec<Header> {
    let text = spanned.raw();
    let mut out = Vec::new();
    collect_headers(spanned.as_table(), text, &mut Vec::new(), &mut out);
    out.sort_by_key(|h| h.line);
    if let Some(trailing) = spanned.trailing().span()
        && !text[trailing.clone()].trim().is_empty()
    {
        let end_words = first_non_blank_line(text, line_start(text, trailing.start));
        out.push(Header {
            path: DocPath::default(),
            line: end_words,
            glued: end_words,
        });
    }
    out
}

/// The path and line start of every explicit table header, in text order.
pub(super) fn header_lines(spanned: &toml_edit::Document<String>) -> Vec<(DocPath, usize)> {
    let mut out = Vec::new();
    collect_headers(spanned.as_table(), spanned.raw(), &mut Vec::new(), &mut out);
    out.sort_by_key(|h| h.line);
    out.into_iter().map(|h| (h.path, h.line)).collect()
}

/// The trailing comments start at their first comment line: blank lines
/// before them stay with the table above.
fn first_non_blank_line(text: &str, start: usize) -> usize {
    let mut pos = start;
    while pos < text.len() {
        let next = next_line_start(text, pos);
        if !super::lines::is_blank(&text[pos..next]) {
            return pos;
        }
        pos = next;
    }
    text.len()
}

fn collect_headers(table: &Table, text: &str, path: &mut Vec<Segment>, out: &mut Vec<Header>) {
    for (key, item) in table {
        match item {
            Item::Table(t) => {
                path.push(Segment::Key(key.to_owned()));
                if let Some(h) = header_of(t, text, path) {
                    out.push(h);
                }
                collect_headers(t, text, path, out);
                path.pop();
            }
            Item::ArrayOfTables(array) => {
                for (i, entry) in array.iter().enumerate() {
                    path.push(Segment::Key(key.to_owned()));
                    path.push(Segment::Index(i));
                    if let Some(h) = header_of(entry, text, path) {
                        out.push(h);
                    }
                    collect_headers(entry, text, path, out);
                    path.pop();
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

fn header_of(table: &Table, text: &str, path: &[Segment]) -> Option<Header> {
    if table.is_implicit() || table.is_dotted() {
        return None;
    }
    let span = table.span()?;
    let line = line_start(text, span.start);
    let glued = table
        .decor()
        .prefix()
        .and_then(|p| p.span())
        .filter(|p| p.start <= line)
        .map_or(line, |p| {
            glued_comments_start(text, line_start(text, p.start), line)
        });
    Some(Header {
        path: DocPath(path.to_vec()),
        line,
        glued,
    })
}

/// Where the region of header `i` ends: where the next header's comments start.
fn region_end(headers: &[Header], i: usize, text: &str) -> usize {
    headers.get(i + 1).map_or(text.len(), |h| h.glued)
}

fn header_index(headers: &[Header], table: &Table, text: &str) -> Option<usize> {
    let line = line_start(text, table.span()?.start);
    headers.binary_search_by_key(&line, |h| h.line).ok()
}

/// A value as written after `key = `, without the decor of the model's copy.
pub(super) fn bare(value: &Value) -> String {
    let mut value = value.clone();
    value.decor_mut().clear();
    value.to_string()
}

/// Replace the bytes of the value of `key` (an existing value) with `value`.
pub(super) fn set_existing(spanned: &Table, key: &str, value: &Value) -> Option<Splice> {
    let span = spanned.get(key)?.as_value()?.span()?;
    Some(Splice::replace(span, bare(value)))
}

/// Cut the UTF-8 byte-order mark that starts `text`, if there is one.
pub(super) fn remove_bom(text: &str) -> Option<Splice> {
    let len = bom_len(text);
    (len > 0).then(|| Splice::replace(0..len, String::new()))
}

/// The lines holding the key-value `key` of `table`.
fn key_value_lines(text: &str, table: &Table, key: &str) -> Option<Range<usize>> {
    let key_span = table.key(key)?.span()?;
    let value_span = table.get(key)?.as_value()?.span()?;
    Some(line_start(text, key_span.start)..next_line_start(text, value_span.end))
}

/// What comes before the key on its line: indentation, and for a dotted key
/// the dotted prefix as the user spelled it (`name."last" . `).
fn key_prefix<'t>(text: &'t str, table: &Table, key: &str) -> Option<&'t str> {
    let key_span = table.key(key)?.span()?;
    text.get(line_start(text, key_span.start)..key_span.start)
}

/// Insert `body` (lines joined by `\n`) as whole lines at the line boundary `at`.
fn insert_lines(text: &str, at: usize, body: &str) -> Splice {
    let at = at.max(bom_len(text));
    let newline = newline_at(text, at);
    let body = with_newline(body, newline);
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        // After a last line without newline; the caller drops the final one.
        Splice::insert(at, format!("{newline}{body}{newline}"))
    } else {
        Splice::insert(at, format!("{body}{newline}"))
    }
}

/// Write the new key `key` of the model's `model` table (the table exists in
/// the text as `spanned`) next to the key it follows in the model.
pub(super) fn insert_key(
    text: &str,
    headers: &[Header],
    spanned: &Table,
    parent: &DocPath,
    model: &Table,
    key: &str,
) -> Option<Splice> {
    let value = model.get(key)?.as_value()?;
    let values: Vec<&str> = model
        .iter()
        .filter(|(_, item)| item.is_value())
        .map(|(k, _)| k)
        .collect();
    let at = values.iter().position(|k| *k == key)?;
    let in_text = |k: &&&str| key_value_lines(text, spanned, k).is_some();
    let written = Key::new(key).display_repr().into_owned();
    let line = |prefix: &str| format!("{prefix}{written} = {}", bare(value));
    if let Some(prev) = values[..at].iter().rev().find(in_text) {
        let lines = key_value_lines(text, spanned, prev)?;
        return Some(insert_lines(
            text,
            lines.end,
            &line(key_prefix(text, spanned, prev)?),
        ));
    }
    if let Some(next) = values[at + 1..].iter().find(in_text) {
        let lines = key_value_lines(text, spanned, next)?;
        let comments = spanned
            .key(next)?
            .leaf_decor()
            .prefix()
            .and_then(|p| p.span())
            .map_or(lines.start, |p| {
                glued_comments_start(text, line_start(text, p.start), lines.start)
            });
        return Some(insert_lines(
            text,
            comments,
            &line(key_prefix(text, spanned, next)?),
        ));
    }
    if parent.0.is_empty() {
        // The first root key: above the first table.
        let first = headers
            .first()
            .filter(|h| !h.path.0.is_empty())
            .map(|h| h.glued);
        return Some(match first {
            Some(at) => insert_lines(text, at, &format!("{}\n", line(""))),
            None => insert_lines(text, text.len(), &line("")),
        });
    }
    if spanned.is_dotted() || spanned.is_implicit() {
        return None; // no neighbour to copy the dotted spelling from
    }
    let header = spanned.span()?;
    Some(insert_lines(
        text,
        next_line_start(text, header.end),
        &line(""),
    ))
}

/// The text of a new table (or array entry) at `path` as toml_edit writes it.
fn render_table(path: &DocPath, table: &Table) -> Option<String> {
    let mut table = table.clone();
    table.set_position(None);
    table.decor_mut().clear();
    let keys: Vec<&str> = path
        .0
        .iter()
        .filter_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    let is_entry = matches!(path.0.last(), Some(Segment::Index(_)));
    let (last, parents) = keys.split_last()?;
    let mut item = if is_entry {
        let mut array = ArrayOfTables::new();
        array.push(table);
        Item::ArrayOfTables(array)
    } else {
        Item::Table(table)
    };
    // Wrap in implicit parents, innermost first, so only the new header prints.
    let mut child_key = *last;
    for key in parents.iter().rev() {
        let mut parent = Table::new();
        parent.set_implicit(true);
        parent.insert(child_key, item);
        item = Item::Table(parent);
        child_key = key;
    }
    let mut doc = DocumentMut::new();
    doc.insert(child_key, item);
    Some(doc.to_string())
}

/// Explicit tables of the model with their positions.
fn positioned(table: &Table, path: &mut Vec<Segment>, out: &mut Vec<(isize, DocPath)>) {
    for (key, item) in table {
        match item {
            Item::Table(t) => {
                path.push(Segment::Key(key.to_owned()));
                if let (Some(p), false, false) = (t.position(), t.is_implicit(), t.is_dotted()) {
                    out.push((p, DocPath(path.clone())));
                }
                positioned(t, path, out);
                path.pop();
            }
            Item::ArrayOfTables(array) => {
                for (i, entry) in array.iter().enumerate() {
                    path.push(Segment::Key(key.to_owned()));
                    path.push(Segment::Index(i));
                    if let Some(p) = entry.position() {
                        out.push((p, DocPath(path.clone())));
                    }
                    positioned(entry, path, out);
                    path.pop();
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

/// Write the model's new table (or array entry) at `path` before the first
/// table the model positions after it, or at the end of the file.
pub(super) fn insert_table(
    text: &str,
    headers: &[Header],
    model_root: &Table,
    path: &DocPath,
) -> Option<Splice> {
    let table = table_at(model_root, path)?;
    let position = table.position()?;
    let block = render_table(path, table)?;
    let mut later = Vec::new();
    positioned(model_root, &mut Vec::new(), &mut later);
    later.retain(|(p, other)| *p > position && !other.0.starts_with(&path.0));
    later.sort_by_key(|(p, _)| *p);
    let before = later
        .iter()
        .find_map(|(_, other)| headers.iter().find(|h| h.path == *other))
        // Last in order: still above the comments that end the file.
        .or_else(|| {
            let end_words = headers.last().filter(|h| h.path.0.is_empty());
            end_words.filter(|_| headers.len() > 1)
        });
    let block = block.trim_end_matches('\n');
    if let Some(next) = before {
        return Some(insert_lines(text, next.glued, &format!("{block}\n")));
    }
    let at = text.len();
    let newline = newline_at(text, at);
    Some(Splice::insert(
        at,
        format!(
            "{}{}{newline}",
            eof_separator(text, newline),
            with_newline(block, newline)
        ),
    ))
}

/// What goes between the end of `text` and a block appended to it: a newline
/// ending the last line, then one blank line (nothing in an empty file).
fn eof_separator(text: &str, newline: &str) -> String {
    if text[bom_len(text)..].is_empty() {
        String::new()
    } else if !text.ends_with('\n') {
        format!("{newline}{newline}")
    } else if ends_with_blank_line(text) {
        String::new()
    } else {
        newline.to_owned()
    }
}

fn ends_with_blank_line(text: &str) -> bool {
    text.ends_with("\n\n") || text.ends_with("\n\r\n")
}

/// Byte ranges (whole lines) that hold `item`, the child `key` of `parent`.
fn item_ranges(
    text: &str,
    headers: &[Header],
    parent: &Table,
    key: &str,
    item: &Item,
    out: &mut Vec<Range<usize>>,
) -> Option<()> {
    match item {
        Item::None => {}
        Item::Value(_) => out.push(key_value_lines(text, parent, key)?),
        Item::Table(t) => table_ranges(text, headers, t, out)?,
        Item::ArrayOfTables(array) => {
            for entry in array {
                table_ranges(text, headers, entry, out)?;
            }
        }
    }
    Some(())
}

/// The header region of `table` (when it has a header) and of every table below it.
fn table_ranges(
    text: &str,
    headers: &[Header],
    table: &Table,
    out: &mut Vec<Range<usize>>,
) -> Option<()> {
    let explicit = !table.is_implicit() && !table.is_dotted();
    if explicit {
        let i = header_index(headers, table, text)?;
        out.push(headers[i].glued..region_end(headers, i, text));
    }
    for (key, item) in table {
        if explicit && item.is_value() {
            continue; // inside the header's region
        }
        item_ranges(text, headers, table, key, item, out)?;
    }
    Some(())
}

/// A cut that reaches the end of the file also takes the blank lines before
/// it: they separated it from what stays, which now ends the file.
fn with_separator_before(text: &str, range: Range<usize>) -> Range<usize> {
    if range.end < text.len() {
        return range;
    }
    let mut start = range.start;
    while start > bom_len(text) {
        let prev = line_start(text, start - 1);
        if !super::lines::is_blank(&text[prev..start]) {
            break;
        }
        start = prev;
    }
    start..range.end
}

fn deletion(text: &str, mut ranges: Vec<Range<usize>>) -> Splice {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut splice = Splice::default();
    for r in merged {
        splice.push(with_separator_before(text, r), String::new());
    }
    splice
}

/// Remove the lines of the child `key` of `spanned` (a value, a table or an array).
pub(super) fn remove_item(
    text: &str,
    headers: &[Header],
    spanned: &Table,
    key: &str,
) -> Option<Splice> {
    let mut ranges = Vec::new();
    item_ranges(text, headers, spanned, key, spanned.get(key)?, &mut ranges)?;
    Some(deletion(text, ranges))
}

/// Remove array entry `table[index]` with its comments and sub-tables.
pub(super) fn remove_entry(
    text: &str,
    headers: &[Header],
    spanned_root: &Table,
    table: &str,
    index: usize,
) -> Option<Splice> {
    let entry = spanned_root.get(table)?.as_array_of_tables()?.get(index)?;
    let mut ranges = Vec::new();
    table_ranges(text, headers, entry, &mut ranges)?;
    Some(deletion(text, ranges))
}

/// Headers `[first, last]` of entry `table[index]`: its own and its sub-tables',
/// which must follow it without another table in between.
fn entry_headers(headers: &[Header], table: &str, index: usize) -> Option<(usize, usize)> {
    let prefix = [Segment::Key(table.to_owned()), Segment::Index(index)];
    let first = headers.iter().position(|h| h.path.0 == prefix)?;
    let mut last = first;
    while headers
        .get(last + 1)
        .is_some_and(|h| h.path.0.starts_with(&prefix))
    {
        last += 1;
    }
    if headers[last + 1..]
        .iter()
        .any(|h| h.path.0.starts_with(&prefix))
    {
        return None;
    }
    Some((first, last))
}

/// Copy entry `table[index]` (header on, without the comment above it) to just after it.
pub(super) fn duplicate_entry(
    text: &str,
    headers: &[Header],
    table: &str,
    index: usize,
) -> Option<Splice> {
    let (first, last) = entry_headers(headers, table, index)?;
    let end = region_end(headers, last, text);
    let block = text.get(headers[first].line..end)?;
    if end < text.len() {
        return Some(Splice::insert(end, block.to_owned()));
    }
    let separator = eof_separator(text, newline_at(text, end));
    Some(Splice::insert(end, format!("{separator}{block}")))
}

/// Move entry `table[from]` (with its comments) to index `to`.
pub(super) fn move_entry(
    text: &str,
    headers: &[Header],
    table: &str,
    from: usize,
    to: usize,
) -> Option<Splice> {
    if from == to {
        return Some(Splice::default());
    }
    let (from_first, from_last) = entry_headers(headers, table, from)?;
    let (to_first, to_last) = entry_headers(headers, table, to)?;
    let moved = headers[from_first].glued..region_end(headers, from_last, text);
    let mut block = text.get(moved.clone())?.to_owned();
    if !block.ends_with('\n') {
        block.push_str(newline_at(text, moved.start));
    }
    let target = if to < from {
        headers[to_first].glued
    } else {
        region_end(headers, to_last, text)
    };
    let mut splice = Splice::replace(with_separator_before(text, moved), String::new());
    if target == text.len() && !text.ends_with('\n') {
        // Last in a file without a final newline: it ends the file as such.
        let separator = eof_separator(text, newline_at(text, target));
        block = format!("{separator}{}", block.trim_end_matches(['\r', '\n']));
    }
    splice.push(target..target, block);
    Some(splice)
}
