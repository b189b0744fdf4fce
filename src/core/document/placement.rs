//! Where a new key or table goes, so an inserted setting looks hand-written:
//! a key after the keys the layout puts before it, a `[section]` after its
//! siblings in layout order. toml_edit orders tables by their "position", so
//! inserting one means making room after its predecessor.

use toml_edit::{DocumentMut, Item, Table};

use super::{DocPath, Segment};
use crate::core::layout::{LayoutSet, SectionKind};

/// Tables in the order the layouts list them (`storage.assets.images`, ...).
pub(crate) fn table_order(layouts: &LayoutSet) -> Vec<String> {
    let mut order = Vec::new();
    for section in layouts.sections() {
        match section.kind {
            SectionKind::Table | SectionKind::Array => order.push(section.table.clone()),
            SectionKind::Map => {
                order.push(section.table.clone());
                for instance in instances_of(layouts, &section.table) {
                    order.push(format!("{}.{instance}", section.table));
                }
            }
        }
    }
    order
}

fn instances_of<'a>(layouts: &'a LayoutSet, table: &str) -> Vec<&'a str> {
    layouts
        .section_for_table(table)
        .map(|s| s.instances.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Key order the layouts give a table (`server` → host, port, ...), by pattern.
pub(crate) fn key_order<'a>(layouts: &'a LayoutSet, table_pattern: &str) -> Vec<&'a str> {
    if let Some(section) = layouts.section_for_pattern(table_pattern) {
        let mut keys: Vec<&str> = Vec::new();
        for f in section.all_fields() {
            if !keys.contains(&f.key.as_str()) {
                keys.push(&f.key);
            }
        }
        return keys;
    }
    Vec::new()
}

/// Move the just-appended `key` to where the layout puts it.
pub(super) fn place_new_key(layouts: &LayoutSet, parent: &DocPath, table: &mut Table, key: &str) {
    let order = key_order(layouts, &parent.pattern());
    let Some(new_rank) = order.iter().position(|k| *k == key) else {
        return; // unknown key: stays at the end
    };
    // Existing keys keep their relative order; the new key goes right after the
    // last existing key the layout puts before it.
    let existing: Vec<String> = table
        .iter()
        .filter(|(k, item)| *k != key && item.is_value())
        .map(|(k, _)| k.to_owned())
        .collect();
    let anchor = existing.iter().rposition(|k| {
        order
            .iter()
            .position(|o| o == k)
            .is_some_and(|rank| rank < new_rank)
    });
    let slot = |k: &str| -> usize {
        if k == key {
            return anchor.map_or(0, |a| 2 * a + 3);
        }
        existing
            .iter()
            .position(|e| e == k)
            .map_or(usize::MAX, |i| 2 * i + 2)
    };
    table.sort_values_by(|k1, _, k2, _| slot(k1.get()).cmp(&slot(k2.get())));
}

/// Create every missing table on `path` (its parents implicit, so no empty headers).
pub(super) fn create_tables(layouts: &LayoutSet, doc: &mut DocumentMut, path: &DocPath) {
    let keys: Vec<&str> = path
        .0
        .iter()
        .map_while(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    if keys.len() != path.0.len() {
        return; // array entries are never created implicitly
    }
    if !needs_creation(doc.as_table(), &keys) {
        return;
    }
    let position = new_table_position(layouts, doc, &keys.join("."));
    let header = take_file_header_if_first(doc, position).or_else(|| take_lone_comments(doc));
    let mut table = doc.as_table_mut();
    for (depth, key) in keys.iter().enumerate() {
        let last = depth + 1 == keys.len();
        if table.get(key).is_none() {
            let mut new = Table::new();
            if last {
                new.set_position(Some(position));
                if let Some(header) = &header {
                    new.decor_mut().set_prefix(header.as_str());
                }
            } else {
                new.set_implicit(true);
            }
            table.insert(key, Item::Table(new));
        }
        let Some(next) = table.get_mut(key).and_then(Item::as_table_mut) else {
            return; // not a table: resolve_table reports it
        };
        table = next;
    }
}

/// True when some table on the path is missing and nothing in the way is a value.
fn needs_creation(root: &Table, keys: &[&str]) -> bool {
    let mut table = root;
    for key in keys {
        match table.get(key) {
            None => return true,
            Some(Item::Table(t)) => table = t,
            Some(_) => return false,
        }
    }
    false
}

/// Position for a new entry of `[[table]]`: after its last entry, or where the
/// layouts put the table when it has none.
pub(super) fn position_for_new_array_entry(
    layouts: &LayoutSet,
    doc: &mut DocumentMut,
    table: &str,
) -> isize {
    let last = doc
        .get(table)
        .and_then(Item::as_array_of_tables)
        .and_then(|a| a.iter().filter_map(max_position_in).max());
    match last {
        Some(last) => {
            bump_positions_after(doc.as_table_mut(), last);
            last + 1
        }
        None => new_table_position(layouts, doc, table),
    }
}

/// Make room for a table right after its predecessor in layout order.
fn new_table_position(layouts: &LayoutSet, doc: &mut DocumentMut, dotted: &str) -> isize {
    let order = table_order(layouts);
    let idx = order.iter().position(|t| t == dotted);
    let existing = |t: &str| lookup(doc.as_table(), t);
    let before = idx.and_then(|i| {
        order[..i]
            .iter()
            .rev()
            .find_map(|t| existing(t).and_then(max_position_of_item))
    });
    if let Some(before) = before {
        bump_positions_after(doc.as_table_mut(), before);
        return before + 1;
    }
    let after = idx.and_then(|i| {
        order[i + 1..]
            .iter()
            .find_map(|t| existing(t).and_then(min_position_of_item))
    });
    if let Some(after) = after {
        bump_positions_after(doc.as_table_mut(), after - 1);
        return after;
    }
    max_position_in(doc.as_table()).unwrap_or(0) + 1
}

fn lookup<'a>(root: &'a Table, dotted: &str) -> Option<&'a Item> {
    let mut item: Option<&Item> = None;
    let mut table = root;
    for key in dotted.split('.') {
        let next = table.get(key)?;
        item = Some(next);
        if let Some(t) = next.as_table() {
            table = t;
        }
    }
    item
}

