//! What a page gets to draw with: the session to read, a list to push
//! actions onto (applied in one place after the frame), and view state.

use std::collections::HashMap;

use toml_edit::Value;

use crate::core::document::DocPath;
use crate::core::registry::RegistryStore;
use crate::core::session::{Command, EditSession};
use crate::core::storage_backend::{BackendStash, BackendSwitch};
use crate::core::validate::Finding;
use crate::ui::actions::Action;
use crate::ui::live::LiveProxy;

/// Transient state of the views (not part of the document).
#[derive(Default)]
pub struct ViewState {
    /// A setting the user jumped to (from Problems or Find): highlighted, scrolled to.
    pub focus_path: Option<DocPath>,
    pub focus_scrolled: bool,
    /// A line the Raw TOML editor should put its cursor on (1-based), once.
    pub raw_jump: Option<usize>,
    /// Fields of a storage backend the user switched away from: switching
    /// back restores them.
    pub variant_stash: BackendStash,
    /// A backend switch waiting for the user's answer: keep or drop the keys
    /// that would leave the file.
    pub backend_switch: Option<BackendSwitch>,
    /// Text typed into a field whose file value has the wrong type, until it parses.
    pub raw_buffers: HashMap<String, String>,
    /// Which endpoint cards are expanded.
    pub expanded: HashMap<String, bool>,
    /// The open registry's model names, for the default-model picker
    /// (refreshed by the app when the registry changes).
    /// (name, `served_model_id`) of each entry.
    pub registry_models: Vec<(String, Option<String>)>,
    /// What the registry names were read from: the page's revision and size.
    pub registry_models_of: Option<(u64, usize)>,
    /// The Endpoints page asked for the registry once (for its picker).
    pub registry_asked: bool,
}

impl ViewState {
    /// Re-read the registry's model names when the registry changed (its
    /// page's revision moves on every load and edit), not every frame.
    pub fn refresh_registry_models(&mut self, store: Option<&RegistryStore>, revision: u64) {
        let of = store.map(|s| (revision, s.merged().entries.len()));
        if of == self.registry_models_of {
            return;
        }
        self.registry_models_of = of;
        self.registry_models = store.map_or_else(Vec::new, |s| {
            s.merged()
                .entries
                .iter()
                .map(|e| {
                    let id = e.view().served_model_id().map(str::to_owned);
                    (e.name().to_owned(), id)
                })
                .collect()
        });
    }
}

pub struct PageCtx<'a> {
    pub session: &'a EditSession,
    /// The live proxy, read-only: pages change it with `Action::Live`.
    pub live: &'a LiveProxy,
    pub actions: &'a mut Vec<Action>,
    pub view: &'a mut ViewState,
    /// The raw text does not parse: forms show the last good state, read-only.
    pub read_only: bool,
}

impl PageCtx<'_> {
    pub fn edit(&mut self, command: Command) {
        self.actions.push(Action::Edit(command));
    }

    pub fn set(&mut self, path: &DocPath, value: impl Into<Value>) {
        self.edit(Command::SetValue {
            path: path.clone(),
            value: value.into(),
        });
    }

    pub fn value(&self, path: &DocPath) -> Option<&Value> {
        self.session.doc().get_value(path)
    }

    pub fn findings_at<'s>(&'s self, path: &'s DocPath) -> impl Iterator<Item = &'s Finding> + 's {
        self.session
            .findings()
            .iter()
            .filter(move |f| f.path == *path)
    }

    pub fn is_focused(&self, path: &DocPath) -> bool {
        self.view.focus_path.as_ref() == Some(path)
    }
}
