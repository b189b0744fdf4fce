//! Registry layers as ImageWorks' loader reads them (issue 28, items 5-9
//! and 11): what the editor cannot hold is refused up front, what ImageWorks
//! cannot read is a finding, the snapshot is ImageWorks' merge, and an edit
//! rewrites only the entry it touches, in the file's own layout.

use crate::support::registry_run;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use iw_studio::cli::{OutputFormat, exit};
use iw_studio::core::registry::MAX_ENTRY_DEPTH;
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use registry_run::{SAMPLE, TestResult, dir_arg, run, sample_copy};
use serde_json::{Value, json};

/// An entry text nested `depth` levels deep (the entry itself is level 1).
fn deep_entry(name: &str, depth: usize) -> String {
    let inner = depth - 1;
    format!(
        "{{\"name\": \"{name}\", \"backend\": \"vllm\", \"deep\": {}1{}}}",
        "{\"a\": ".repeat(inner),
        "}".repeat(inner)
    )
}

/// A registry folder holding exactly these files (`None`: absent).
fn registry(
    curated: Option<&str>,
    discovered: Option<&str>,
    snapshot: Option<&str>,
) -> Result<tempfile::TempDir, std::io::Error> {
    let dir = tempfile::tempdir()?;
    for (file, text) in [
        (CURATED_FILE, curated),
        (DISCOVERED_FILE, discovered),
        (SNAPSHOT_FILE, snapshot),
    ] {
        if let Some(text) = text {
            fs::write(dir.path().join(file), text)?;
        }
    }
    Ok(dir)
}

fn findings(dir: &Path) -> Result<(u8, Vec<Value>), Box<dyn std::error::Error>> {
    let r = run(&["check", &dir_arg(dir)?], OutputFormat::Json)?;
    if r.code == exit::UNREADABLE {
        return Ok((r.code, vec![json!({"error": r.err})]));
    }
    let doc: Value = serde_json::from_str(&r.out)?;
    Ok((
        r.code,
        doc["findings"].as_array().cloned().unwrap_or_default(),
    ))
}

// ---- item 5: deep nesting ----

