//! Names and aliases unique across every `[[endpoints]]` entry (every
//! field with a `unique_group` in an array section): the first use of a
//! value is fine, every later use is an error naming the first.
//!
//! The rule reads every entry, so a rename on a big file would cost the
//! whole file. `UniqueIndex` remembers where each value is used; a changed
//! name or alias re-checks only the values it had and has
//! (`UniqueIndex::after_edit`), giving exactly the findings a fresh check
//! would.

use std::collections::HashMap;

use toml_edit::{Item, Table, Value};

use super::Finding;
use super::Severity;
use super::cross_rules::{Locate, finding};
use crate::core::document::{DocPath, Segment};
use crate::core::layout::{LayoutSet, Section, SectionKind};

/// Where one value is used, in the order the rule reads them: array
/// section, entry, field of the section, place in an alias list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Use {
    section: usize,
    entry: usize,
    field: usize,
    pos: usize,
}

/// (unique group, value): names and aliases share a group.
type GroupValue = (String, String);

/// Every value of every unique group and where it is used.
#[derive(Clone, Debug, Default)]
pub(super) struct UniqueIndex {
    /// Uses of each value, in reading order.
    uses: HashMap<GroupValue, Vec<Use>>,
    /// The values read at one field of one entry, in order.
    at: HashMap<(usize, usize, usize), Vec<GroupValue>>,
}

/// The array sections, in the order the rule reads them.
fn array_sections(layouts: &LayoutSet) -> Vec<&Section> {
    layouts
        .sections()
        .filter(|s| s.kind == SectionKind::Array)
        .collect()
}

