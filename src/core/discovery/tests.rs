use std::path::Path;

use serde_json::json;

use super::*;
use crate::core::registry::merge_layers;

fn layouts() -> LayoutSet {
    LayoutSet::builtin().expect("built-in layouts")
}

fn nothing_set(_: &str) -> bool {
    false
}

fn discover_text(text: &str, env: &dyn Fn(&str) -> bool) -> Discovery {
    let doc = ConfigDocument::parse(text).expect("parses");
    let sources = Sources {
        registry: None,
        served: None,
        env_is_set: env,
    };
    discover(&doc, &layouts(), &sources)
}

fn merged(entries: &serde_json::Value) -> Merged {
    let curated: Vec<serde_json::Value> = entries.as_array().cloned().unwrap_or_default();
    merge_layers(&curated, &Vec::new(), &[])
}

fn served(list: serde_json::Value) -> ModelList {
    serde_json::from_value(list).expect("a /v1/models body")
}

#[test]
fn an_empty_file_gets_every_layout_default() {
    let d = discover_text("", &nothing_set);
    let layouts = layouts();
    let page_count = layouts
        .section_for_table("ui.pages")
        .map(|s| s.fields.len());
    assert_eq!(Some(d.pages.len()), page_count);
    assert!(d.pages.iter().all(|(_, on)| *on), "{:?}", d.pages);
    assert_eq!(d.pages.0.first().map(|p| p.0.as_str()), Some("dashboard"));
    assert!(d.modules.iter().all(|(_, m)| m.enabled), "{:?}", d.modules);
    assert_eq!(
        d.modules.get("gpu_lease").and_then(|m| m.page.as_deref()),
        Some("models")
    );
    assert_eq!(d.default_page.as_deref(), Some("dashboard"));
    let kinds: Vec<&str> = d.storage.iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["images", "documents", "avatars", "results"]);
    assert!(
        d.storage
            .iter()
            .all(|(_, s)| s.backend == "local" && s.env_set.is_empty())
    );
    assert!(d.endpoints.is_empty() && d.models.is_empty());
    assert_eq!(
        d.features,
        Features {
            checked: false,
            vision_available: None,
            reasoning_available: None,
            embedding_available: None,
            backends: None,
            registered: None,
            registry_dir: None,
        }
    );
}

#[test]
fn a_module_under_a_disabled_page_is_disabled() {
    let d = discover_text(
        "[ui.pages]\nmodels = false\n\n[ui.modules]\nbrowse_manage = true\ngpu_lease = false\n",
        &nothing_set,
    );
    assert_eq!(d.pages.get("models"), Some(&false));
    let browse = d.modules.get("browse_manage").expect("a module");
    assert_eq!(browse.page.as_deref(), Some("models"));
    assert!(!browse.enabled, "on in the file, but its page is off");
    assert!(d.modules.iter().all(|(_, m)| !m.enabled), "{:?}", d.modules);
    let d = discover_text(
        "[ui.modules]
gpu_lease = false
",
        &nothing_set,
    );
    let gpu = d.modules.get("gpu_lease").expect("a module");
    assert!(!gpu.enabled, "off in the file, its page on");
    assert!(d.modules.get("proxy_settings").is_some_and(|m| m.enabled));
}

#[test]
fn a_value_of_the_wrong_type_counts_as_unset() {
    let d = discover_text(
        "[ui]\ndefault_page = 3\n\n[ui.pages]\nresults = \"no\"\n",
        &nothing_set,
    );
    assert_eq!(d.pages.get("results"), Some(&true), "the default");
    assert_eq!(d.default_page.as_deref(), Some("dashboard"));
}

