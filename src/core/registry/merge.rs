//! The layer merge exactly as ImageWorks performs it, plus provenance.
//!
//! Rules (docs/model-registry.md): discovered entries keyed by name (empty
//! names skipped); each curated entry either is new or is deep-merged over
//! the discovered one (`null` skipped, objects recurse, anything else
//! replaces); snapshot-only entries are adopted as discovered (after the
//! discovered entries, before curated ones, as ImageWorks appends them to
//! its discovered list); order is first-seen. Names are the keys ImageWorks
//! uses, `str(name or "").strip()` (`layer::merge_key`).
//!
//! A merge builds only each entry's summary (`layer::SUMMARY_KEYS`), which
//! is all the table, filter and validator read; the whole merged entry is
//! built the first time something asks for it, and provenance is computed
//! per entry on demand. On large registries building every merged entry in
//! full would dominate load time and double the memory held.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::capabilities::{CapsPart, merged_on_flags};
use super::layer::{EntrySource, summary_of};
use super::model::{RegistryEntry, search_text};
use super::parallel::par_map;

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
#[derive(Clone, Debug)]
pub struct MergedEntry {
    /// The name ImageWorks keys the entry by (`layer::merge_key`).
    key: Box<str>,
    pub layer: EntryLayer,
    /// Index into the curated layer of the last curated part, if any.
    pub curated_index: Option<usize>,
    /// Index into the discovered layer (or the snapshot for `SnapshotOnly`).
    pub discovered_index: Option<usize>,
    /// Every curated part, in merge order (a repeated curated name merges
    /// over its first copy).
    overlays: Vec<usize>,
    /// The merged summary fields.
    summary: Value,
    /// The merged capability flags that are on, in key order.
    capabilities: Vec<Box<str>>,
    /// The whole merged entry, once built.
    full: OnceLock<Value>,
    /// Lower-cased text the filter searches, built once per merge so that
    /// filtering on every keystroke does no allocation per entry.
    pub(crate) search_text: String,
}

impl MergedEntry {
    /// The entry's name as ImageWorks reads it (spaces stripped, a number
    /// as text), which every lookup by name uses.
    pub fn name(&self) -> &str {
        &self.key
    }

    /// Named access to the summary fields (`layer::SUMMARY_KEYS`); the
    /// whole entry is `value`, its capabilities are `capabilities`.
    pub fn view(&self) -> RegistryEntry<'_> {
        RegistryEntry::new(&self.summary)
    }

    /// The capability flags that are `true`, in key order.
    pub fn capabilities(&self) -> impl Iterator<Item = &str> {
        self.capabilities.iter().map(|c| &**c)
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities().any(|c| c == name)
    }

    /// The whole merged entry, built on first use from the layers it was
    /// merged from (which must be the ones passed here).
    pub fn value<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        &self,
        curated: &C,
        discovered: &D,
        snapshot: &[Value],
    ) -> &Value {
        self.full
            .get_or_init(|| self.build_value(curated, discovered, snapshot))
    }

    /// `value`, without keeping what was built.
    pub(crate) fn value_cow<'a, C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        &'a self,
        curated: &C,
        discovered: &D,
        snapshot: &[Value],
    ) -> Cow<'a, Value> {
        match self.full.get() {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(self.build_value(curated, discovered, snapshot)),
        }
    }

    /// Append the entry as the snapshot holds it (the writer's text, a list
    /// item) to `out`, built from its layers' text without parsing them
    /// (`snapshot_text`); `None`, with nothing appended, when a part is
    /// edited, comes from the snapshot, or is not laid out as the writer
    /// writes (then build the value).
    pub(crate) fn text_from_layers<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        &self,
        curated: &C,
        discovered: &D,
        out: &mut String,
    ) -> Option<()> {
        if self.layer == EntryLayer::SnapshotOnly || self.full.get().is_some() {
            return None;
        }
        let base = match self.discovered_index {
            Some(i) => Some(discovered.raw_text(i)?),
            None => None,
        };
        let overlays = self
            .overlays
            .iter()
            .map(|&i| curated.raw_text(i))
            .collect::<Option<Vec<_>>>()?;
        super::snapshot_text::merged_entry_text(base, &overlays, out)
    }

    fn build_value<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        &self,
        curated: &C,
        discovered: &D,
        snapshot: &[Value],
    ) -> Value {
        let base = self.discovered_index.map(|i| match self.layer {
            EntryLayer::SnapshotOnly => snapshot[i].clone(),
            _ => discovered.parsed(i).into_owned(),
        });
        let overlays = self.overlays.iter().map(|&i| curated.parsed(i));
        merge_parts(base, overlays)
    }
}

