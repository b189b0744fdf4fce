//! Edit commands on the curated layer, with undo/redo.
//!
//! Every command changes at most one curated entry, so its inverse is simply
//! that entry's before/after state at its position; `EditHistory` keeps
//! those instead of whole-layer snapshots, which stays cheap on large
//! registries. Edits never touch the discovered layer: the curated layer is
//! the only file people own, and a curated value wins in the merge.

use serde_json::{Map, Value};

use super::json_text::pythonize_numbers;
use super::layer::{EntrySource, LazyLayer};
use super::maintenance::{self, MaintenancePlan};
use super::merge::EntryLayer;
use super::model::{RegistryEntry, get_path, without_dynamic_fields};
use super::store::{Layers, RegistryStore};

/// One user action on the registry.
#[derive(Clone, Debug, PartialEq)]
pub enum RegistryCommand {
    /// Set a dotted field path (e.g. `backend_config.port`) in the curated layer.
    SetField {
        name: String,
        path: String,
        value: Value,
    },
    /// Remove a field from the curated entry (the discovered value shows again).
    RemoveField { name: String, path: String },
    /// Add a new curated entry (an object with a new, non-empty `name`).
    NewEntry { entry: Value },
    /// Copy a merged entry (without dynamic fields) under a new name.
    Duplicate { name: String, new_name: String },
    /// Delete the curated entry; discovered-only entries can only be deprecated.
    Delete { name: String },
    /// Set `deprecated: true` (in a curated overlay when needed).
    Deprecate { name: String },
    /// Copy a discovered entry into the curated layer without dynamic fields.
    Promote { name: String },
}

impl RegistryCommand {
    /// Short description for undo/redo menus and logs.
    pub fn label(&self) -> String {
        match self {
            Self::SetField { name, path, .. } => format!("Set {path} of {name}"),
            Self::RemoveField { name, path } => format!("Remove {path} from {name}"),
            Self::NewEntry { entry } => format!(
                "New entry {}",
                entry.get("name").and_then(Value::as_str).unwrap_or("")
            ),
            Self::Duplicate { name, new_name } => format!("Duplicate {name} as {new_name}"),
            Self::Delete { name } => format!("Delete {name}"),
            Self::Deprecate { name } => format!("Deprecate {name}"),
            Self::Promote { name } => format!("Promote {name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{name}: no such entry")]
    UnknownEntry { name: String },
    #[error("{name}: already exists")]
    NameTaken { name: String },
    #[error("a new entry needs a JSON object with a non-empty \"name\"")]
    InvalidNewEntry,
    #[error("{name}: field {field}: {message}")]
    BadField {
        name: String,
        field: String,
        message: String,
    },
    #[error("{name}: is not in the curated layer ({layer}); it can be deprecated, not deleted")]
    NotCurated { name: String, layer: &'static str },
    #[error("{name}: is already curated; nothing to promote")]
    AlreadyCurated { name: String },
    #[error("{name}: is not in the discovered layer; nothing to promote")]
    NotDiscovered { name: String },
}

/// What applying a command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditOutcome {
    Changed,
    /// The value was already there: nothing changes (nor will on disk).
    Unchanged,
}

/// The inverse of a command: one curated entry before and after.
#[derive(Clone, Debug, PartialEq)]
struct EntryChange {
    label: String,
    index: usize,
    before: Option<Value>,
    after: Option<Value>,
}

impl EntryChange {
    fn apply(&self, curated: &mut LazyLayer) {
        curated.put(self.index, self.before.is_some(), self.after.clone());
    }

    fn revert(&self, curated: &mut LazyLayer) {
        curated.put(self.index, self.after.is_some(), self.before.clone());
    }

    /// Re-merge after this change was applied or reverted. An entry edited
    /// in place (same name before and after) re-merges alone; anything
    /// that adds, removes or renames an entry changes the merge plan, so the
    /// whole registry is merged again.
    fn remerge(&self, store: &mut RegistryStore) {
        let name = |v: &Option<Value>| v.as_ref().map(|v| RegistryEntry::new(v).name().to_owned());
        match (name(&self.before), name(&self.after)) {
            (Some(before), Some(after)) if before == after && !before.is_empty() => {
                store.remerge_entry(self.index, &before);
            }
            _ => store.remerge(),
        }
    }
}

/// One undoable step: a command's one curated entry, or a maintenance
/// plan's whole layers (before and after).
#[derive(Clone, Debug)]
enum Change {
    Entry(EntryChange),
    Layers {
        label: String,
        before: Box<Layers>,
        after: Box<Layers>,
    },
}

impl Change {
    fn label(&self) -> &str {
        match self {
            Self::Entry(c) => &c.label,
            Self::Layers { label, .. } => label,
        }
    }

    fn redo(&self, store: &mut RegistryStore) {
        match self {
            Self::Entry(c) => {
                c.apply(store.curated_entries_mut());
                c.remerge(store);
            }
            Self::Layers { after, .. } => store.set_layers((**after).clone()),
        }
    }

