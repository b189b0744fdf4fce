//! `registry` CLI commands, run through `cli::registry::run_with` on copies
//! of the sample registry.

use crate::support::test_proxy;

use crate::support::registry_run;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use iw_studio::cli::{OutputFormat, exit};
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE};
use registry_run::{SAMPLE, TestResult, dir_arg, run, sample_copy, snapshot_of};
use serde_json::{Value, json};

#[test]
fn list_json_has_the_documented_fields() -> TestResult {
    let r = run(&["list", SAMPLE], OutputFormat::Json)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let doc: Value = serde_json::from_str(&r.out)?;
    let entries = doc["entries"].as_array().ok_or("no entries")?;
    assert_eq!(entries.len(), 16);
    let florence = entries
        .iter()
        .find(|e| e["name"] == json!("florence-2-large_(FP16)"))
        .ok_or("florence missing")?;
    let keys: Vec<&str> = florence
        .as_object()
        .ok_or("not an object")?
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "display_name",
            "backend",
            "layer",
            "host",
            "port",
            "quantization",
            "capabilities",
            "deprecated"
        ]
    );
    assert_eq!(florence["layer"], json!("curated+discovered"));
    assert_eq!(florence["port"], json!(24002));
    assert_eq!(florence["deprecated"], json!(false));
    assert_eq!(
        florence["capabilities"],
        json!(["text", "language", "chat"])
    );
    Ok(())
}

#[test]
fn list_with_a_proxy_marks_the_six_entries_it_serves() -> TestResult {
    let dir = tempfile::tempdir()?;
    // The stand-in answers `/v1/models` like the stock proxy: display ids,
    // the registry name in `extensions.logical_id`.
    let proxy = test_proxy::TestProxy::start(&dir.path().join("chat_proxy.toml"), BTreeMap::new())?;
    let url = proxy.url();
    let r = run(&["list", SAMPLE, "--proxy", &url], OutputFormat::Json)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let doc: Value = serde_json::from_str(&r.out)?;
    let entries = doc["entries"].as_array().ok_or("no entries")?;
    assert!(entries.iter().all(|e| e["served"].is_boolean()), "{doc}");
    let mut served: Vec<&str> = entries
        .iter()
        .filter(|e| e["served"] == json!(true))
        .filter_map(|e| e["name"].as_str())
        .collect();
    served.sort_unstable();
    assert_eq!(
        served,
        [
            "florence-2-large_(FP16)",
            "gpt-oss-20b_(MXFP4)",
            "llama3.1-local-latest_(Q5_K_M)",
            "qwen2.5-vl-7b-instruct_(AWQ)",
            "qwen2.5vl_7b_(Q4_K_M)",
            "qwen3_8b_(Q4_K_M)",
        ]
    );
    let qwen = entries
        .iter()
        .find(|e| e["name"] == json!("qwen2.5vl_7b_(Q4_K_M)"))
        .ok_or("qwen2.5vl missing")?;
    assert_eq!(qwen["served_id"], json!("qwen2.5vl 7b (Q4 K M)"));
    let human = run(&["list", SAMPLE, "--proxy", &url], OutputFormat::Human)?;
    assert_eq!(human.code, exit::OK, "{}", human.err);
    assert_eq!(
        human.out.matches("[served as “").count(),
        6,
        "{}",
        human.out
    );
    Ok(())
}

#[test]
fn list_with_an_unreachable_proxy_is_an_error_not_nothing_served() -> TestResult {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let r = run(
        &["list", SAMPLE, "--proxy", &url, "--timeout", "2"],
        OutputFormat::Json,
    )?;
    assert_eq!(r.code, exit::UNREADABLE, "{}", r.out);
    assert!(r.out.is_empty(), "no list at all: {}", r.out);
    assert!(
        r.err.contains("cannot tell which entries are served") && r.err.contains(&url),
        "{}",
        r.err
    );
    Ok(())
}

#[test]
fn list_human_prints_one_line_per_entry() -> TestResult {
    let r = run(&["list", SAMPLE], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK);
    assert_eq!(r.out.lines().count(), 16);
    assert!(r.out.contains("siglip-large-patch16-384_(FP32)"));
    Ok(())
}

