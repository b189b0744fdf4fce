//! Issue 27 against the stand-in proxy run as a process of its own (so a
//! file it cannot read stops it at start-up, as `ProxyConfig.load()` at
//! import stops the stock one): `rescue` brings back a proxy stopped by a
//! TOML 1.1 line, one whose own `PUT` wrote a backslash raw, and one whose
//! env holds `nan`.

use crate::support::stand_in_process;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use stand_in_process::StandInProcess;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../../../sample_configs/chat_proxy.toml");

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
    let line = broken
        .lines()
        .position(|l| l.starts_with("tags = {a = 1,"))
        .unwrap_or(0)
        + 1;
    let file = live.display().to_string();
    let command = proxy.restart_command();
    // A dry run says why and what it would do, and changes nothing.
    let (code, out, _) = studio(
        dir.path(),
        &[],
        &["rescue", &file, "--proxy", proxy.url(), "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("the proxy cannot start: line {line}, column 15: ")),
        "{out}"
    );
    assert!(out.contains("does not answer"), "{out}");
    assert!(out.contains("+tags = {a = 1, b = 2}"), "{out}");
    assert_eq!(std::fs::read_to_string(&live)?, broken);
    let (code, out, err) = studio(
        dir.path(),
        &[],
        &[
            "rescue",
            &file,
            "--proxy",
            proxy.url(),
            "--restart-command",
            &command,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Rescued"), "{out}");
    assert!(err.contains("health: back"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&live)?,
        broken.replace("{a = 1,\n  b = 2}", "{a = 1, b = 2}")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("chat_proxy.toml.bak"))?,
        broken
    );
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
    assert_eq!(
        http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?.0,
        500
    );
    let file = live.display().to_string();
    let command = proxy.restart_command();
    let (code, out, err) = studio(
        dir.path(),
        &[],
        &[
            "rescue",
            &file,
            "--proxy",
            proxy.url(),
            "--restart-command",
            &command,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("its config endpoint fails"), "{out}");
    assert!(out.contains("Unescaped '\\' in a string"), "{out}");
    assert!(
        out.contains(r#"+vllm_executor_workdir = "D:\\vllm\\work""#),
        "{out}"
    );
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
    assert_eq!(
        http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?.0,
        500
    );
    let file = live.display().to_string();
    // Without a restart command the cause is named and nothing is claimed.
    let (code, out, _) = studio(dir.path(), &nan, &["rescue", &file, "--proxy", proxy.url()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "env CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION makes vllm_gpu_memory_utilization nan"
        ),
        "{out}"
    );
    assert!(out.contains("must leave the proxy's environment"), "{out}");
    let command = proxy.restart_command();
    let (code, out, err) = studio(
        dir.path(),
        &nan,
        &[
            "rescue",
            &file,
            "--proxy",
            proxy.url(),
            "--restart-command",
            &command,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("restarting without CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&live)?,
        SHIPPED,
        "the file was fine"
    );
    assert_eq!(
        http(proxy.url(), "GET", "/v1/config/chat-proxy", "")?.0,
        200
    );
    Ok(())
}

/// `discovery FILE --serve 127.0.0.1:0`: its first stdout line names the URL.
struct Serving {
    child: std::process::Child,
    base: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_discovery(dir: &Path, file: &Path) -> Result<Serving, Box<dyn std::error::Error>> {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .current_dir(dir)
        .env("IW_STUDIO_LOG_DIR", dir.join(".logs"))
        .args([
            "discovery",
            &file.display().to_string(),
            "--serve",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut first = String::new();
    if let Some(out) = child.stdout.as_mut() {
        std::io::BufReader::new(out).read_line(&mut first)?;
    }
    let base = first
        .split_whitespace()
        .find_map(|w| w.strip_suffix("/v1/discovery"))
        .ok_or_else(|| format!("no URL in {first:?}"))?
        .to_owned();
    Ok(Serving { child, base })
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A raw GET with extra header lines: the whole answer (head and body).
fn get_raw(base: &str, path: &str, extra: &str) -> std::io::Result<String> {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    Ok(answer)
}

#[test]
fn discovery_serve_answers_with_etags_follows_the_file_and_stops_on_sigterm() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("chat_proxy.toml");
    std::fs::write(&file, SHIPPED)?;
    let mut serving = serve_discovery(dir.path(), &file)?;
    let first = get_raw(&serving.base, "/v1/discovery", "")?;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert_eq!(header(&first, "cache-control"), Some("no-cache"));
    let etag = header(&first, "etag").ok_or("no ETag")?.to_owned();
    let body = first
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let (code, printed, _) = studio(
        dir.path(),
        &[],
        &["--format", "json", "discovery", &file.display().to_string()],
    );
    assert_eq!(code, 0);
    let served: serde_json::Value = serde_json::from_str(body)?;
    assert_eq!(served, serde_json::from_str::<serde_json::Value>(&printed)?);
    let again = get_raw(
        &serving.base,
        "/v1/discovery",
        &format!("If-None-Match: {etag}\r\n"),
    )?;
    assert!(again.starts_with("HTTP/1.1 304"), "{again}");
    assert_eq!(header(&again, "etag"), Some(etag.as_str()));
    let health = get_raw(&serving.base, "/v1/health", "")?;
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"current\""),
        "{health}"
    );
    // A new endpoint whose URL holds a password: a new document, a new
    // ETag (polled until the watch has rebuilt it), the password nowhere.
    std::fs::write(
        &file,
        format!(
            "{SHIPPED}\n[[endpoints]]\nname = \"lab\"\nkind = \"openai\"\nbase_url = \"https://admin:hunter2secret@lab.example/v1\"\napi_key_env = \"LAB_KEY\"\n"
        ),
    )?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let changed = loop {
        let answer = get_raw(
            &serving.base,
            "/v1/discovery",
            &format!("If-None-Match: {etag}\r\n"),
        )?;
        if answer.starts_with("HTTP/1.1 200") {
            break answer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new ETag after the file changed"
        );
        std::thread::yield_now();
    };
    assert_ne!(header(&changed, "etag"), Some(etag.as_str()));
    assert!(changed.contains("lab.example"), "{changed}");
    for path in ["/v1/discovery", "/v1/health", "/nothing"] {
        let answer = get_raw(&serving.base, path, "")?;
        assert!(!answer.contains("hunter2secret"), "{path}: {answer}");
    }
    // Bounded: a body is refused.
    let (status, _) = http(&serving.base, "GET", "/v1/discovery", "{}")?;
    assert_eq!(status, 413);
    // SIGTERM: a clean stop, exit 0.
    let status = Command::new("kill")
        .arg(serving.child.id().to_string())
        .status()?;
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = serving.child.try_wait()? {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still serving after SIGTERM"
        );
        std::thread::yield_now();
    };
    assert!(exit.success(), "{exit:?}");
    assert!(get_raw(&serving.base, "/v1/health", "").is_err());
    Ok(())
}
