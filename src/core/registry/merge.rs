//! The layer merge exactly as ImageWorks performs it, plus provenance.
//!
//! Rules (docs/model-registry.md): discovered entries keyed by name (empty
//! names skipped); each curated entry either is new or is deep-merged over
//! the discovered one (`null` skipped, objects recurse, anything else
//! replaces); snapshot-only entries are adopted as discovered; order is
//! first-seen. Provenance is computed on demand per entry, because the GUI
//! only needs it for the entry on screen and computing it for every entry
//! would dominate load time on large registries.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::filter::search_text;
use super::model::RegistryEntry;

/// Which layers hold an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryLayer {
    CuratedOnly,
    DiscoveredOnly,
    Both,
    /// Only in `model_registry.json`; adopted as discovered.
    SnapshotOnly,
}

impl EntryLayer {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CuratedOnly => "curated",
            Self::DiscoveredOnly => "discovered",
            Self::Both => "curated+discovered",
            Self::SnapshotOnly => "snapshot-only",
        }
    }
}

/// Where the merged value of one field comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldSource {
    Curated,
    Discovered,
    /// A curated value replaced a discovered one.
    CuratedOverDiscovered,
    SnapshotOnly,
}

impl FieldSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Curated => "curated",
            Self::Discovered => "discovered",
            Self::CuratedOverDiscovered => "curated-over-discovered",
            Self::SnapshotOnly => "snapshot-only",
        }
    }
}

/// One merged entry and where its parts come from.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedEntry {
    pub value: Value,
    pub layer: EntryLayer,
    /// Index into the curated layer, when the entry has a curated part.
    pub curated_index: Option<usize>,
    /// Index into the discovered layer (or the snapshot for `SnapshotOnly`).
    pub discovered_index: Option<usize>,
    /// Lower-cased text the filter searches, built once per merge so that
    /// filtering on every keystroke does no allocation per entry.
    pub(crate) search_text: String,
}

impl MergedEntry {
    pub fn name(&self) -> &str {
        RegistryEntry::new(&self.value).name()
    }

    pub fn view(&self) -> RegistryEntry<'_> {
        RegistryEntry::new(&self.value)
    }
}

/// The merged registry, in first-seen order, with a name index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    pub entries: Vec<MergedEntry>,
    by_name: HashMap<String, usize>,
}