#[test]
fn env_vars_are_reported_set_or_unset_never_their_values() {
    let text = r#"[storage]
default_backend = "s3"

[storage.assets.images]
bucket = "b"
access_key_env = "IW_KEY_SET"
secret_key_env = "IW_KEY_UNSET"

[storage.assets.documents]
backend = "azure_blob"
connection_string_env = ""

[storage.assets.avatars]
backend = "local"
path = "data/avatars"
"#;
    let d = discover_text(text, &|name| name == "IW_KEY_SET");
    let images = d.storage.get("images").expect("images");
    assert_eq!(images.backend, "s3", "the default backend applies");
    assert_eq!(
        images.env_set.0,
        [
            ("IW_KEY_SET".to_owned(), true),
            ("IW_KEY_UNSET".to_owned(), false)
        ]
    );
    let documents = d.storage.get("documents").expect("documents");
    assert_eq!(documents.backend, "azure_blob");
    assert!(documents.env_set.is_empty(), "an empty name names no var");
    let avatars = d.storage.get("avatars").expect("avatars");
    assert_eq!(avatars.backend, "local");
    assert!(avatars.env_set.is_empty());
    assert_eq!(
        d.storage.get("results").map(|s| s.backend.as_str()),
        Some("s3")
    );
}

#[test]
fn endpoints_carry_aliases_and_default_models_with_the_kind_defaulted() {
    let text = r#"[[endpoints]]
name = "a"
base_url = "http://a/v1"

[[endpoints]]
name = "b"
aliases = ["bee"]
kind = "ollama"
base_url = "http://b:11434"
api_key_env = "B_TOKEN"
default_models = ["m1", "m2"]
"#;
    let d = discover_text(text, &nothing_set);
    assert_eq!(
        d.endpoints,
        [
            EndpointInfo {
                name: Some("a".into()),
                aliases: Vec::new(),
                kind: Some("openai_compatible".into()),
                base_url: Some("http://a/v1".into()),
                default_models: Vec::new(),
            },
            EndpointInfo {
                name: Some("b".into()),
                aliases: vec!["bee".into()],
                kind: Some("ollama".into()),
                base_url: Some("http://b:11434".into()),
                default_models: vec!["m1".into(), "m2".into()],
            }
        ]
    );
}

fn registry_entries() -> serde_json::Value {
    json!([
        {"name": "vis_(Q4)", "display_name": "vis (Q4)", "backend": "ollama",
         "capabilities": {"vision": true, "text": true}},
        {"name": "think", "backend": "vllm", "deprecated": true,
         "capabilities": {"reasoning": true}},
        {"name": "embed", "display_name": "Embed", "backend": "vllm",
         "capabilities": {"embedding": true, "vision": false}}
    ])
}

#[test]
fn without_a_proxy_features_are_unknown_and_the_registry_says_what_is_registered() {
    let merged = merged(&registry_entries());
    let doc = ConfigDocument::default();
    let sources = Sources {
        registry: Some(RegistryInput {
            dir: Path::new("/reg"),
            merged: &merged,
        }),
        served: None,
        env_is_set: &nothing_set,
    };
    let d = discover(&doc, &layouts(), &sources);
    let names: Vec<&str> = d.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["vis_(Q4)", "think", "embed"]);
    assert!(
        d.models.iter().all(|m| m.served.is_none()),
        "no proxy asked: served is unknown"
    );
    assert_eq!(d.models[0].display_id, "vis (Q4)", "the display name");
    assert_eq!(d.models[1].display_id, "think", "no display name: the name");
    assert_eq!(d.models[0].capabilities, ["vision", "text"]);
    let f = &d.features;
    assert!(!f.checked);
    assert_eq!(
        (
            f.vision_available,
            f.reasoning_available,
            f.embedding_available
        ),
        (None, None, None),
        "a registry entry is no served model"
    );
    assert_eq!(f.backends, None);
    assert_eq!(
        f.registered,
        Some(Registered {
            vision: true,
            // Only a deprecated entry has it.
            reasoning: false,
            embedding: true,
            backends: vec!["ollama".to_owned(), "vllm".to_owned()],
        })
    );
    assert_eq!(d.features.registry_dir.as_deref(), Some("/reg"));
}

