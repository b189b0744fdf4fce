//! The activity log (`app_log`): a save, a push and a refused save, each made
//! by the real binary, leave a line in the log file.

use crate::support::test_proxy;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use test_proxy::TestProxy;

const FULL: &str = include_str!("../../../sample_configs/full_example.toml");

fn studio(log_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .args(args)
        .env("IW_STUDIO_LOG_DIR", log_dir)
        .output()
        .expect("run iw-studio")
}

/// Every line of every log file in the folder.
fn log_lines(log_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(log_dir).expect("the log folder exists") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read a log");
        lines.extend(text.lines().map(str::to_owned));
    }
    lines
}

#[test]
fn saved_refused_and_pushed_each_leave_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let file = dir.path().join("chat_proxy.toml");
    std::fs::write(&file, FULL).unwrap();
    let file_arg = file.to_str().unwrap();

    let saved = studio(&logs, &["set", file_arg, "server.port", "9001"]);
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    let lines = log_lines(&logs);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("saved") && l.contains("chat_proxy.toml")),
        "{lines:#?}"
    );

    // A port of 0 is out of range: validation refuses the save.
    let refused = studio(&logs, &["set", file_arg, "server.port", "0"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    // The log line goes to the file, not to the command's own stderr.
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !err.contains("WARN") && !err.contains("save refused"),
        "{err}"
    );
    let lines = log_lines(&logs);
    assert!(
        lines.iter().any(|l| l.contains("save refused")
            && l.contains("chat_proxy.toml")
            && l.contains("WARN")),
        "{lines:#?}"
    );

    let live = dir.path().join("live.toml");
    std::fs::write(&live, FULL).unwrap();
    let proxy = TestProxy::start(&live, BTreeMap::new()).unwrap();
    let url = proxy.url();
    let pushed = studio(&logs, &["push", file_arg, "--proxy", &url, "--yes"]);
    assert_eq!(pushed.status.code(), Some(0), "{pushed:?}");
    let lines = log_lines(&logs);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("pushed to") && l.contains(&url) && l.contains("server.port")),
        "{lines:#?}"
    );
}

/// The log goes through the one masking rule (issue 28 item 10): a proxy
/// URL with a password is logged with the password masked, host kept.
#[test]
fn a_password_in_a_proxy_url_is_masked_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let file = dir.path().join("chat_proxy.toml");
    std::fs::write(&file, FULL.replace("port = 8100", "port = 9002")).unwrap();
    let live = dir.path().join("live.toml");
    std::fs::write(&live, FULL).unwrap();
    let proxy = TestProxy::start(&live, BTreeMap::new()).unwrap();
    let with_password = proxy
        .url()
        .replacen("http://", "http://admin:hunter2secret@", 1);
    let pushed = studio(
        &logs,
        &[
            "push",
            file.to_str().unwrap(),
            "--proxy",
            &with_password,
            "--yes",
        ],
    );
    assert_eq!(pushed.status.code(), Some(0), "{pushed:?}");
    let lines = log_lines(&logs);
    let pushed_line = lines
        .iter()
        .find(|l| l.contains("pushed to"))
        .unwrap_or_else(|| panic!("a push line: {lines:#?}"));
    assert!(pushed_line.contains("admin:***@127.0.0.1"), "{pushed_line}");
    assert!(
        lines.iter().all(|l| !l.contains("hunter2secret")),
        "{lines:#?}"
    );
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&pushed.stdout),
        String::from_utf8_lossy(&pushed.stderr)
    );
    assert!(!shown.contains("hunter2secret"), "{shown}");
}