fn strings(item: &Item) -> Vec<&str> {
    match item.as_value() {
        Some(Value::String(s)) => vec![s.value().as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The field with a unique group that `path` is (or is inside):
/// `endpoints[2].aliases` for `endpoints[2].aliases[0]`.
pub(super) fn unique_field_of(layouts: &LayoutSet, path: &DocPath) -> Option<DocPath> {
    let [
        Segment::Key(table),
        Segment::Index(_),
        Segment::Key(key),
        ..,
    ] = path.0.as_slice()
    else {
        return None;
    };
    let is_unique = array_sections(layouts)
        .into_iter()
        .filter(|s| s.table == *table)
        .flat_map(|s| s.fields.iter())
        .any(|f| f.key == *key && f.unique_group.is_some());
    is_unique.then(|| DocPath(path.0[..3].to_vec()))
}

/// The finding of a later use of `value`: its path and message.
fn duplicate(sections: &[&Section], value: &str, first: Use, later: Use) -> (DocPath, String) {
    let (first_section, later_section) = (sections[first.section], sections[later.section]);
    let first_name = format!(
        "{}[{}].{}",
        first_section.table, first.entry, first_section.fields[first.field].key
    );
    let message =
        format!("“{value}” is already used by {first_name}; names and aliases must be unique");
    let path = DocPath::keys(&later_section.table_path())
        .index(later.entry)
        .child(&later_section.fields[later.field].key);
    (path, message)
}

/// The duplicates among the uses of one value.
fn duplicates(sections: &[&Section], value: &str, uses: &[Use]) -> Vec<(DocPath, String)> {
    let Some((first, later)) = uses.split_first() else {
        return Vec::new();
    };
    later
        .iter()
        .map(|u| duplicate(sections, value, *first, *u))
        .collect()
}

/// The item at `table[entry].key` of the model.
fn item_of<'a>(root: &'a Table, table: &str, entry: usize, key: &str) -> Option<&'a Item> {
    root.get(table)?.as_array_of_tables()?.get(entry)?.get(key)
}

impl UniqueIndex {
    /// Check the whole model; the findings and the index to keep them.
    pub(super) fn check(
        root: &Table,
        layouts: &LayoutSet,
        locate: &mut Locate<'_>,
    ) -> (Vec<Finding>, Self) {
        let sections = array_sections(layouts);
        let mut index = Self::default();
        let mut out = Vec::new();
        for (s, section) in sections.iter().enumerate() {
            let Some(entries) = root.get(&section.table).and_then(Item::as_array_of_tables) else {
                continue;
            };
            for (entry_i, entry) in entries.iter().enumerate() {
                for (f, field) in section.fields.iter().enumerate() {
                    let (Some(group), Some(item)) = (&field.unique_group, entry.get(&field.key))
                    else {
                        continue;
                    };
                    for (pos, value) in strings(item).into_iter().enumerate() {
                        let used = Use {
                            section: s,
                            entry: entry_i,
                            field: f,
                            pos,
                        };
                        let key = (group.clone(), value.to_owned());
                        let uses = index.uses.entry(key.clone()).or_default();
                        if let Some(first) = uses.first() {
                            let (path, message) = duplicate(&sections, value, *first, used);
                            out.push(finding(locate, Severity::Error, path, Some(item), message));
                        }
                        uses.push(used);
                        index.at.entry((s, entry_i, f)).or_default().push(key);
                    }
                }
            }
        }
        (out, index)
    }

    /// After the value at `changed` (a unique field, `unique_field_of`)
    /// was replaced in place: the findings that no longer hold (path and
    /// message) and the new ones. Only the values the field had or has now
    /// are re-checked; every use of any other value is as it was.
    pub(super) fn after_edit(
        &mut self,
        root: &Table,
        layouts: &LayoutSet,
        changed: &DocPath,
        locate: &mut Locate<'_>,
    ) -> (Vec<(DocPath, String)>, Vec<Finding>) {
        let [
            Segment::Key(table),
            Segment::Index(entry),
            Segment::Key(key),
        ] = changed.0.as_slice()
        else {
            return (Vec::new(), Vec::new());
        };
        let sections = array_sections(layouts);
        let (mut gone, mut added) = (Vec::new(), Vec::new());
        for (s, section) in sections.iter().enumerate() {
            if section.table != *table {
                continue;
            }
            for (f, field) in section.fields.iter().enumerate() {
                let Some(group) = field.unique_group.as_ref().filter(|_| field.key == *key) else {
                    continue;
                };
                let item = item_of(root, table, *entry, key);
                let now: Vec<GroupValue> = item
                    .map(strings)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| (group.clone(), v.to_owned()))
                    .collect();
                let before = self.at.remove(&(s, *entry, f)).unwrap_or_default();
                let mut touched: Vec<GroupValue> = before.iter().chain(&now).cloned().collect();
                touched.sort();
                touched.dedup();
                let here = |u: &Use| u.section == s && u.entry == *entry && u.field == f;
                for value in touched {
                    let uses = self.uses.entry(value.clone()).or_default();
                    gone.extend(duplicates(&sections, &value.1, uses));
                    uses.retain(|u| !here(u));
                    for (pos, _) in now.iter().enumerate().filter(|(_, v)| **v == value) {
                        let used = Use {
                            section: s,
                            entry: *entry,
                            field: f,
                            pos,
                        };
                        let at = uses.partition_point(|u| *u < used);
                        uses.insert(at, used);
                    }
                    for (path, message) in duplicates(&sections, &value.1, uses) {
                        let item = locate_item(root, &path);
                        added.push(finding(locate, Severity::Error, path, item, message));
                    }
                    if uses.is_empty() {
                        self.uses.remove(&value);
                    }
                }
                if !now.is_empty() {
                    self.at.insert((s, *entry, f), now);
                }
            }
        }
        (gone, added)
    }
}

/// The item a unique finding's path names.
fn locate_item<'a>(root: &'a Table, path: &DocPath) -> Option<&'a Item> {
    let [
        Segment::Key(table),
        Segment::Index(entry),
        Segment::Key(key),
    ] = path.0.as_slice()
    else {
        return None;
    };
    item_of(root, table, *entry, key)
}
