//! The registry's findings, kept up to date edit by edit.
//!
//! Validating a 10,000-entry registry from scratch takes tens of
//! milliseconds (a file check per chat template, a comparison of both layers
//! per entry for masking), too much to do on every keystroke. Most rules
//! look at one entry at a time, so their findings are kept per entry and an
//! edit of one field recomputes only that entry's. The rules that compare
//! entries with each other (ports, aliases) are recomputed over the merged
//! summaries, which is cheap; duplicate names cannot change when an entry is
//! edited in place. The result is, in content and order, what
//! `validate::validate_parts` gives for the same registry (tested).

use std::path::Path;

use super::finding::Finding;
use super::layer::EntrySource;
use super::masking::entry_masking_findings;
use super::merge::{Merged, MergedEntry};
use super::model::RegistryEntry;
use super::parallel::par_map;
use super::validate::{
    alias_conflicts, duplicate_names, dynamic_fields_of, missing_chat_templates,
    missing_served_ids, port_conflicts, unknown_backends,
};

/// Findings by rule, the per-entry rules per entry.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// Duplicate names in the curated, then the discovered layer.
    duplicates: Vec<Finding>,
    /// Ports and aliases shared between entries.
    between_entries: Vec<Finding>,
    /// Per merged entry: served id, backend, chat template, masking.
    per_entry: Vec<EntryFindings>,
    /// Per curated entry: runtime state in the curated layer.
    per_curated: Vec<Vec<Finding>>,
}

#[derive(Clone, Debug, Default)]
struct EntryFindings {
    served_id: Vec<Finding>,
    backend: Vec<Finding>,
    chat_template: Vec<Finding>,
    masking: Vec<Finding>,
}

impl EntryFindings {
    fn of<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        entry: &MergedEntry,
        curated: &C,
        discovered: &D,
        registry_dir: &Path,
    ) -> Self {
        let view = [entry.view()];
        Self {
            served_id: missing_served_ids(&view),
            backend: unknown_backends(&view),
            chat_template: missing_chat_templates(&view, registry_dir),
            masking: entry_masking_findings(entry, curated, discovered),
        }
    }
}

impl Checks {
    /// Every rule over the whole registry.
    pub fn build<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        curated: &C,
        discovered: &D,
        merged: &Merged,
        registry_dir: &Path,
    ) -> Self {
        let mut duplicates = duplicate_names("curated", curated);
        duplicates.extend(duplicate_names("discovered", discovered));
        let indexes: Vec<usize> = (0..curated.len()).collect();
        Self {
            duplicates,
            between_entries: between_entries(merged),
            per_entry: par_map(&merged.entries, |_, e| {
                EntryFindings::of(e, curated, discovered, registry_dir)
            }),
            per_curated: par_map(&indexes, |_, &i| dynamic_fields_of(curated, i)),
        }
    }

    /// After the merged entry at `position` (and the curated entry at
    /// `curated_index`, if any) changed in place, with no name changed;
    /// `before` is what the rules between entries read of it before.
    pub fn entry_changed<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
        &mut self,
        position: usize,
        curated_index: Option<usize>,
        layers: (&C, &D),
        merged: &Merged,
        before: &SharedFields,
        registry_dir: &Path,
    ) {
        let (curated, discovered) = layers;
        if let (Some(slot), Some(entry)) = (
            self.per_entry.get_mut(position),
            merged.entries.get(position),
        ) {
            *slot = EntryFindings::of(entry, curated, discovered, registry_dir);
        }
        if let Some(i) = curated_index
            && let Some(slot) = self.per_curated.get_mut(i)
        {
            *slot = dynamic_fields_of(curated, i);
        }
        // Ports and aliases are compared between entries: only an edit of
        // what they read can change their findings.
        let after = merged.entries.get(position).map(SharedFields::of);
        if after.as_ref() != Some(before) {
            self.between_entries = between_entries(merged);
        }
    }

    /// All findings, in `validate_parts` order.
    pub fn findings(&self) -> Vec<Finding> {
        let per_entry = |rule: fn(&EntryFindings) -> &Vec<Finding>| {
            self.per_entry.iter().flat_map(move |e| rule(e).iter())
        };
        self.duplicates
            .iter()
            .chain(&self.between_entries)
            .chain(per_entry(|e| &e.served_id))
            .chain(per_entry(|e| &e.backend))
            .chain(per_entry(|e| &e.chat_template))
            .chain(self.per_curated.iter().flatten())
            .chain(per_entry(|e| &e.masking))
            .cloned()
            .collect()
    }
}

