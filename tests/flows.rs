//! Issue 27 against the stand-in proxy run as a process of its own (so a
//! file it cannot read stops it at start-up, as `ProxyConfig.load()` at
//! import stops the stock one): `rescue` brings back a proxy stopped by a
//! TOML 1.1 line, one whose own `PUT` wrote a backslash raw, and one whose
//! env holds `nan`.

#[path = "support/stand_in_process.rs"]
mod stand_in_process;
#[path = "support/test_proxy.rs"]
mod test_proxy;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use stand_in_process::StandInProcess;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../sample_configs/chat_proxy.toml");

/// The process a restart starts (`support/stand_in_process.rs`).
#[test]
#[ignore = "the stand-in proxy process; runs only when the flows tests start it"]
fn stand_in_proxy_process() {
    stand_in_process::serve_if_asked();
}

/// Run the studio in `cwd` with `env` added: code, stdout, stderr.
fn studio(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .current_dir(cwd)
        .env("IW_STUDIO_LOG_DIR", cwd.join(".logs"))
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run iw-studio");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One HTTP/1.1 request on loopback, bounded in time: status and body.
fn http(url: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn restart_by_hand(proxy: &StandInProcess) -> std::io::Result<()> {
    let command = proxy.restart_command();
    let mut parts = command.split(' ');
    let status = Command::new(parts.next().unwrap_or("sh"))
        .args(parts)
        .status()?;
    assert!(status.success());
    Ok(())
}

#[test]
fn rescue_brings_back_a_proxy_stopped_by_a_toml_1_1_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let live = dir.path().join("chat_proxy.toml");
    std::fs::write(&live, SHIPPED)?;
    let proxy = StandInProcess::start(dir.path(), &live)?;
    // Someone adds a TOML 1.1 inline table; the next restart fails.
    let broken = format!("{SHIPPED}\n[ui.extra]\ntags = {{a = 1,\n  b = 2}}\n");
    std::fs::write(&live, &broken)?;
    restart_by_hand(&proxy)?;
    assert!(
        http(proxy.url(), "GET", "/v1/health", "").is_err(),
        "the stand-in must not start on a file tomllib cannot read"
    );
    let line = broken.lines().position(|l| l.starts_with("tags = {a = 1,")).unwrap_or(0) + 1;
    let file = live.display().to_string();
    let command = proxy.restart_command();
    // A dry run says why and what it would do, and changes nothing.
    let (code, out, _) = studio(dir.path(), &[], &["rescue", &file, "--proxy", proxy.url(), "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("the proxy cannot start: line {line}, column 15: ")), "{out}");
    assert!(out.contains("does not answer"), "{out}");
    assert!(out.contains("+tags = {a = 1, b = 2}"), "{out}");
    assert_eq!(std::fs::read_to_string(&live)?, broken);
    let (code, out, err) = studio(
        dir.path(),
        &[],
        &["rescue", &file, "--proxy", proxy.url(), "--restart-command", &command],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Rescued"), "{out}");
    assert!(err.contains("health: back"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&live)?,
        broken.replace("{a = 1,\n  b = 2}", "{a = 1, b = 2}")
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("chat_proxy.toml.bak"))?, broken);
    let (status, _) = http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?;
    assert_eq!(status, 200);
    Ok(())
}

#[test]
fn rescue_mends_a_backslash_the_proxys_own_put_wrote_raw() -> TestResult {
    let dir = tempfile::tempdir()?;
    let live = dir.path().join("chat_proxy.toml");
    std::fs::write(&live, SHIPPED)?;
    let proxy = StandInProcess::start(dir.path(), &live)?;
    // Another client's PUT: the proxy writes `D:\vllm\work` unescaped and
    // can no longer read its file.
    let (status, _) = http(
        proxy.url(),
        "PUT",
        "/v1/config/chat-proxy",
        r#"{"vllm_executor_workdir": "D:\\vllm\\work"}"#,
    )?;
    assert_eq!(status, 500);
    assert_eq!(http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?.0, 500);
    let file = live.display().to_string();
    let command = proxy.restart_command();
    let (code, out, err) = studio(
        dir.path(),
        &[],
        &["rescue", &file, "--proxy", proxy.url(), "--restart-command", &command],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("its config endpoint fails"), "{out}");
    assert!(out.contains("Unescaped '\\' in a string"), "{out}");
    assert!(out.contains(r#"+vllm_executor_workdir = "D:\\vllm\\work""#), "{out}");
    let (status, body) = http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?;
    assert_eq!(status, 200);
    let view: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(view["runtime"]["vllm_executor_workdir"], r"D:\vllm\work");
    Ok(())
}

#[test]
fn rescue_restarts_without_an_env_value_the_proxy_cannot_encode() -> TestResult {
    let dir = tempfile::tempdir()?;
    let live = dir.path().join("chat_proxy.toml");
    std::fs::write(&live, SHIPPED)?;
    let nan = [("CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION", "nan")];
    // Started from the admin's shell, which has the variable.
    let proxy = StandInProcess::start_inheriting_env(dir.path(), &live, &nan)?;
    assert_eq!(http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?.0, 500);
    let file = live.display().to_string();
    // Without a restart command the cause is named and nothing is claimed.
    let (code, out, _) = studio(dir.path(), &nan, &["rescue", &file, "--proxy", proxy.url()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("env CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION makes vllm_gpu_memory_utilization nan"), "{out}");
    assert!(out.contains("must leave the proxy's environment"), "{out}");
    let command = proxy.restart_command();
    let (code, out, err) = studio(
        dir.path(),
        &nan,
        &["rescue", &file, "--proxy", proxy.url(), "--restart-command", &command],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("restarting without CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&live)?, SHIPPED, "the file was fine");
    assert_eq!(http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?.0, 200);
    Ok(())
}