#[test]
fn an_edit_keeps_a_deep_entry_it_did_not_touch_byte_for_byte() -> TestResult {
    let deep = deep_entry("deep", MAX_ENTRY_DEPTH);
    let curated = format!("[\n  {{\"name\": \"a\", \"backend\": \"vllm\"}},\n  {deep}\n]\n");
    let dir = registry(Some(&curated), Some("[]\n"), None)?;
    let d = dir_arg(dir.path())?;
    let r = run(&["set", &d, "a", "display_name", "A"], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let after = fs::read_to_string(dir.path().join(CURATED_FILE))?;
    assert!(
        after.contains(&deep),
        "the deep entry was rewritten:\n{after}"
    );
    let snapshot = fs::read_to_string(dir.path().join(SNAPSHOT_FILE))?;
    assert!(!snapshot.contains("null"), "{snapshot}");
    let snapshot: Value = serde_json::from_str(&snapshot)?;
    assert!(snapshot[1]["deep"].is_object(), "{snapshot}");
    Ok(())
}

#[test]
fn an_entry_deeper_than_the_editor_holds_is_refused_with_its_name_and_depth() -> TestResult {
    let depth = MAX_ENTRY_DEPTH + 1;
    let curated = format!(
        "[\n  {{\"name\": \"a\", \"backend\": \"vllm\"}},\n  {}\n]\n",
        deep_entry("too-deep", depth)
    );
    let dir = registry(Some(&curated), Some("[]\n"), None)?;
    let d = dir_arg(dir.path())?;
    for args in [
        vec!["check", d.as_str()],
        vec!["set", d.as_str(), "a", "display_name", "A"],
    ] {
        let r = run(&args, OutputFormat::Human)?;
        assert_eq!(r.code, exit::UNREADABLE, "{args:?}: {}", r.out);
        assert!(
            r.err.contains("entry 1")
                && r.err.contains("\"too-deep\"")
                && r.err.contains(&format!("{depth} levels")),
            "{}",
            r.err
        );
    }
    assert_eq!(fs::read_to_string(dir.path().join(CURATED_FILE))?, curated);
    assert!(!dir.path().join(SNAPSHOT_FILE).exists(), "nothing written");
    Ok(())
}

// ---- item 6: what ImageWorks cannot read, and its merge ----

#[test]
fn a_curated_layer_with_a_bom_is_an_error_for_check() -> TestResult {
    let dir = sample_copy()?;
    let path = dir.path().join(CURATED_FILE);
    let text = fs::read_to_string(&path)?;
    fs::write(&path, format!("\u{feff}{text}"))?;
    let (code, found) = findings(dir.path())?;
    assert_eq!(code, exit::FINDINGS, "{found:?}");
    assert!(
        found.iter().any(|f| f["severity"] == json!("error")
            && f["field"] == json!(CURATED_FILE)
            && f["message"].as_str().is_some_and(|m| m.contains("BOM"))),
        "{found:?}"
    );
    Ok(())
}

#[test]
fn nan_and_infinity_are_refused_naming_the_token_and_place() -> TestResult {
    for token in ["NaN", "Infinity", "-Infinity"] {
        let curated = format!(
            "[\n  {{\n    \"name\": \"a\",\n    \"backend\": \"vllm\",\n    \"generation_defaults\": {{\n      \"temperature\": {token}\n    }}\n  }}\n]\n"
        );
        let dir = registry(Some(&curated), Some("[]\n"), None)?;
        let r = run(&["check", &dir_arg(dir.path())?], OutputFormat::Human)?;
        assert_eq!(r.code, exit::UNREADABLE, "{token}: {}", r.out);
        assert!(
            r.err.contains(CURATED_FILE)
                && r.err.contains("line 6")
                && r.err.contains(token.trim_start_matches('-')),
            "{token}: {}",
            r.err
        );
    }
    Ok(())
}

#[test]
fn padded_blank_and_number_names_merge_as_imageworks_merges_them() -> TestResult {
    // ImageWorks keys entries by `str(name or "").strip()`; the entry keeps
    // its raw name; blank, zero and null names are skipped.
    let discovered = r#"[
  {"name": "m", "backend": "vllm", "port_note": "d"},
  {"name": 7, "backend": "vllm"},
  {"name": "  ", "backend": "vllm"}
]
"#;
    let curated = r#"[
  {"name": " m ", "backend": "vllm", "display_name": "M"},
  {"name": 7.5, "backend": "vllm"},
  {"name": 0, "backend": "vllm"},
  {"name": "7", "backend": "lmdeploy"}
]
"#;
    let dir = registry(Some(curated), Some(discovered), None)?;
    let d = dir_arg(dir.path())?;
    let r = run(&["regenerate", &d], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let snapshot: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join(SNAPSHOT_FILE))?)?;
    assert_eq!(
        snapshot,
        json!([
            {"name": " m ", "backend": "vllm", "port_note": "d", "display_name": "M"},
            {"name": "7", "backend": "lmdeploy"},
            {"name": 7.5, "backend": "vllm"}
        ])
    );
    let (code, found) = findings(dir.path())?;
    assert_eq!(code, exit::OK, "{found:?}");
    let name_warnings: Vec<&str> = found
        .iter()
        .filter(|f| f["field"] == json!("name") && f["severity"] == json!("warning"))
        .filter_map(|f| f["entry"].as_str())
        .collect();
    assert_eq!(
        name_warnings,
        [
            "curated entry 0",
            "curated entry 1",
            "curated entry 2",
            "discovered entry 1",
            "discovered entry 2"
        ],
        "{found:?}"
    );
    let list = run(&["list", &d], OutputFormat::Json)?;
    let list: Value = serde_json::from_str(&list.out)?;
    let names: Vec<&str> = list["entries"]
        .as_array()
        .ok_or("no entries")?
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["m", "7", "7.5"]);
    Ok(())
}

#[test]
fn without_a_discovered_layer_snapshot_entries_come_first_as_imageworks_adopts_them() -> TestResult
{
    let curated = "[\n  {\"name\": \"a\", \"backend\": \"vllm\"},\n  {\"name\": \"b\", \"backend\": \"vllm\"}\n]\n";
    let snapshot = "[\n  {\"name\": \"x\", \"backend\": \"ollama\"},\n  {\"name\": \"a\", \"backend\": \"vllm\"}\n]\n";
    let dir = registry(Some(curated), None, Some(snapshot))?;
    let r = run(&["regenerate", &dir_arg(dir.path())?], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let written: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join(SNAPSHOT_FILE))?)?;
    let names: Vec<&str> = written
        .as_array()
        .ok_or("not a list")?
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["x", "a", "b"]);
    Ok(())
}

// ---- item 7: a damaged snapshot ----

