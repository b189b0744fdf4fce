//! Findings kept up to date edit by edit, equal to a fresh check of the
//! whole file (`tests/suite/library/edit_props.rs` compares them after random edits).
//!
//! After a value changed in place (same lines, `ConfigDocument::set_value`),
//! only what can depend on it is redone:
//! - the walk and the secrets scan of the section instance holding it (a
//!   table section, a map instance, an array entry), on the lines of that
//!   instance parsed alone: both are pure functions of a table and its path;
//! - the dialect scan of the lines of its table (a region), when every
//!   region scanned alone ends outside any value, so the scans of regions
//!   add up to the scan of the file;
//! - the rules between settings (one lookup each, on the model), and the
//!   unique names only for the values a changed name or alias had and has
//!   (`unique::UniqueIndex`).
//!
//! Everything else keeps its findings: no line moved. Any other edit is
//! checked whole.

use std::collections::{HashMap, HashSet};

use toml_edit::Item;

use super::locate::Locator;
use super::unique::{UniqueIndex, unique_field_of};
use super::{Finding, cross_rules, dialect, order_key, secrets, walk};
use crate::core::document::{ConfigDocument, DocPath, region_starts};
use crate::core::layout::LayoutSet;

/// Which check made a finding: what decides when it is redone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source {
    Walk,
    Secret,
    Settings,
    Unique,
    Dialect,
}

/// The findings of the whole file, in `order_key` order, with their sources
/// and the count of errors (what the status bar reads every frame).
#[derive(Clone, Debug, Default)]
pub struct FindingSet {
    findings: Vec<Finding>,
    sources: Vec<Source>,
    errors: usize,
    /// The dialect findings are the sum of each region's scan alone (see
    /// the module comment); otherwise they are redone on the whole text.
    dialect_by_region: bool,
    /// Where each name and alias is used, to re-check a rename alone.
    unique: UniqueIndex,
}

/// Every check of the whole file, each finding with its source, and the
/// index of names and aliases.
pub(super) fn collect(
    parsed: &toml_edit::Document<String>,
    layouts: &LayoutSet,
    dialect: Vec<Finding>,
) -> (Vec<(Source, Finding)>, UniqueIndex) {
    // A table written inline is checked as the table it is.
    let spelled = crate::core::document::spelled_out(parsed.as_table());
    let root = spelled.as_ref().unwrap_or_else(|| parsed.as_table());
    let locator = Locator::new(parsed.raw());
    let walked = walk::walk(root, layouts, &locator);
    let already = secret_paths(&walked);
    let mut locate = |_: &DocPath, item: Option<&Item>| locator.at(item.and_then(Item::span));
    let settings = cross_rules::settings(root, layouts, &mut locate);
    let (unique, index) = UniqueIndex::check(root, layouts, &mut locate);
    let secrets = secrets::scan(root, layouts, &locator, &already);
    let findings = tagged(Source::Walk, walked)
        .chain(tagged(Source::Settings, settings))
        .chain(tagged(Source::Unique, unique))
        .chain(tagged(Source::Secret, secrets))
        .chain(tagged(Source::Dialect, dialect))
        .collect();
    (findings, index)
}

fn tagged(source: Source, findings: Vec<Finding>) -> impl Iterator<Item = (Source, Finding)> {
    findings.into_iter().map(move |f| (source, f))
}

fn secret_paths(walked: &[Finding]) -> HashSet<DocPath> {
    walked
        .iter()
        .filter(|f| secrets::is_secret_finding(f))
        .map(|f| f.path.clone())
        .collect()
}

/// The dialect findings of `text` region by region, and whether that sum is
/// the scan of the whole text (else the whole text's scan, and `false`).
fn dialect_by_regions(text: &str, starts: &[(usize, usize)]) -> (Vec<Finding>, bool) {
    let mut out = Vec::new();
    for (i, (start, line)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |(s, _)| *s);
        let (found, clean) = dialect::check_region(&text[*start..end], *line);
        if !clean && i + 1 < starts.len() {
            return (dialect::check(text), false);
        }
        out.extend(found);
    }
    (out, true)
}

