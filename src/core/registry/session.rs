//! The registry as one editing session, the registry's `EditSession`: the
//! store, one undo history over field edits and maintenance plans, the
//! findings, the dirty flag and the save. The CLI's `registry set` and
//! maintenance commands and the app's Registry page go through it, so a
//! value typed in either is parsed and range-checked by the same rule
//! (`field_input`, from the entry layout).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::edit::{EditError, EditHistory, EditOutcome, RegistryCommand};
use super::field_input::{FieldInputError, parse_cli_field, parse_field_text};
use super::finding::Finding;
use super::loaded::{file_findings, validate};
use super::maintenance::{self, MaintenanceAction, MaintenanceError, MaintenancePlan};
use super::store::{RegistryError, RegistryStore, SaveReport};
use crate::core::layout::{LayoutError, LayoutSet, Target, builtin_layout_sources};

/// Why an edit was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryEditError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("{name}: field {path}: {source}")]
    Field {
        name: String,
        path: String,
        source: FieldInputError,
    },
}

/// The layout of one registry entry (`ui_layouts/registry_entry.toml`):
/// the fields the editor shows, with their types and ranges.
pub fn entry_layout() -> Result<LayoutSet, LayoutError> {
    LayoutSet::from_sources(Target::RegistryEntry, &builtin_layout_sources())
}

#[derive(Clone, Debug)]
pub struct RegistrySession {
    store: RegistryStore,
    history: EditHistory,
    layout: Arc<LayoutSet>,
    /// About the files as last read or saved (`loaded::file_findings`).
    file_findings: Vec<Finding>,
    /// Those and the entries' findings, built on first use after a change.
    findings: OnceLock<Vec<Finding>>,
    /// Edits made since the registry was read or saved.
    unsaved: bool,
}

impl RegistrySession {
    /// Read the registry folder `dir`.
    pub fn open(dir: &Path, layout: Arc<LayoutSet>) -> Result<Self, RegistryError> {
        Ok(Self::from_store(RegistryStore::load(dir)?, layout))
    }

    /// A session over a store just read (on a worker thread, say).
    pub fn from_store(store: RegistryStore, layout: Arc<LayoutSet>) -> Self {
        Self {
            file_findings: file_findings(&store),
            store,
            history: EditHistory::new(),
            layout,
            findings: OnceLock::new(),
            unsaved: false,
        }
    }

    pub fn store(&self) -> &RegistryStore {
        &self.store
    }

    pub fn layout(&self) -> &LayoutSet {
        &self.layout
    }

    /// The file findings first (the stale snapshot concerns everything),
    /// then each entry's.
    pub fn findings(&self) -> &[Finding] {
        self.findings.get_or_init(|| {
            let mut all = self.file_findings.clone();
            all.extend(validate(&self.store));
            all
        })
    }

    pub fn is_dirty(&self) -> bool {
        self.unsaved
    }

    /// Apply one editor command as one undo step.
    pub fn apply(&mut self, command: &RegistryCommand) -> Result<EditOutcome, EditError> {
        let outcome = self.history.apply(&mut self.store, command)?;
        if outcome == EditOutcome::Changed {
            self.changed();
        }
        Ok(outcome)
    }

    /// Set a field from the text typed in the editor's box.
    pub fn set_field_text(
        &mut self,
        name: &str,
        path: &str,
        text: &str,
    ) -> Result<EditOutcome, RegistryEditError> {
        let value = match self.layout.field(path) {
            Some(field) => parse_field_text(field, text),
            None => Ok(serde_json::Value::String(text.to_owned())),
        };
        self.set_parsed(name, path, value)
    }

    /// Set a field from `registry set`'s VALUE (see `field_input::parse_cli_field`).
    pub fn set_field_cli(
        &mut self,
        name: &str,
        path: &str,
        raw: &str,
    ) -> Result<EditOutcome, RegistryEditError> {
        let value = parse_cli_field(self.layout.field(path), raw);
        self.set_parsed(name, path, value)
    }

    fn set_parsed(
        &mut self,
        name: &str,
        path: &str,
        value: Result<serde_json::Value, FieldInputError>,
    ) -> Result<EditOutcome, RegistryEditError> {
        let value = value.map_err(|source| RegistryEditError::Field {
            name: name.to_owned(),
            path: path.to_owned(),
            source,
        })?;
        Ok(self.apply(&RegistryCommand::SetField {
            name: name.to_owned(),
            path: path.to_owned(),
            value,
        })?)
    }

    /// What a maintenance action would do to the registry as it is now.
    pub fn plan(&self, action: &MaintenanceAction) -> Result<MaintenancePlan, MaintenanceError> {
        maintenance::plan(&self.store, action)
    }

    /// Put a plan in place as one undo step.
    pub fn apply_plan(&mut self, plan: &MaintenancePlan) -> EditOutcome {
        let outcome = self.history.apply_plan(&mut self.store, plan);
        if outcome == EditOutcome::Changed {
            self.changed();
        }
        outcome
    }

    /// Undo the last step; its label, or `None` when there was none.
    pub fn undo(&mut self) -> Option<String> {
        let label = self.history.undo_label()?.to_owned();
        self.history.undo(&mut self.store).then(|| {
            self.changed();
            label
        })
    }

    /// Redo the last undone step; its label, or `None` when there was none.
    pub fn redo(&mut self) -> Option<String> {
        let label = self.history.redo_label()?.to_owned();
        self.history.redo(&mut self.store).then(|| {
            self.changed();
            label
        })
    }

    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    pub fn undo_label(&self) -> Option<&str> {
        self.history.undo_label()
    }

    pub fn redo_label(&self) -> Option<&str> {
        self.history.redo_label()
    }

    /// Steps undo and redo can take (the app orders them with the config's).
    pub fn undo_depth(&self) -> (usize, usize) {
        self.history.depth()
    }

    /// Write what changed (and the regenerated snapshot) now.
    pub fn save(&mut self) -> Result<SaveReport, RegistryError> {
        let result = self.store.save();
        self.saved(result.is_ok());
        result
    }

    /// A copy of the store to save off this thread (cheap: layers are
    /// shared); hand the store the save leaves back to `finish_save`.
    pub fn store_to_save(&self) -> RegistryStore {
        self.store.clone()
    }

    /// Take the store a save on another thread left: it reflects what is on
    /// disk even after a failure part-way. The undo history stays.
    pub fn finish_save(&mut self, store: RegistryStore, ok: bool) {
        self.store = store;
        self.saved(ok);
    }

    fn saved(&mut self, ok: bool) {
        if ok {
            self.file_findings = file_findings(&self.store);
        }
        self.unsaved = self.store.has_pending_edits();
        self.findings = OnceLock::new();
    }

    fn changed(&mut self) {
        self.unsaved = self.store.has_pending_edits();
        self.findings = OnceLock::new();
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
