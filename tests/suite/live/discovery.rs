//! The discovery document: `iw-studio discovery` as a user runs it (the real
//! binary, its environment set per test), against the stand-in proxy, and
//! the GUI page "What ImageWorks will offer" driven by its labels.

use crate::support::test_proxy;

use crate::support::app as common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use test_proxy::TestProxy;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The credential variables `full_example.toml` names.
const STORAGE_VARS: [&str; 4] = [
    "IW_S3_ACCESS_KEY_ID",
    "IW_S3_SECRET_ACCESS_KEY",
    "IW_FIREBASE_CREDENTIALS",
    "IW_AZURE_STORAGE_CONNECTION_STRING",
];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_configs")
        .join(name)
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// The binary with only `set` of the storage variables in its environment.
fn discovery(args: &[&str], set: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_iw-studio"));
    command
        .env("IW_STUDIO_LOG_DIR", env!("CARGO_TARGET_TMPDIR"))
        .env_remove("IMAGEWORKS_REGISTRY_DIR");
    for var in STORAGE_VARS {
        command.env_remove(var);
    }
    command.envs(set.iter().copied());
    command
        .arg("discovery")
        .args(args)
        .output()
        .expect("cannot run iw-studio")
}

fn json_of(out: &Output) -> Result<Value, Box<dyn std::error::Error>> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// A copy of `full_example.toml` with `edit` applied to its text.
fn edited_sample(
    edit: impl Fn(String) -> String,
) -> Result<(tempfile::TempDir, PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    let text = std::fs::read_to_string(sample("full_example.toml"))?;
    std::fs::write(&path, edit(text))?;
    Ok((dir, path))
}

#[test]
fn the_full_example_with_its_registry_gives_every_field() -> TestResult {
    let file = sample("full_example.toml");
    let registry = sample("registry");
    let out = discovery(
        &[arg(&file), "--registry", arg(&registry), "--format", "json"],
        &[("IW_S3_ACCESS_KEY_ID", "not-printed-AKIA")],
    );
    let d = json_of(&out)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("not-printed-AKIA"), "a value was printed");

    assert_eq!(
        d["pages"],
        json!({"dashboard": true, "models": true, "mono_checker": false,
            "image_similarity": true, "personal_tagger": true, "color_narrator": false,
            "results": true, "settings": true, "judge_vision": true, "vram_estimator": true})
    );
    assert_eq!(
        d["modules"],
        json!({
            "browse_manage": {"page": "models", "enabled": true},
            "download_import": {"page": "models", "enabled": true},
            "registry_maintenance": {"page": "models", "enabled": false},
            "backends": {"page": "models", "enabled": true},
            "advanced": {"page": "models", "enabled": false},
            "proxy_settings": {"page": "models", "enabled": true},
            "gpu_lease": {"page": "models", "enabled": true}
        })
    );
    assert_eq!(d["default_page"], "personal_tagger");
    assert_eq!(
        d["storage"],
        json!({
            "images": {"backend": "local", "env_set": {}},
            "documents": {"backend": "s3", "env_set": {
                "IW_S3_ACCESS_KEY_ID": true, "IW_S3_SECRET_ACCESS_KEY": false}},
            "avatars": {"backend": "firebase", "env_set": {"IW_FIREBASE_CREDENTIALS": false}},
            "results": {"backend": "azure_blob", "env_set": {
                "IW_AZURE_STORAGE_CONNECTION_STRING": false}}
        })
    );
    assert_eq!(
        d["endpoints"],
        json!([
            {"name": "local-proxy", "aliases": ["proxy", "default"], "kind": "openai_compatible",
             "base_url": "http://127.0.0.1:8100/v1",
             "default_models": ["qwen2.5-vl-7b-awq", "llava-phi3"]},
            {"name": "gpu-box", "aliases": ["ollama-2"], "kind": "ollama",
             "base_url": "http://gpu-box.lan:11434", "default_models": ["gemma3:27b"]}
        ])
    );

    let models = d["models"].as_array().ok_or("models")?;
    assert_eq!(models.len(), 16, "every merged registry entry");
    assert!(
        models.iter().all(|m| m["served"] == Value::Null),
        "no proxy asked: whether it is served is unknown"
    );
    let qwen = models
        .iter()
        .find(|m| m["name"] == "qwen2.5vl_7b_(Q4_K_M)")
        .ok_or("qwen2.5vl")?;
    assert_eq!(qwen["display_id"], "qwen2.5vl 7b (Q4 K M)");
    let caps = qwen["capabilities"].as_array().ok_or("capabilities")?;
    assert!(
        caps.contains(&json!("vision")),
        "curated over discovered: {caps:?}"
    );
    let siglip = models
        .iter()
        .find(|m| m["name"] == "siglip-large-patch16-384_(FP32)")
        .ok_or("siglip")?;
    assert!(
        siglip["capabilities"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("embedding")))
    );

    // Offline nothing says what a proxy serves: the flags are unknown, and
    // what the registry registers is said as that.
    let features = &d["features"];
    assert_eq!(features["checked"], false);
    for flag in [
        "vision_available",
        "reasoning_available",
        "embedding_available",
        "backends",
    ] {
        assert_eq!(features[flag], Value::Null, "{flag}: {features}");
    }
    assert_eq!(
        features["registered"],
        json!({"vision": true, "reasoning": true, "embedding": true,
            "backends": ["ollama", "vllm"]}),
        "gpt-oss-20b reasons, siglip embeds"
    );
    assert_eq!(features["registry_dir"], arg(&registry));
    Ok(())
}

