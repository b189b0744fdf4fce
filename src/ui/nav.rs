//! Pages of the app and how a setting's path maps to one.

use serde::{Deserialize, Serialize};

use crate::core::layout::{LayoutSet, SectionKind};

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
}

/// The layout page that shows a setting (`endpoints[2].name` → endpoints).
pub fn page_for_path(layouts: &LayoutSet, path: &crate::core::document::DocPath) -> Option<PageId> {
    let pattern = path.pattern();
    let mut best: Option<(usize, &str)> = None;
    for page in &layouts.pages {
        for section in &page.sections {
            let table = match section.kind {
                SectionKind::Array => format!("{}[]", section.table),
                _ => section.table.clone(),
            };
            let matches = pattern == table
                || pattern.starts_with(&format!("{table}."))
                || pattern.starts_with(&format!("{table}["));
            if matches && best.is_none_or(|(len, _)| table.len() > len) {
                best = Some((table.len(), &page.id));
            }
        }
    }
    if let Some((_, id)) = best {
        return Some(PageId::Layout(id.to_owned()));
    }
    // A misplaced proxy key: show the page where it belongs.
    let key = pattern.rsplit('.').next()?;
    let (home, _) = layouts.proxy_field_by_key(key)?;
    layouts
        .pages
        .iter()
        .find(|p| p.sections.iter().any(|s| s.table == home.table))
        .map(|p| PageId::Layout(p.id.clone()))
}
