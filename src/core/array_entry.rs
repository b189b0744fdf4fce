//! New entries of an `[[array]]` section (`[[endpoints]]`): the name a new
//! entry gets, its defaults, and the name of a duplicate. The Endpoints page
//! only sends the commands built here.

use toml_edit::Value;

use crate::core::document::{ConfigDocument, DocPath};
use crate::core::layout::Section;
use crate::core::session::Command;

/// The `name` of entry `index` of the array section, when it has a string one.
pub fn entry_name(doc: &ConfigDocument, section: &Section, index: usize) -> Option<String> {
    let path = DocPath::keys(&section.table_path())
        .index(index)
        .child("name");
    doc.get_value(&path)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn entry_count(doc: &ConfigDocument, section: &Section) -> usize {
    doc.array(&section.table).map_or(0, |a| a.len())
}

/// A new entry named `endpoint-N` with the layout's defaults for its
/// required fields. N starts after the current count (what a person would
/// call the next one) and skips names already taken.
pub fn new_entry(doc: &ConfigDocument, section: &Section) -> toml_edit::Table {
    let count = entry_count(doc, section);
    let taken: Vec<String> = (0..count)
        .filter_map(|i| entry_name(doc, section, i))
        .collect();
    let name = (count + 1..)
        .map(|n| format!("endpoint-{n}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_default();
    let mut entry = toml_edit::Table::new();
    for field in &section.fields {
        if field.key == "name" {
            entry.insert("name", toml_edit::value(name.clone()));
        } else if let (true, Some(default)) = (field.required, &field.default) {
            entry.insert(&field.key, toml_edit::Item::Value(default.clone()));
        }
    }
    entry
}

/// The command that appends a new entry (see [`new_entry`]).
pub fn push_new_entry(doc: &ConfigDocument, section: &Section) -> Command {
    Command::PushArrayEntry {
        table: section.table.clone(),
        entry: new_entry(doc, section),
    }
}

/// One undo step: copy entry `index` right below it under `<name>-copy`,
/// since a copy under the same name would clash at once.
pub fn duplicate_entry(section: &Section, index: usize, name: &str) -> Command {
    let copy_name = DocPath::keys(&section.table_path())
        .index(index + 1)
        .child("name");
    Command::Batch(vec![
        Command::DuplicateArrayEntry {
            table: section.table.clone(),
            index,
        },
        Command::SetValue {
            path: copy_name,
            value: Value::from(format!("{name}-copy")),
        },
    ])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::layout::{LayoutSet, SectionKind};
    use crate::core::session::EditSession;

    fn endpoints(layouts: &LayoutSet) -> Section {
        layouts
            .pages
            .iter()
            .flat_map(|p| &p.sections)
            .find(|s| s.kind == SectionKind::Array && s.table == "endpoints")
            .cloned()
            .expect("the built-in layouts have [[endpoints]]")
    }

    fn session(text: &str) -> (EditSession, Section) {
        let layouts = Arc::new(LayoutSet::builtin().expect("built-in layouts"));
        let section = endpoints(&layouts);
        let session = EditSession::from_text(text, layouts).expect("parses");
        (session, section)
    }

    #[test]
    fn a_new_entry_takes_the_next_free_endpoint_number() {
        let (session, section) =
            session("[[endpoints]]\nname = \"a\"\n\n[[endpoints]]\nname = \"endpoint-3\"\n");
        let entry = new_entry(session.doc(), &section);
        assert_eq!(
            entry.get("name").and_then(|i| i.as_str()),
            Some("endpoint-4"),
            "endpoint-3 is taken"
        );
    }

    #[test]
    fn a_new_entry_carries_the_defaults_of_its_required_fields_only() {
        let (session, section) = session("");
        let entry = new_entry(session.doc(), &section);
        assert_eq!(
            entry.get("name").and_then(|i| i.as_str()),
            Some("endpoint-1")
        );
        for field in &section.fields {
            let expected = field.key == "name" || (field.required && field.default.is_some());
            assert_eq!(
                entry.contains_key(&field.key),
                expected,
                "field {}",
                field.key
            );
        }
    }

    #[test]
    fn a_duplicate_lands_below_under_a_copy_name_in_one_undo_step() {
        let text = "[[endpoints]]\nname = \"a\"\nbase_url = \"http://x/v1\"\n";
        let (mut session, section) = session(text);
        session
            .apply(duplicate_entry(&section, 0, "a"))
            .expect("applies");
        assert_eq!(
            entry_name(session.doc(), &section, 1).as_deref(),
            Some("a-copy")
        );
        assert_eq!(entry_name(session.doc(), &section, 0).as_deref(), Some("a"));
        assert!(session.undo());
        assert_eq!(session.raw_text(), text);
    }
}
