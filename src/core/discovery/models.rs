//! The models part of the discovery document: registry entries and what the
//! proxy serves, matched by registry name (`extensions.logical_id`; the
//! real proxy's `id` is a display id), and the feature flags derived from
//! the models on offer.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value as Json;

use super::{Features, ModelInfo, Registered, RegistryInput};
use crate::core::proxy::{ModelEntry, ModelList};
use crate::core::registry::capabilities::{CapsPart, merged_on_flags};
use crate::core::registry::{Merged, MergedEntry};

/// Every registry entry (in registry order), then each served model the
/// registry does not have (in the proxy's order).
pub(super) fn models(registry: Option<&Merged>, served: Option<&ModelList>) -> Vec<ModelInfo> {
    let entries = registry.map_or(&[][..], |m| m.entries.as_slice());
    let mut seen: HashSet<&str> = HashSet::new();
    let mut models: Vec<ModelInfo> = entries
        .iter()
        .filter(|e| seen.insert(e.name()))
        .map(|e| registry_model(e, served))
        .collect();
    for entry in served.map_or(&[][..], |s| s.data.as_slice()) {
        if seen.insert(entry.registry_name()) {
            models.push(served_only_model(entry));
        }
    }
    models
}

/// `served_list`: the proxy's answer, when one was asked.
fn registry_model(entry: &MergedEntry, served_list: Option<&ModelList>) -> ModelInfo {
    let served = served_list.and_then(|s| s.served_match(entry.name()));
    let view = entry.view();
    let display_id = served
        .map(|m| m.id.clone())
        .or_else(|| view.display_name().map(str::to_owned))
        .unwrap_or_else(|| entry.name().to_owned());
    // What the proxy says it serves wins over a registry folder that may
    // not be the proxy's own.
    let capabilities = served
        .and_then(served_capabilities)
        .unwrap_or_else(|| entry.capabilities().map(str::to_owned).collect());
    ModelInfo {
        name: entry.name().to_owned(),
        display_id,
        served: served_list.map(|_| served.is_some()),
        capabilities,
    }
}

fn served_only_model(entry: &ModelEntry) -> ModelInfo {
    ModelInfo {
        name: entry.registry_name().to_owned(),
        display_id: entry.id.clone(),
        served: Some(true),
        capabilities: served_capabilities(entry).unwrap_or_default(),
    }
}

/// The flags that are on in `extensions.capabilities`, by the registry's
/// own reading of a flag (`true` only); `None` without such an object.
fn served_capabilities(entry: &ModelEntry) -> Option<Vec<String>> {
    let caps = entry.extensions.get("capabilities")?;
    caps.is_object().then(|| {
        merged_on_flags(Some(CapsPart::from_value(caps)), [])
            .iter()
            .map(|c| c.to_string())
            .collect()
    })
}

/// Flags derived from the models on offer: those the proxy serves when it
/// was asked; offline they are unknown, and the registry's entries that are
/// not deprecated give what is registered.
pub(super) fn features(
    models: &[ModelInfo],
    registry: Option<RegistryInput<'_>>,
    served: Option<&ModelList>,
) -> Features {
    let registry_entry = |name: &str| registry.and_then(|r| r.merged.get(name));
    let offered: Vec<&ModelInfo> = models
        .iter()
        .filter(|m| match served {
            Some(_) => m.served == Some(true),
            None => !registry_entry(&m.name).is_some_and(|e| e.view().deprecated()),
        })
        .collect();
    let has = |flag: &str| {
        offered
            .iter()
            .any(|m| m.capabilities.iter().any(|c| c == flag))
    };
    let backends: BTreeSet<String> = offered
        .iter()
        .filter_map(|m| {
            let from_proxy = served
                .and_then(|s| s.served_match(&m.name))
                .and_then(|e| e.extensions.get("backend"))
                .and_then(Json::as_str);
            from_proxy
                .or_else(|| registry_entry(&m.name)?.view().backend())
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
        })
        .collect();
    let flags = Registered {
        vision: has("vision"),
        reasoning: has("reasoning"),
        embedding: has("embedding"),
        backends: backends.into_iter().collect(),
    };
    let registry_dir = registry.map(|r| r.dir.display().to_string());
    match served {
        Some(_) => Features {
            checked: true,
            vision_available: Some(flags.vision),
            reasoning_available: Some(flags.reasoning),
            embedding_available: Some(flags.embedding),
            backends: Some(flags.backends),
            registered: None,
            registry_dir,
        },
        None => Features {
            checked: false,
            vision_available: None,
            reasoning_available: None,
            embedding_available: None,
            backends: None,
            registered: registry.map(|_| flags),
            registry_dir,
        },
    }
}
