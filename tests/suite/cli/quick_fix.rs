//! Issue 10, Seen 6: files ImageWorks' own form writes carry
//! `vllm_max_model_len = "4096"` or `port = "8100"`. `check` says so with a
//! fix, and `iw-studio fix` applies it as one-line edits.

use crate::support::binary;

use binary::{arg, stdout, studio, write_temp};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../../../sample_configs/chat_proxy.toml");

/// The shipped file as the Streamlit form saves it: two values as strings.
fn as_streamlit_writes(newline: &str) -> String {
    SHIPPED
        .replace("port = 8100", "port = \"8100\"")
        .replace("vllm_max_model_len = \"\"", "vllm_max_model_len = \"4096\"")
        .replace('\n', newline)
}

/// What `fix` must make of it: only those two lines change.
fn fixed(newline: &str) -> String {
    SHIPPED
        .replace("vllm_max_model_len = \"\"", "vllm_max_model_len = 4096")
        .replace('\n', newline)
}

fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(before.lines().count(), after.lines().count());
    before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

#[test]
fn check_reports_the_strings_as_errors_that_carry_their_fix() -> TestResult {
    let (_dir, path) = write_temp(as_streamlit_writes("\n").as_bytes())?;
    let out = studio(&["check", arg(&path), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    let findings = json["findings"].as_array().ok_or("findings")?;
    let port = findings
        .iter()
        .find(|f| f["path"] == "server.port")
        .ok_or("a finding for server.port")?;
    assert_eq!(port["severity"], "error");
    assert_eq!(port["line"], 10);
    assert_eq!(
        port["fix"],
        serde_json::json!({
            "label": "Convert to 8100",
            "edit": {"kind": "set_value", "path": "server.port", "value": 8100}
        })
    );
    let len = findings
        .iter()
        .find(|f| f["path"] == "vllm.vllm_max_model_len")
        .ok_or("a finding for vllm_max_model_len")?;
    assert_eq!(len["severity"], "error");
    assert_eq!(len["fix"]["label"], "Convert to 4096");
    assert_eq!(len["fix"]["edit"]["value"], 4096);
    let human = stdout(&studio(&["check", arg(&path)]));
    assert!(
        human.contains("(quick fix: Convert to 8100; “iw-studio fix” applies it)"),
        "{human}"
    );
    Ok(())
}

#[test]
fn fix_changes_exactly_those_two_lines_and_check_then_passes() -> TestResult {
    let before = as_streamlit_writes("\n");
    let (_dir, path) = write_temp(before.as_bytes())?;
    let out = studio(&["fix", arg(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let after = std::fs::read(&path)?;
    assert_eq!(after, fixed("\n").as_bytes());
    assert_eq!(
        changed_lines(&before, &String::from_utf8(after)?),
        vec![
            ("port = \"8100\"".to_owned(), "port = 8100".to_owned()),
            (
                "vllm_max_model_len = \"4096\"".to_owned(),
                "vllm_max_model_len = 4096".to_owned()
            ),
        ]
    );
    let report = stdout(&out);
    assert!(
        report.contains(":10:8: fixed server.port: Convert to 8100"),
        "{report}"
    );
    assert!(report.contains("2 fixes saved"), "{report}");
    let check = studio(&["check", arg(&path)]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    // Nothing left to fix: nothing written, exit 0.
    let again = studio(&["fix", arg(&path)]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("nothing to fix"),
        "{}",
        stdout(&again)
    );
    Ok(())
}

#[test]
fn fix_keeps_a_crlf_file_crlf() -> TestResult {
    let (_dir, path) = write_temp(as_streamlit_writes("\r\n").as_bytes())?;
    let out = studio(&["fix", arg(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(std::fs::read(&path)?, fixed("\r\n").as_bytes());
    Ok(())
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() -> TestResult {
    let before = as_streamlit_writes("\n");
    let (dir, path) = write_temp(before.as_bytes())?;
    let out = studio(&["fix", arg(&path), "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(std::fs::read(&path)?, before.as_bytes());
    assert_eq!(std::fs::read_dir(dir.path())?.count(), 1, "no .bak either");
    let diff = stdout(&out);
    for line in [
        "(now)\n",
        "(fixed)\n",
        "\n-port = \"8100\"\n+port = 8100\n",
        "\n-vllm_max_model_len = \"4096\"\n+vllm_max_model_len = 4096\n",
        "would fix server.port: Convert to 8100",
        "dry run, nothing written",
    ] {
        assert!(diff.contains(line), "{line:?} in:\n{diff}");
    }
    assert_eq!(diff.lines().filter(|l| l.starts_with('-')).count(), 3); // 2 + the header
    let json = studio(&["fix", arg(&path), "--dry-run", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json))?;
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["saved"], false);
    assert_eq!(json["fixed"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["fixed"][0]["fix"]["label"], "Convert to 8100");
    assert_eq!(json["remaining_errors"], serde_json::json!([]));
    assert!(
        json["diff"]
            .as_str()
            .is_some_and(|d| d.contains("+port = 8100"))
    );
    assert_eq!(std::fs::read(&path)?, before.as_bytes());
    Ok(())
}

#[test]
fn the_bom_fix_removes_exactly_the_three_bytes() -> TestResult {
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(SHIPPED.replace('\n', "\r\n").as_bytes());
    let (_dir, path) = write_temp(&bytes)?;
    let check = studio(&["check", arg(&path), "--format", "json"]);
    assert_eq!(check.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&check))?;
    let bom = json["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["fix"]["edit"]["kind"] == "remove_bom"))
        .ok_or("the BOM finding carries a fix")?;
    assert_eq!(
        (bom["line"].as_u64(), bom["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(bom["fix"]["label"], "Remove the BOM");
    let out = studio(&["fix", arg(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(std::fs::read(&path)?, &bytes[3..]);
    assert_eq!(studio(&["check", arg(&path)]).status.code(), Some(0));
    Ok(())
}

/// The file's own errors do not block a save (issue 29 item 6): the fixes
/// are saved, the error no fix repairs is named, and the exit says one remains.
#[test]
fn errors_no_fix_repairs_do_not_block_saving_the_fixes() -> TestResult {
    let before = SHIPPED.replace("port = 8100", "port = \"8100\"").replacen(
        "host = \"127.0.0.1\"",
        "host = 5",
        1,
    );
    let (_dir, path) = write_temp(before.as_bytes())?;
    let out = studio(&["fix", arg(&path), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "an error remains");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    assert_eq!(json["saved"], true, "{json}");
    let remaining = json["remaining_errors"].as_array().ok_or("remaining")?;
    assert_eq!(remaining.len(), 1, "{json}");
    assert_eq!(remaining[0]["path"], "server.host");
    let after = std::fs::read_to_string(&path)?;
    assert_eq!(
        changed_lines(&before, &after),
        vec![("port = \"8100\"".to_owned(), "port = 8100".to_owned())]
    );
    Ok(())
}

#[test]
fn strings_that_are_not_exactly_the_value_get_no_fix() -> TestResult {
    let before = SHIPPED
        .replace("port = 8100", "port = \" 8100\"")
        .replace("enable_metrics = false", "enable_metrics = \"yes\"")
        .replace(
            "vllm_max_model_len = \"\"",
            "vllm_max_model_len = \"4096.0\"",
        );
    let (_dir, path) = write_temp(before.as_bytes())?;
    let check = studio(&["check", arg(&path), "--format", "json"]);
    assert_eq!(check.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&check))?;
    let findings = json["findings"].as_array().ok_or("findings")?;
    assert_eq!(
        findings.iter().filter(|f| f["severity"] == "error").count(),
        3
    );
    assert!(findings.iter().all(|f| f.get("fix").is_none()), "{json}");
    let out = studio(&["fix", arg(&path)]);
    assert_eq!(out.status.code(), Some(1), "errors remain");
    assert!(
        stdout(&out).contains("nothing to fix; 3 errors"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(&path)?, before.as_bytes());
    Ok(())
}

#[test]
fn fix_on_an_unreadable_file_exits_2() -> TestResult {
    let (dir, path) = write_temp(b"[server\nport = 1\n")?;
    let out = studio(&["fix", arg(&path)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":1:8: not valid TOML"), "{stderr}");
    let missing = dir.path().join("missing.toml");
    let out = studio(&["fix", arg(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.toml"), "{stderr}");
    Ok(())
}
