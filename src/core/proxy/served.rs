//! What the proxy serves now (`/v1/models`) joined with the model registry.
//!
//! The stock proxy's `id` is a display id (`"qwen2.5vl 7b (Q4 K M)"`); the
//! registry name is `extensions.logical_id` (contract §7), and its
//! `backend`, `format` and `quantization` can be `null`. The registry entry
//! fills those in, and says so, so nobody reads "?" for a model whose
//! registry entry names its backend.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::api_types::{ModelEntry, ModelList};
use crate::core::registry::{RegistryEntry, RegistryStore, TABLE_CAPABILITIES};

/// Where a served model's attribute was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrSource {
    /// The proxy's `extensions`.
    Proxy,
    /// The proxy sent `null` (or nothing); the registry entry has it.
    Registry,
}

/// One attribute (backend, format, quantization) and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attr {
    pub value: String,
    pub source: AttrSource,
}

/// One served model as the Preview page and the CLI show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServedModel {
    /// The proxy's `id` (the display id clients use).
    pub id: String,
    /// `extensions.logical_id`, else `id`.
    pub registry_name: String,
    /// Whether the loaded registry has an entry of that name.
    pub in_registry: bool,
    pub backend: Option<Attr>,
    pub format: Option<Attr>,
    pub quantization: Option<Attr>,
    /// The table's capabilities (`vision`, `tools`, ...) that are on.
    pub capabilities: Vec<String>,
}

/// Registry name to the proxy's display id, for every served model.
pub fn served_ids(models: &ModelList) -> HashMap<String, String> {
    models
        .data
        .iter()
        .map(|m| (m.registry_name().to_owned(), m.id.clone()))
        .collect()
}

/// Every served model, its `null` attributes filled from `registry` (when loaded).
pub fn served_models(models: &ModelList, registry: Option<&RegistryStore>) -> Vec<ServedModel> {
    models
        .data
        .iter()
        .map(|m| served_model(m, registry.and_then(|r| r.value(m.registry_name()))))
        .collect()
}

/// One served model; `entry` is its whole merged registry entry, if any.
pub fn served_model(model: &ModelEntry, entry: Option<&Value>) -> ServedModel {
    let view = entry.map(RegistryEntry::new);
    let attr = |key: &str, from_registry: Option<&str>| {
        let sent = model
            .extensions
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty());
        match (sent, from_registry.filter(|s| !s.trim().is_empty())) {
            (Some(v), _) => Some(Attr {
                value: v.to_owned(),
                source: AttrSource::Proxy,
            }),
            (None, Some(v)) => Some(Attr {
                value: v.to_owned(),
                source: AttrSource::Registry,
            }),
            (None, None) => None,
        }
    };
    ServedModel {
        id: model.id.clone(),
        registry_name: model.registry_name().to_owned(),
        in_registry: entry.is_some(),
        backend: attr("backend", view.and_then(|v| v.backend())),
        format: attr("format", view.and_then(|v| v.format())),
        quantization: attr("quantization", view.and_then(|v| v.quantization())),
        capabilities: capabilities(model, view),
    }
}

/// The proxy's capability flags when it sends any, else the registry's.
fn capabilities(model: &ModelEntry, entry: Option<RegistryEntry<'_>>) -> Vec<String> {
    let on_table = |names: Vec<&str>| -> Vec<String> {
        TABLE_CAPABILITIES
            .iter()
            .filter(|c| names.contains(c))
            .map(|c| (*c).to_owned())
            .collect()
    };
    match model
        .extensions
        .get("capabilities")
        .and_then(Value::as_object)
    {
        Some(caps) => on_table(
            caps.iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .map(|(k, _)| k.as_str())
                .collect(),
        ),
        None => entry
            .map(|e| on_table(e.capabilities()))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn model(value: Value) -> ModelEntry {
        serde_json::from_value(value).expect("a model entry")
    }

    #[test]
    fn null_attributes_come_from_the_registry_and_say_so() {
        let m = model(json!({"id": "qwen2.5vl 7b (Q4 K M)", "extensions": {
            "logical_id": "qwen2.5vl_7b_(Q4_K_M)", "backend": null, "format": null,
            "quantization": "q4_k_m", "capabilities": {"vision": true, "text": true}}}));
        let entry = json!({"name": "qwen2.5vl_7b_(Q4_K_M)", "backend": "ollama",
            "download_format": "gguf", "quantization": "Q4_K_M"});
        let s = served_model(&m, Some(&entry));
        assert_eq!(s.id, "qwen2.5vl 7b (Q4 K M)");
        assert_eq!(s.registry_name, "qwen2.5vl_7b_(Q4_K_M)");
        assert!(s.in_registry);
        let shown = |a: &Option<Attr>| a.as_ref().map(|a| (a.value.clone(), a.source));
        assert_eq!(
            shown(&s.backend),
            Some(("ollama".into(), AttrSource::Registry))
        );
        assert_eq!(
            shown(&s.format),
            Some(("gguf".into(), AttrSource::Registry))
        );
        assert_eq!(
            shown(&s.quantization),
            Some(("q4_k_m".into(), AttrSource::Proxy)),
            "what the proxy sends wins"
        );
        assert_eq!(s.capabilities, ["vision"]);
    }

    #[test]
    fn a_model_without_a_registry_entry_keeps_its_gaps() {
        let m = model(json!({"id": "adhoc", "extensions": {"backend": null}}));
        let s = served_model(&m, None);
        assert_eq!(s.registry_name, "adhoc");
        assert!(!s.in_registry && s.backend.is_none() && s.format.is_none());
        assert!(s.capabilities.is_empty());
        // No capabilities from the proxy: the registry's are shown.
        let entry = json!({"name": "adhoc", "capabilities": {"tools": true, "vision": false}});
        assert_eq!(served_model(&m, Some(&entry)).capabilities, ["tools"]);
    }

    #[test]
    fn served_ids_map_registry_names_to_display_ids() {
        let list: ModelList = serde_json::from_value(json!({"data": [
            {"id": "gpt-oss-20b (MXFP4)", "extensions": {"logical_id": "gpt-oss-20b_(MXFP4)"}},
            {"id": "plain"}
        ]}))
        .expect("a model list");
        let ids = served_ids(&list);
        assert_eq!(
            ids.get("gpt-oss-20b_(MXFP4)").map(String::as_str),
            Some("gpt-oss-20b (MXFP4)")
        );
        assert_eq!(ids.get("plain").map(String::as_str), Some("plain"));
        assert_eq!(ids.len(), 2);
    }
}
