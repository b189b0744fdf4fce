//! Testing one `[[endpoints]]` entry: ask it what it serves (`/v1/models`
//! for OpenAI-style servers, `/api/tags` for Ollama), with its key read
//! from `api_key_env` at request time, and hold its `default_models`
//! against the answer. The key's value is never kept, logged or shown:
//! even an answer that echoes it has it masked before it reaches a message.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::core::discovery::{EndpointInfo, endpoints};
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::plural;
use crate::core::proxy::proxy_text::shown;
use crate::core::proxy::{ClientConfig, HttpProxyClient, ProxyApi, ProxyError};

/// One endpoint as the Endpoints page and the CLI test it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointSpec {
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub api_key_env: Option<String>,
    pub default_models: Vec<String>,
}

impl EndpointSpec {
    /// From a parsed `[[endpoints]]` entry; `None` without a base URL.
    pub fn from_info(info: &EndpointInfo, api_key_env: Option<String>) -> Option<Self> {
        Some(Self {
            name: info.name.clone().unwrap_or_default(),
            kind: info
                .kind
                .clone()
                .unwrap_or_else(|| "openai_compatible".to_owned()),
            base_url: info.base_url.clone()?,
            api_key_env: api_key_env.filter(|v| !v.trim().is_empty()),
            default_models: info.default_models.clone(),
        })
    }
}

/// Each `[[endpoints]]` entry of `doc` as a testable spec, in file order;
/// `None` for an entry without a `base_url` (nothing to ask).
pub fn specs(doc: &ConfigDocument, layouts: &LayoutSet) -> Vec<Option<EndpointSpec>> {
    let tables = doc.array("endpoints");
    endpoints(doc, layouts)
        .iter()
        .enumerate()
        .map(|(i, info)| {
            let key_env = tables
                .and_then(|a| a.get(i))
                .and_then(|t| t.get("api_key_env"))
                .and_then(toml_edit::Item::as_str)
                .map(str::to_owned);
            EndpointSpec::from_info(info, key_env)
        })
        .collect()
}

/// What a test found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointReport {
    /// The URL asked.
    pub url: String,
    /// Model ids it serves, in its order.
    pub models: Vec<String>,
    /// One per default model it does not serve.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EndpointError {
    #[error(
        "endpoint “{name}”: kind “{kind}” is not one the studio can test (openai_compatible, vllm, lmdeploy, ollama)"
    )]
    UnknownKind { name: String, kind: String },
    #[error("endpoint “{name}”: {reason}")]
    Setup { name: String, reason: String },
    #[error(
        "endpoint “{name}”: env var {var} (its api_key_env) is not set here; set it before testing, or clear api_key_env if it needs no key"
    )]
    KeyMissing { name: String, var: String },
    #[error(
        "endpoint “{name}”: GET {url}: cannot connect ({reason}); is the server running and is base_url right?"
    )]
    Unreachable {
        name: String,
        url: String,
        reason: String,
    },
    #[error("endpoint “{name}”: GET {url}: no answer within {after_s} s")]
    Timeout {
        name: String,
        url: String,
        after_s: f64,
    },
    #[error("endpoint “{name}”: GET {url}: HTTP {status}: {body}; {hint}")]
    Status {
        name: String,
        url: String,
        status: u16,
        body: String,
        hint: String,
    },
    #[error("endpoint “{name}”: GET {url}: {reason}; the answer starts “{body}”")]
    BadAnswer {
        name: String,
        url: String,
        reason: String,
        body: String,
    },
}

/// The API an endpoint speaks, as far as its model list goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    OpenAi,
    Ollama,
}

fn api_of(spec: &EndpointSpec) -> Result<Api, EndpointError> {
    match spec.kind.as_str() {
        "openai_compatible" | "vllm" | "lmdeploy" => Ok(Api::OpenAi),
        "ollama" => Ok(Api::Ollama),
        other => Err(EndpointError::UnknownKind {
            name: spec.name.clone(),
            kind: other.to_owned(),
        }),
    }
}

/// The client's base and the path of the model list. An OpenAI-style
/// `base_url` usually ends in `/v1` already (`http://host:8000/v1`); an
/// Ollama one is the server's root, or its OpenAI `/v1` (stripped: the
/// native list is at the root).
fn list_location(api: Api, base_url: &str) -> (String, &'static str) {
    let base = base_url.trim().trim_end_matches('/');
    let (root, has_v1) = match base.strip_suffix("/v1") {
        Some(root) => (root, true),
        None => (base, false),
    };
    match (api, has_v1) {
        (Api::OpenAi, true) => (base.to_owned(), "/models"),
        (Api::OpenAi, false) => (base.to_owned(), "/v1/models"),
        (Api::Ollama, _) => (root.to_owned(), "/api/tags"),
    }
}

