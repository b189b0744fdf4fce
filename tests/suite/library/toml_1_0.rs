//! Issue 10, Seen 2: the proxy reads TOML 1.0 (Python tomllib). `check`
//! stops at every 1.1-only construct with its line:column, one test each;
//! `set` never writes one.

use crate::support::binary;

use binary::{arg, stdout, studio, write_temp};
use std::path::{Path, PathBuf};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../../../sample_configs/chat_proxy.toml");
const PREFIX: &str = "error: the proxy reads TOML 1.0 (Python tomllib): ";

/// `check` exits 1 and reports the construct at `line:column` with the prefix
/// and `what` in its message; the JSON finding is an error at the same place.
fn refused_at(bytes: &[u8], line: u64, column: u64, what: &str) -> TestResult {
    let (_dir, path) = write_temp(bytes)?;
    let out = studio(&["check", arg(&path)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let expected = format!("{}:{line}:{column}: {PREFIX}", arg(&path));
    let hit = text
        .lines()
        .find(|l| l.starts_with(&expected))
        .ok_or_else(|| format!("no “{expected}” in:\n{text}"))?;
    assert!(hit.contains(what), "{what:?} in {hit}");
    let json = studio(&["check", arg(&path), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json))?;
    let findings = json["findings"].as_array().ok_or("findings")?;
    assert!(
        findings.iter().any(|f| f["severity"] == "error"
            && f["line"] == line
            && f["column"] == column
            && f["message"].as_str().is_some_and(|m| m.contains(what))),
        "{json}"
    );
    Ok(())
}

#[test]
fn newline_in_an_inline_table() -> TestResult {
    refused_at(b"[ui]\ntags = {a = 1,\n b = 2}\n", 2, 15, "one line")
}

#[test]
fn newline_in_an_inline_table_of_a_crlf_file() -> TestResult {
    refused_at(b"[ui]\r\ntags = {a = 1,\r\n b = 2}\r\n", 2, 15, "one line")
}

#[test]
fn comment_in_an_inline_table() -> TestResult {
    refused_at(
        b"[ui]\ntags = { a = 1, # why\n b = 2 }\n",
        2,
        22,
        "one line",
    )
}

#[test]
fn newline_in_an_inline_table_inside_an_array() -> TestResult {
    refused_at(b"[ui]\nlist = [{ a = 1,\n b = 2 }]\n", 2, 17, "one line")
}

#[test]
fn trailing_comma_in_an_inline_table() -> TestResult {
    refused_at(b"[ui]\ntags = { a = 1, }\n", 2, 15, "trailing comma")
}

#[test]
fn trailing_comma_in_a_nested_inline_table() -> TestResult {
    refused_at(b"[ui]\ntags = { a = { b = 1,} }\n", 2, 21, "trailing comma")
}

#[test]
fn local_time_without_seconds() -> TestResult {
    refused_at(b"[ui]\nat = 07:32\n", 2, 6, "seconds")
}

#[test]
fn local_datetime_without_seconds() -> TestResult {
    refused_at(b"[ui]\nat = 1979-05-27T07:32\n", 2, 17, "seconds")
}

#[test]
fn datetime_with_a_space_and_no_seconds() -> TestResult {
    refused_at(b"[ui]\nat = 1979-05-27 07:32\n", 2, 17, "seconds")
}

#[test]
fn offset_datetime_without_seconds() -> TestResult {
    refused_at(b"[ui]\nat = 1979-05-27T07:32-07:00\n", 2, 17, "seconds")
}

#[test]
fn time_without_seconds_in_an_array() -> TestResult {
    refused_at(b"[ui]\nat = [\n  07:32:00,\n  08:15,\n]\n", 4, 3, "seconds")
}

#[test]
fn escape_e_in_a_basic_string() -> TestResult {
    refused_at(b"[server]\nhost = \"a\\e\"\n", 2, 10, "\\e")
}

#[test]
fn escape_e_in_a_multi_line_basic_string() -> TestResult {
    refused_at(b"[ui]\nnote = \"\"\"\nred \\e[31m\n\"\"\"\n", 3, 5, "\\e")
}

#[test]
fn escape_x_in_a_basic_string() -> TestResult {
    refused_at(b"[server]\nhost = \"\\x41\"\n", 2, 9, "\\xHH")
}

#[test]
fn escape_x_in_a_quoted_key() -> TestResult {
    refused_at(b"[ui]\n\"a\\x41\" = 1\n", 2, 3, "\\xHH")
}

#[test]
fn utf8_bom_at_the_start() -> TestResult {
    refused_at(b"\xef\xbb\xbf[server]\nport = 8100\n", 1, 1, "BOM")
}

#[test]
fn shipped_and_sample_files_pass_check() -> TestResult {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<PathBuf> = std::fs::read_dir(format!("{root}/sample_configs"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    // The shipped ImageWorks file, when this checkout sits next to it (not in CI).
    let shared = Path::new(root).join("../shared/fixtures/imageworks/chat_proxy.toml");
    files.extend(shared.exists().then_some(shared));
    assert!(files.len() >= 2, "{files:?}");
    for file in &files {
        let out = studio(&["check", arg(file)]);
        assert_eq!(out.status.code(), Some(0), "{file:?}: {}", stdout(&out));
        assert!(!stdout(&out).contains(PREFIX), "{file:?}: {}", stdout(&out));
    }
    Ok(())
}

/// The built-in layouts plus a field that takes any value (`type = "json"`),
/// the only kind that takes a date-time.
fn layouts_with_a_json_field() -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui_layouts");
    for entry in std::fs::read_dir(source)? {
        let path = entry?.path();
        std::fs::copy(&path, dir.path().join(path.file_name().ok_or("name")?))?;
    }
    let ui = dir.path().join("ui.toml");
    let mut text = std::fs::read_to_string(&ui)?;
    text.push_str(
        "\n[[page.section.field]]\nkey = \"rollover_at\"\nlabel = \"Rollover at\"\n\
         type = \"json\"\nneeds_restart = false\nhelp = \"When the logs roll over.\"\n",
    );
    std::fs::write(&ui, text)?;
    Ok(dir)
}

#[test]
fn set_of_a_time_without_seconds_writes_its_seconds() -> TestResult {
    let layouts = layouts_with_a_json_field()?;
    let layouts = arg(layouts.path());
    let (_dir, path) = write_temp(SHIPPED.as_bytes())?;
    let out = studio(&[
        "--layouts",
        layouts,
        "set",
        arg(&path),
        "ui.modules.rollover_at",
        "07:32",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path)?;
    assert!(text.contains("\nrollover_at = 07:32:00\n"), "{text}");
    let out = studio(&[
        "--layouts",
        layouts,
        "set",
        arg(&path),
        "ui.modules.rollover_at",
        "1979-05-27 07:32",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&path)?;
    assert!(
        text.contains("\nrollover_at = 1979-05-27T07:32:00\n"),
        "{text}"
    );
    let check = studio(&["--layouts", layouts, "check", arg(&path)]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    Ok(())
}

#[test]
fn set_of_a_time_for_a_string_field_writes_the_word() -> TestResult {
    // TOML 1.0 reads no value in `07:32`: a string field takes it as text.
    let (_dir, path) = write_temp(SHIPPED.as_bytes())?;
    let out = studio(&["set", arg(&path), "server.log_path", "07:32"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = std::fs::read_to_string(&path)?;
    assert!(text.contains("\nlog_path = \"07:32\"\n"), "{text}");
    Ok(())
}

#[test]
fn set_of_a_string_with_an_escape_writes_the_toml_1_0_escape() -> TestResult {
    let (_dir, path) = write_temp(SHIPPED.as_bytes())?;
    let out = studio(&["set", arg(&path), "server.log_path", r#""logs\e.jsonl""#]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = std::fs::read_to_string(&path)?;
    assert!(
        text.contains("\nlog_path = \"logs\\u001B.jsonl\"\n"),
        "{text}"
    );
    assert_eq!(studio(&["check", arg(&path)]).status.code(), Some(0));
    Ok(())
}