impl Merged {
    pub fn position(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn get(&self, name: &str) -> Option<&MergedEntry> {
        self.position(name).map(|i| &self.entries[i])
    }

    /// The merged list as written to `model_registry.json`.
    pub fn to_value(&self) -> Value {
        Value::Array(self.entries.iter().map(|e| e.value.clone()).collect())
    }

    fn push(&mut self, entry: MergedEntry) {
        self.by_name
            .insert(entry.name().to_string(), self.entries.len());
        self.entries.push(entry);
    }
}

fn entry_name(value: &Value) -> &str {
    RegistryEntry::new(value).name()
}

/// Merge the layers by ImageWorks' rule.
pub fn merge_layers(curated: &[Value], discovered: &[Value], snapshot: &[Value]) -> Merged {
    let mut merged = Merged::default();
    for (i, entry) in discovered.iter().enumerate() {
        add_discovered(&mut merged, entry, i, EntryLayer::DiscoveredOnly);
    }
    for (i, entry) in curated.iter().enumerate() {
        add_curated(&mut merged, entry, i);
    }
    for (i, entry) in snapshot.iter().enumerate() {
        if merged.position(entry_name(entry)).is_none() {
            add_discovered(&mut merged, entry, i, EntryLayer::SnapshotOnly);
        }
    }
    for entry in &mut merged.entries {
        entry.search_text = search_text(&RegistryEntry::new(&entry.value));
    }
    merged
}

fn add_discovered(merged: &mut Merged, entry: &Value, index: usize, layer: EntryLayer) {
    let name = entry_name(entry);
    if name.is_empty() {
        return;
    }
    let new = MergedEntry {
        value: entry.clone(),
        layer,
        curated_index: None,
        discovered_index: Some(index),
        search_text: String::new(),
    };
    // A later duplicate replaces the earlier one in place, like a dict keyed by name.
    match merged.position(name) {
        Some(pos) => merged.entries[pos] = new,
        None => merged.push(new),
    }
}

fn add_curated(merged: &mut Merged, entry: &Value, index: usize) {
    let name = entry_name(entry);
    if name.is_empty() {
        return;
    }
    match merged.position(name) {
        Some(pos) => {
            let target = &mut merged.entries[pos];
            deep_merge_over(&mut target.value, entry);
            // A repeated curated name merges over its first copy, not over discovered.
            if target.discovered_index.is_some() {
                target.layer = EntryLayer::Both;
            }
            target.curated_index = Some(index);
        }
        None => merged.push(MergedEntry {
            value: entry.clone(),
            layer: EntryLayer::CuratedOnly,
            curated_index: Some(index),
            discovered_index: None,
            search_text: String::new(),
        }),
    }
}

/// Deep-merge `overlay` over `base`: nulls skipped, objects recurse, rest replaces.
pub fn deep_merge_over(base: &mut Value, overlay: &Value) {
    let (Some(base_map), Some(over_map)) = (base.as_object_mut(), overlay.as_object()) else {
        *base = overlay.clone();
        return;
    };
    merge_maps(base_map, over_map);
}

fn merge_maps(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        if value.is_null() {
            continue;
        }
        match (base.get_mut(key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => merge_maps(b, o),
            // Replace in place: keeps the key's position and avoids a re-hash.
            (Some(slot), _) => *slot = value.clone(),
            (None, _) => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Source of every leaf field of one merged entry, in the entry's key order.
/// Leaves are non-object values and empty objects; lists count as one leaf
/// because the merge replaces them whole.
pub fn provenance(
    entry: &MergedEntry,
    curated: &[Value],
    discovered: &[Value],
) -> Vec<(String, FieldSource)> {
    let cur = entry.curated_index.and_then(|i| curated.get(i));
    let dis = match entry.layer {
        EntryLayer::SnapshotOnly => None,
        _ => entry.discovered_index.and_then(|i| discovered.get(i)),
    };
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk_leaves(&entry.value, &mut path, &mut |p, _| {
        let source = match entry.layer {
            EntryLayer::SnapshotOnly => FieldSource::SnapshotOnly,
            _ => leaf_source(p, cur, dis),
        };
        out.push((p.join("."), source));
    });
    out
}

fn leaf_source(path: &[&str], cur: Option<&Value>, dis: Option<&Value>) -> FieldSource {
    let (cur, dis) = match (cur, dis) {
        (Some(_), None) => return FieldSource::Curated,
        (None, _) => return FieldSource::Discovered,
        (Some(c), Some(d)) => (c, d),
    };
    if !curated_sets(cur, path) {
        FieldSource::Discovered
    } else if discovered_had(dis, path) {
        FieldSource::CuratedOverDiscovered
    } else {
        FieldSource::Curated
    }
}

/// Whether the curated entry supplies the merged value at `path` (its nulls
/// are skipped by the merge, so they supply nothing).
fn curated_sets(cur: &Value, path: &[&str]) -> bool {
    lookup(cur, path).is_some_and(|v| !v.is_null())
}

/// Whether the discovered entry had something at `path` (or a non-object on
/// the way there) that the curated value replaced.
fn discovered_had(dis: &Value, path: &[&str]) -> bool {
    let mut current = dis;
    for key in path {
        match current.as_object() {
            Some(map) => match map.get(*key) {
                Some(next) => current = next,
                None => return false,
            },
            None => return true,
        }
    }
    true
}

fn lookup<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |current, key| current.as_object()?.get(*key))
}

/// Visit every leaf with its path.
pub fn walk_leaves<'a>(
    value: &'a Value,
    path: &mut Vec<&'a str>,
    visit: &mut dyn FnMut(&[&'a str], &'a Value),
) {
    match value.as_object() {
        Some(map) if !map.is_empty() => {
            for (key, child) in map {
                path.push(key);
                walk_leaves(child, path, visit);
                path.pop();
            }
        }
        _ => visit(path, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn curated_merges_over_discovered() {
        let dis = vec![
            json!({"name": "a", "x": 1, "o": {"p": 1, "q": 2}, "l": [1]}),
            json!({"name": ""}),
        ];
        let cur = vec![
            json!({"name": "a", "x": null, "o": {"q": 3, "r": null}, "l": [], "n": "new"}),
            json!({"name": "b", "z": null}),
        ];
        let m = merge_layers(
            &cur,
            &dis,
            &[json!({"name": "s", "k": 1}), json!({"name": "a"})],
        );
        assert_eq!(
            m.to_value(),
            json!([
                {"name": "a", "x": 1, "o": {"p": 1, "q": 3}, "l": [], "n": "new"},
                {"name": "b", "z": null},
                {"name": "s", "k": 1}
            ])
        );
        let layers: Vec<_> = m.entries.iter().map(|e| e.layer).collect();
        assert_eq!(
            layers,
            [
                EntryLayer::Both,
                EntryLayer::CuratedOnly,
                EntryLayer::SnapshotOnly
            ]
        );
        let prov = provenance(&m.entries[0], &cur, &dis);
        let want = [
            ("name", FieldSource::CuratedOverDiscovered),
            ("x", FieldSource::Discovered),
            ("o.p", FieldSource::Discovered),
            ("o.q", FieldSource::CuratedOverDiscovered),
            ("l", FieldSource::CuratedOverDiscovered),
            ("n", FieldSource::Curated),
        ];
        let got: Vec<_> = prov.iter().map(|(p, s)| (p.as_str(), *s)).collect();
        assert_eq!(got, want);
        let prov_b = provenance(&m.entries[1], &cur, &dis);
        assert_eq!(prov_b[1], ("z".to_string(), FieldSource::Curated));
    }
}
