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

/// Every page in the navigation's order (Ctrl+PageUp / PageDown walk it).
pub fn page_order(layouts: &LayoutSet) -> Vec<PageId> {
    let mut pages: Vec<PageId> = layouts
        .pages
        .iter()
        .map(|p| PageId::Layout(p.id.clone()))
        .collect();
    pages.extend([
        PageId::Discovery,
        PageId::RawToml,
        PageId::Diff,
        PageId::Preview,
        PageId::Registry,
    ]);
    pages
}

/// The page `step` places after (or before, when negative) `current`, wrapping.
pub fn step_page(layouts: &LayoutSet, current: &PageId, step: isize) -> PageId {
    let pages = page_order(layouts);
    let n = pages.len() as isize;
    let at = pages.iter().position(|p| p == current).unwrap_or(0) as isize;
    pages[(at + step).rem_euclid(n) as usize].clone()
}

/// The title the navigation shows for a page.
pub fn page_title(layouts: &LayoutSet, page: &PageId) -> String {
    match page {
        PageId::Layout(id) => layouts
            .page(id)
            .map_or_else(|| id.clone(), |p| format!("{} {}", p.icon, p.title)),
        PageId::Discovery => "☑ What ImageWorks will offer".into(),
        PageId::RawToml => "📝 Raw TOML".into(),
        PageId::Diff => "± Diff".into(),
        PageId::Preview => "🔍 Preview & push".into(),
        PageId::Registry => "📚 Registry".into(),
    }
}
