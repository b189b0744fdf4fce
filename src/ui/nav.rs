//! Pages of the app and how a setting's path maps to one.

use serde::{Deserialize, Serialize};

use crate::core::document::DocPath;
use crate::core::layout::LayoutSet;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PageId {
    /// A page generated from `ui_layouts/` (its id).
    Layout(String),
    RawToml,
    Diff,
    /// The live proxy: effective-config preview and push.
    Preview,
    /// The model registry manager.
    Registry,
    /// What ImageWorks will offer: the discovery document of the draft.
    Discovery,
}

/// The layout page that shows a setting (`endpoints[2].name` → endpoints).
pub fn page_for_path(layouts: &LayoutSet, path: &DocPath) -> Option<PageId> {
    layouts.page_of(path).map(|p| PageId::Layout(p.id.clone()))
}
