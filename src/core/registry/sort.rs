//! The registry table's columns and the order each one sorts entries in.

use std::collections::HashMap;

use super::merge::{Merged, MergedEntry};
use super::model::DEFAULT_HOST;

/// Capabilities the table shows as badges and offers as filters.
pub const TABLE_CAPABILITIES: [&str; 4] = ["vision", "tools", "reasoning", "embedding"];

/// Table columns (every one sortable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortColumn {
    Name,
    DisplayName,
    Backend,
    HostPort,
    Quantization,
    Layer,
    Capabilities,
    Deprecated,
    Served,
}

impl SortColumn {
    pub fn title(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::DisplayName => "Display name",
            Self::Backend => "Backend",
            Self::HostPort => "Host:port",
            Self::Quantization => "Quant",
            Self::Layer => "Layer",
            Self::Capabilities => "Capabilities",
            Self::Deprecated => "Deprecated",
            Self::Served => "Served now",
        }
    }

    /// The text the column sorts by: names case-blind, capabilities as a
    /// bit string in [`TABLE_CAPABILITIES`] order, flags as 0/1.
    pub fn key(self, entry: &MergedEntry, served: Option<&ServedIds>) -> String {
        let view = entry.view();
        match self {
            Self::Name => view.name().to_lowercase(),
            Self::DisplayName => view.display_name().unwrap_or("").to_lowercase(),
            Self::Backend => view.backend().unwrap_or("").to_owned(),
            Self::HostPort => host_port(entry),
            Self::Quantization => view.quantization().unwrap_or("").to_lowercase(),
            Self::Layer => entry.layer.as_str().to_owned(),
            Self::Capabilities => TABLE_CAPABILITIES
                .iter()
                .map(|c| if entry.has_capability(c) { '1' } else { '0' })
                .collect(),
            Self::Deprecated => u8::from(view.deprecated()).to_string(),
            Self::Served => u8::from(is_served(entry, served)).to_string(),
        }
    }
}

/// The sort the table starts with and what a click on a header does to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortOrder {
    pub column: SortColumn,
    pub descending: bool,
}

impl Default for SortOrder {
    fn default() -> Self {
        Self {
            column: SortColumn::Name,
            descending: false,
        }
    }
}

impl SortOrder {
    /// A click on `column`: the same column again reverses, another sorts ascending.
    pub fn clicked(self, column: SortColumn) -> Self {
        Self {
            column,
            descending: self.column == column && !self.descending,
        }
    }

    /// Put `rows` (indexes into `merged.entries`) in this order. The sort is
    /// stable, so entries with equal keys keep the filter's order.
    pub fn sort(self, merged: &Merged, rows: &mut [usize], served: Option<&ServedIds>) {
        rows.sort_by_cached_key(|&i| self.column.key(&merged.entries[i], served));
        if self.descending {
            rows.reverse();
        }
    }
}

/// Registry name of each model the connected proxy serves to the display id
/// it serves it under (`core::proxy::served::served_ids`).
pub type ServedIds = HashMap<String, String>;

/// Whether the connected proxy serves this entry. The proxy names the
/// registry entry in `extensions.logical_id`; `served_model_id` is the
/// backend's own model name, which several entries may share.
pub fn is_served(entry: &MergedEntry, served: Option<&ServedIds>) -> bool {
    served_as(entry, served).is_some()
}

/// The display id the connected proxy serves this entry under.
pub fn served_as<'s>(entry: &MergedEntry, served: Option<&'s ServedIds>) -> Option<&'s str> {
    served?.get(entry.name()).map(String::as_str)
}

/// `host:port` as the table shows it (the host defaults to 127.0.0.1 when
/// only a port is set).
pub fn host_port(entry: &MergedEntry) -> String {
    let view = entry.view();
    match (view.host(), view.port()) {
        (host, Some(port)) => format!("{}:{port}", host.unwrap_or(DEFAULT_HOST)),
        (Some(host), None) => host.to_owned(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::core::registry::merge_layers;

    fn merged(curated: Vec<Value>) -> Merged {
        merge_layers(&curated, &Vec::<Value>::new(), &[])
    }

    fn names(merged: &Merged, rows: &[usize]) -> Vec<String> {
        rows.iter()
            .map(|&i| merged.entries[i].name().to_owned())
            .collect()
    }

    fn sorted(merged: &Merged, order: SortOrder, served: Option<&ServedIds>) -> Vec<String> {
        let mut rows: Vec<usize> = (0..merged.entries.len()).collect();
        order.sort(merged, &mut rows, served);
        names(merged, &rows)
    }

    #[test]
    fn host_port_defaults_the_host_only_when_a_port_is_set() {
        let m = merged(vec![
            json!({"name": "a", "backend_config": {"port": 8000}}),
            json!({"name": "b", "backend_config": {"host": "gpu1", "port": 9000}}),
            json!({"name": "c", "backend_config": {"host": "gpu2"}}),
            json!({"name": "d"}),
        ]);
        let shown: Vec<String> = m.entries.iter().map(host_port).collect();
        assert_eq!(shown, ["127.0.0.1:8000", "gpu1:9000", "gpu2", ""]);
    }

    #[test]
    fn names_sort_case_blind_and_a_second_click_reverses() {
        let m = merged(vec![
            json!({"name": "beta"}),
            json!({"name": "Alpha"}),
            json!({"name": "gamma"}),
        ]);
        let order = SortOrder::default();
        assert_eq!(sorted(&m, order, None), ["Alpha", "beta", "gamma"]);
        let reversed = order.clicked(SortColumn::Name);
        assert!(reversed.descending);
        assert_eq!(sorted(&m, reversed, None), ["gamma", "beta", "Alpha"]);
        let other = reversed.clicked(SortColumn::Backend);
        assert_eq!(
            other,
            SortOrder {
                column: SortColumn::Backend,
                descending: false
            }
        );
    }

    #[test]
    fn capabilities_and_served_sort_as_flags() {
        let m = merged(vec![
            json!({"name": "text", "served_model_id": "shared:1b"}),
            json!({"name": "vision", "capabilities": {"vision": true}}),
            json!({"name": "tools", "capabilities": {"tools": true}, "served_model_id": "shared:1b"}),
        ]);
        let by_caps = SortOrder {
            column: SortColumn::Capabilities,
            descending: true,
        };
        assert_eq!(sorted(&m, by_caps, None), ["vision", "tools", "text"]);
        // Served by registry name; the shared backend model name matches nothing.
        let served: ServedIds = [("tools".to_owned(), "tools (display)".to_owned())].into();
        let by_served = SortOrder {
            column: SortColumn::Served,
            descending: true,
        };
        assert_eq!(sorted(&m, by_served, Some(&served))[0], "tools");
        assert!(!is_served(&m.entries[0], Some(&served)));
        assert_eq!(
            served_as(&m.entries[2], Some(&served)),
            Some("tools (display)")
        );
        assert!(
            !is_served(&m.entries[2], None),
            "not connected: nothing served"
        );
    }
}
