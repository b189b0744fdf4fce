//! Issue 10: what the stock proxy does that the studio must hold to. The
//! binary as a user runs it, on files the real proxy would reject.

use crate::support::binary;

use binary::{studio, write_temp};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Seen 2: TOML 1.1-only syntax passed `check`; tomllib stops the proxy on it.
#[test]
fn check_refuses_every_toml_1_1_construct_with_its_line_and_column() -> TestResult {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "newline in an inline table",
            b"[server]\nport = 8100\n[ui]\ntags = {a = 1,\n b = 2}\n",
            ":4:15: error: the proxy reads TOML 1.0 (Python tomllib): ",
        ),
        (
            "trailing comma in an inline table",
            b"[ui]\ntags = { a = 1, }\n",
            ":2:15: error: the proxy reads TOML 1.0 (Python tomllib): ",
        ),
        (
            "time without seconds",
            b"[ui]\nat = 07:32\n",
            ":2:6: error: the proxy reads TOML 1.0 (Python tomllib): ",
        ),
        (
            "datetime without seconds",
            b"[ui]\nat = 1979-05-27T07:32\n",
            ":2:17: error: the proxy reads TOML 1.0 (Python tomllib): ",
        ),
        (
            "\\e escape",
            b"[server]\nhost = \"a\\e\"\n",
            ":2:10: error: the proxy reads TOML 1.0 (Python tomllib): ",
        ),
        (
            "\\xHH escape",
            b"[server]\nhost = \"\\x41\"\n",
            ":2:9: error: the proxy reads TOML 1.0 (Python tomllib): ",
        ),
        (
            "UTF-8 BOM",
            b"\xef\xbb\xbf[server]\nport = 8100\n",
            ":1:1: error: the proxy reads TOML 1.0 (Python tomllib): ",
        ),
    ];
    for (what, bytes, expected) in cases {
        let (_dir, path) = write_temp(bytes)?;
        let path_text = path.to_str().ok_or("path")?;
        let out = studio(&["check", path_text]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{what}: {stdout}");
        assert!(
            stdout.contains(&format!("{path_text}{expected}")),
            "{what}: {stdout}"
        );
    }
    Ok(())
}

#[test]
fn shipped_and_sample_files_still_pass_check() {
    for file in [
        "sample_configs/chat_proxy.toml",
        "sample_configs/full_example.toml",
    ] {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let out = studio(&["check", &path]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
