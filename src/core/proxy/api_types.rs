//! The JSON bodies of the proxy's endpoints (contract §3–§5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /v1/config/chat-proxy`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyConfigView {
    /// defaults < file < env, computed at request time (what a restart would run with).
    pub runtime: Map<String, Value>,
    /// defaults < file, no env.
    pub file: Map<String, Value>,
    /// Absolute path of the proxy's file on the proxy's machine.
    pub config_file_path: String,
    /// Every `CHAT_PROXY_*` var of the proxy process, raw.
    #[serde(default)]
    pub env_overrides: BTreeMap<String, String>,
    #[serde(default)]
    pub precedence: Vec<String>,
}

/// `PUT /v1/config/chat-proxy` answered 200. Lenient on purpose: the file is
/// already written when this arrives, so a missing field must not turn a
/// successful write into an error (the push reads the config back anyway).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PutResponse {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub requires_restart: bool,
    #[serde(default)]
    pub message: String,
    /// `runtime`, `file`, `config_file_path`, ... as sent.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    #[serde(default)]
    pub uptime_seconds: f64,
}

/// `GET /v1/models`. `data` is required: an answer without it is another
/// service (or a redirect to one), not a proxy serving no model, and reading
/// it as "0 served" would hide that.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    #[serde(default)]
    pub object: String,
    /// Required: an answer without it is not an ImageWorks proxy answer,
    /// and reading it as "nothing served" would be a wrong outcome.
    pub data: Vec<ModelEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub id: String,
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub owned_by: String,
    /// display_name, logical_id, backend, format, quantization, size_bytes, capabilities.
    #[serde(default)]
    pub extensions: Map<String, Value>,
}

impl ModelEntry {
    /// The registry name of this model: `extensions.logical_id` (the real
    /// proxy's `id` is a display id such as `"qwen2.5vl 7b (Q4 K M)"`),
    /// falling back to `id` for proxies that send no `logical_id`.
    pub fn registry_name(&self) -> &str {
        self.extensions
            .get("logical_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.id)
    }
}

impl ModelList {
    /// The served entry for registry entry `name`, matched by `logical_id`.
    pub fn served_match(&self, name: &str) -> Option<&ModelEntry> {
        self.data.iter().find(|m| m.registry_name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_name_is_the_logical_id_then_the_id() -> Result<(), serde_json::Error> {
        let list: ModelList = serde_json::from_value(serde_json::json!({
            "object": "list",
            "data": [
                {"id": "qwen2.5vl 7b (Q4 K M)", "extensions": {
                    "logical_id": "qwen2.5vl_7b_(Q4_K_M)", "backend": null}},
                {"id": "plain-id", "extensions": {}}
            ]
        }))?;
        let names: Vec<&str> = list.data.iter().map(ModelEntry::registry_name).collect();
        assert_eq!(names, ["qwen2.5vl_7b_(Q4_K_M)", "plain-id"]);
        assert_eq!(list.data[0].id, "qwen2.5vl 7b (Q4 K M)");
        Ok(())
    }
}