#[test]
fn a_damaged_snapshot_is_a_finding_and_regenerate_rebuilds_it() -> TestResult {
    for damage in ["", "[\n  {\n    \"name\": \"tru", "{}", "\u{feff}[]\n"] {
        let dir = sample_copy()?;
        let d = dir_arg(dir.path())?;
        let path = dir.path().join(SNAPSHOT_FILE);
        let good = fs::read_to_string(&path)?;
        fs::write(&path, damage)?;
        let list = run(&["list", &d], OutputFormat::Human)?;
        assert_eq!(list.code, exit::OK, "{damage:?}: {}", list.err);
        assert_eq!(list.out.lines().count(), 16, "{damage:?}");
        let check = run(&["check", &d], OutputFormat::Human)?;
        assert_eq!(check.code, exit::OK, "{damage:?}: {}", check.err);
        assert!(
            check.out.contains("does not parse") && check.out.contains("regenerate"),
            "{damage:?}: {}",
            check.out
        );
        let r = run(&["regenerate", &d], OutputFormat::Human)?;
        assert_eq!(r.code, exit::OK, "{damage:?}: {}", r.err);
        assert_eq!(fs::read_to_string(&path)?, good, "{damage:?}");
    }
    Ok(())
}

// ---- item 9: layout, duplicate keys, messages ----

/// Two entries in a layout with `unit` indentation, the second with a
/// repeated key.
fn indented_layer(unit: &str) -> String {
    let i = |n: usize| unit.repeat(n);
    format!(
        "[\n{0}{{\n{1}\"name\": \"a\",\n{1}\"backend\": \"vllm\",\n{1}\"display_name\": \"old\"\n{0}}},\n{0}{{\n{1}\"name\": \"b\",\n{1}\"backend\": \"vllm\",\n{1}\"x\": 1,\n{1}\"x\": 2\n{0}}}\n]\n",
        i(1),
        i(2)
    )
}

#[test]
fn a_one_field_set_keeps_the_layout_and_other_entries_bytes() -> TestResult {
    for unit in ["    ", "\t", "  "] {
        let before = indented_layer(unit);
        let dir = registry(Some(&before), Some("[]\n"), None)?;
        let r = run(
            &["set", &dir_arg(dir.path())?, "a", "display_name", "new"],
            OutputFormat::Human,
        )?;
        assert_eq!(r.code, exit::OK, "{}", r.err);
        let after = fs::read_to_string(dir.path().join(CURATED_FILE))?;
        assert_eq!(
            after,
            before.replace("\"old\"", "\"new\""),
            "indent {unit:?}"
        );
    }
    Ok(())
}

#[test]
fn a_whole_registry_finding_names_the_file_path() -> TestResult {
    let dir = sample_copy()?;
    fs::remove_file(dir.path().join(SNAPSHOT_FILE))?;
    let r = run(&["check", &dir_arg(dir.path())?], OutputFormat::Human)?;
    let path = dir.path().join(SNAPSHOT_FILE).display().to_string();
    assert!(
        r.out.contains(&format!("warning: {path}: ")) && !r.out.contains(": : "),
        "{}",
        r.out
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_names_the_link_and_its_target() -> TestResult {
    for file in [CURATED_FILE, SNAPSHOT_FILE] {
        let dir = sample_copy()?;
        let link = dir.path().join(file);
        fs::remove_file(&link)?;
        let target = dir.path().join("gone.json");
        std::os::unix::fs::symlink(&target, &link)?;
        let r = run(&["check", &dir_arg(dir.path())?], OutputFormat::Human)?;
        assert_eq!(r.code, exit::UNREADABLE, "{file}");
        assert!(
            r.err.contains(&link.display().to_string())
                && r.err.contains(&target.display().to_string())
                && !r.err.contains("entity not found"),
            "{}",
            r.err
        );
    }
    Ok(())
}

// ---- item 11: `/v1/models` without `data` ----

/// Answers every request with `body` (JSON) until dropped.
struct OneAnswer {
    url: String,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl OneAnswer {
    fn start(body: &'static str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::Builder::new().name("one-answer".to_owned()).spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => continue,
                });
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        })?;
        Ok(Self {
            url: format!("http://127.0.0.1:{port}"),
            stop,
            port,
        })
    }
}

impl Drop for OneAnswer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[test]
fn list_with_a_proxy_answer_without_data_is_an_error() -> TestResult {
    let server = OneAnswer::start(r#"{"object": "list"}"#)?;
    let r = run(
        &["list", SAMPLE, "--proxy", &server.url, "--timeout", "5"],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::UNREADABLE, "{}", r.out);
    assert!(r.out.is_empty(), "{}", r.out);
    assert!(
        r.err.contains("not an ImageWorks proxy answer"),
        "{}",
        r.err
    );
    Ok(())
}