/// Ask the endpoint what it serves and check its default models against it.
pub async fn test_endpoint(
    spec: &EndpointSpec,
    timeout: Duration,
) -> Result<EndpointReport, EndpointError> {
    let api = api_of(spec)?;
    let (base, path) = list_location(api, &spec.base_url);
    let name = spec.name.clone();
    let client = HttpProxyClient::new(&ClientConfig {
        base_url: base,
        timeout,
        token_env: spec.api_key_env.clone(),
        ca_file: None,
    })
    .map_err(|e| EndpointError::Setup {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    let url = format!("{}{path}", client.base_url());
    let mask = Mask::of(spec.api_key_env.as_deref());
    let (status, body) = client
        .get_raw(path)
        .await
        .map_err(|e| transport_error(&name, &url, e, &mask))?;
    if !(200..300).contains(&status) {
        return Err(EndpointError::Status {
            name,
            url,
            status,
            body: mask.apply(&snippet(&body)),
            hint: status_hint(status, spec.api_key_env.as_deref()),
        });
    }
    let models = model_ids(api, &body).map_err(|reason| EndpointError::BadAnswer {
        name: name.clone(),
        url: url.clone(),
        reason,
        body: mask.apply(&snippet(&body)),
    })?;
    let warnings = unserved_defaults(spec, &models);
    Ok(EndpointReport {
        url,
        models,
        warnings,
    })
}

/// The ids in a model list: OpenAI `{"data": [{"id"}]}`, Ollama
/// `{"models": [{"name"}]}` (`model` as a fallback, as newer Ollama sends both).
fn model_ids(api: Api, body: &[u8]) -> Result<Vec<String>, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("not JSON (line {}, column {})", e.line(), e.column()))?;
    let (list_key, id_keys): (&str, &[&str]) = match api {
        Api::OpenAi => ("data", &["id"]),
        Api::Ollama => ("models", &["name", "model"]),
    };
    let list = value
        .get(list_key)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            format!(
                "no “{list_key}” list in the answer; is this a {} server?",
                match api {
                    Api::OpenAi => "OpenAI-style",
                    Api::Ollama => "Ollama",
                }
            )
        })?;
    Ok(list
        .iter()
        .filter_map(|m| id_keys.iter().find_map(|k| m.get(*k)?.as_str()))
        .map(|id| shown(id, 200))
        .collect())
}

/// A default model the endpoint does not serve is a warning, not an
/// error: the server may load it on demand, or be down for a change.
pub fn unserved_defaults(spec: &EndpointSpec, served: &[String]) -> Vec<String> {
    spec.default_models
        .iter()
        .filter(|m| !served.iter().any(|s| s == *m))
        .map(|m| {
            format!(
                "endpoint {}: default model \"{m}\" is not among the {} it serves",
                spec.name,
                plural::count(served.len(), "model", "models")
            )
        })
        .collect()
}

/// The registry's models the default-model picker offers beside those the
/// endpoint serves (`registry`: each entry's name and `served_model_id`).
/// An entry whose name or `served_model_id` the endpoint serves is that same
/// model: it is offered once, under the endpoint's spelling, not twice.
pub fn registry_models_beside<'a>(
    registry: &'a [(String, Option<String>)],
    served: &[String],
) -> Vec<&'a str> {
    let is_served = |id: &str| served.iter().any(|s| s == id);
    registry
        .iter()
        .filter(|(name, id)| !is_served(name) && !id.as_deref().is_some_and(is_served))
        .map(|(name, _)| name.as_str())
        .collect()
}

fn status_hint(status: u16, key_env: Option<&str>) -> String {
    match (status, key_env) {
        (401 | 403, Some(var)) => format!("the endpoint refused the key in {var}; check its value"),
        (401 | 403, None) => {
            "the endpoint wants a key: set api_key_env to the env var that holds it".to_owned()
        }
        (404, _) => "no model list there; check base_url and kind".to_owned(),
        _ => "the endpoint failed; check its log".to_owned(),
    }
}

