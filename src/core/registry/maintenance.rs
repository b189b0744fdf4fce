//! Maintenance actions over the whole registry, each planned before it is
//! applied: remove a model completely, purge deprecated entries, prune
//! duplicates, promote several discovered entries, normalize.
//!
//! A plan holds the new layers and, for each file that would change, its
//! unified diff; nothing is written until the plan is applied and the store
//! saved (one transaction). Unlike the editor's commands these actions may
//! change the discovered layer: removing a model means removing every entry
//! of it. Model files on disk are never touched; only registry entries are.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::json_text::TextStyle;
use super::layer::{EntrySource, LazyLayer};
use super::merge::{EntryLayer, deep_merge_over};
use super::model::{dynamic_field_paths, get_path, without_dynamic_fields};
use super::store::{Layer, Layers, RegistryStore};
use super::validate::normalized_host;
use crate::core::text_diff;

/// One maintenance action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaintenanceAction {
    /// Every entry of these models, in both layers and the snapshot.
    Remove {
        names: Vec<String>,
    },
    PurgeDeprecated,
    /// Entries on the same backend, host:port and model path, or with the
    /// same `served_model_id`: keep one (a curated one), remove the others.
    PruneDuplicates,
    /// Copy discovered-only entries into the curated layer.
    Promote {
        names: Vec<String>,
    },
    /// Rewrite values ImageWorks reads the same way in their plain form.
    Normalize,
}

impl MaintenanceAction {
    /// Short description for previews, undo menus and logs.
    pub fn label(&self) -> String {
        match self {
            Self::Remove { names } => format!("Remove {}", names.join(", ")),
            Self::PurgeDeprecated => "Purge deprecated entries".into(),
            Self::PruneDuplicates => "Prune duplicates".into(),
            Self::Promote { names } => format!("Promote {}", names.join(", ")),
            Self::Normalize => "Normalize".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MaintenanceError {
    #[error("{name}: no such entry")]
    UnknownEntry { name: String },
    #[error("{name}: is already curated; nothing to promote")]
    AlreadyCurated { name: String },
    #[error("{name}: is not in the discovered layer; nothing to promote")]
    NotDiscovered { name: String },
    #[error("name the entries to {what}")]
    NoNames { what: &'static str },
}

/// One file's change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerDiff {
    pub layer: Layer,
    /// Its new text, in the file's style (BOM, newlines).
    pub new_text: String,
    /// `diff -u` of the layer now and after the action.
    pub diff: String,
}

/// An entry an action takes out of the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub name: String,
    /// The entry kept in its place (a pruned duplicate's survivor).
    pub instead: Option<String>,
}

/// A removed entry the connected proxy serves right now, and what clients
/// asking for it will get once the registry is saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedLoss {
    pub name: String,
    /// The id clients use for it now (the proxy's display id).
    pub served_id: String,
    /// The surviving duplicate, and the id the proxy serves it under (when it does).
    pub instead: Option<(String, Option<String>)>,
}

impl std::fmt::Display for ServedLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            name,
            served_id,
            instead,
        } = self;
        // The stock proxy reloads changed registry files when its model list
        // is next asked for, and answers an unknown model with a 404
        // (`err_model_not_found`).
        write!(
            f,
            "{name} is served now as \"{served_id}\". Once the registry is saved, the proxy \
             drops it at its next model listing, and a client asking for \"{served_id}\" gets \
             404 model_not_found"
        )?;
        match instead {
            Some((kept, Some(id))) => write!(f, "; point it at \"{id}\" ({kept}) instead."),
            Some((kept, None)) => write!(
                f,
                "; {kept}, which is kept, is not served now, so no other id answers for it."
            ),
            None => f.write_str("."),
        }
    }
}

/// What an action would do.
#[derive(Clone, Debug)]
pub struct MaintenancePlan {
    pub action: MaintenanceAction,
    /// One line per change, entry by entry.
    pub changes: Vec<String>,
    /// Every entry the action takes out, in the order of `changes`.
    pub removed: Vec<Removed>,
    /// What the action left alone, and why.
    pub kept: Vec<String>,
    /// The files that would change, curated, discovered, snapshot.
    pub diffs: Vec<LayerDiff>,
    layers: Layers,
}

impl MaintenancePlan {
    /// Nothing would change.
    pub fn is_empty(&self) -> bool {
        self.diffs.is_empty()
    }

