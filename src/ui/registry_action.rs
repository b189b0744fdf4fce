//! What the registry page asks the app to do (applied in `RegistryState::handle`).
//! Beside `actions`, below the pages, so that the app's action type names
//! it without naming a page.

use std::path::PathBuf;

use crate::core::registry::RegistryCommand;
use crate::core::registry::maintenance::MaintenanceAction;

use crate::core::registry::sort::SortColumn;

#[derive(Clone, Debug, PartialEq)]
pub enum RegistryAction {
    /// Find the folder (`IMAGEWORKS_REGISTRY_DIR`, else `configs/` beside the
    /// open chat_proxy.toml) and load it.
    Resolve,
    /// Load the registry in this folder.
    Load(PathBuf),
    /// An edit of the curated layer (undoable).
    Apply(RegistryCommand),
    Undo,
    Redo,
    /// Safe save of the changed layers and the regenerated snapshot.
    Save,
    /// Show this entry in the editor.
    Select(String),
    /// Sort the table by a column (again: reverse).
    Sort(SortColumn),
    /// Plan a maintenance action and show its preview (nothing changes yet).
    Preview(MaintenanceAction),
    /// Apply the previewed plan (one undo step).
    ApplyPreview,
    ClosePreview,
    /// Show or hide the Roles view.
    ToggleRoles,
}

impl RegistryAction {
    /// Whether the action changes or replaces the registry, and so must wait
    /// for an open or save under way (selecting and sorting need not).
    pub fn waits_for_jobs(&self) -> bool {
        !matches!(
            self,
            Self::Select(_) | Self::Sort(_) | Self::ClosePreview | Self::ToggleRoles
        )
    }
}