fn transport_error(name: &str, url: &str, e: ProxyError, mask: &Mask) -> EndpointError {
    let name = name.to_owned();
    let url = url.to_owned();
    match e {
        ProxyError::TokenMissing { var } => EndpointError::KeyMissing { name, var },
        ProxyError::Timeout { after_s, .. } => EndpointError::Timeout { name, url, after_s },
        ProxyError::Connect { reason, .. } | ProxyError::Transport { reason, .. } => {
            EndpointError::Unreachable {
                name,
                url,
                reason: mask.apply(&reason),
            }
        }
        other => EndpointError::Setup {
            name,
            reason: mask.apply(&other.to_string()),
        },
    }
}

fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(800)];
    shown(&String::from_utf8_lossy(head), 200)
}

/// The key's value, read once to hide it from anything an endpoint sends back.
struct Mask(Option<String>);

impl Mask {
    fn of(var: Option<&str>) -> Self {
        // Short values would mask ordinary words; keys are long.
        Self(
            var.and_then(|v| std::env::var(v).ok())
                .filter(|k| k.len() >= 4),
        )
    }

    fn apply(&self, text: &str) -> String {
        match &self.0 {
            Some(key) => text.replace(key.as_str(), "***"),
            None => text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_model_the_endpoint_serves_is_offered_once() {
        let registry = vec![
            (
                "qwen2.5vl_7b_(Q4_K_M)".to_owned(),
                Some("qwen2.5vl:7b".to_owned()),
            ),
            ("llama3:8b".to_owned(), None),
            (
                "florence-2-large_(FP16)".to_owned(),
                Some("florence".to_owned()),
            ),
        ];
        let served = vec!["qwen2.5vl:7b".to_owned(), "llama3:8b".to_owned()];
        assert_eq!(
            registry_models_beside(&registry, &served),
            ["florence-2-large_(FP16)"]
        );
        assert_eq!(
            registry_models_beside(&registry, &[]).len(),
            3,
            "not tested: all"
        );
    }

    #[test]
    fn each_kind_asks_its_own_list() {
        assert_eq!(
            list_location(Api::OpenAi, "http://h:8000/v1/"),
            ("http://h:8000/v1".to_owned(), "/models")
        );
        assert_eq!(
            list_location(Api::OpenAi, "http://h:8000"),
            ("http://h:8000".to_owned(), "/v1/models")
        );
        assert_eq!(
            list_location(Api::Ollama, "http://gpu-box.lan:11434"),
            ("http://gpu-box.lan:11434".to_owned(), "/api/tags")
        );
        assert_eq!(
            list_location(Api::Ollama, "http://gpu-box.lan:11434/v1"),
            ("http://gpu-box.lan:11434".to_owned(), "/api/tags")
        );
    }

    #[test]
    fn lists_are_read_in_both_shapes() {
        let openai = br#"{"object":"list","data":[{"id":"qwen"},{"id":"llava"},{"x":1}]}"#;
        assert_eq!(model_ids(Api::OpenAi, openai).unwrap(), ["qwen", "llava"]);
        let ollama = br#"{"models":[{"name":"gemma3:27b","model":"gemma3:27b"},{"model":"phi4"}]}"#;
        assert_eq!(
            model_ids(Api::Ollama, ollama).unwrap(),
            ["gemma3:27b", "phi4"]
        );
        assert!(
            model_ids(Api::Ollama, openai)
                .unwrap_err()
                .contains("no “models” list")
        );
        assert!(
            model_ids(Api::OpenAi, b"<html>")
                .unwrap_err()
                .contains("not JSON")
        );
    }

    #[test]
    fn unserved_defaults_are_named() {
        let spec = EndpointSpec {
            name: "gpu".into(),
            kind: "ollama".into(),
            base_url: "http://h".into(),
            api_key_env: None,
            default_models: vec!["a".into(), "b".into()],
        };
        let w = unserved_defaults(&spec, &["a".to_owned()]);
        assert_eq!(w.len(), 1);
        assert_eq!(
            w[0],
            "endpoint gpu: default model \"b\" is not among the 1 model it serves"
        );
    }

    #[test]
    fn an_unknown_kind_is_refused_by_name() {
        let spec = EndpointSpec {
            name: "x".into(),
            kind: "tgi".into(),
            base_url: "http://h".into(),
            api_key_env: None,
            default_models: Vec::new(),
        };
        assert!(matches!(
            api_of(&spec),
            Err(EndpointError::UnknownKind { .. })
        ));
    }
}