    fn undo(&self, store: &mut RegistryStore) {
        match self {
            Self::Entry(c) => {
                c.revert(store.curated_entries_mut());
                c.remerge(store);
            }
            Self::Layers { before, .. } => store.set_layers((**before).clone()),
        }
    }
}

/// One undo history over a store: editor commands and maintenance plans,
/// taken back in the order they were made.
#[derive(Clone, Debug, Default)]
pub struct EditHistory {
    undo: Vec<Change>,
    redo: Vec<Change>,
}

impl EditHistory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply `command` to the store's curated layer and re-merge.
    pub fn apply(
        &mut self,
        store: &mut RegistryStore,
        command: &RegistryCommand,
    ) -> Result<EditOutcome, EditError> {
        let Some(mut change) = plan(store, command)? else {
            return Ok(EditOutcome::Unchanged);
        };
        change.label = command.label();
        let change = Change::Entry(change);
        change.redo(store);
        self.undo.push(change);
        self.redo.clear();
        Ok(EditOutcome::Changed)
    }

    /// Put a maintenance plan's layers in place as one step; `Unchanged`
    /// when the plan changes nothing.
    pub fn apply_plan(&mut self, store: &mut RegistryStore, plan: &MaintenancePlan) -> EditOutcome {
        if plan.is_empty() {
            return EditOutcome::Unchanged;
        }
        let before = maintenance::apply(store, plan);
        self.undo.push(Change::Layers {
            label: plan.action.label(),
            before: Box::new(before),
            after: Box::new(plan.layers().clone()),
        });
        self.redo.clear();
        EditOutcome::Changed
    }

    /// Undo the last step; `false` when there is nothing to undo.
    pub fn undo(&mut self, store: &mut RegistryStore) -> bool {
        let Some(change) = self.undo.pop() else {
            return false;
        };
        change.undo(store);
        self.redo.push(change);
        true
    }

    /// Redo the last undone step; `false` when there is nothing to redo.
    pub fn redo(&mut self, store: &mut RegistryStore) -> bool {
        let Some(change) = self.redo.pop() else {
            return false;
        };
        change.redo(store);
        self.undo.push(change);
        true
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Steps undo and redo can take (the app orders them with the config's).
    pub fn depth(&self) -> (usize, usize) {
        (self.undo.len(), self.redo.len())
    }

    /// Label of the step `undo` would revert ("Set display_name of x").
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(Change::label)
    }

    /// Label of the step `redo` would re-apply.
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(Change::label)
    }
}

/// Apply one command without history (the CLI's one-shot edits).
pub fn apply_command(
    store: &mut RegistryStore,
    command: &RegistryCommand,
) -> Result<EditOutcome, EditError> {
    EditHistory::new().apply(store, command)
}

/// Work out the curated-entry change a command makes; `None` for a no-op.
fn plan(
    store: &RegistryStore,
    command: &RegistryCommand,
) -> Result<Option<EntryChange>, EditError> {
    match command {
        RegistryCommand::SetField { name, path, value } => {
            let mut value = value.clone();
            pythonize_numbers(&mut value);
            plan_set(store, name, path, value)
        }
        RegistryCommand::RemoveField { name, path } => plan_remove(store, name, path),
        RegistryCommand::NewEntry { entry } => plan_new(store, entry.clone()),
        RegistryCommand::Duplicate { name, new_name } => plan_duplicate(store, name, new_name),
        RegistryCommand::Delete { name } => plan_delete(store, name),
        RegistryCommand::Deprecate { name } => {
            plan_set(store, name, "deprecated", Value::Bool(true))
        }
        RegistryCommand::Promote { name } => plan_promote(store, name),
    }
}

fn curated_index(store: &RegistryStore, name: &str) -> Option<usize> {
    store.curated_position(name)
}

fn bad_field(name: &str, path: &str, message: &str) -> EditError {
    EditError::BadField {
        name: name.into(),
        field: path.into(),
        message: message.into(),
    }
}

fn plan_set(
    store: &RegistryStore,
    name: &str,
    path: &str,
    value: Value,
) -> Result<Option<EntryChange>, EditError> {
    if path == "name" {
        return Err(bad_field(name, path, "rename by duplicating and deleting"));
    }
    if path.split('.').any(str::is_empty) {
        return Err(bad_field(name, path, "empty path segment"));
    }
    if let Some(index) = curated_index(store, name) {
        let before = store.curated().full(index).clone();
        if get_path(&before, path) == Some(&value) {
            return Ok(None);
        }
        let mut after = before.clone();
        set_path(&mut after, path, value).map_err(|m| bad_field(name, path, &m))?;
        return Ok(Some(EntryChange {
            label: String::new(),
            index,
            before: Some(before),
            after: Some(after),
        }));
    }
    let merged = store
        .value(name)
        .ok_or_else(|| EditError::UnknownEntry { name: name.into() })?;
    if get_path(merged, path) == Some(&value) {
        return Ok(None);
    }
    // A discovered-only entry gets a minimal curated overlay that wins in the merge.
    let mut overlay = Value::Object(Map::from_iter([("name".to_owned(), Value::from(name))]));
    set_path(&mut overlay, path, value).map_err(|m| bad_field(name, path, &m))?;
    Ok(Some(EntryChange {
        label: String::new(),
        index: store.curated().len(),
        before: None,
        after: Some(overlay),
    }))
}