#[test]
fn check_exit_codes() -> TestResult {
    let r = run(&["check", SAMPLE], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.out);
    assert!(r.out.contains("0 errors"), "{}", r.out);
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let set = run(
        &["set", &d, "florence-2-large_(FP16)", "backend", "tgi"],
        OutputFormat::Human,
    )?;
    assert_eq!(set.code, exit::OK, "{}", set.err);
    let r = run(&["check", &d], OutputFormat::Json)?;
    assert_eq!(r.code, exit::FINDINGS);
    let doc: Value = serde_json::from_str(&r.out)?;
    let errors: Vec<&Value> = doc["findings"]
        .as_array()
        .ok_or("no findings")?
        .iter()
        .filter(|f| f["severity"] == json!("error"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["field"], json!("backend"));
    Ok(())
}

#[test]
fn unreadable_and_malformed_registries_exit_2() -> TestResult {
    let r = run(&["list", "/nonexistent/registry"], OutputFormat::Human)?;
    assert_eq!(r.code, exit::UNREADABLE);
    let dir = sample_copy()?;
    fs::write(dir.path().join(CURATED_FILE), "[\n  {\n")?;
    let r = run(&["check", &dir_arg(dir.path())?], OutputFormat::Human)?;
    assert_eq!(r.code, exit::UNREADABLE);
    assert!(
        r.err.contains(CURATED_FILE) && r.err.contains("line 3"),
        "{}",
        r.err
    );
    Ok(())
}

#[test]
fn show_with_provenance() -> TestResult {
    let r = run(
        &["show", SAMPLE, "florence-2-large_(FP16)", "--provenance"],
        OutputFormat::Json,
    )?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let doc: Value = serde_json::from_str(&r.out)?;
    assert_eq!(doc["layer"], json!("curated+discovered"));
    assert_eq!(
        doc["provenance"]["display_name"],
        json!("curated-over-discovered")
    );
    assert_eq!(doc["provenance"]["downloaded_at"], json!("discovered"));
    assert_eq!(doc["entry"]["backend_config"]["port"], json!(24002));
    let plain = run(
        &["show", SAMPLE, "florence-2-large_(FP16)"],
        OutputFormat::Human,
    )?;
    let entry: Value = serde_json::from_str(&plain.out)?;
    assert_eq!(entry, doc["entry"]);
    let missing = run(&["show", SAMPLE, "nope"], OutputFormat::Human)?;
    assert_eq!(missing.code, exit::FINDINGS);
    assert!(missing.err.contains("nope"), "{}", missing.err);
    Ok(())
}

#[test]
fn set_writes_curated_and_snapshot_and_same_value_writes_nothing() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let r = run(
        &[
            "set",
            &d,
            "florence-2-large_(FP16)",
            "backend_config.port",
            "24010",
        ],
        OutputFormat::Json,
    )?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let report: Value = serde_json::from_str(&r.out)?;
    assert_eq!(report["changed"], json!(true));
    assert_eq!(report["written"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        fs::read(dir.path().join(DISCOVERED_FILE))?,
        fs::read(Path::new(SAMPLE).join(DISCOVERED_FILE))?
    );
    let before = snapshot_of(dir.path())?;
    let again = run(
        &[
            "set",
            &d,
            "florence-2-large_(FP16)",
            "backend_config.port",
            "24010",
        ],
        OutputFormat::Human,
    )?;
    assert_eq!(again.code, exit::OK);
    assert!(again.out.contains("nothing written"), "{}", again.out);
    assert_eq!(snapshot_of(dir.path())?, before);
    // The value already in the shipped registry: nothing changes either.
    let dir2 = sample_copy()?;
    let before = snapshot_of(dir2.path())?;
    let same = run(
        &[
            "set",
            &dir_arg(dir2.path())?,
            "gpt-oss-20b_(MXFP4)",
            "display_name",
            "gpt-oss-20b (MXFP4)",
        ],
        OutputFormat::Human,
    )?;
    assert_eq!(same.code, exit::OK, "{}", same.err);
    assert_eq!(snapshot_of(dir2.path())?, before);
    Ok(())
}

#[test]
fn set_refusals_exit_1() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let r = run(
        &["set", &d, "no-such-model", "display_name", "x"],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::FINDINGS);
    assert!(r.err.contains("no-such-model"), "{}", r.err);
    let r = run(
        &["promote", &d, "florence-2-large_(FP16)"],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::FINDINGS);
    assert!(r.err.contains("already curated"), "{}", r.err);
    Ok(())
}

