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

/// A backend switch the user asked for, before it is made: the keys of
/// the old backend that would leave the file. When there are any, the front
/// asks whether to keep them (as unknown keys, which the checker warns
/// about) or drop them; nothing leaves the file without that answer.
#[derive(Clone, Debug)]
pub struct BackendSwitch {
    pub table: DocPath,
    pub from: String,
    pub to: String,
    /// Keys of `from` in the file, with their values, in layout order.
    pub leaving: Vec<(String, Value)>,
}

/// What to do with the old backend's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaving {
    /// They stay in the file; the new backend ignores them (a warning each).
    Keep,
    /// They leave the file (kept for the session: switching back restores them).
    Drop,
}

impl BackendSwitch {
    /// What switching `table` from backend `from` to `to` would remove.
    pub fn plan(
        doc: &ConfigDocument,
        variants: &Variants,
        table: &DocPath,
        from: &str,
        to: &str,
    ) -> Self {
        let leaving = variants
            .option(from)
            .filter(|_| from != to)
            .map(|old| {
                old.fields
                    .iter()
                    .filter_map(|f| {
                        let v = doc.get_value(&table.child(&f.key))?;
                        Some((f.key.clone(), v.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            table: table.clone(),
            from: from.to_owned(),
            to: to.to_owned(),
            leaving,
        }
    }

    /// Whether the user must be asked: some keys would leave the file.
    pub fn asks(&self) -> bool {
        !self.leaving.is_empty()
    }

    /// `key = value` for each leaving key, for the question.
    pub fn leaving_lines(&self) -> Vec<String> {
        self.leaving
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.to_string().trim()))
            .collect()
    }

    /// The switch as one undo step. `Drop`: the old backend's keys leave the
    /// file (kept in `stash`). `Keep`: they stay. Either way the
    /// discriminator is set and what was stashed for the new backend earlier
    /// comes back where the file has no value. Keys the two backends share
    /// (`bucket` of s3 and firebase) leave with the old one on `Drop`: a
    /// bucket of one service is not the bucket of another.
    pub fn command(
        &self,
        variants: &Variants,
        choice: Leaving,
        stash: &mut BackendStash,
    ) -> Command {
        let mut commands = Vec::new();
        let kept: Vec<&str> = match choice {
            Leaving::Keep => self.leaving.iter().map(|(k, _)| k.as_str()).collect(),
            Leaving::Drop => Vec::new(),
        };
        if choice == Leaving::Drop && !self.leaving.is_empty() {
            for (key, _) in &self.leaving {
                commands.push(Command::Remove {
                    path: self.table.child(key),
                });
            }
            stash.fields.insert(
                (self.table.to_string(), self.from.clone()),
                self.leaving.clone(),
            );
        }
        commands.push(Command::SetValue {
            path: self.table.child(&variants.discriminator),
            value: Value::from(self.to.as_str()),
        });
        for (key, value) in stash.get(&self.table, &self.to) {
            if !kept.contains(&key.as_str()) {
                commands.push(Command::SetValue {
                    path: self.table.child(key),
                    value: value.clone(),
                });
            }
        }
        Command::Batch(commands)
    }
}

/// Keys in a backend's table that neither the chosen backend nor the common
/// fields know (kept from an earlier backend, or typed by hand).
pub fn foreign_keys(
    doc: &ConfigDocument,
    section: &crate::core::layout::Section,
    table: &DocPath,
    backend: &str,
) -> Vec<String> {
    let Some(t) = doc.table_at(table) else {
        return Vec::new();
    };
    t.iter()
        .map(|(k, _)| k.to_owned())
        .filter(|k| section.field_for_variant(Some(backend), k).is_none())
        .collect()
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

        let to_s3 = BackendSwitch::plan(session.doc(), &variants, &images(), "local", "s3");
        assert!(to_s3.asks(), "the path would leave the file");
        assert_eq!(to_s3.leaving_lines(), [r#"path = "data/images""#]);
        let command = to_s3.command(&variants, Leaving::Drop, &mut stash);
        session.apply(command).expect("applies");
        let text = session.raw_text();
        assert!(text.contains(r#"backend = "s3""#), "{text}");
        assert!(!text.contains("data/images"), "local's path left: {text}");
        assert_eq!(
            stash.get(&images(), "local").len(),
            1,
            "the path is stashed"
        );

        let back = BackendSwitch::plan(session.doc(), &variants, &images(), "s3", "local");
        assert!(!back.asks(), "s3 has nothing in the file yet");
        session
            .apply(back.command(&variants, Leaving::Drop, &mut stash))
            .expect("applies");
        assert_eq!(session.raw_text(), FILE, "the file is as it was");
    }

    #[test]
    fn a_switch_is_one_undo_step() {
        let layouts = Arc::new(LayoutSet::builtin().expect("built-in layouts"));
        let variants = storage_variants(&layouts);
        let mut session = EditSession::from_text(FILE, Arc::clone(&layouts)).expect("parses");
        let command =
            BackendSwitch::plan(session.doc(), &variants, &images(), "local", "azure_blob")
                .command(&variants, Leaving::Drop, &mut BackendStash::default());
        session.apply(command).expect("applies");
        assert!(session.undo());
        assert_eq!(session.raw_text(), FILE);
    }

    #[test]
    fn keeping_the_old_keys_leaves_them_in_the_file_with_a_warning() {
        let layouts = Arc::new(LayoutSet::builtin().expect("built-in layouts"));
        let variants = storage_variants(&layouts);
        let mut session = EditSession::from_text(FILE, Arc::clone(&layouts)).expect("parses");
        let switch = BackendSwitch::plan(session.doc(), &variants, &images(), "local", "s3");
        let mut stash = BackendStash::default();
        session
            .apply(switch.command(&variants, Leaving::Keep, &mut stash))
            .expect("applies");
        let text = session.raw_text();
        assert!(
            text.contains(r#"backend = "s3""#) && text.contains(r#"path = "data/images""#),
            "{text}"
        );
        let path = images().child("path");
        let warning = session
            .findings()
            .iter()
            .find(|f| f.path == path)
            .expect("a finding on the kept key");
        assert!(!warning.is_error(), "{warning:?}");
        assert!(warning.message.contains("ignored"), "{}", warning.message);
        let section = layouts
            .section_for_table("storage.assets")
            .expect("storage.assets");
        assert_eq!(
            foreign_keys(session.doc(), section, &images(), "s3"),
            ["path"]
        );
        assert!(
            stash.get(&images(), "local").is_empty(),
            "nothing left the file"
        );
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