/// Set a dotted path, creating objects on the way; an existing key keeps its
/// place, a new key is appended at the end of its object.
fn set_path(entry: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut keys: Vec<&str> = path.split('.').collect();
    let last = keys.pop().ok_or("empty path")?;
    let mut current = entry;
    for key in keys {
        let map = current
            .as_object_mut()
            .ok_or_else(|| format!("{key}: parent is not an object"))?;
        let next = map
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if next.is_null() {
            *next = Value::Object(Map::new());
        }
        current = next;
    }
    let map = current
        .as_object_mut()
        .ok_or_else(|| format!("{last}: parent is not an object"))?;
    map.insert(last.to_owned(), value);
    Ok(())
}

fn plan_remove(
    store: &RegistryStore,
    name: &str,
    path: &str,
) -> Result<Option<EntryChange>, EditError> {
    let index = curated_index(store, name).ok_or_else(|| not_curated(store, name))?;
    let before = store.curated().full(index).clone();
    let mut after = before.clone();
    let mut keys: Vec<&str> = path.split('.').collect();
    let Some(last) = keys.pop() else {
        return Ok(None);
    };
    let parent = keys
        .iter()
        .try_fold(&mut after, |v, k| v.as_object_mut()?.get_mut(*k));
    let removed = parent
        .and_then(Value::as_object_mut)
        .and_then(|m| m.shift_remove(last));
    Ok(removed.map(|_| EntryChange {
        label: String::new(),
        index,
        before: Some(before),
        after: Some(after),
    }))
}

fn not_curated(store: &RegistryStore, name: &str) -> EditError {
    match store.merged().get(name) {
        Some(e) => EditError::NotCurated {
            name: name.into(),
            layer: e.layer.as_str(),
        },
        None => EditError::UnknownEntry { name: name.into() },
    }
}

fn plan_new(store: &RegistryStore, mut entry: Value) -> Result<Option<EntryChange>, EditError> {
    let name = entry
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or(EditError::InvalidNewEntry)?
        .to_owned();
    if store.merged().get(&name).is_some() || curated_index(store, &name).is_some() {
        return Err(EditError::NameTaken { name });
    }
    pythonize_numbers(&mut entry);
    Ok(Some(EntryChange {
        label: String::new(),
        index: store.curated().len(),
        before: None,
        after: Some(entry),
    }))
}

fn plan_duplicate(
    store: &RegistryStore,
    name: &str,
    new_name: &str,
) -> Result<Option<EntryChange>, EditError> {
    let source = store
        .value(name)
        .ok_or_else(|| EditError::UnknownEntry { name: name.into() })?;
    let mut copy = without_dynamic_fields(source);
    if let Some(map) = copy.as_object_mut() {
        map.insert("name".into(), Value::from(new_name));
    }
    plan_new(store, copy)
}

fn plan_delete(store: &RegistryStore, name: &str) -> Result<Option<EntryChange>, EditError> {
    let index = curated_index(store, name).ok_or_else(|| not_curated(store, name))?;
    Ok(Some(EntryChange {
        label: String::new(),
        index,
        before: Some(store.curated().full(index).clone()),
        after: None,
    }))
}

fn plan_promote(store: &RegistryStore, name: &str) -> Result<Option<EntryChange>, EditError> {
    let merged = store
        .merged()
        .get(name)
        .ok_or_else(|| EditError::UnknownEntry { name: name.into() })?;
    match merged.layer {
        EntryLayer::Both | EntryLayer::CuratedOnly => {
            return Err(EditError::AlreadyCurated { name: name.into() });
        }
        EntryLayer::SnapshotOnly => return Err(EditError::NotDiscovered { name: name.into() }),
        EntryLayer::DiscoveredOnly => {}
    }
    let source = merged
        .discovered_index
        .and_then(|i| store.discovered().get(i))
        .ok_or_else(|| EditError::NotDiscovered { name: name.into() })?;
    let mut copy = without_dynamic_fields(source);
    // ImageWorks marks curated entries this way; keep the marker consistent.
    if let Some(meta) = copy.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("registry_layer".into(), Value::from("curated"));
    }
    Ok(Some(EntryChange {
        label: String::new(),
        index: store.curated().len(),
        before: None,
        after: Some(copy),
    }))
}