#[test]
fn a_module_under_a_disabled_page_is_reported_disabled() -> TestResult {
    let (_dir, file) = edited_sample(|t| t.replacen("\nmodels = true\n", "\nmodels = false\n", 1))?;
    let d = json_of(&discovery(&[arg(&file), "--format", "json"], &[]))?;
    assert_eq!(d["pages"]["models"], false);
    let modules = d["modules"].as_object().ok_or("modules")?;
    for (id, module) in modules {
        // The models page's modules are off with it; the others are on.
        assert_eq!(
            module["enabled"],
            module["page"] != "models",
            "{id}: {module}"
        );
    }
    assert_eq!(
        d["modules"]["browse_manage"],
        json!({"page": "models", "enabled": false})
    );
    assert_eq!(
        d["features"]["registry_dir"],
        Value::Null,
        "no registry beside the copy"
    );
    assert_eq!(d["models"], json!([]));
    Ok(())
}

#[test]
fn the_summary_names_each_part_and_no_value() {
    let out = discovery(
        &[
            arg(&sample("full_example.toml")),
            "--registry",
            arg(&sample("registry")),
        ],
        &[("IW_FIREBASE_CREDENTIALS", "secret-json-here")],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "Pages",
        "Modules",
        "Storage",
        "Endpoints",
        "Models (16, served unknown: no proxy asked)",
        "Features (not checked: no proxy asked",
        "vision unknown, reasoning unknown, embedding unknown",
        "backends: unknown",
        "registered, not checked: vision yes, reasoning yes, embedding yes; backends ollama, vllm",
    ] {
        assert!(text.contains(part), "{part} missing:\n{text}");
    }
    assert!(
        text.contains("personal_tagger        on  (default page)"),
        "{text}"
    );
    assert!(text.contains("IW_FIREBASE_CREDENTIALS set"), "{text}");
    assert!(text.contains("IW_S3_ACCESS_KEY_ID unset"), "{text}");
    assert!(!text.contains("secret-json-here"), "{text}");
}