fn max_position_of_item(item: &Item) -> Option<isize> {
    match item {
        Item::Table(t) => max_position_in(t),
        Item::ArrayOfTables(a) => a.iter().filter_map(max_position_in).max(),
        _ => None,
    }
}

fn min_position_of_item(item: &Item) -> Option<isize> {
    match item {
        Item::Table(t) => positions(t).into_iter().min(),
        Item::ArrayOfTables(a) => a.iter().flat_map(positions).min(),
        _ => None,
    }
}

fn max_position_in(table: &Table) -> Option<isize> {
    positions(table).into_iter().max()
}

/// Positions of a table and every table below it.
fn positions(table: &Table) -> Vec<isize> {
    let mut out: Vec<isize> = table.position().into_iter().collect();
    for (_, item) in table {
        match item {
            Item::Table(t) => out.extend(positions(t)),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| out.extend(positions(t))),
            _ => {}
        }
    }
    out
}

/// Shift every table positioned after `position` one place down.
pub(super) fn bump_positions_after(table: &mut Table, position: isize) {
    if let Some(p) = table.position()
        && p > position
    {
        table.set_position(Some(p + 1));
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => bump_positions_after(t, position),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(|t| bump_positions_after(t, position)),
            _ => {}
        }
    }
}

/// In a file of nothing but comments, toml_edit keeps them as trailing text,
/// which would print after a new table; they are the file's header.
fn take_lone_comments(doc: &mut DocumentMut) -> Option<String> {
    if !doc.as_table().is_empty() {
        return None;
    }
    let trailing = doc.trailing().as_str()?.to_owned();
    if trailing.trim().is_empty() {
        return None;
    }
    doc.set_trailing("");
    Some(format!(
        "{}\n",
        trailing.trim_end_matches('\n').to_owned() + "\n"
    ))
}

/// A comment block at the top of the file is stored as the first table's
/// prefix. When a new table goes before that one, the block stays at the top
/// of the file (it is the file's header, not the old table's comment); a
/// comment glued to the old header stays with it.
fn take_file_header_if_first(doc: &mut DocumentMut, position: isize) -> Option<String> {
    let mut tables = Vec::new();
    collect_positioned(doc.as_table(), &mut Vec::new(), &mut tables);
    let (first_pos, first_path) = tables.into_iter().min_by_key(|(p, _)| *p)?;
    if first_pos < position {
        return None;
    }
    let first = table_mut_by_keys(doc.as_table_mut(), &first_path)?;
    let prefix = first
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_owned();
    let split = prefix.rfind("\n\n").map_or(0, |i| i + 2);
    let (header, glued) = prefix.split_at(split);
    first.decor_mut().set_prefix(format!("\n{glued}"));
    Some(header.to_owned())
}

fn collect_positioned(table: &Table, path: &mut Vec<String>, out: &mut Vec<(isize, Vec<String>)>) {
    for (key, item) in table {
        if let Item::Table(t) = item {
            path.push(key.to_owned());
            if let (Some(p), false) = (t.position(), t.is_implicit()) {
                out.push((p, path.clone()));
            }
            collect_positioned(t, path, out);
            path.pop();
        }
    }
}

fn table_mut_by_keys<'a>(root: &'a mut Table, keys: &[String]) -> Option<&'a mut Table> {
    let mut table = root;
    for key in keys {
        table = table.get_mut(key)?.as_table_mut()?;
    }
    Some(table)
}
