//! Issue 28 through the real binary: inline tables read by check and get,
//! edits inside them refused with the reason; terminal escapes never
//! printed raw; secrets detected and masked in every output; answers that
//! are not the proxy's are exit 2.

use crate::support::binary;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Command, Output};

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use binary::{arg, studio, write_temp};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// No raw control character but newlines and tabs.
fn has_raw_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

#[test]
fn an_inline_table_is_checked_read_and_its_edit_refused_with_the_way_out() -> TestResult {
    let text = "server = { port = \"abc\" }\nvision_preprocess = { image_jpeg_quality = 900 }\n";
    let (_dir, path) = write_temp(text.as_bytes())?;
    let check = studio(&["check", arg(&path), "--format", "json"]);
    assert_eq!(check.status.code(), Some(1), "{}", out(&check));
    let json: serde_json::Value = serde_json::from_str(&out(&check))?;
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .ok_or("findings")?
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(paths.contains(&"server.port"), "{json}");
    assert!(
        paths.contains(&"vision_preprocess.image_jpeg_quality"),
        "{json}"
    );
    let get = studio(&["get", arg(&path), "server.port"]);
    assert_eq!(get.status.code(), Some(0), "{}", err(&get));
    assert_eq!(out(&get).trim(), "\"abc\"");
    let set = studio(&["set", arg(&path), "server.port", "9000"]);
    assert_eq!(set.status.code(), Some(1), "{}", out(&set));
    let message = err(&set);
    assert!(
        message.contains("inline") && message.contains("[server]"),
        "{message}"
    );
    let forced = studio(&["set", arg(&path), "server.port", "9000", "--force"]);
    assert_eq!(forced.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&path)?, text);
    Ok(())
}

#[test]
fn a_parse_error_quotes_its_line_with_escapes_escaped() -> TestResult {
    let (_dir, path) = write_temp(b"# \x1b]0;pwned\x07\x1b[2J\nport = 1\n")?;
    let check = studio(&["check", arg(&path)]);
    assert_eq!(check.status.code(), Some(2));
    let text = format!("{}{}", out(&check), err(&check));
    assert!(!has_raw_controls(&text), "{text:?}");
    assert!(text.contains("\\x1b]0;pwned\\x07"), "{text}");
    let json = studio(&["check", arg(&path), "--format", "json"]);
    let printed = out(&json);
    assert!(!has_raw_controls(&printed), "{printed:?}");
    let parsed: serde_json::Value = serde_json::from_str(&printed)?;
    let message = parsed["findings"][0]["message"]
        .as_str()
        .ok_or("a message")?;
    assert!(message.contains("pwned"), "{parsed}");
    Ok(())
}

#[test]
fn warnings_have_no_colour_when_stderr_is_not_a_terminal() -> TestResult {
    // A log folder that cannot be made: the one warning on stderr.
    let dir = tempfile::tempdir()?;
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "")?;
    let o = Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .env("IW_STUDIO_LOG_DIR", blocker.join("logs"))
        .env_remove("NO_COLOR")
        .args(["defaults"])
        .output()?;
    let e = err(&o);
    assert!(e.contains("no activity log"), "{e}");
    assert!(!e.contains('\u{1b}'), "{e:?}");
    Ok(())
}

