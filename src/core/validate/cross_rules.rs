//! Rules between settings: a default page that must be on. Names and
//! aliases that must be unique are `unique.rs`. A module switched on under a
//! page that is off is no finding: turning a page off hides its modules by
//! design, and the forms and the discovery page say "off by page".

use toml_edit::{Item, Table};

use super::{Finding, Severity};
use crate::core::document::DocPath;
use crate::core::layout::LayoutSet;

/// Line and column of the item a finding is about (`None`: not in the file).
/// The whole validation reads its spans; an edit's re-validation, which has
/// a model without spans, finds them on the lines of the item's table.
pub(super) type Locate<'l> =
    dyn FnMut(&DocPath, Option<&Item>) -> (Option<usize>, Option<usize>) + 'l;

/// The rules between settings of different tables: a default page that
/// must be on. Cheap: one lookup each.
pub(super) fn settings(root: &Table, layouts: &LayoutSet, locate: &mut Locate<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    enabled_in(root, layouts, locate, &mut out);
    out
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

pub(super) fn finding(
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
                "“{chosen}” is switched off in [{table}]; pick a page that is on, or switch it on"
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