/// The merged registry, in first-seen order, with a name index.
#[derive(Clone, Debug, Default)]
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

    /// Every whole merged entry, as written to `model_registry.json`; the
    /// layers must be the ones merged. Entries not yet built are built one
    /// at a time and not kept.
    pub fn values<'a, C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        &'a self,
        curated: &'a C,
        discovered: &'a D,
        snapshot: &'a [Value],
    ) -> impl ExactSizeIterator<Item = Cow<'a, Value>> + 'a {
        self.entries
            .iter()
            .map(move |e| e.value_cow(curated, discovered, snapshot))
    }
}

impl Merged {
    /// Rebuild the entry at `position` from its layers, which changed in
    /// place (same names, same indexes): the merge plan stays as it was.
    pub(crate) fn rebuild_entry<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        &mut self,
        position: usize,
        curated: &C,
        discovered: &D,
        snapshot: &[Value],
    ) {
        let Some(old) = self.entries.get(position) else {
            return;
        };
        let slot = Slot {
            layer: old.layer,
            base: old.discovered_index,
            overlays: old.overlays.clone(),
        };
        self.entries[position] = build_entry(&slot, curated, discovered, snapshot);
    }
}

/// Merge the layers by ImageWorks' rule.
///
/// Two passes: the first decides, by name, which layer entries make up
/// each merged entry (and in which order); the second builds the merged
/// summaries, in parallel for large registries.
pub fn merge_layers<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    curated: &C,
    discovered: &D,
    snapshot: &[Value],
) -> Merged {
    let plan = plan_merge(curated, discovered, snapshot);
    let entries = par_map(&plan, |_, slot| {
        build_entry(slot, curated, discovered, snapshot)
    });
    let by_name = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name().to_owned(), i))
        .collect();
    Merged { entries, by_name }
}

/// Which layer entries make up one merged entry.
struct Slot {
    layer: EntryLayer,
    /// Discovered (or, for `SnapshotOnly`, snapshot) index.
    base: Option<usize>,
    /// Curated indexes merged in order.
    overlays: Vec<usize>,
}

fn plan_merge<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    curated: &C,
    discovered: &D,
    snapshot: &[Value],
) -> Vec<Slot> {
    let mut slots: Vec<Slot> = Vec::with_capacity(discovered.len() + curated.len() / 8);
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(discovered.len());
    for i in 0..discovered.len() {
        let name = discovered.name(i);
        if name.is_empty() {
            continue;
        }
        // A later duplicate replaces the earlier one in place, like a dict keyed by name.
        match by_name.get(name) {
            Some(&pos) => slots[pos].base = Some(i),
            None => {
                by_name.insert(name, slots.len());
                slots.push(Slot {
                    layer: EntryLayer::DiscoveredOnly,
                    base: Some(i),
                    overlays: Vec::new(),
                });
            }
        }
    }
    // ImageWorks adopts snapshot entries into the discovered list (after
    // its entries, before any curated one), unless a layer has the name.
    let curated_names: std::collections::HashSet<&str> =
        (0..curated.len()).map(|i| curated.name(i)).collect();
    for i in 0..snapshot.len() {
        let name = snapshot.name(i);
        if name.is_empty() || by_name.contains_key(name) || curated_names.contains(name) {
            continue;
        }
        by_name.insert(name, slots.len());
        slots.push(Slot {
            layer: EntryLayer::SnapshotOnly,
            base: Some(i),
            overlays: Vec::new(),
        });
    }
    for i in 0..curated.len() {
        let name = curated.name(i);
        if name.is_empty() {
            continue;
        }
        match by_name.get(name) {
            Some(&pos) => {
                let slot = &mut slots[pos];
                if slot.base.is_some() {
                    slot.layer = EntryLayer::Both;
                }
                slot.overlays.push(i);
            }
            None => {
                by_name.insert(name, slots.len());
                slots.push(Slot {
                    layer: EntryLayer::CuratedOnly,
                    base: None,
                    overlays: vec![i],
                });
            }
        }
    }
    slots
}