#[test]
fn promote_copies_without_dynamic_fields() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let r = run(
        &["promote", &d, "siglip-large-patch16-384_(FP32)"],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let curated: Value = serde_json::from_str(&fs::read_to_string(dir.path().join(CURATED_FILE))?)?;
    let promoted = curated
        .as_array()
        .and_then(|c| c.last())
        .ok_or("nothing promoted")?;
    assert_eq!(promoted["name"], json!("siglip-large-patch16-384_(FP32)"));
    assert!(promoted.get("download_path").is_none() && promoted.get("downloaded_at").is_none());
    assert!(promoted["metadata"].get("created_from_download").is_none());
    assert_eq!(
        fs::read(dir.path().join(DISCOVERED_FILE))?,
        fs::read(Path::new(SAMPLE).join(DISCOVERED_FILE))?
    );
    let list = run(&["list", &d], OutputFormat::Json)?;
    let doc: Value = serde_json::from_str(&list.out)?;
    let layer = doc["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["name"] == promoted["name"]))
        .map(|e| e["layer"].clone());
    assert_eq!(layer, Some(json!("curated+discovered")));
    Ok(())
}

/// `registry set` parses VALUE by the entry layout's type and checks its
/// range, as the editor does (issue 29 item 1); unknown paths take JSON.
#[test]
fn set_values_are_parsed_and_range_checked_by_the_entry_layout() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let name = "florence-2-large_(FP16)";
    let before = snapshot_of(dir.path())?;
    let r = run(
        &["set", &d, name, "backend_config.port", "70000"],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::FINDINGS, "{}", r.out);
    assert!(
        r.err.contains("backend_config.port") && r.err.contains("above the maximum 65535"),
        "{}",
        r.err
    );
    assert_eq!(snapshot_of(dir.path())?, before, "nothing written");
    let r = run(&["set", &d, name, "deprecated", "yes"], OutputFormat::Human)?;
    assert_eq!(r.code, exit::FINDINGS, "{}", r.out);
    for (field, value, stored) in [
        ("display_name", "Qwen 3 (FP8)", json!("Qwen 3 (FP8)")),
        ("display_name", "\"quoted\"", json!("quoted")),
        ("backend_config.port", "24001", json!(24001)),
        ("metadata.note", "[\"a\"]", json!(["a"])),
    ] {
        let r = run(&["set", &d, name, field, value], OutputFormat::Json)?;
        assert_eq!(r.code, exit::OK, "{field}={value}: {}", r.err);
        let show = run(&["show", &d, name], OutputFormat::Json)?;
        let entry: Value = serde_json::from_str(&show.out)?;
        let got = field.split('.').fold(&entry, |v, k| &v[k]);
        assert_eq!(got, &stored, "{field}={value}");
    }
    Ok(())
}

#[test]
fn json_mode_errors_are_json_on_stderr() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let missing = run(&["show", &d, "no-such-model"], OutputFormat::Json)?;
    assert_eq!(missing.code, exit::FINDINGS);
    let json: Value = serde_json::from_str(&missing.err)?;
    assert_eq!(json["error"]["kind"], "refused", "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-model"))
    );
    let unreadable = run(&["list", "/nonexistent/registry"], OutputFormat::Json)?;
    assert_eq!(unreadable.code, exit::UNREADABLE);
    let json: Value = serde_json::from_str(&unreadable.err)?;
    assert_eq!(json["error"]["kind"], "unreadable", "{json}");
    Ok(())
}

