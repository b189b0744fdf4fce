//! Rules between settings: a default page that must be on, modules under a
//! page that is off, names and aliases that must be unique.

use std::collections::HashMap;

use toml_edit::{Item, Table, Value};

use super::{Finding, Severity};
use crate::core::document::{DocPath, Segment};
use crate::core::layout::{LayoutSet, SectionKind};

/// Line and column of the item a finding is about (`None`: not in the file).
/// The whole validation reads its spans; an edit's re-validation, which has
/// a model without spans, finds them on the lines of the item's table.
pub(super) type Locate<'l> =
    dyn FnMut(&DocPath, Option<&Item>) -> (Option<usize>, Option<usize>) + 'l;

/// The rules between settings of different tables: a default page that
/// must be on, a module under a page that is off. Cheap: one lookup each.
pub(super) fn settings(root: &Table, layouts: &LayoutSet, locate: &mut Locate<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    enabled_in(root, layouts, locate, &mut out);
    depends_on(root, layouts, locate, &mut out);
    out
}

/// Names and aliases unique across every entry: reads all of them.
pub(super) fn unique(root: &Table, layouts: &LayoutSet, locate: &mut Locate<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    unique_groups(root, layouts, locate, &mut out);
    out
}

/// Whether the value at `path` is one `unique` reads (`endpoints[2].name`).
pub(super) fn is_unique_field(layouts: &LayoutSet, path: &DocPath) -> bool {
    let [Segment::Key(table), Segment::Index(_), Segment::Key(key)] = path.0.as_slice() else {
        return false;
    };
    layouts
        .sections()
        .filter(|s| s.kind == SectionKind::Array && s.table == *table)
        .flat_map(|s| s.fields.iter())
        .any(|f| f.key == *key && f.unique_group.is_some())
}

fn item_at<'a>(root: &'a Table, dotted: &str) -> Option<&'a Item> {
    let (parent, key) = match dotted.rsplit_once('.') {
        Some((p, k)) => (Some(p), k),
        None => (None, dotted),
    };
    let mut table = root;
    for part in parent.into_iter().flat_map(|p| p.split('.')) {
        table = table.get(part)?.as_table()?;
    }
    table.get(key)
}

/// A bool setting's value: the file's, else the layout default.
fn bool_setting(root: &Table, layouts: &LayoutSet, path: &str) -> Option<bool> {
    match item_at(root, path).and_then(Item::as_bool) {
        Some(b) => Some(b),
        None => layouts.field(path)?.default.as_ref()?.as_bool(),
    }
}

/// The document path of a plain table field (`ui.default_page`).
fn table_field_path(dotted: &str) -> DocPath {
    DocPath::keys(&dotted.split('.').collect::<Vec<_>>())
}

fn finding(
    locate: &mut Locate<'_>,
    severity: Severity,
    path: DocPath,
    item: Option<&Item>,
    message: String,
) -> Finding {
    let (line, column) = locate(&path, item);
    Finding {
        severity,
        path,
        line,
        column,
        message,
        fix: None,
    }
}

/// `ui.default_page` must name a page that is on.
fn enabled_in(root: &Table, layouts: &LayoutSet, locate: &mut Locate<'_>, out: &mut Vec<Finding>) {
    for (_, _, field) in layouts.all_fields() {
        let Some(table) = &field.enabled_in else {
            continue;
        };
        let item = item_at(root, &field.path);
        let chosen = item
            .and_then(Item::as_str)
            .or_else(|| field.default.as_ref()?.as_str());
        let Some(chosen) = chosen else { continue };
        if bool_setting(root, layouts, &format!("{table}.{chosen}")) == Some(false) {
            let message = format!(
                "`{chosen}` is switched off in [{table}]; pick a page that is on, or switch it on"
            );
            out.push(finding(
                locate,
                Severity::Error,
                table_field_path(&field.path),
                item,
                message,
            ));
        }
    }
}

/// A module switched on under a page that is off does nothing.
fn depends_on(root: &Table, layouts: &LayoutSet, locate: &mut Locate<'_>, out: &mut Vec<Finding>) {
    for (_, section, field) in layouts.all_fields() {
        let (Some(parent), SectionKind::Table) = (&field.depends_on, &section.kind) else {
            continue;
        };
        let item = item_at(root, &field.path);
        if item.and_then(Item::as_bool) != Some(true)
            || bool_setting(root, layouts, parent) != Some(false)
        {
            continue;
        }
        let message = format!(
            "`{}` is on but `{parent}` is off, so it will not show",
            field.key
        );
        out.push(finding(
            locate,
            Severity::Warning,
            table_field_path(&field.path),
            item,
            message,
        ));
    }
}

/// Values of every field in one unique group (endpoint names and aliases).
fn unique_groups(
    root: &Table,
    layouts: &LayoutSet,
    locate: &mut Locate<'_>,
    out: &mut Vec<Finding>,
) {
    // Borrowed keys: a big file has tens of thousands of names and aliases.
    let mut seen: HashMap<(&str, &str), (usize, &str)> = HashMap::new();
    for section in layouts.sections().filter(|s| s.kind == SectionKind::Array) {
        let Some(entries) = root.get(&section.table).and_then(Item::as_array_of_tables) else {
            continue;
        };
        for (i, entry) in entries.iter().enumerate() {
            for field in &section.fields {
                let Some(group) = &field.unique_group else {
                    continue;
                };
                let Some(item) = entry.get(&field.key) else {
                    continue;
                };
                for value in strings(item) {
                    match seen.get(&(group.as_str(), value)) {
                        Some((first_i, first_key)) => {
                            let first = format!("{}[{first_i}].{first_key}", section.table);
                            let message = format!(
                                "`{value}` is already used by {first}; names and aliases must be unique"
                            );
                            let path = DocPath::keys(&section.table_path())
                                .index(i)
                                .child(&field.key);
                            out.push(finding(locate, Severity::Error, path, Some(item), message));
                        }
                        None => {
                            seen.insert((group.as_str(), value), (i, field.key.as_str()));
                        }
                    }
                }
            }
        }
    }
}

fn strings(item: &Item) -> Vec<&str> {
    match item.as_value() {
        Some(Value::String(s)) => vec![s.value().as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}