#[test]
fn an_unreadable_file_or_an_unreachable_proxy_exits_2_with_a_clear_message() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("missing.toml");
    let out = discovery(&[arg(&missing)], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.toml"), "{err}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[ui\n")?;
    let out = discovery(&[arg(&broken)], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.toml"));

    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let file = sample("full_example.toml");
    let out = discovery(&[arg(&file), "--proxy", &url, "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr)?;
    assert_eq!(err["error"]["kind"], "unreadable");
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&url) && message.contains("/v1/models"),
        "{message}"
    );
    assert!(out.stdout.is_empty(), "no document on failure");
    Ok(())
}

/// `GET /v1/models` of the stand-in, read here without the studio's client.
fn served_by(url: &str) -> Result<Value, Box<dyn std::error::Error>> {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        stream,
        "GET /v1/models HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let body = response.split_once("\r\n\r\n").ok_or("no body")?.1;
    Ok(serde_json::from_str(body)?)
}

/// The registry name of a served model: `extensions.logical_id`, else `id`.
fn logical_id(model: &Value) -> String {
    model["extensions"]["logical_id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .or_else(|| model["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A copy of the sample registry whose curated layer also has an entry for
/// each served model it lacks (under another display name than the
/// proxy's id), so that every served model has a registry entry to match;
/// and each entry's backend, by name.
type Registry = (tempfile::TempDir, BTreeMap<String, String>);

fn registry_with(served: &[Value]) -> Result<Registry, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    for layer in ["model_registry.discovered.json", "model_registry.json"] {
        std::fs::copy(sample("registry").join(layer), dir.path().join(layer))?;
    }
    let curated_file = "model_registry.curated.json";
    let text = std::fs::read_to_string(sample("registry").join(curated_file))?;
    let mut curated: Vec<Value> = serde_json::from_str(&text)?;
    let discovered: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(
        sample("registry").join("model_registry.discovered.json"),
    )?)?;
    // Curated last: its backend wins, as in the merge.
    let mut backends: BTreeMap<String, String> = discovered
        .iter()
        .chain(&curated)
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_owned(),
                e["backend"].as_str()?.to_owned(),
            ))
        })
        .collect();
    for model in served {
        let name = logical_id(model);
        if !backends.contains_key(&name) {
            backends.insert(name.clone(), "vllm".to_owned());
            curated.push(
                json!({"name": name, "display_name": format!("{name} in the registry"),
                "backend": "vllm", "capabilities": {"text": true}}),
            );
        }
    }
    std::fs::write(
        dir.path().join(curated_file),
        serde_json::to_string_pretty(&curated)?,
    )?;
    Ok((dir, backends))
}

#[test]
fn with_a_proxy_served_flags_follow_its_models_by_logical_id() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("chat_proxy.toml");
    std::fs::copy(sample("full_example.toml"), &file)?;
    let proxy = TestProxy::start(&file, BTreeMap::new())?;
    let answer = served_by(&proxy.url())?;
    let served = answer["data"].as_array().ok_or("data")?.clone();
    assert!(!served.is_empty(), "the stand-in serves a model: {answer}");
    let (registry, registry_backends) = registry_with(&served)?;

    let out = discovery(
        &[
            arg(&file),
            "--proxy",
            &proxy.url(),
            "--registry",
            arg(registry.path()),
            "--format",
            "json",
        ],
        &[],
    );
    let d = json_of(&out)?;
    let models = d["models"].as_array().ok_or("models")?;
    let served_ids: BTreeMap<String, &Value> =
        served.iter().map(|m| (logical_id(m), &m["id"])).collect();
    assert!(
        models.len() >= 16,
        "every registry entry is listed: {}",
        models.len()
    );
    for model in models {
        let name = model["name"].as_str().unwrap_or_default();
        let want = served_ids.get(name);
        assert_eq!(model["served"], want.is_some(), "{model}");
        if let Some(id) = want {
            assert_eq!(&model["display_id"], *id, "the proxy's id: {model}");
        }
    }
    let names: BTreeSet<&str> = models.iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(
        models.len(),
        names.len(),
        "a served model matched its registry entry, not listed twice"
    );
    let vision_served = served
        .iter()
        .any(|m| m["extensions"]["capabilities"]["vision"] == true);
    assert_eq!(d["features"]["vision_available"], vision_served);
    let embedding_served = served
        .iter()
        .any(|m| m["extensions"]["capabilities"]["embedding"] == true);
    assert_eq!(d["features"]["embedding_available"], embedding_served);
    assert_eq!(d["features"]["checked"], true);
    assert_eq!(d["features"]["registered"], Value::Null);
    // The proxy's backend, else (null) the registry entry's.
    let backends: BTreeSet<&str> = served
        .iter()
        .filter_map(|m| {
            m["extensions"]["backend"]
                .as_str()
                .or_else(|| registry_backends.get(&logical_id(m)).map(String::as_str))
        })
        .collect();
    let backends: Vec<&str> = backends.into_iter().collect();
    assert_eq!(d["features"]["backends"], json!(backends));
    Ok(())
}

// ---- the GUI page ----

type App = iw_studio::ui::StudioApp;