/// What the rules between entries (`port_conflicts`, `alias_conflicts`)
/// read of one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedFields {
    aliases: Vec<String>,
    host: Option<String>,
    port: Option<u16>,
    backend: Option<String>,
    deprecated: bool,
}

impl SharedFields {
    pub fn of(entry: &MergedEntry) -> Self {
        let view = entry.view();
        Self {
            aliases: view
                .model_aliases()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            host: view.host().map(str::to_owned),
            port: view.port(),
            backend: view.backend().map(str::to_owned),
            deprecated: view.deprecated(),
        }
    }
}

/// Port and alias conflicts over the merged summaries.
fn between_entries(merged: &Merged) -> Vec<Finding> {
    let entries: Vec<RegistryEntry<'_>> = merged.entries.iter().map(MergedEntry::view).collect();
    let mut out = port_conflicts(&entries);
    out.extend(alias_conflicts(&entries));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::edit::{EditHistory, RegistryCommand};
    use super::super::loaded::validate;
    use super::super::merge::merge_layers;
    use super::super::store::RegistryStore;
    use super::super::validate::validate_parts;

    const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_configs/registry");
    const BOTH: &str = "florence-2-large_(FP16)";
    const OLLAMA: &str = "qwen3_8b_(Q4_K_M)";

    /// The store's merge and findings equal a merge and validation from scratch.
    fn assert_same_as_full(store: &RegistryStore, step: &str) {
        let fresh = merge_layers(store.curated(), store.discovered(), store.snapshot_only());
        let kept = store.merged();
        assert_eq!(kept.entries.len(), fresh.entries.len(), "{step}");
        for (i, (k, f)) in kept.entries.iter().zip(&fresh.entries).enumerate() {
            assert_eq!(k.view().value(), f.view().value(), "{step}: summary {i}");
            assert!(
                k.capabilities().eq(f.capabilities()),
                "{step}: capabilities {i}"
            );
            assert_eq!(k.search_text, f.search_text, "{step}: search text {i}");
            assert_eq!(
                (k.layer, k.curated_index, k.discovered_index),
                (f.layer, f.curated_index, f.discovered_index),
                "{step}: layers {i}"
            );
            let whole = f.value(store.curated(), store.discovered(), store.snapshot_only());
            assert_eq!(store.value_at(i), whole, "{step}: entry {i}");
            assert_eq!(kept.position(k.name()), Some(i), "{step}");
        }
        let full = validate_parts(store.curated(), store.discovered(), &fresh, store.dir());
        assert_eq!(validate(store), full, "{step}");
    }

    fn set(name: &str, path: &str, value: Value) -> RegistryCommand {
        RegistryCommand::SetField {
            name: name.into(),
            path: path.into(),
            value,
        }
    }

    #[test]
    fn incremental_merge_and_findings_equal_full_ones() -> Result<(), Box<dyn std::error::Error>> {
        let mut store = RegistryStore::load(std::path::Path::new(SAMPLE))?;
        // Build the kept findings first, so that edits update them.
        assert!(!validate(&store).is_empty());
        let mut history = EditHistory::new();
        let steps = [
            set(BOTH, "display_name", json!("Florence (curated)")),
            set(BOTH, "backend", json!("tgi")),
            set(BOTH, "backend_config.port", json!(11434)),
            set(BOTH, "model_aliases", json!([OLLAMA])),
            set(OLLAMA, "model_aliases", json!(["shared"])),
            set(BOTH, "chat_template.path", json!("missing/template.jinja")),
            set(BOTH, "download_path", json!("/models/florence")),
            set(BOTH, "served_model_id", json!("None")),
            set(BOTH, "deprecated", json!(true)),
            set(BOTH, "capabilities.vision", json!(true)),
            RegistryCommand::RemoveField {
                name: BOTH.into(),
                path: "backend_config.extra_args".into(),
            },
            // Discovered-only: a new curated overlay (the whole merge again).
            set(
                "siglip-large-patch16-384_(FP32)",
                "display_name",
                json!("x"),
            ),
            set(
                "siglip-large-patch16-384_(FP32)",
                "backend",
                json!("ollama"),
            ),
            RegistryCommand::NewEntry {
                entry: json!({"name": "new", "backend": "vllm", "model_aliases": ["shared"]}),
            },
            RegistryCommand::Delete {
                name: OLLAMA.into(),
            },
        ];
        for command in &steps {
            history.apply(&mut store, command)?;
            assert_same_as_full(&store, &command.label());
        }
        while history.undo(&mut store) {
            assert_same_as_full(&store, "undo");
        }
        while history.redo(&mut store) {
            assert_same_as_full(&store, "redo");
        }
        Ok(())
    }
}