/// `registry roles` on the shipped registry. The expected table is worked
/// out by hand from the two rules (docs: model-registry.md) and the sample:
/// five entries list roles; florence-2 has no vision (so only
/// object_detection); qwen3-vl-8b-instruct scores 95 everywhere; the two
/// abliterated FP8 entries tie (registry order: huihui first); qwen25vl
/// scores lowest. No entry has `vram_estimate_mb`, so the proxy's rule
/// leaves every role empty, and every role warns.
#[test]
fn roles_on_the_shipped_registry_give_both_answers_and_warn_for_every_empty_role() -> TestResult {
    let qwen3 = "qwen3-vl-8b-instruct_(FP8)";
    let huihui = "huihui-qwen3-vl-8b-instruct-abliterated_(FP8)";
    let abliterated = "qwen3-vl-8b-instruct-abliterated_(FP8)";
    let qwen25 = "qwen25vl_8.3b_(Q4_K_M)";
    let vision_four = vec![qwen3, huihui, abliterated, qwen25];
    let expected_apps: Vec<(&str, Vec<&str>)> = vec![
        ("caption", vision_four.clone()),
        ("keywords", vision_four.clone()),
        ("description", vision_four.clone()),
        ("narration", vision_four.clone()),
        ("object_detection", vec!["florence-2-large_(FP16)"]),
        ("vision_general", vision_four),
        ("chat", vec![]),
        ("code", vec![]),
        ("reasoning", vec![]),
        ("ocr", vec![]),
        ("embedding", vec![]),
    ];
    let r = run(&["roles", SAMPLE], OutputFormat::Json)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let doc: Value = serde_json::from_str(&r.out)?;
    let roles = doc["roles"].as_array().ok_or("a roles list")?;
    assert_eq!(
        roles.len(),
        expected_apps.len(),
        "the known roles, no others"
    );
    for (got, (role, apps)) in roles.iter().zip(&expected_apps) {
        assert_eq!(got["role"], *role);
        assert_eq!(got["apps"], json!(apps), "{role}");
        assert_eq!(got["proxy"], json!([]), "{role}");
        let warnings: Vec<&str> = got["warnings"]
            .as_array()
            .map(|w| w.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let proxy_empty = format!("no model answers {role} for the proxy's select_by_role");
        assert!(
            warnings.iter().any(|w| w.starts_with(&proxy_empty)),
            "{role}: {warnings:?}"
        );
        let apps_empty = format!("no model answers {role} for the ImageWorks apps");
        assert_eq!(
            warnings.iter().any(|w| w.starts_with(&apps_empty)),
            apps.is_empty(),
            "{role}: {warnings:?}"
        );
        assert_eq!(
            warnings.len(),
            1 + usize::from(apps.is_empty()),
            "{role}: no disagreement"
        );
    }
    Ok(())
}

/// With estimates and a limit the proxy answers: by priority, then the
/// preferred quantization, then smaller VRAM; the apps ignore both.
#[test]
fn roles_with_a_vram_limit_follow_the_proxys_rule() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let estimates = [
        ("qwen3-vl-8b-instruct_(FP8)", "30000"),
        ("huihui-qwen3-vl-8b-instruct-abliterated_(FP8)", "12000"),
        ("qwen3-vl-8b-instruct-abliterated_(FP8)", "11000"),
        ("qwen25vl_8.3b_(Q4_K_M)", "6000"),
    ];
    for (name, mb) in estimates {
        let r = run(
            &["set", &d, name, "vram_estimate_mb", mb],
            OutputFormat::Human,
        )?;
        assert_eq!(r.code, exit::OK, "{}", r.err);
    }
    // florence lists keywords without vision: the proxy still may pick it.
    let r = run(
        &[
            "set",
            &d,
            "florence-2-large_(FP16)",
            "vram_estimate_mb",
            "2000",
        ],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let r = run(&["roles", &d, "--vram-mb", "24000"], OutputFormat::Json)?;
    let doc: Value = serde_json::from_str(&r.out)?;
    let role = |name: &str| {
        doc["roles"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["role"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    // caption: qwen3 (95) is over the limit; the two 85s tie, the smaller
    // estimate first; florence 75; qwen25vl 80.
    assert_eq!(
        role("caption")["proxy"],
        json!([
            "qwen3-vl-8b-instruct-abliterated_(FP8)",
            "huihui-qwen3-vl-8b-instruct-abliterated_(FP8)",
            "qwen25vl_8.3b_(Q4_K_M)",
            "florence-2-large_(FP16)"
        ])
    );
    assert_eq!(
        role("object_detection")["proxy"],
        json!(["florence-2-large_(FP16)"])
    );
    // The preferred quantization outranks the smaller estimate at equal priority.
    let r = run(
        &[
            "roles",
            &d,
            "--vram-mb",
            "24000",
            "--prefer-quant",
            "q4_k_m,fp8",
        ],
        OutputFormat::Json,
    )?;
    let doc: Value = serde_json::from_str(&r.out)?;
    let keywords = doc["roles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["role"] == "keywords"))
        .cloned()
        .unwrap_or(Value::Null);
    // keywords: florence 95 (fp16); the two 80s fp8; qwen25vl 75 (q4_k_m).
    assert_eq!(
        keywords["proxy"],
        json!([
            "florence-2-large_(FP16)",
            "qwen3-vl-8b-instruct-abliterated_(FP8)",
            "huihui-qwen3-vl-8b-instruct-abliterated_(FP8)",
            "qwen25vl_8.3b_(Q4_K_M)"
        ])
    );
    let human = run(&["roles", &d], OutputFormat::Human)?;
    assert!(
        human
            .out
            .starts_with("caption\n  apps:  qwen3-vl-8b-instruct_(FP8), "),
        "{}",
        human.out
    );
    Ok(())
}