    /// The layers after the action.
    pub fn layers(&self) -> &Layers {
        &self.layers
    }

    /// The removed entries the connected proxy serves now (`served`: each
    /// served registry name to its display id, `proxy::served::served_ids`).
    pub fn served_losses(&self, served: &HashMap<String, String>) -> Vec<ServedLoss> {
        self.removed
            .iter()
            .filter_map(|r| {
                let served_id = served.get(&r.name)?.clone();
                let instead = r
                    .instead
                    .as_ref()
                    .map(|kept| (kept.clone(), served.get(kept).cloned()));
                Some(ServedLoss {
                    name: r.name.clone(),
                    served_id,
                    instead,
                })
            })
            .collect()
    }
}

/// Plan `action` on the store as it is now (edits not yet saved included).
pub fn plan(
    store: &RegistryStore,
    action: &MaintenanceAction,
) -> Result<MaintenancePlan, MaintenanceError> {
    let mut work = Work::new(store);
    match action {
        MaintenanceAction::Remove { names } => {
            if names.is_empty() {
                return Err(MaintenanceError::NoNames { what: "remove" });
            }
            for name in names {
                if store.merged().get(name).is_none() {
                    return Err(MaintenanceError::UnknownEntry { name: name.clone() });
                }
                work.remove(name, None, "");
            }
        }
        MaintenanceAction::PurgeDeprecated => {
            for entry in &store.merged().entries {
                if entry.view().deprecated() {
                    work.remove(entry.name(), None, " (deprecated)");
                }
            }
        }
        MaintenanceAction::PruneDuplicates => {
            for (keep, drop, why) in duplicates(store) {
                work.remove(
                    &drop,
                    Some(&keep),
                    &format!(" (duplicate of {keep}: {why})"),
                );
            }
        }
        MaintenanceAction::Promote { names } => {
            if names.is_empty() {
                return Err(MaintenanceError::NoNames { what: "promote" });
            }
            for name in names {
                work.promote(name)?;
            }
        }
        MaintenanceAction::Normalize => work.normalize(),
    }
    Ok(work.finish(action.clone()))
}

/// Put the plan's layers in place (one step to undo); returns the layers
/// it replaced, which undo puts back with `RegistryStore::set_layers`.
pub fn apply(store: &mut RegistryStore, plan: &MaintenancePlan) -> Layers {
    let before = store.layers();
    store.set_layers(plan.layers.clone());
    before
}

/// The layers being changed, edits collected per layer by index.
struct Work<'a> {
    store: &'a RegistryStore,
    curated: LayerEdits,
    discovered: LayerEdits,
    curated_at: HashMap<&'a str, Vec<usize>>,
    discovered_at: HashMap<&'a str, Vec<usize>>,
    snapshot_only: Vec<Value>,
    /// Names whose snapshot-only entries are removed (applied in `finish`).
    snapshot_removed: HashSet<String>,
    changes: Vec<String>,
    removed: Vec<Removed>,
    kept: Vec<String>,
}

#[derive(Default)]
struct LayerEdits {
    removed: HashSet<usize>,
    replaced: BTreeMap<usize, Value>,
    appended: Vec<Value>,
}

impl LayerEdits {
    fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.replaced.is_empty() && self.appended.is_empty()
    }

    /// `layer` with these edits (replacements, then removals, then additions),
    /// made through the layer's own edit so that untouched entries stay text.
    fn applied_to(self, layer: &Arc<LazyLayer>) -> Arc<LazyLayer> {
        if self.is_empty() {
            return Arc::clone(layer);
        }
        let mut edited = (**layer).clone();
        for (index, value) in self.replaced {
            edited.put(index, true, Some(value));
        }
        edited.remove_all(&self.removed);
        for value in self.appended {
            edited.put(edited.len(), false, Some(value));
        }
        Arc::new(edited)
    }
}

/// The indexes of each name in `layer`, built once per plan: looking each
/// name up by a scan made removing n duplicates cost n scans.
fn indexes_by_name(layer: &LazyLayer) -> HashMap<&str, Vec<usize>> {
    let mut map: HashMap<&str, Vec<usize>> = HashMap::with_capacity(layer.len());
    for i in 0..layer.len() {
        map.entry(layer.name(i)).or_default().push(i);
    }
    map
}