/// The shapes `check` used to miss: each is an error finding.
#[test]
fn the_missed_secret_shapes_are_found() -> TestResult {
    let cases = [
        (
            "[server]\nmy_token_x = \"Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1Hf5Jg0Ks\"\n",
            "server.my_token_x",
        ),
        (
            "[ui.extra]\nauth = \"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\"\n",
            "ui.extra.auth",
        ),
        (
            "[server]\nlog_path = \"logs/AKIAIOSFODNN7EXAMPLE/proxy.log\"\n",
            "server.log_path",
        ),
        ("[ui.extra]\npassword = \"hunter2\"\n", "ui.extra.password"),
        // The key is the secret: its path is shown masked.
        (
            "[ui.extra]\n\"sk-proj-abcdefghijklmnop1234\" = true\n",
            "ui.extra.***",
        ),
        (
            "[ui.extra]\nhook = \"https://hooks.slack.com/services/T00000000/B00000000/Zx8Kq2Lm9Pw4Rt7Yb3Nc6Vd1\"\n",
            "ui.extra.hook",
        ),
    ];
    for (text, at) in cases {
        let (_dir, path) = write_temp(text.as_bytes())?;
        let check = studio(&["check", arg(&path), "--format", "json"]);
        let json: serde_json::Value = serde_json::from_str(&out(&check))?;
        let found = json["findings"]
            .as_array()
            .ok_or("findings")?
            .iter()
            .any(|f| {
                f["severity"] == "error"
                    && f["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("literal secret"))
                    && f["path"] == at
            });
        assert!(found, "{text}: {json}");
        assert_eq!(check.status.code(), Some(1), "{text}");
    }
    Ok(())
}

const SECRET_FILE: &str = "# admin password: hunter2secret\n\
[ollama]\n\
ollama_base_url = \"http://admin:hunter2secret@127.0.0.1:11434?api_key=sk-abcdefghijklmnopqrstuvwx\"\n\
\n\
[[endpoints]]\n\
name = \"e\"\n\
kind = \"vllm\"\n\
base_url = \"http://u:hunter2secret@127.0.0.1:9/v1?token=abcdef123456\"\n\
\n\
[storage.assets.images]\n\
backend = \"s3\"\n\
bucket = \"b\"\n\
region = \"r\"\n\
access_key_env = \"A\"\n\
secret_key_env = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n";

#[test]
fn secrets_are_masked_in_every_output() -> TestResult {
    let (_dir, path) = write_temp(SECRET_FILE.as_bytes())?;
    let runs: Vec<Vec<&str>> = vec![
        vec!["preview", arg(&path)],
        vec!["preview", arg(&path), "--format", "json"],
        vec!["discovery", arg(&path)],
        vec!["discovery", arg(&path), "--format", "json"],
        vec!["endpoints", arg(&path), "--timeout", "1"],
        vec!["get", arg(&path), "endpoints[0].base_url"],
        vec!["check", arg(&path)],
    ];
    for args in runs {
        let o = studio(&args);
        let all = format!("{}{}", out(&o), err(&o));
        for secret in [
            "hunter2secret",
            "sk-abcdefghijklmnopqrstuvwx",
            "abcdef123456",
            "wJalrXUtnFEMI",
        ] {
            assert!(!all.contains(secret), "{args:?} shows {secret}:\n{all}");
        }
    }
    let o = studio(&["get", arg(&path), "endpoints[0].base_url"]);
    assert!(
        out(&o).contains("http://u:***@127.0.0.1:9/v1?token=***"),
        "{}",
        out(&o)
    );
    Ok(())
}

/// A server answering every path from a fixed table: (status, body,
/// `Location`). Bound to 127.0.0.1:0, stopped on drop.
struct Fixed {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Answers = BTreeMap<&'static str, (u16, String, Option<String>)>;

impl Fixed {
    fn start(answers: Answers) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let answers = std::sync::Arc::new(answers);
        let thread = std::thread::Builder::new()
            .name("fixed-answers".to_owned())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = Router::new().fallback(move |uri: Uri| {
                        let answers = answers.clone();
                        async move { answer(&answers, uri.path()) }
                    });
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = rx => {}
                    }
                });
                rt.shutdown_background();
            })?;
        Ok(Self {
            addr,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn answer(answers: &Answers, path: &str) -> Response {
    let Some((status, body, location)) = answers.get(path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.clone(),
    )
        .into_response();
    if let Some(to) = location
        && let Ok(value) = to.parse()
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

impl Drop for Fixed {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_model_list_without_data_is_not_a_proxy_answer() -> TestResult {
    let other = Fixed::start(BTreeMap::from([(
        "/v1/models",
        (200, r#"{"models": []}"#.to_owned(), None),
    )]))?;
    let (_dir, path) = write_temp(b"")?;
    let o = studio(&["discovery", arg(&path), "--proxy", &other.url()]);
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("not an ImageWorks proxy answer"),
        "{}",
        err(&o)
    );
    assert!(!out(&o).contains("0 served"), "{}", out(&o));
    // A redirect to another origin (which does send `data`) is not followed.
    let elsewhere = Fixed::start(BTreeMap::from([(
        "/v1/models",
        (200, r#"{"object": "list", "data": []}"#.to_owned(), None),
    )]))?;
    let redirecting = Fixed::start(BTreeMap::from([(
        "/v1/models",
        (
            302,
            String::new(),
            Some(format!("{}/v1/models", elsewhere.url())),
        ),
    )]))?;
    let o = studio(&["discovery", arg(&path), "--proxy", &redirecting.url()]);
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("not an ImageWorks proxy answer"),
        "{}",
        err(&o)
    );
    Ok(())
}

#[test]
fn strings_a_proxy_sends_are_printed_escaped() -> TestResult {
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
    let proxy = Fixed::start(BTreeMap::from([
        (
            "/v1/health",
            (
                200,
                serde_json::json!({"status": format!("ok{hostile}"), "uptime_seconds": 5.0})
                    .to_string(),
                None,
            ),
        ),
        (
            "/v1/config/chat-proxy",
            (
                200,
                serde_json::json!({
                    "runtime": {}, "file": {},
                    "config_file_path": format!("/srv/{hostile}/chat_proxy.toml"),
                    "env_overrides": {}, "precedence": []
                })
                .to_string(),
                None,
            ),
        ),
        (
            "/v1/models",
            (
                200,
                serde_json::json!({"object": "list", "data": [{"id": format!("m{hostile}")}]})
                    .to_string(),
                None,
            ),
        ),
    ]))?;
    for format in ["human", "json"] {
        let o = studio(&["status", "--proxy", &proxy.url(), "--format", format]);
        let all = format!("{}{}", out(&o), err(&o));
        assert!(!has_raw_controls(&all), "{format}: {all:?}");
        assert!(all.contains("pwned"), "{format}: {all}");
    }
    let (_dir, path) = write_temp(b"")?;
    let o = studio(&["discovery", arg(&path), "--proxy", &proxy.url()]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!has_raw_controls(&out(&o)), "{:?}", out(&o));
    Ok(())
}
