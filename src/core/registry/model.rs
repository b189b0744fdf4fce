//! Read-only views over registry entries kept as raw JSON objects.
//!
//! Entries stay `serde_json::Value` objects so unknown fields and key order
//! survive a load/save; this module only gives named access to the fields the
//! editor, validator and CLI care about.

use serde_json::Value;

/// Host used when `backend_config.host` is not set.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// The value at a dotted path such as `backend_config.port`.
pub fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |current, key| current.as_object()?.get(key))
}

/// A named view over one registry entry object.
#[derive(Clone, Copy, Debug)]
pub struct RegistryEntry<'a> {
    value: &'a Value,
}

impl<'a> RegistryEntry<'a> {
    pub fn new(value: &'a Value) -> Self {
        Self { value }
    }

    pub fn value(&self) -> &'a Value {
        self.value
    }

    fn str_at(&self, path: &str) -> Option<&'a str> {
        get_path(self.value, path)?.as_str()
    }

    /// `name`, or "" when missing (such entries are skipped by the merge).
    pub fn name(&self) -> &'a str {
        self.str_at("name").unwrap_or("")
    }

    pub fn display_name(&self) -> Option<&'a str> {
        self.str_at("display_name")
    }

    pub fn backend(&self) -> Option<&'a str> {
        self.str_at("backend")
    }

    /// `backend_config.host` as written, `None` when unset.
    pub fn host(&self) -> Option<&'a str> {
        self.str_at("backend_config.host")
    }

    /// `backend_config.port`; a port written as a numeric string also counts.
    pub fn port(&self) -> Option<u16> {
        let port = get_path(self.value, "backend_config.port")?;
        match port {
            Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn quantization(&self) -> Option<&'a str> {
        self.str_at("quantization")
    }

    /// The weights' format: `download_format` as ImageWorks records it
    /// (`gguf`, `safetensors`), else a plain `format`.
    pub fn format(&self) -> Option<&'a str> {
        self.str_at("download_format")
            .or_else(|| self.str_at("format"))
    }

    /// Names of the capability flags that are `true`, in file order.
    pub fn capabilities(&self) -> Vec<&'a str> {
        get_path(self.value, "capabilities")
            .and_then(Value::as_object)
            .map(|caps| {
                caps.iter()
                    .filter(|(_, v)| v.as_bool() == Some(true))
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn deprecated(&self) -> bool {
        get_path(self.value, "deprecated").and_then(Value::as_bool) == Some(true)
    }

    /// `served_model_id`, treating an empty string as missing.
    pub fn served_model_id(&self) -> Option<&'a str> {
        self.str_at("served_model_id")
            .filter(|s| !s.trim().is_empty())
    }

    pub fn model_aliases(&self) -> Vec<&'a str> {
        get_path(self.value, "model_aliases")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    pub fn chat_template_path(&self) -> Option<&'a str> {
        self.str_at("chat_template.path")
            .filter(|s| !s.trim().is_empty())
    }

    /// Paths of the runtime-state fields this entry carries (see `is_dynamic`).
    pub fn dynamic_fields(&self) -> Vec<String> {
        dynamic_field_paths(self.value)
    }
}

/// The one nested runtime-state field ImageWorks writes.
pub const CREATED_FROM_DOWNLOAD: &str = "metadata.created_from_download";

/// Whether the top-level field `key` with `value` is runtime state written
/// by download/scan tools rather than curated metadata.
pub fn is_dynamic(key: &str, value: &Value) -> bool {
    match key {
        // `artifacts` and `version_lock` too: ImageWorks strips them from the
        // curated layer whenever it saves it (its `save_registry`).
        "downloaded_at" | "last_accessed" | "artifacts" | "version_lock" => true,
        // Empty `performance`/`probes` are what ImageWorks seeds every entry with: no state yet.
        "performance" | "probes" => !is_empty_value(value),
        _ => key.starts_with("download_"),
    }
}

