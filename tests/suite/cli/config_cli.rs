//! The CLI as a user runs it: the real binary on copies of real files.

use crate::support::binary;

use binary::{arg, stdout, studio};
use std::path::PathBuf;
use std::process::Output;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../../../sample_configs/chat_proxy.toml");

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn copy_of(text: &str) -> Result<(tempfile::TempDir, PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, text)?;
    Ok((dir, path))
}

fn sample(name: &str) -> String {
    format!("{}/sample_configs/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_shipped_file_warns_about_backoff_at_line_60() -> TestResult {
    let out = studio(&["check", &sample("chat_proxy.toml"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    let findings = json["findings"].as_array().ok_or("findings")?;
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["severity"], "warning");
    assert_eq!(findings[0]["path"], "vllm.vllm_restart_backoff_s");
    assert_eq!(findings[0]["line"], 60);
    assert_eq!(findings[0]["column"], 1);
    assert!(
        json["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("chat_proxy.toml"))
    );
    let human = studio(&["check", &sample("chat_proxy.toml")]);
    assert!(
        stdout(&human).contains(
            "chat_proxy.toml:60:1: warning: vllm.vllm_restart_backoff_s: the proxy never reads"
        ),
        "{}",
        stdout(&human)
    );
    Ok(())
}

#[test]
fn check_exit_codes_follow_severity() {
    assert_eq!(
        studio(&["check", &sample("broken/wrong_types.toml")])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        studio(&["check", &sample("broken/inline_secret.toml")])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        studio(&["check", &sample("broken/wrong_section.toml")])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        studio(&["check", &sample("full_example.toml")])
            .status
            .code(),
        Some(0)
    );
    let missing = studio(&["check", "/nonexistent/chat_proxy.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("/nonexistent/chat_proxy.toml: cannot read"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn malformed_file_exits_2_with_line_and_column_and_is_never_written() -> TestResult {
    let broken = std::fs::read_to_string(sample("broken/not_toml.toml"))?;
    let (_dir, path) = copy_of(&broken)?;
    let out = studio(&["check", arg(&path), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    assert_eq!(json["findings"][0]["line"], 4, "{json}");
    assert!(json["findings"][0]["column"].as_u64().is_some());
    let set = studio(&["set", arg(&path), "server.port", "9001"]);
    assert_eq!(set.status.code(), Some(2));
    assert!(stderr(&set).contains(":4:"), "{}", stderr(&set));
    assert_eq!(std::fs::read_to_string(&path)?, broken);
    Ok(())
}

#[test]
fn set_port_replaces_exactly_one_line() -> TestResult {
    let (_dir, path) = copy_of(SHIPPED)?;
    let out = studio(&["set", arg(&path), "server.port", "9001"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(&path)?;
    let diff: Vec<_> = SHIPPED
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(diff, [("port = 8100", "port = 9001")]);
    assert_eq!(SHIPPED.lines().count(), after.lines().count());
    let backup = std::fs::read_to_string(path.with_file_name("chat_proxy.toml.bak"))?;
    assert_eq!(backup, SHIPPED);
    Ok(())
}

#[test]
fn set_wrong_type_exits_1_names_path_and_leaves_bytes() -> TestResult {
    let (_dir, path) = copy_of(SHIPPED)?;
    for value in ["abc", "\"abc\""] {
        let out = studio(&["set", arg(&path), "server.port", value]);
        assert_eq!(out.status.code(), Some(1), "{value}");
        let err = stderr(&out);
        assert!(
            err.contains("server.port") && err.contains("an integer"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path)?, SHIPPED);
    }
    let forced = studio(&["set", arg(&path), "server.port", "\"abc\"", "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert!(std::fs::read_to_string(&path)?.contains("port = \"abc\""));
    Ok(())
}

#[test]
fn set_same_value_is_byte_identical_and_writes_nothing() -> TestResult {
    let (_dir, path) = copy_of(SHIPPED)?;
    let out = studio(&["set", arg(&path), "server.port", "8100"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("unchanged"));
    assert_eq!(std::fs::read_to_string(&path)?, SHIPPED);
    assert!(!path.with_file_name("chat_proxy.toml.bak").exists());
    Ok(())
}

#[test]
fn set_reads_toml_values_and_bare_words_for_strings() -> TestResult {
    let (_dir, path) = copy_of(SHIPPED)?;
    let p = arg(&path);
    assert_eq!(
        studio(&["set", p, "server.host", "0.0.0.0"]).status.code(),
        Some(0)
    );
    assert_eq!(
        studio(&[
            "set",
            p,
            "vision_preprocess.vision_downscale_backends",
            "[\"vllm\",\"ollama\"]"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        studio(&["set", p, "server.enable_metrics", "true"])
            .status
            .code(),
        Some(0)
    );
    let bad_list = studio(&[
        "set",
        p,
        "vision_preprocess.vision_downscale_backends",
        "vllm",
    ]);
    assert_eq!(bad_list.status.code(), Some(1));
    let text = std::fs::read_to_string(&path)?;
    assert!(text.contains("host = \"0.0.0.0\"\n"));
    assert!(text.contains("vision_downscale_backends = [\"vllm\",\"ollama\"]\n"));
    assert!(text.contains("enable_metrics = true\n"));
    Ok(())
}

#[test]
fn get_prints_literals_and_reports_defaults() -> TestResult {
    let p = sample("chat_proxy.toml");
    let out = studio(&["get", &p, "vision_preprocess.vision_downscale_backends"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).trim(), "[\"vllm\"]");
    let host = studio(&["get", &p, "server.host"]);
    assert_eq!(stdout(&host).trim(), "\"127.0.0.1\"");
    let missing = studio(&["get", &sample("broken/wrong_section.toml"), "server.port"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("the proxy uses its default 8100"),
        "{}",
        stderr(&missing)
    );
    let json = studio(&["get", &p, "server.port", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json))?;
    assert_eq!(
        (v["value"].as_i64(), v["set"].as_bool()),
        (Some(8100), Some(true))
    );
    Ok(())
}

#[test]
fn unset_removes_the_line() -> TestResult {
    let (_dir, path) = copy_of(SHIPPED)?;
    let out = studio(&["unset", arg(&path), "limits.max_image_bytes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&path)?,
        SHIPPED.replace("max_image_bytes = 9000000\n", "")
    );
    Ok(())
}

#[test]
fn schema_write_saves_the_file_a_schema_line_names_and_keeps_the_old_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = studio(&["schema", "--write", arg(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("#:schema ./chat_proxy.schema.json"));
    let path = dir.path().join("chat_proxy.schema.json");
    assert_eq!(
        std::fs::read_to_string(&path)?,
        stdout(&studio(&["schema"]))
    );
    // Again: nothing to write. Over an older file: replaced, the old one kept.
    let again = studio(&["schema", "--write", arg(dir.path())]);
    assert!(stdout(&again).contains(": unchanged"), "{}", stdout(&again));
    std::fs::write(&path, "{}\n")?;
    let over = studio(&["schema", "--write", arg(dir.path())]);
    assert!(stdout(&over).contains(": written"), "{}", stdout(&over));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("chat_proxy.schema.json.bak"))?,
        "{}\n"
    );
    let missing = studio(&["schema", "--write", arg(&dir.path().join("nope"))]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("nope: not a folder"),
        "{}",
        stderr(&missing)
    );
    Ok(())
}

/// A syntax check of what the shell is given: `bash -n` on the script.
#[test]
fn bash_completions_are_valid_bash_and_complete_subcommands() -> TestResult {
    let out = studio(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let script = stdout(&out);
    assert!(script.contains("registry") && script.contains("--dry-run"));
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("iw-studio.bash");
    std::fs::write(&file, &script)?;
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()?;
    assert!(check.status.success(), "{}", stderr(&check));
    for shell in ["zsh", "fish"] {
        let out = studio(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(stdout(&out).contains("iw-studio"), "{shell}");
    }
    Ok(())
}

/// `man -l` renders the page without a warning. man-db is what `.ci/run`
/// installs; on a machine without `man`, the test says so and fails in CI.
#[test]
fn the_man_page_renders_with_man() -> TestResult {
    let out = studio(&["manpage"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("iw-studio.1");
    std::fs::write(&page, stdout(&out))?;
    let man = std::process::Command::new("man")
        .env("MANWIDTH", "100")
        .args(["--warnings", "-l"])
        .arg(&page)
        .output();
    let man = match man {
        Ok(man) => man,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: no “man” here ({e}); .ci/run installs man-db");
            return Ok(());
        }
        Err(e) => return Err(format!("“man” is missing in CI: {e}").into()),
    };
    assert!(man.status.success(), "{}", stderr(&man));
    assert_eq!(stderr(&man), "", "man warned");
    let text = stdout(&man);
    assert!(text.contains("iw-studio"), "{text:.300}");
    assert!(text.contains("REGISTRY ROLES"), "subcommand sections");
    Ok(())
}

#[test]
fn schema_describes_every_section() -> TestResult {
    let out = studio(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let s: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let port = &s["properties"]["server"]["properties"]["port"];
    assert_eq!(
        (
            port["type"].as_str(),
            port["default"].as_i64(),
            port["maximum"].as_i64()
        ),
        (Some("integer"), Some(8100), Some(65535))
    );
    assert!(
        port["description"]
            .as_str()
            .is_some_and(|d| d.contains("CHAT_PROXY_PORT"))
    );
    assert_eq!(
        s["properties"]["ui"]["properties"]["pages"]["properties"]["results"]["type"],
        "boolean"
    );
    assert_eq!(
        s["properties"]["storage"]["properties"]["assets"]["properties"]["images"]["properties"]["backend"]
            ["enum"][1],
        "s3"
    );
    assert_eq!(s["properties"]["endpoints"]["type"], "array");
    assert_eq!(s["properties"]["endpoints"]["items"]["required"][0], "name");
    let count: usize = s["properties"]
        .as_object()
        .ok_or("props")?
        .values()
        .filter_map(|sec| sec["properties"].as_object())
        .map(|p| p.len())
        .sum();
    assert!(count >= 43, "{count}");
    Ok(())
}

#[test]
fn defaults_is_complete_and_passes_check() -> TestResult {
    let out = studio(&["defaults"]);
    assert_eq!(out.status.code(), Some(0));
    let (_dir, path) = copy_of(&stdout(&out))?;
    let check = studio(&["check", arg(&path), "--format", "json"]);
    assert_eq!(check.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&check))?;
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v}");
    assert!(stdout(&out).contains("port = 8100"));
    Ok(())
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(studio(&["set", "only-a-file"]).status.code(), Some(2));
    assert_eq!(
        studio(&["get", &sample("chat_proxy.toml"), "server..port"])
            .status
            .code(),
        Some(2)
    );
}

const MAP_AND_ARRAY: &str = "[server]\nport = 8100\n\n[storage.assets.images]\nbackend = \"local\"\npath = \"/srv/images\"\n\n[[endpoints]]\nname = \"first\"\nkind = \"ollama\"\nbase_url = \"http://127.0.0.1:11434\"\n";

#[test]
fn set_get_unset_work_on_map_and_array_paths() -> TestResult {
    let (_dir, path) = copy_of(MAP_AND_ARRAY)?;
    let p = arg(&path);
    let name = studio(&["set", p, "endpoints[0].name", "foo"]);
    assert_eq!(name.status.code(), Some(0), "{}", stderr(&name));
    let got = studio(&["get", p, "endpoints[0].name"]);
    assert_eq!(stdout(&got).trim(), "\"foo\"");
    // A bare word is a string for an enum; s3 then needs its bucket.
    let backend = studio(&["set", p, "storage.assets.images.backend", "s3"]);
    assert!(
        !stderr(&backend).contains("not a TOML value"),
        "{}",
        stderr(&backend)
    );
    assert_eq!(backend.status.code(), Some(1), "{}", stderr(&backend));
    assert!(stderr(&backend).contains("bucket"), "{}", stderr(&backend));
    let forced = studio(&["set", p, "storage.assets.images.backend", "s3", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let got = studio(&["get", p, "storage.assets.images.backend"]);
    assert_eq!(stdout(&got).trim(), "\"s3\"");
    let unset = studio(&["unset", p, "storage.assets.images.backend"]);
    assert_eq!(unset.status.code(), Some(0), "{}", stderr(&unset));
    let text = std::fs::read_to_string(&path)?;
    assert!(
        !text.contains("backend") && text.contains("name = \"foo\""),
        "{text}"
    );
    Ok(())
}

#[test]
fn unknown_paths_get_a_did_you_mean() -> TestResult {
    let (_dir, path) = copy_of(MAP_AND_ARRAY)?;
    let p = arg(&path);
    let set = studio(&["set", p, "server.prot", "9001"]);
    assert_eq!(set.status.code(), Some(1));
    assert!(
        stderr(&set).contains("did you mean “server.port”"),
        "{}",
        stderr(&set)
    );
    let get = studio(&["get", p, "endpoints[0].nmae"]);
    assert_eq!(get.status.code(), Some(1));
    assert!(
        stderr(&get).contains("did you mean “endpoints[0].name”"),
        "{}",
        stderr(&get)
    );
    let unset = studio(&["unset", p, "storage.assets.imagse.backend"]);
    assert_eq!(unset.status.code(), Some(1));
    assert!(
        stderr(&unset).contains("did you mean “storage.assets.images.backend”"),
        "{}",
        stderr(&unset)
    );
    assert_eq!(std::fs::read_to_string(&path)?, MAP_AND_ARRAY);
    Ok(())
}

#[test]
fn global_flags_go_before_or_after_the_subcommand() -> TestResult {
    let file = sample("chat_proxy.toml");
    let before = studio(&["--format", "json", "check", &file]);
    let after = studio(&["check", &file, "--format", "json"]);
    assert_eq!(before.status.code(), Some(0), "{}", stderr(&before));
    assert_eq!(stdout(&before), stdout(&after));
    let json: serde_json::Value = serde_json::from_str(&stdout(&before))?;
    assert!(json["findings"].is_array(), "{json}");
    let layouts = format!("{}/ui_layouts", env!("CARGO_MANIFEST_DIR"));
    let get = studio(&["--layouts", &layouts, "get", &file, "server.port"]);
    assert_eq!(get.status.code(), Some(0), "{}", stderr(&get));
    Ok(())
}

#[test]
fn json_mode_errors_are_json_on_stderr() -> TestResult {
    let (_dir, path) = copy_of(MAP_AND_ARRAY)?;
    let p = arg(&path);
    let cases: [(&[&str], &str, u8); 6] = [
        (&["check", "/nonexistent/chat_proxy.toml"], "unreadable", 2),
        // Usage errors found by clap: a missing argument, an unknown flag.
        (&["check"], "usage", 2),
        (&["set", p, "server.port"], "usage", 2),
        (&["get", p, "server..port"], "bad_path", 2),
        (&["set", p, "server.prot", "9001"], "refused", 1),
        (&["unset", p, "server.nothing_here"], "refused", 1),
    ];
    for (args, kind, code) in cases {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = studio(&all);
        assert_eq!(out.status.code(), Some(i32::from(code)), "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        let json: serde_json::Value = serde_json::from_str(&stderr(&out))?;
        assert_eq!(json["error"]["kind"], kind, "{json}");
        assert!(json["error"]["message"].is_string(), "{json}");
    }
    Ok(())
}

#[test]
fn errors_a_file_already_has_do_not_block_an_unrelated_set() -> TestResult {
    let full = std::fs::read_to_string(sample("full_example.toml"))?;
    let broken = full.replace("bucket = \"imageworks-documents\"\n", "");
    let (_dir, path) = copy_of(&broken)?;
    let file = arg(&path);
    let before = studio(&["check", file]);
    assert_eq!(
        before.status.code(),
        Some(1),
        "the file has errors to begin with"
    );

    let out = studio(&["set", file, "endpoints[0].name", "\"renamed\""]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("none from this change"), "{all}");
    assert!(std::fs::read_to_string(&path)?.contains("name = \"renamed\""));

    // A change that adds an error is still refused, naming only its own.
    let out = studio(&["set", file, "server.port", "99999999"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("this change adds 1 error"), "{err}");
    assert!(err.contains("which do not block"), "{err}");
    assert!(
        !err.contains("bucket"),
        "the old errors are counted, not listed: {err}"
    );
    Ok(())
}