#[test]
fn served_models_match_by_logical_id_and_decide_the_features() {
    let merged = merged(&registry_entries());
    let list = served(json!({"object": "list", "data": [
        {"id": "vis (Q4)", "extensions": {"logical_id": "vis_(Q4)", "backend": null,
            "capabilities": {"vision": true, "tools": true}}},
        {"id": "think", "extensions": {}},
        {"id": "extra model", "extensions": {"logical_id": "extra", "backend": "lmdeploy",
            "capabilities": {"embedding": true}}}
    ]}));
    let doc = ConfigDocument::default();
    let sources = Sources {
        registry: Some(RegistryInput {
            dir: Path::new("/reg"),
            merged: &merged,
        }),
        served: Some(&list),
        env_is_set: &nothing_set,
    };
    let d = discover(&doc, &layouts(), &sources);
    let rows: Vec<(&str, &str, Option<bool>)> = d
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.display_id.as_str(), m.served))
        .collect();
    assert_eq!(
        rows,
        [
            ("vis_(Q4)", "vis (Q4)", Some(true)),
            ("think", "think", Some(true)),
            ("embed", "Embed", Some(false)),
            ("extra", "extra model", Some(true)),
        ]
    );
    assert_eq!(d.models[0].capabilities, ["vision", "tools"], "the proxy's");
    assert_eq!(
        d.models[1].capabilities,
        ["reasoning"],
        "none sent: the registry's"
    );
    assert_eq!(d.models[3].capabilities, ["embedding"]);
    let f = &d.features;
    assert!(f.checked && f.registered.is_none());
    assert_eq!(f.vision_available, Some(true));
    assert_eq!(f.embedding_available, Some(true));
    assert_eq!(
        f.reasoning_available,
        Some(true),
        "served, deprecated or not"
    );
    // A null backend from the proxy falls back to the registry's.
    assert_eq!(
        f.backends.as_deref(),
        Some(
            &[
                "lmdeploy".to_owned(),
                "ollama".to_owned(),
                "vllm".to_owned()
            ][..]
        )
    );
}

#[test]
fn a_proxy_serving_nothing_offers_nothing() {
    let merged = merged(&registry_entries());
    let list = served(json!({"object": "list", "data": []}));
    let doc = ConfigDocument::default();
    let sources = Sources {
        registry: Some(RegistryInput {
            dir: Path::new("/reg"),
            merged: &merged,
        }),
        served: Some(&list),
        env_is_set: &nothing_set,
    };
    let d = discover(&doc, &layouts(), &sources);
    assert_eq!(d.models.len(), 3);
    let f = &d.features;
    assert_eq!(
        (
            f.vision_available,
            f.reasoning_available,
            f.embedding_available
        ),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(f.backends, Some(Vec::new()));
}

#[test]
fn the_json_has_the_contracts_keys_in_layout_order() {
    let d = discover_text("[ui.pages]\nresults = false\n", &nothing_set);
    let value = serde_json::to_value(&d).expect("serialises");
    let keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "pages",
            "modules",
            "default_page",
            "storage",
            "endpoints",
            "models",
            "features"
        ]
    );
    assert_eq!(value["pages"]["results"], json!(false));
    let first_page = value["pages"]
        .as_object()
        .and_then(|o| o.keys().next().cloned());
    assert_eq!(first_page.as_deref(), Some("dashboard"));
    assert_eq!(
        value["modules"]["backends"],
        json!({"page": "models", "enabled": true})
    );
    assert_eq!(
        value["storage"]["images"],
        json!({"backend": "local", "env_set": {}})
    );
    let feature_keys: Vec<&str> = value["features"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        feature_keys,
        [
            "checked",
            "vision_available",
            "reasoning_available",
            "embedding_available",
            "backends",
            "registered",
            "registry_dir"
        ]
    );
}