/// Placeholder content as ImageWorks seeds it (`{"rolling_samples": 0,
/// "ttft_ms_avg": null, ...}`, `{"vision": null}`): nothing measured yet.
fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty_value),
        _ => false,
    }
}

/// Every dynamic field path of an entry, including `metadata.created_from_download`.
pub fn dynamic_field_paths(entry: &Value) -> Vec<String> {
    let Some(map) = entry.as_object() else {
        return Vec::new();
    };
    let mut paths: Vec<String> = map
        .iter()
        .filter(|(k, v)| is_dynamic(k, v))
        .map(|(k, _)| k.clone())
        .collect();
    if get_path(entry, CREATED_FROM_DOWNLOAD).is_some() {
        paths.push(CREATED_FROM_DOWNLOAD.into());
    }
    paths
}

/// A copy of `entry` without its dynamic fields (what promotion copies).
pub fn without_dynamic_fields(entry: &Value) -> Value {
    let mut copy = entry.clone();
    if let Some(map) = copy.as_object_mut() {
        map.retain(|k, v| !is_dynamic(k, v));
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.shift_remove("created_from_download");
        }
    }
    copy
}

/// The lower-cased text an entry is searched by (see `MergedEntry::search_text`).
pub(crate) fn search_text(e: &RegistryEntry<'_>) -> String {
    let mut parts = vec![e.name()];
    parts.extend(e.display_name());
    parts.extend(e.backend());
    parts.extend(e.served_model_id());
    parts.extend(e.quantization());
    parts.extend(e.model_aliases());
    parts.join("\n").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn views_read_nested_fields() {
        let v = json!({"name": "m", "backend": "vllm",
            "backend_config": {"port": 24001, "host": "h"},
            "capabilities": {"text": true, "vision": false, "tools": true},
            "model_aliases": ["a", "b"], "chat_template": {"path": "t.jinja"},
            "deprecated": true, "served_model_id": ""});
        let e = RegistryEntry::new(&v);
        assert_eq!(e.name(), "m");
        assert_eq!(e.port(), Some(24001));
        assert_eq!(e.host(), Some("h"));
        assert_eq!(e.capabilities(), vec!["text", "tools"]);
        assert_eq!(e.model_aliases(), vec!["a", "b"]);
        assert_eq!(e.chat_template_path(), Some("t.jinja"));
        assert!(e.deprecated());
        assert_eq!(e.served_model_id(), None);
        assert_eq!(e.format(), None);
        let both = json!({"download_format": "gguf", "format": "x"});
        assert_eq!(RegistryEntry::new(&both).format(), Some("gguf"));
        let plain = json!({"format": "awq"});
        assert_eq!(RegistryEntry::new(&plain).format(), Some("awq"));
    }

    #[test]
    fn artifacts_and_version_lock_are_runtime_state() {
        let v = json!({"name": "m", "artifacts": {"aggregate_sha256": "", "files": []},
            "version_lock": {"locked": false}, "license": "mit"});
        assert_eq!(dynamic_field_paths(&v), vec!["artifacts", "version_lock"]);
        assert_eq!(
            without_dynamic_fields(&v),
            json!({"name": "m", "license": "mit"})
        );
    }

    #[test]
    fn dynamic_fields_are_stripped() {
        let v = json!({"name": "m", "download_path": "/x", "downloaded_at": "t",
            "performance": {"rolling_samples": 0, "ttft_ms_avg": null}, "probes": {"a": 1}, "metadata": {"created_from_download": true, "k": 1}});
        assert_eq!(
            dynamic_field_paths(&v),
            vec![
                "download_path",
                "downloaded_at",
                "probes",
                "metadata.created_from_download"
            ]
        );
        assert_eq!(
            without_dynamic_fields(&v),
            json!({"name": "m", "performance": {"rolling_samples": 0, "ttft_ms_avg": null}, "metadata": {"k": 1}})
        );
    }
}
