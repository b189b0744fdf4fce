//! Where each table's lines are in the text, kept up to date across edits,
//! so an edit and its re-validation read only the lines they concern.
//!
//! A region is a header line (`[server]`, `[[endpoints]]`) and every line up
//! to the next header; region 0 is what comes before the first header. The
//! key-values of an explicit table, dotted keys below it included, are all in
//! its own region, and a table's sub-tables are in the regions whose header
//! paths start with its path. A value edit that keeps the number of lines
//! shifts the regions after it by its change in length; any other edit
//! rebuilds them from the full parse it makes anyway.

use std::collections::HashMap;
use std::ops::Range;

use toml_edit::{Item, Table};

use super::lines::bom_len;
use super::{DocPath, Segment, patch};

#[derive(Clone, Debug, Default)]
struct Region {
    path: DocPath,
    /// Byte offset of the region's first line (the header line; 0 for the
    /// region before the first header, and for a header on the BOM's line).
    start: usize,
    /// 1-based line number of `start`.
    line: usize,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Regions {
    list: Vec<Region>,
    by_path: HashMap<DocPath, usize>,
}

impl Regions {
    /// The regions of a text parsed with spans.
    pub(super) fn of(spanned: &toml_edit::Document<String>) -> Self {
        let text = spanned.raw();
        let bom = bom_len(text);
        let mut list = vec![Region {
            path: DocPath::default(),
            start: 0,
            line: 1,
        }];
        let (mut at, mut line) = (0, 1);
        for (path, header_line) in patch::header_lines(spanned) {
            // A header right after the BOM shares line 1 with it: its region
            // starts at 0, so that columns count the BOM as the full text does.
            let start = if header_line <= bom { 0 } else { header_line };
            line += newlines(&text[at..start]);
            at = start;
            list.push(Region { path, start, line });
        }
        let by_path = list
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, r)| (r.path.clone(), i))
            .collect();
        Self { list, by_path }
    }

    /// After `[at, at + old_len)` was replaced by `new_len` bytes holding as
    /// many lines: every region starting after `at` moves by the difference.
    pub(super) fn shift_after(&mut self, at: usize, old_len: usize, new_len: usize) {
        for region in self.list.iter_mut().filter(|r| r.start > at) {
            region.start = region.start - old_len + new_len;
        }
    }

    fn end(&self, i: usize, text: &str) -> usize {
        self.list.get(i + 1).map_or(text.len(), |r| r.start)
    }

    /// The region of the explicit table `path` (with a header).
    fn index_of(&self, path: &DocPath) -> Option<usize> {
        if path.is_root() {
            return Some(0);
        }
        self.by_path.get(path).copied()
    }

    /// The lines of the explicit table `table` (or the root): its own region only.
    pub(super) fn own_lines<'t>(&self, table: &DocPath, text: &'t str) -> Option<RegionText<'t>> {
        let i = self.index_of(table)?;
        let range = self.list[i].start..self.end(i, text);
        Some(RegionText {
            text: text.get(range.clone())?,
            start: range.start,
            first_line: self.list[i].line,
            end_line: self.list.get(i + 1).map(|r| r.line),
        })
    }

    /// Every region in text order, as (start, 1-based line).
    pub(super) fn starts(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.list.iter().map(|r| (r.start, r.line))
    }

    /// The text of the explicit table `unit` with all its sub-tables (its
    /// region and those whose headers lie below it), parsed on its own.
    pub(super) fn fragment(&self, unit: &DocPath, text: &str) -> Option<Fragment> {
        let own = self.by_path.get(unit).copied()?;
        let mut joined = String::new();
        let mut lines = Vec::new();
        let mut frag_line = 1;
        // In text order: a sub-table may come before its parent's header.
        for (i, region) in self.list.iter().enumerate() {
            if i != own && !region.path.starts_with(unit) {
                continue;
            }
            let piece = text.get(region.start..self.end(i, text))?;
            lines.push((frag_line, region.line));
            frag_line += newlines(piece);
            joined.push_str(piece);
        }
        let parsed = toml_edit::Document::parse(joined).ok()?;
        Some(Fragment { parsed, lines })
    }
}

fn newlines(text: &str) -> usize {
    text.bytes().filter(|b| *b == b'\n').count()
}

/// One region's text and where it is.
pub struct RegionText<'t> {
    pub text: &'t str,
    /// Byte offset of `text` in the whole text.
    pub start: usize,
    /// 1-based line of the region's first line.
    pub first_line: usize,
    /// The first line of the next region (`None` for the last one).
    pub end_line: Option<usize>,
}

/// A table's regions joined and parsed alone: the same items as in the
/// whole file, with spans into the joined text and a map of its lines back
/// to the file's.
pub struct Fragment {
    parsed: toml_edit::Document<String>,
    /// (line of the joined text, line of the file) where each piece starts, 1-based.
    lines: Vec<(usize, usize)>,
}

impl Fragment {
    pub fn text(&self) -> &str {
        self.parsed.raw()
    }

    /// Joined-text line → file line, for each piece's first line.
    pub fn line_map(&self) -> &[(usize, usize)] {
        &self.lines
    }

    /// The table `unit` (the path the fragment was made for) in the fragment.
    /// The fragment holds `unit`'s header alone: an array entry is its array's
    /// only entry, and arrays above it are plain tables.
    pub fn table(&self, unit: &DocPath) -> Option<&Table> {
        fragment_table(self.parsed.as_table(), unit)
    }
}

/// `path`'s table in a text that holds only its own header and those below it.
fn fragment_table<'a>(root: &'a Table, path: &DocPath) -> Option<&'a Table> {
    let mut table = root;
    for seg in &path.0 {
        let Segment::Key(key) = seg else { continue };
        table = match table.get(key)? {
            Item::Table(t) => t,
            Item::ArrayOfTables(a) => a.get(0)?,
            _ => return None,
        };
    }
    Some(table)
}

/// The value span of `key` in `table` below `within` (a path of keys and
/// indices from the region's table), shifted to the whole text.
pub(super) fn value_span(
    region_root: &Table,
    region_table: &DocPath,
    within: &[Segment],
    key: &str,
    offset: usize,
) -> Option<Range<usize>> {
    let mut table = fragment_table(region_root, region_table)?;
    for seg in within {
        let Segment::Key(k) = seg else { return None };
        table = match table.get(k)? {
            Item::Table(t) => t,
            _ => return None,
        };
    }
    let span = table.get(key)?.as_value()?.span()?;
    Some(span.start + offset..span.end + offset)
}

/// `value_span`'s table, mutable (to build what an edited region must read as).
pub(super) fn table_mut<'a>(
    region_root: &'a mut Table,
    region_table: &DocPath,
    within: &[Segment],
) -> Option<&'a mut Table> {
    let mut table = region_root;
    let keys = region_table.0.iter().chain(within);
    for seg in keys {
        let Segment::Key(key) = seg else { continue };
        table = match table.get_mut(key)? {
            Item::Table(t) => t,
            Item::ArrayOfTables(a) => a.get_mut(0)?,
            _ => return None,
        };
    }
    Some(table)
}
