//! Switching the backend of a discriminated table (`[storage.assets.<kind>]`):
//! which keys leave, which come back, and which backend applies when the
//! table names none. The GUI's backend combo box only sends the command built
//! here.

use std::collections::HashMap;

use toml_edit::Value;

use crate::core::document::{ConfigDocument, DocPath};
use crate::core::layout::{LayoutSet, Variants};
use crate::core::session::Command;

/// Fields of a backend the user switched away from, by (table, backend), so
/// that switching back in the same session restores what was typed.
#[derive(Debug, Default)]
pub struct BackendStash {
    fields: HashMap<(String, String), Vec<(String, Value)>>,
}

impl BackendStash {
    /// What was stashed for `backend` of `table` (empty when nothing was).
    pub fn get(&self, table: &DocPath, backend: &str) -> &[(String, Value)] {
        self.fields
            .get(&(table.to_string(), backend.to_owned()))
            .map_or(&[], Vec::as_slice)
    }
}

/// The backend in force where a table names none: the file's value of the
/// fallback setting (`storage.default_backend`), else its layout default.
pub fn fallback_backend(doc: &ConfigDocument, layouts: &LayoutSet, variants: &Variants) -> String {
    let Some(path) = &variants.fallback else {
        return String::new();
    };
    let from_file = DocPath::parse(path)
        .ok()
        .and_then(|p| doc.get_value(&p).and_then(Value::as_str).map(str::to_owned));
    from_file
        .or_else(|| {
            let field = layouts.field(path)?;
            field.default.as_ref()?.as_str().map(str::to_owned)
        })
        .unwrap_or_default()
}

/// One undo step from backend `from` to `to` in `table`: the old backend's
/// fields leave the file (kept in `stash`), the discriminator is set, and
/// what was stashed for the new backend earlier comes back. Keys the two
/// backends share (`bucket` of s3 and firebase) are restored from the stash
/// of `to` when there is one, else dropped with `from`: a bucket of one
/// service is not the bucket of another.
pub fn switch_backend(
    doc: &ConfigDocument,
    variants: &Variants,
    table: &DocPath,
    from: &str,
    to: &str,
    stash: &mut BackendStash,
) -> Command {
    let mut commands = Vec::new();
    if let Some(old) = variants.option(from) {
        let mut leaving = Vec::new();
        for field in &old.fields {
            let path = table.child(&field.key);
            if let Some(v) = doc.get_value(&path) {
                leaving.push((field.key.clone(), v.clone()));
                commands.push(Command::Remove { path });
            }
        }
        if !leaving.is_empty() {
            stash
                .fields
                .insert((table.to_string(), from.to_owned()), leaving);
        }
    }
    commands.push(Command::SetValue {
        path: table.child(&variants.discriminator),
        value: Value::from(to),
    });
    for (key, value) in stash.get(table, to) {
        commands.push(Command::SetValue {
            path: table.child(key),
            value: value.clone(),
        });
    }
    Command::Batch(commands)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::session::EditSession;

    const FILE: &str = r#"[storage]
default_backend = "s3"

[storage.assets.images]
backend = "local"
path = "data/images"
"#;

    fn storage_variants(layouts: &LayoutSet) -> Variants {
        layouts
            .pages
            .iter()
            .flat_map(|p| &p.sections)
            .find_map(|s| s.variants.clone())
            .expect("the built-in storage layout has variants")
    }

    fn images() -> DocPath {
        DocPath::keys(&["storage", "assets", "images"])
    }

    #[test]
    fn switching_away_and_back_restores_the_typed_fields() {
        let layouts = Arc::new(LayoutSet::builtin().expect("built-in layouts"));
        let variants = storage_variants(&layouts);
        let mut session = EditSession::from_text(FILE, Arc::clone(&layouts)).expect("parses");
        let mut stash = BackendStash::default();

        let to_s3 = switch_backend(
            session.doc(),
            &variants,
            &images(),
            "local",
            "s3",
            &mut stash,
        );
        session.apply(to_s3).expect("applies");
        let text = session.raw_text();
        assert!(text.contains(r#"backend = "s3""#), "{text}");
        assert!(!text.contains("data/images"), "local's path left: {text}");
        assert_eq!(
            stash.get(&images(), "local").len(),
            1,
            "the path is stashed"
        );

        let back = switch_backend(
            session.doc(),
            &variants,
            &images(),
            "s3",
            "local",
            &mut stash,
        );
        session.apply(back).expect("applies");
        assert_eq!(session.raw_text(), FILE, "the file is as it was");
    }

    #[test]
    fn a_switch_is_one_undo_step() {
        let layouts = Arc::new(LayoutSet::builtin().expect("built-in layouts"));
        let variants = storage_variants(&layouts);
        let mut session = EditSession::from_text(FILE, Arc::clone(&layouts)).expect("parses");
        let command = switch_backend(
            session.doc(),
            &variants,
            &images(),
            "local",
            "azure_blob",
            &mut BackendStash::default(),
        );
        session.apply(command).expect("applies");
        assert!(session.undo());
        assert_eq!(session.raw_text(), FILE);
    }

    #[test]
    fn the_fallback_is_the_files_default_backend_else_the_layout_default() {
        let layouts = LayoutSet::builtin().expect("built-in layouts");
        let variants = storage_variants(&layouts);
        let doc = ConfigDocument::parse(FILE).expect("parses");
        assert_eq!(fallback_backend(&doc, &layouts, &variants), "s3");
        let empty = ConfigDocument::parse("").expect("parses");
        assert_eq!(fallback_backend(&empty, &layouts, &variants), "local");
    }
}