impl<'a> Work<'a> {
    fn new(store: &'a RegistryStore) -> Self {
        Self {
            store,
            curated: LayerEdits::default(),
            discovered: LayerEdits::default(),
            curated_at: indexes_by_name(store.curated()),
            discovered_at: indexes_by_name(store.discovered()),
            snapshot_only: store.snapshot_only().to_vec(),
            snapshot_removed: HashSet::new(),
            changes: Vec::new(),
            removed: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Every entry named `name`, in every layer; `instead` is the entry
    /// kept in its place, if any.
    fn remove(&mut self, name: &str, instead: Option<&str>, why: &str) {
        let mut from = Vec::new();
        let curated = self.curated_at.get(name).map_or(&[][..], Vec::as_slice);
        let discovered = self.discovered_at.get(name).map_or(&[][..], Vec::as_slice);
        if !curated.is_empty() {
            from.push("curated");
        }
        if !discovered.is_empty() {
            from.push("discovered");
        }
        self.curated.removed.extend(curated);
        self.discovered.removed.extend(discovered);
        let in_snapshot = self
            .store
            .merged()
            .get(name)
            .is_some_and(|e| e.layer == EntryLayer::SnapshotOnly);
        if in_snapshot && self.snapshot_removed.insert(name.to_owned()) {
            from.push("the snapshot");
        }
        self.changes
            .push(format!("remove {name} from {}{why}", from.join(" and ")));
        self.removed.push(Removed {
            name: name.to_owned(),
            instead: instead.map(str::to_owned),
        });
    }

    fn promote(&mut self, name: &str) -> Result<(), MaintenanceError> {
        let entry = self
            .store
            .merged()
            .get(name)
            .ok_or_else(|| MaintenanceError::UnknownEntry { name: name.into() })?;
        let source = match (entry.layer, entry.discovered_index) {
            (EntryLayer::DiscoveredOnly, Some(i)) => self.store.discovered().parsed(i),
            (EntryLayer::CuratedOnly | EntryLayer::Both, _) => {
                return Err(MaintenanceError::AlreadyCurated { name: name.into() });
            }
            _ => return Err(MaintenanceError::NotDiscovered { name: name.into() }),
        };
        self.curated.appended.push(promoted_copy(&source));
        self.changes.push(format!(
            "promote {name}: copy it into curated without its runtime state"
        ));
        Ok(())
    }

    fn normalize(&mut self) {
        let store = self.store;
        for entry in &store.merged().entries {
            if entry.layer == EntryLayer::SnapshotOnly {
                continue;
            }
            self.normalize_parts(entry.name(), entry.discovered_index);
        }
        for value in &mut self.snapshot_only {
            let name = value
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            for change in normalize_entry(value) {
                self.changes
                    .push(format!("{name} (snapshot only): {change}"));
            }
        }
    }

    /// Normalize the layer entries of one model, as far as the merged entry
    /// keeps its meaning (see `keeps_meaning`): both layers if possible,
    /// else only one of them, else neither (said in `kept`).
    fn normalize_parts(&mut self, name: &str, discovered: Option<usize>) {
        let store = self.store;
        let curated_at: Vec<usize> = self.curated_at.get(name).cloned().unwrap_or_default();
        let base = discovered.map(|i| store.discovered().parsed(i).into_owned());
        let overlays: Vec<Value> = curated_at
            .iter()
            .map(|&i| store.curated().parsed(i).into_owned())
            .collect();
        let before = merged_of(base.as_ref(), &overlays);
        let mut base_new = base.clone();
        if let Some(b) = base_new.as_mut() {
            normalize_entry(b);
        }
        let mut overlays_new = overlays.clone();
        overlays_new.iter_mut().for_each(|o| {
            normalize_entry(o);
        });
        // Runtime state found in curated moves to the discovered entry,
        // which then holds the value the merge gave.
        let mut dynamic: Vec<String> = overlays.iter().flat_map(dynamic_field_paths).collect();
        dynamic.sort();
        dynamic.dedup();
        if !dynamic.is_empty() {
            match base_new.as_mut() {
                Some(b) => {
                    for path in &dynamic {
                        move_field(path, &before, b, &mut overlays_new);
                    }
                }
                None => self.kept.push(format!(
                    "{name}: runtime state {} stays in curated: there is no discovered entry to \
                     move it to",
                    dynamic.join(", ")
                )),
            }
        }
        let base_changed = base_new != base;
        let overlays_changed = overlays_new != overlays;
        if !base_changed && !overlays_changed {
            return;
        }
        let fits = |use_base: bool, use_overlays: bool| {
            let b = if use_base { &base_new } else { &base };
            let o = if use_overlays {
                &overlays_new
            } else {
                &overlays
            };
            keeps_meaning(&before, &merged_of(b.as_ref(), o))
        };
        let chosen = [(true, true), (true, false), (false, true)]
            .into_iter()
            .find(|&(b, o)| fits(b, o));
        let (use_base, use_overlays) = chosen.unwrap_or((false, false));
        let hidden = "the merged entry would change (a curated value hides a different \
                      discovered one)";
        if base_changed && !use_base {
            self.kept
                .push(format!("{name}: discovered not normalized: {hidden}"));
        }
        if overlays_changed && !use_overlays {
            self.kept
                .push(format!("{name}: curated not normalized: {hidden}"));
        }
        if use_base
            && base_changed
            && let (Some(i), Some(old), Some(new)) = (discovered, &base, &base_new)
        {
            for change in describe(old, new) {
                self.changes.push(format!("{name} (discovered): {change}"));
            }
            self.discovered.replaced.insert(i, new.clone());
        }
        if use_overlays {
            for ((&i, old), new) in curated_at.iter().zip(&overlays).zip(&overlays_new) {
                if old != new {
                    for change in describe(old, new) {
                        self.changes.push(format!("{name} (curated): {change}"));
                    }
                    self.curated.replaced.insert(i, new.clone());
                }
            }
        }
    }

    fn finish(mut self, action: MaintenanceAction) -> MaintenancePlan {
        let store = self.store;
        if !self.snapshot_removed.is_empty() {
            let removed = &self.snapshot_removed;
            self.snapshot_only
                .retain(|e| !removed.contains(e.get("name").and_then(Value::as_str).unwrap_or("")));
        }
        let before = store.layers();
        let layers = Layers {
            curated: self.curated.applied_to(&before.curated),
            discovered: self.discovered.applied_to(&before.discovered),
            snapshot_only: self.snapshot_only,
        };
        let mut after = store.clone();
        after.set_layers(layers.clone());
        let verb = format!("after {}", action.label().to_lowercase());
        let mut diffs = Vec::new();
        for (layer, old, new) in [
            (Layer::Curated, &before.curated, &layers.curated),
            (Layer::Discovered, &before.discovered, &layers.discovered),
        ] {
            if Arc::ptr_eq(old, new) {
                continue;
            }
            let (old_text, new_text) = (store.file_text(layer, old), store.file_text(layer, new));
            if old_text != new_text {
                let unstyled = |t: &'_ str| TextStyle::without_bom(t).to_owned();
                diffs.push(LayerDiff {
                    layer,
                    diff: text_diff::unified_large(
                        &unstyled(&old_text),
                        &unstyled(&new_text),
                        layer.file_name(),
                        ("now", &verb),
                    ),
                    new_text,
                });
            }
        }
        let (old_snapshot, new_snapshot) = (store.merged_text(), after.merged_text());
        if old_snapshot != new_snapshot {
            diffs.push(layer_diff(
                store,
                Layer::Snapshot,
                &old_snapshot,
                &new_snapshot,
                &verb,
            ));
        }
        MaintenancePlan {
            action,
            changes: self.changes,
            removed: self.removed,
            kept: self.kept,
            diffs,
            layers,
        }
    }
}

fn layer_diff(store: &RegistryStore, layer: Layer, old: &str, new: &str, verb: &str) -> LayerDiff {
    LayerDiff {
        layer,
        new_text: store.styled(layer, new),
        diff: text_diff::unified_large(old, new, layer.file_name(), ("now", verb)),
    }
}

/// The merged entry of one model from its parts (`merge_parts`' rule).
fn merged_of(base: Option<&Value>, overlays: &[Value]) -> Value {
    let mut parts = base.into_iter().chain(overlays);
    let Some(first) = parts.next() else {
        return Value::Null;
    };
    let mut value = first.clone();
    for overlay in parts {
        deep_merge_over(&mut value, overlay);
    }
    value
}

/// Whether `after` means what `before` meant, as ImageWorks reads them:
/// equal once both are normalized.
fn keeps_meaning(before: &Value, after: &Value) -> bool {
    let (mut b, mut a) = (before.clone(), after.clone());
    normalize_entry(&mut b);
    normalize_entry(&mut a);
    a == b
}

/// Move `path` (a top-level key or `metadata.created_from_download`) out of
/// every curated copy into `base`, giving it the merged value.
fn move_field(path: &str, merged: &Value, base: &mut Value, overlays: &mut [Value]) {
    let value = get_path(merged, path).cloned();
    let (parent, key) = match path.split_once('.') {
        Some((parent, key)) => (Some(parent), key),
        None => (None, path),
    };
    for overlay in overlays.iter_mut() {
        let map = match parent {
            Some(p) => overlay.get_mut(p).and_then(Value::as_object_mut),
            None => overlay.as_object_mut(),
        };
        if let Some(map) = map {
            map.shift_remove(key);
        }
    }
    let Some(value) = value else { return };
    let Some(base) = base.as_object_mut() else {
        return;
    };
    let target = match parent {
        Some(p) => base
            .entry(p.to_owned())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut(),
        None => Some(base),
    };
    if let Some(map) = target {
        map.insert(key.to_owned(), value);
    }
}

/// The normalisations ImageWorks' own loader applies when it reads an
/// entry, made in the file: `served_model_id` saved as the text "None" (or
/// blank) is `null`; `roles` and `model_aliases` items are trimmed and
/// blank ones dropped; a blank `backend_config.host` / `base_url` is
/// removed, others trimmed. Returns what changed.
pub fn normalize_entry(entry: &mut Value) -> Vec<String> {
    let mut changes = Vec::new();
    let Some(map) = entry.as_object_mut() else {
        return changes;
    };
    if let Some(id) = map.get_mut("served_model_id")
        && let Some(text) = id.as_str()
        && (text.trim().is_empty() || text.trim() == "None")
    {
        changes.push(format!("served_model_id {text:?} -> null"));
        *id = Value::Null;
    }
    for key in ["roles", "model_aliases"] {
        if let Some(Value::Array(items)) = map.get_mut(key) {
            let before = items.clone();
            items.retain(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()));
            for item in items.iter_mut() {
                if let Some(s) = item.as_str()
                    && s.trim() != s
                {
                    *item = Value::from(s.trim());
                }
            }
            if *items != before {
                changes.push(format!("{key}: blank items dropped, items trimmed"));
            }
        }
    }
    if let Some(Value::Object(config)) = map.get_mut("backend_config") {
        for key in ["host", "base_url"] {
            let Some(text) = config.get(key).and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            if text.trim().is_empty() {
                config.shift_remove(key);
                changes.push(format!("backend_config.{key} {text:?} removed (blank)"));
            } else if text.trim() != text {
                config.insert(key.to_owned(), Value::from(text.trim()));
                changes.push(format!("backend_config.{key} trimmed"));
            }
        }
    }
    changes
}

/// The top-level fields (and `metadata.created_from_download`) that differ.
fn describe(before: &Value, after: &Value) -> Vec<String> {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    let mut seen = HashSet::new();
    keys.retain(|k| seen.insert(*k));
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| match (b.get(k), a.get(k)) {
            (Some(_), None) => format!("{k} removed"),
            (None, Some(_)) => format!("{k} added"),
            (Some(old), Some(new)) if old.is_object() || new.is_object() => format!("{k} changed"),
            (Some(old), Some(new)) => format!("{k}: {} -> {}", compact(old), compact(new)),
            (None, None) => String::new(),
        })
        .collect()
}

