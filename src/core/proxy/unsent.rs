//! The draft's side of an API push's losses: what the draft has that a `PUT`
//! cannot carry to the proxy's file (ImageWorks' own tables, unknown keys,
//! comments) and that the proxy's file does not already hold. A draft whose
//! only changes are of this kind is not "nothing to push": the API cannot
//! carry them, a file push can.

use std::collections::HashSet;

use serde_json::{Map, Value};
use toml_edit::Item;

use super::json_value::toml_to_json;
use super::writer::{Loss, losses};
use crate::core::document::parse_spanned;
use crate::core::layout::LayoutSet;

/// The draft's tables, keys and comments an API push cannot carry, less
/// those `current` (the proxy's file, when it is readable here) already
/// holds with the same content. Without `current`, every one of them
/// counts: nothing says the proxy's file has them.
pub fn unsent(draft_text: &str, current: Option<&str>, layouts: &LayoutSet) -> Vec<Loss> {
    let held: HashSet<Carried> = current
        .map(|text| carried(text, layouts).into_iter().map(|(_, c)| c).collect())
        .unwrap_or_default();
    carried(draft_text, layouts)
        .into_iter()
        .filter(|(_, content)| !held.contains(content))
        .map(|(loss, _)| loss)
        .collect()
}

/// What a loss is about, by content, so the same table in both files matches
/// wherever it sits and however it is spelled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Carried {
    Comment(String),
    Item { path: String, json: String },
}

fn carried(text: &str, layouts: &LayoutSet) -> Vec<(Loss, Carried)> {
    let Ok(parsed) = parse_spanned(text) else {
        return Vec::new();
    };
    losses(text, layouts)
        .into_iter()
        .filter_map(|loss| {
            let content = match &loss {
                Loss::Comment { text, .. } => Carried::Comment(text.clone()),
                Loss::Table { name, .. } => {
                    let bare = name.trim_start_matches('[').trim_end_matches(']');
                    item_content(parsed.as_table().get(bare), bare)
                }
                Loss::Key { path, .. } => item_content(lookup(parsed.as_table(), path), path),
                Loss::Formatting { .. } | Loss::Layout { .. } => return None,
            };
            Some((loss, content))
        })
        .collect()
}

fn item_content(item: Option<&Item>, path: &str) -> Carried {
    Carried::Item {
        path: path.to_owned(),
        json: item.map(item_json).unwrap_or_default().to_string(),
    }
}

/// `section.key` or a top-level `key`, as `losses` names them.
fn lookup<'a>(root: &'a toml_edit::Table, path: &str) -> Option<&'a Item> {
    match path.split_once('.') {
        Some((table, key)) => root.get(table)?.as_table_like()?.get(key),
        None => root.get(path),
    }
}

/// An item's content without its formatting.
fn item_json(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(v) => toml_to_json(v),
        Item::Table(t) => table_json(t.iter()),
        Item::ArrayOfTables(a) => Value::Array(a.iter().map(|t| table_json(t.iter())).collect()),
    }
}

fn table_json<'a>(entries: impl Iterator<Item = (&'a str, &'a Item)>) -> Value {
    let mut sorted: Vec<(&str, &Item)> = entries.collect();
    sorted.sort_by_key(|(k, _)| *k);
    Value::Object(
        sorted
            .into_iter()
            .map(|(k, v)| (k.to_owned(), item_json(v)))
            .collect::<Map<String, Value>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::proxy::writer::regenerate;

    fn layouts() -> LayoutSet {
        LayoutSet::builtin().unwrap()
    }

    #[test]
    fn imageworks_tables_of_the_draft_are_unsent_to_a_regenerated_file() {
        let layouts = layouts();
        let current = regenerate(&Map::new(), &Map::new(), &layouts);
        let draft = "[server]\nport = 9002\n\n[ui.pages]\nresults = false\n";
        let got = unsent(draft, Some(&current), &layouts);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].describe().contains("[ui]"), "{}", got[0].describe());
    }

    #[test]
    fn what_the_proxys_file_already_holds_is_not_unsent() {
        let layouts = layouts();
        let current = "# keep me\n[server]\nport = 9001\n\n[ui.pages]\nresults = false\n";
        let same = "# keep me\n[server]\nport = 9002\n[ui]\npages = { results = false }\n";
        assert!(unsent(same, Some(current), &layouts).is_empty());
        let changed = "# keep me\n[server]\nport = 9002\n[ui.pages]\nresults = true\n# new\n";
        let got: Vec<String> = unsent(changed, Some(current), &layouts)
            .iter()
            .map(Loss::describe)
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().any(|d| d.contains("[ui]")), "{got:?}");
        assert!(got.iter().any(|d| d.contains("# new")), "{got:?}");
    }

    #[test]
    fn without_the_proxys_file_everything_of_kind_b_counts() {
        let layouts = layouts();
        let draft = "[server]\nport = 9002\nbogus = 1\n\n[[endpoints]]\nname = \"a\"\n";
        let got: Vec<String> = unsent(draft, None, &layouts)
            .iter()
            .map(Loss::describe)
            .collect();
        assert!(got.iter().any(|d| d.contains("server.bogus")), "{got:?}");
        assert!(got.iter().any(|d| d.contains("[[endpoints]]")), "{got:?}");
    }
}