fn build_entry<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    slot: &Slot,
    curated: &C,
    discovered: &D,
    snapshot: &[Value],
) -> MergedEntry {
    let base = slot.base.map(|i| match slot.layer {
        EntryLayer::SnapshotOnly => summary_of(&snapshot[i]),
        _ => discovered.summary(i).into_owned(),
    });
    let overlays = slot.overlays.iter().map(|&i| curated.summary(i));
    let summary = merge_parts(base, overlays);
    let base_caps = slot.base.and_then(|i| match slot.layer {
        EntryLayer::SnapshotOnly => snapshot[i].get("capabilities").map(CapsPart::from_value),
        _ => discovered.capabilities(i),
    });
    let overlay_caps = slot.overlays.iter().map(|&i| curated.capabilities(i));
    let capabilities = merged_on_flags(base_caps, overlay_caps);
    let search_text = search_text(&RegistryEntry::new(&summary));
    let key = match (slot.base, slot.overlays.first()) {
        (Some(i), _) if slot.layer == EntryLayer::SnapshotOnly => snapshot.name(i),
        (Some(i), _) => discovered.name(i),
        (None, Some(&i)) => curated.name(i),
        (None, None) => "",
    };
    MergedEntry {
        key: key.into(),
        layer: slot.layer,
        curated_index: slot.overlays.last().copied(),
        discovered_index: slot.base,
        overlays: slot.overlays.clone(),
        summary,
        capabilities,
        full: OnceLock::new(),
        search_text,
    }
}

/// The base (or the first overlay, when there is no base) with every
/// further overlay deep-merged over it.
fn merge_parts<'a>(
    base: Option<Value>,
    mut overlays: impl Iterator<Item = Cow<'a, Value>>,
) -> Value {
    let mut value = match (base, overlays.next()) {
        (Some(mut base), Some(first)) => {
            deep_merge_over(&mut base, &first);
            base
        }
        (Some(base), None) => base,
        (None, Some(first)) => first.into_owned(),
        (None, None) => Value::Null,
    };
    for overlay in overlays {
        deep_merge_over(&mut value, &overlay);
    }
    value
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
pub fn provenance<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    entry: &MergedEntry,
    curated: &C,
    discovered: &D,
    snapshot: &[Value],
) -> Vec<(String, FieldSource)> {
    let cur = entry
        .curated_index
        .filter(|&i| i < curated.len())
        .map(|i| curated.full(i));
    let dis = match entry.layer {
        EntryLayer::SnapshotOnly => None,
        _ => entry
            .discovered_index
            .filter(|&i| i < discovered.len())
            .map(|i| discovered.full(i)),
    };
    let mut out = Vec::new();
    let mut path = Vec::new();
    let value = entry.value(curated, discovered, snapshot);
    walk_leaves(value, &mut path, &mut |p, _| {
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
        let snap = [json!({"name": "s", "k": 1}), json!({"name": "a"})];
        let m = merge_layers(&cur, &dis, &snap);
        let values: Vec<Value> = m.values(&cur, &dis, &snap).map(Cow::into_owned).collect();
        assert_eq!(
            Value::Array(values),
            json!([
                {"name": "a", "x": 1, "o": {"p": 1, "q": 3}, "l": [], "n": "new"},
                // Adopted from the snapshot as discovered: after the
                // discovered entries, before the curated-only ones.
                {"name": "s", "k": 1},
                {"name": "b", "z": null}
            ])
        );
        for e in &m.entries {
            let whole = e.value(&cur, &dis, &snap);
            assert_eq!(e.view().value(), &summary_of(whole), "{}", e.name());
            let caps: Vec<&str> = e.capabilities().collect();
            assert_eq!(caps, RegistryEntry::new(whole).capabilities());
        }
        let layers: Vec<_> = m.entries.iter().map(|e| e.layer).collect();
        assert_eq!(
            layers,
            [
                EntryLayer::Both,
                EntryLayer::SnapshotOnly,
                EntryLayer::CuratedOnly
            ]
        );
        let prov = provenance(&m.entries[0], &cur, &dis, &snap);
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
        let prov_b = provenance(&m.entries[2], &cur, &dis, &snap);
        assert_eq!(prov_b[1], ("z".to_owned(), FieldSource::Curated));
    }
}