fn compact(value: &Value) -> String {
    let text = value.to_string();
    match text.chars().count() > 60 {
        true => format!("{}…", text.chars().take(60).collect::<String>()),
        false => text,
    }
}

/// A discovered entry as the curated layer takes it: without runtime state,
/// marked curated the way ImageWorks marks its curated entries.
pub fn promoted_copy(discovered: &Value) -> Value {
    let mut copy = without_dynamic_fields(discovered);
    if let Some(meta) = copy.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("registry_layer".into(), Value::from("curated"));
    }
    copy
}

/// For each group of duplicates, the entry kept and each one removed, with
/// what makes them duplicates. Entries are duplicates when they share
/// backend, host:port and model path, or a `served_model_id` (groups are
/// closed under both). The one kept is curated if any is, then not
/// deprecated, then one with roles, then the first in registry order.
fn duplicates(store: &RegistryStore) -> Vec<(String, String, String)> {
    let entries = &store.merged().entries;
    let mut parent: Vec<usize> = (0..entries.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut reason: HashMap<usize, String> = HashMap::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let view = entry.view();
        let mut keys = Vec::new();
        let model_path = get_path(view.value(), "backend_config.model_path")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty());
        if let (Some(path), Some(port)) = (model_path, view.port()) {
            let place = format!(
                "{} on {}:{port}, model path {path}",
                view.backend().unwrap_or("no backend"),
                normalized_host(view.host())
            );
            keys.push(place);
        }
        if let Some(id) = view.served_model_id().filter(|id| *id != "None") {
            keys.push(format!("served_model_id {id}"));
        }
        for key in keys {
            match by_key.get(&key) {
                Some(&first) => {
                    let (a, b) = (root(&mut parent, first), root(&mut parent, i));
                    if a != b {
                        parent[b] = a;
                    }
                    reason.entry(i).or_insert(key);
                }
                None => {
                    by_key.insert(key, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..entries.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let has_roles = |i: usize| {
        get_path(store.value_at(i), "roles")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
    };
    let mut out = Vec::new();
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let keep = members
            .iter()
            .copied()
            .min_by_key(|&i| {
                let e = &entries[i];
                let curated = matches!(e.layer, EntryLayer::CuratedOnly | EntryLayer::Both);
                (!curated, e.view().deprecated(), !has_roles(i), i)
            })
            .unwrap_or(members[0]);
        for &i in members.iter().filter(|&&i| i != keep) {
            let why = reason
                .get(&i)
                .or_else(|| reason.get(&keep))
                .cloned()
                .unwrap_or_default();
            out.push((
                entries[keep].name().to_owned(),
                entries[i].name().to_owned(),
                why,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::model::CREATED_FROM_DOWNLOAD;
    use serde_json::json;

    #[test]
    fn normalize_entry_applies_the_loaders_readings() {
        let mut v = json!({"name": "m", "served_model_id": "None", "roles": [" chat", "", "code"],
            "backend_config": {"host": " ", "base_url": " http://x ", "port": 1}});
        let changes = normalize_entry(&mut v);
        assert_eq!(
            v,
            json!({"name": "m", "served_model_id": null, "roles": ["chat", "code"],
                "backend_config": {"base_url": "http://x", "port": 1}})
        );
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert!(normalize_entry(&mut v).is_empty(), "idempotent");
    }

    #[test]
    fn a_curated_none_over_a_real_discovered_id_keeps_its_meaning() {
        let before = merged_of(
            Some(&json!({"name": "m", "served_model_id": "real"})),
            &[json!({"name": "m", "served_model_id": "None"})],
        );
        // Curated null is skipped by the merge: the discovered id would show.
        let after = merged_of(
            Some(&json!({"name": "m", "served_model_id": "real"})),
            &[json!({"name": "m", "served_model_id": null})],
        );
        assert!(!keeps_meaning(&before, &after));
        let both_none = merged_of(
            Some(&json!({"name": "m", "served_model_id": "None"})),
            &[json!({"name": "m", "served_model_id": "None"})],
        );
        let both_null = merged_of(
            Some(&json!({"name": "m", "served_model_id": null})),
            &[json!({"name": "m", "served_model_id": null})],
        );
        assert!(keeps_meaning(&both_none, &both_null));
    }

    #[test]
    fn runtime_state_moves_with_the_merged_value() {
        let merged = json!({"name": "m", "artifacts": {"a": 2, "b": 1}, "metadata": {"created_from_download": true}});
        let mut base = json!({"name": "m", "artifacts": {"b": 1}});
        let mut overlays = vec![
            json!({"name": "m", "artifacts": {"a": 2}, "metadata": {"created_from_download": true, "k": 1}}),
        ];
        move_field("artifacts", &merged, &mut base, &mut overlays);
        move_field(CREATED_FROM_DOWNLOAD, &merged, &mut base, &mut overlays);
        assert_eq!(
            base,
            json!({"name": "m", "artifacts": {"a": 2, "b": 1}, "metadata": {"created_from_download": true}})
        );
        assert_eq!(overlays[0], json!({"name": "m", "metadata": {"k": 1}}));
    }
}