impl FindingSet {
    /// Check the whole file, parsed with spans.
    pub fn of_parsed(parsed: &toml_edit::Document<String>, layouts: &LayoutSet) -> Self {
        let starts = region_starts(parsed);
        let (dialect, dialect_by_region) = dialect_by_regions(parsed.raw(), &starts);
        let (mut pairs, unique) = collect(parsed, layouts, dialect);
        pairs.sort_by_cached_key(|(_, f)| order_key(f));
        let (sources, findings): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
        let mut set = Self {
            findings,
            sources,
            errors: 0,
            dialect_by_region,
            unique,
        };
        set.count();
        set
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn errors(&self) -> usize {
        self.errors
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors
    }

    fn count(&mut self) {
        self.errors = self.findings.iter().filter(|f| f.is_error()).count();
    }

    /// Bring the findings up to date after the value at `changed` was
    /// replaced in place (`doc` is the edited document). Returns `false`
    /// when this edit cannot be checked locally: the caller checks the
    /// whole file instead (a root key, a table without a header of its own).
    pub fn after_value_edit(
        &mut self,
        doc: &ConfigDocument,
        layouts: &LayoutSet,
        changed: &DocPath,
    ) -> bool {
        let Some(parent) = changed.parent() else {
            return false;
        };
        // The lines of one table parsed alone do not spell out the inline
        // tables the whole file's check reads as tables.
        if doc.has_inline_tables() {
            return false;
        }
        // The innermost unit with lines of its own (a header) is redone.
        let units = walk::units_of(doc.root(), layouts, &parent);
        let Some((unit, fragment)) = units
            .iter()
            .rev()
            .find_map(|u| Some((u, doc.fragment(&u.path)?)))
        else {
            return false;
        };
        let Some(table) = fragment.table(&unit.path) else {
            return false;
        };
        let locator = Locator::with_line_map(fragment.text(), fragment.line_map());
        let walked = walk::walk_unit(unit, table, layouts, &locator);
        let secrets =
            secrets::scan_unit(&unit.path, table, layouts, &locator, &secret_paths(&walked));
        let unit = &unit.path;
        let Some(region) = doc.lines_holding(changed) else {
            return false;
        };
        let (dialect, clean) = dialect::check_region(region.text, region.first_line);
        let dialect_lines = region.first_line..region.end_line.unwrap_or(usize::MAX);
        let whole_dialect = !self.dialect_by_region || (!clean && region.end_line.is_some());
        let unique_field = unique_field_of(layouts, changed);
        let Some((settings, unique_gone, unique)) =
            self.cross_rules(doc, layouts, unique_field.as_ref())
        else {
            return false;
        };
        let dialect = if whole_dialect {
            let starts: Vec<_> = doc.region_starts().collect();
            let (all, by_region) = dialect_by_regions(doc.text_str(), &starts);
            self.dialect_by_region = by_region;
            all
        } else {
            dialect
        };
        self.retain(|source, f| match source {
            Source::Walk | Source::Secret => !f.path.starts_with(unit),
            Source::Settings => false,
            Source::Unique => true,
            Source::Dialect => {
                !whole_dialect && !f.line.is_some_and(|l| dialect_lines.contains(&l))
            }
        });
        self.remove_unique(&unique_gone);
        let new = tagged(Source::Walk, walked)
            .chain(tagged(Source::Secret, secrets))
            .chain(tagged(Source::Settings, settings))
            .chain(tagged(Source::Unique, unique))
            .chain(tagged(Source::Dialect, dialect));
        for (source, finding) in new {
            self.insert(source, finding);
        }
        self.count();
        true
    }

    /// The rules between settings, on the edited model, each finding placed
    /// where the same finding was (no line moved) or found on the lines of
    /// its item's table: the settings findings, and for a changed name or
    /// alias the unique findings gone (path, message) and new. `None` when
    /// an item cannot be placed that way.
    #[allow(clippy::type_complexity)]
    fn cross_rules(
        &mut self,
        doc: &ConfigDocument,
        layouts: &LayoutSet,
        unique_field: Option<&DocPath>,
    ) -> Option<(Vec<Finding>, Vec<(DocPath, String)>, Vec<Finding>)> {
        let known: HashMap<&DocPath, (Option<usize>, Option<usize>)> = self
            .findings
            .iter()
            .zip(&self.sources)
            .filter(|(_, s)| matches!(s, Source::Settings | Source::Unique))
            .map(|(f, _)| (&f.path, (f.line, f.column)))
            .collect();
        let mut placed = true;
        let mut locate = |path: &DocPath, item: Option<&Item>| {
            let Some(item) = item else {
                return (None, None);
            };
            if let Some(at) = known.get(path) {
                return *at;
            }
            match (item.is_value(), doc.value_position(path)) {
                (true, Some((line, column))) => (Some(line), Some(column)),
                _ => {
                    placed = false;
                    (None, None)
                }
            }
        };
        let root = doc.root();
        let settings = cross_rules::settings(root, layouts, &mut locate);
        let (gone, unique) = match unique_field {
            // When a finding cannot be placed the caller checks the whole
            // file, which rebuilds the index.
            Some(field) => self.unique.after_edit(root, layouts, field, &mut locate),
            None => (Vec::new(), Vec::new()),
        };
        placed.then_some((settings, gone, unique))
    }

    /// Take out one unique finding per (path, message) listed.
    fn remove_unique(&mut self, gone: &[(DocPath, String)]) {
        for (path, message) in gone {
            let at = self.findings.iter().zip(&self.sources).position(|(f, s)| {
                *s == Source::Unique && f.path == *path && f.message == *message
            });
            if let Some(at) = at {
                self.findings.remove(at);
                self.sources.remove(at);
            }
        }
    }

    fn retain(&mut self, keep: impl Fn(Source, &Finding) -> bool) {
        let mut sources = self.sources.iter();
        let mut kept_sources = Vec::with_capacity(self.sources.len());
        self.findings.retain(|f| {
            let source = *sources.next().unwrap_or(&Source::Walk);
            let kept = keep(source, f);
            if kept {
                kept_sources.push(source);
            }
            kept
        });
        self.sources = kept_sources;
    }

    fn insert(&mut self, source: Source, finding: Finding) {
        let key = order_key(&finding);
        let at = self.findings.partition_point(|f| order_key(f) <= key);
        self.findings.insert(at, finding);
        self.sources.insert(at, source);
    }
}