fn click_nav(h: &mut egui_kittest::Harness<'_, App>, title: &str) {
    use egui_kittest::kittest::Queryable;
    h.get_by(|n| {
        n.role() == egui::accesskit::Role::Button && n.label().is_some_and(|l| l.contains(title))
    })
    .click();
    h.run();
}

fn count(h: &egui_kittest::Harness<'_, App>, label: &str) -> usize {
    use egui_kittest::kittest::Queryable;
    h.query_all_by_label(label).count()
}

/// The text the last frame put on the clipboard.
fn copied(h: &egui_kittest::Harness<'_, App>) -> Option<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

#[test]
fn the_page_follows_the_draft_and_copies_its_json() -> TestResult {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    let (_dir, path) = common::copy_of("full_example.toml");
    let mut h = common::harness(common::app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "What ImageWorks will offer");
    assert_eq!(h.state().page(), &iw_studio::ui::nav::PageId::Discovery);
    assert_eq!(
        count(&h, "off (page off)"),
        0,
        "every page with modules is on"
    );
    assert_eq!(count(&h, "default page"), 1);
    for var in ["IW_S3_ACCESS_KEY_ID", "IW_FIREBASE_CREDENTIALS"] {
        let set = std::env::var_os(var).is_some_and(|v| !v.is_empty());
        let label = format!("{var} {}", if set { "set" } else { "unset" });
        assert_eq!(count(&h, &label), 1, "{label}");
    }
    assert_eq!(count(&h, "Default models: gemma3:27b"), 1);

    // Turn the Models page off in the draft: its five modules follow.
    click_nav(&mut h, "Pages & modules");
    h.get_by_role_and_label(Role::CheckBox, "Models").click();
    h.run();
    click_nav(&mut h, "What ImageWorks will offer");
    assert_eq!(count(&h, "off (page off)"), 7);

    h.get_by_role_and_label(Role::Button, "📋 Copy JSON")
        .click();
    h.step();
    let text = copied(&h).ok_or("Copy JSON put nothing on the clipboard")?;
    let d: Value = serde_json::from_str(&text)?;
    assert_eq!(d["pages"]["models"], false);
    assert_eq!(
        d["modules"]["browse_manage"],
        json!({"page": "models", "enabled": false})
    );
    assert_eq!(d["default_page"], "personal_tagger");
    assert_eq!(d["endpoints"][1]["name"], "gpu-box");
    h.run();
    assert_eq!(count(&h, "✔ Copied"), 1);
    Ok(())
}

#[test]
fn the_page_badges_what_the_connected_proxy_serves_from_the_open_registry() -> TestResult {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    let (dir, path) = common::copy_of("full_example.toml");
    let (mut app, fake) = common::app_with_fake_proxy(&path, &[], &dir.path().join("history"));
    fake.set_models(serde_json::from_value(json!({"object": "list", "data": [
        {"id": "qwen2.5vl 7b (Q4 K M)", "object": "model", "extensions": {
            "logical_id": "qwen2.5vl_7b_(Q4_K_M)", "backend": "ollama",
            "capabilities": {"vision": true}}}
    ]}))?);
    app.open_registry(&sample("registry"));
    let mut h = common::harness(app);
    common::run_until(&mut h, |app| app.registry().store().is_some());
    click_nav(&mut h, "What ImageWorks will offer");
    assert_eq!(count(&h, "Models (16, not connected)"), 1);
    assert_eq!(count(&h, "served"), 0);
    assert_eq!(
        count(&h, "embedding available"),
        0,
        "nothing is checked offline"
    );
    assert_eq!(count(&h, "embedding unknown"), 1);
    assert_eq!(
        count(
            &h,
            "Registered, not checked: vision, reasoning, embedding; backends ollama, vllm"
        ),
        1
    );

    click_nav(&mut h, "Preview & push");
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    common::run_until(&mut h, |app| app.live().models().value().is_some());
    click_nav(&mut h, "What ImageWorks will offer");
    assert_eq!(count(&h, "Models (16, 1 served)"), 1);
    assert_eq!(
        count(&h, "served"),
        1,
        "matched by logical_id, not listed twice"
    );
    assert_eq!(count(&h, "qwen2.5vl 7b (Q4 K M)"), 1);
    assert_eq!(
        count(&h, "Backends in use: ollama"),
        1,
        "the served model's"
    );
    assert_eq!(count(&h, "no embedding"), 1, "siglip is not served");
    Ok(())
}
