//! `iw-studio proxy …` commands against the stand-in proxy, through their
//! `run_*_with` entry points (the same code the binary runs).

use crate::support::test_proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iw_studio::cli::args::{
    CliPushMode, ConnectOpts, DiffArgs, PathOpts, PlanArgs, PreviewArgs, PushArgs, RestartOpts,
    StatusArgs,
};
use iw_studio::cli::proxy::{ProxyCommand, run_proxy_with};
use iw_studio::cli::{Out, OutputFormat};
use iw_studio::core::layout::LayoutSet;
use serde_json::Value;
use test_proxy::TestProxy;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const FULL: &str = include_str!("../../../sample_configs/full_example.toml");

fn connect() -> ConnectOpts {
    ConnectOpts {
        timeout: 5.0,
        token_env: None,
        ca_file: None,
    }
}

/// The proxy's file, a draft next to it, and the proxy.
fn setup(
    proxy_text: &str,
    draft_text: &str,
    env: &[(&str, &str)],
) -> Result<(tempfile::TempDir, PathBuf, PathBuf, TestProxy), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let live = dir.path().join("chat_proxy.toml");
    let draft = dir.path().join("draft.toml");
    std::fs::write(&live, proxy_text)?;
    std::fs::write(&draft, draft_text)?;
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let proxy = TestProxy::start(&live, env)?;
    Ok((dir, live, draft, proxy))
}

/// Run a command as the binary would (stdin is not a terminal), capturing its output.
fn run(command: ProxyCommand, format: OutputFormat) -> (u8, String, String) {
    let Ok(layouts) = LayoutSet::builtin() else {
        return (
            u8::MAX,
            String::new(),
            "the built-in layouts do not load".to_owned(),
        );
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_proxy_with(
        &layouts,
        &command,
        false,
        &mut Out {
            out: &mut out,
            err: &mut err,
            format,
        },
    );
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// `status` against a loopback port where nothing listens.
fn unreachable_status() -> std::io::Result<StatusArgs> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(StatusArgs {
        proxy: format!("http://127.0.0.1:{port}"),
        connect: connect(),
        history_dir: None,
    })
}

fn push_args(file: &Path, url: &str) -> PushArgs {
    PushArgs {
        target: PlanArgs {
            file: file.to_path_buf(),
            proxy: vec![url.to_owned()],
            fleet: None,
            parallel: None,
            connect: connect(),
            paths: PathOpts::default(),
            mode: CliPushMode::Api,
        },
        yes: false,
        dry_run: false,
        history_dir: None,
        profile: "cli".to_owned(),
        on_conflict: iw_studio::cli::args::CliConflictChoice::Ask,
        restart: RestartOpts::default(),
    }
}

#[test]
fn preview_json_has_the_documented_shape() -> TestResult {
    let draft = FULL.replace("port = 8100", "port = 8101");
    let (_dir, _live, draft_path, proxy) = setup(FULL, &draft, &[("CHAT_PROXY_PORT", "18100")])?;
    let args = PreviewArgs {
        file: draft_path,
        proxy: Some(proxy.url()),
        connect: connect(),
        only_diff: true,
        history_dir: None,
    };
    let (code, out, err) = run(ProxyCommand::Preview(args), OutputFormat::Json);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out)?;
    let keys: Vec<&String> = body.as_object().ok_or("not an object")?.keys().collect();
    assert_eq!(
        keys,
        [
            "proxy",
            "settings",
            "other_proxy_env",
            "unknown_to_this_studio",
            "env_errors",
            "restart"
        ]
    );
    assert_eq!(body["restart"], Value::Null, "no --history-dir");
    let settings = body["settings"].as_array().ok_or("no settings")?;
    assert_eq!(settings.len(), 1, "only the changed port: {out}");
    let port = &settings[0];
    let fields: Vec<&String> = port.as_object().ok_or("row")?.keys().collect();
    assert_eq!(
        fields,
        [
            "path",
            "default",
            "file",
            "draft",
            "env",
            "effective",
            "source",
            "runtime",
            "restart_pending",
            "flags"
        ]
    );
    assert_eq!(port["path"], "server.port");
    assert_eq!(
        (port["file"].clone(), port["draft"].clone()),
        (8100.into(), 8101.into())
    );
    assert_eq!(
        port["env"],
        serde_json::json!({"var": "CHAT_PROXY_PORT", "raw": "18100"})
    );
    assert_eq!(
        (port["effective"].clone(), port["source"].clone()),
        (18100.into(), "env".into())
    );
    assert_eq!(port["runtime"], 18100);
    assert_eq!(
        port["flags"],
        serde_json::json!(["changed", "masked_by_env", "needs_restart"])
    );
    Ok(())
}

/// A push of `server.port` to `url` recorded in `dir`'s history at `at` (Unix seconds).
fn record_push(dir: &Path, url: &str, at: u64) -> TestResult {
    use iw_studio::core::proxy::PushMode;
    use iw_studio::core::proxy::history::{HistoryChange, HistoryEntry, HistoryResult, record};
    let entry = HistoryEntry {
        id: format!("push-{at}"),
        time_unix_s: at,
        time: format!("@{at}"),
        profile: "cli".to_owned(),
        base_url: url.to_owned(),
        mode: PushMode::Api,
        changes: vec![HistoryChange {
            key: "port".to_owned(),
            path: "server.port".to_owned(),
            before: 8100.into(),
            after: 8101.into(),
        }],
        result: HistoryResult::Pushed {
            verified: true,
            restart_required: true,
            backup: None,
            concurrent: Vec::new(),
        },
        restart: None,
        targets: Vec::new(),
        file: Default::default(),
        file_changes: Vec::new(),
    };
    Ok(record(dir, &entry)?)
}

fn unix_now() -> Result<u64, std::time::SystemTimeError> {
    Ok(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs())
}

#[test]
fn status_and_preview_say_which_pushed_keys_wait_for_a_restart() -> TestResult {
    let (dir, _live, draft_path, proxy) = setup(FULL, FULL, &[])?;
    let history = dir.path().join("history");
    let status = |format| {
        run(
            ProxyCommand::Status(StatusArgs {
                proxy: proxy.url(),
                connect: connect(),
                history_dir: Some(history.clone()),
            }),
            format,
        )
    };
    // A push an hour ago; the stand-in has been up for moments: restarted since.
    let hour_ago = unix_now()? - 3600;
    record_push(&history, &proxy.url(), hour_ago)?;
    let (code, out, err) = status(OutputFormat::Json);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(body["restart"]["last_push_unix_s"], hour_ago);
    assert_eq!(body["restart"]["pending"], serde_json::json!([]));
    // A push recorded after the stand-in started (a second ahead, so its
    // whole-second time cannot fall before the start): it waits for a restart.
    let later = unix_now()? + 1;
    record_push(&history, &proxy.url(), later)?;
    // A push to another proxy does not count.
    record_push(&history, "http://10.0.0.9:8100", later)?;
    let (code, out, err) = status(OutputFormat::Json);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out)?;
    let pending = body["restart"]["pending"].as_array().ok_or("no pending")?;
    assert_eq!(pending.len(), 1, "{out}");
    assert_eq!(pending[0]["key"], "port");
    assert_eq!(pending[0]["pushed_unix_s"], later);
    let (_, text, _) = status(OutputFormat::Human);
    assert!(text.contains("restart pending: server.port"), "{text}");

    let preview = |format| {
        run(
            ProxyCommand::Preview(PreviewArgs {
                file: draft_path.clone(),
                proxy: Some(proxy.url()),
                connect: connect(),
                only_diff: false,
                history_dir: Some(history.clone()),
            }),
            format,
        )
    };
    let (code, out, err) = preview(OutputFormat::Json);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out)?;
    let settings = body["settings"].as_array().ok_or("no settings")?;
    let pending: Vec<&Value> = settings
        .iter()
        .filter(|r| r["restart_pending"] == true)
        .map(|r| &r["path"])
        .collect();
    assert_eq!(pending, ["server.port"]);
    let (_, text, _) = preview(OutputFormat::Human);
    assert!(text.contains("after restart"), "{text}");
    let port_line = text
        .lines()
        .find(|l| l.starts_with("server.port "))
        .ok_or("no port line")?;
    assert!(port_line.ends_with("[restart pending]"), "{port_line}");
    Ok(())
}

#[test]
fn variables_that_are_no_setting_are_other_proxy_environment() -> TestResult {
    let env = [
        ("CHAT_PROXY_CONFIG_FILE", "chat_proxy.toml"),
        ("CHAT_PROXY_INCLUDE_TEST_MODELS", "1"),
        ("CHAT_PROXY_PORT", "18100"),
    ];
    let (_dir, _live, draft_path, proxy) = setup(FULL, FULL, &env)?;
    let status = StatusArgs {
        proxy: proxy.url(),
        connect: connect(),
        history_dir: None,
    };
    let (code, out, err) = run(ProxyCommand::Status(status.clone()), OutputFormat::Json);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(
        body["env_overrides"],
        serde_json::json!({"CHAT_PROXY_PORT": "18100"})
    );
    assert_eq!(
        body["other_proxy_env"],
        serde_json::json!({"CHAT_PROXY_CONFIG_FILE": "chat_proxy.toml",
            "CHAT_PROXY_INCLUDE_TEST_MODELS": "1"})
    );
    let (_, text, _) = run(ProxyCommand::Status(status), OutputFormat::Human);
    assert!(text.contains("env overrides: CHAT_PROXY_PORT\n"), "{text}");
    assert!(
        text.contains(
            "other proxy environment (not settings): CHAT_PROXY_CONFIG_FILE, CHAT_PROXY_INCLUDE_TEST_MODELS"
        ),
        "{text}"
    );
    let args = PreviewArgs {
        file: draft_path,
        proxy: Some(proxy.url()),
        connect: connect(),
        only_diff: false,
        history_dir: None,
    };
    let (code, out, err) = run(ProxyCommand::Preview(args), OutputFormat::Json);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(
        body["other_proxy_env"]["CHAT_PROXY_CONFIG_FILE"],
        "chat_proxy.toml"
    );
    let env_vars: Vec<&Value> = body["settings"]
        .as_array()
        .ok_or("no settings")?
        .iter()
        .filter_map(|r| r["env"].get("var"))
        .collect();
    assert_eq!(
        env_vars,
        ["CHAT_PROXY_PORT"],
        "only settings' vars are overrides"
    );
    Ok(())
}

#[test]
fn offline_preview_is_labelled_and_uses_no_proxy() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[limits]\nmax_image_bytes = 5\n")?;
    let args = PreviewArgs {
        file: path,
        proxy: None,
        connect: connect(),
        only_diff: true,
        history_dir: None,
    };
    let (code, out, _) = run(ProxyCommand::Preview(args), OutputFormat::Human);
    assert_eq!(code, 0);
    assert!(out.starts_with("offline preview"), "{out}");
    assert!(
        out.contains("limits.max_image_bytes") && out.contains("(File)"),
        "{out}"
    );
    Ok(())
}

#[test]
fn a_lossy_push_without_yes_and_without_a_terminal_is_refused() -> TestResult {
    let draft = FULL.replace("port = 8100", "port = 8101");
    let (_dir, live, draft_path, proxy) = setup(FULL, &draft, &[])?;
    let push = ProxyCommand::Push(push_args(&draft_path, &proxy.url()));
    let (code, out, err) = run(push.clone(), OutputFormat::Human);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("would lose") && err.contains("[ui]") && err.contains("[storage]"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&live)?, FULL);
    // JSON-mode errors are on stderr, under "error".
    let (code, _, out) = run(push, OutputFormat::Json);
    assert_eq!(code, 1);
    let body: Value = serde_json::from_str(&out)?;
    let losses = body["error"]["details"]["losses"]
        .as_array()
        .ok_or("no loss list")?;
    assert!(losses.iter().any(|l| l["name"] == "[ui]"), "{out}");
    // The proxy's file holds the same [ui] as the draft, so the draft's side
    // adds nothing beyond the changed port, which the API carries.
    let draft_side = body["error"]["details"]["draft_losses"]
        .as_array()
        .ok_or("no draft-side list")?;
    assert!(draft_side.is_empty(), "{out}");
    assert_eq!(proxy.puts(), 0);
    Ok(())
}

#[test]
fn dry_run_writes_nothing_and_yes_pushes() -> TestResult {
    let draft = FULL.replace("port = 8100", "port = 8101");
    let (dir, live, draft_path, proxy) = setup(FULL, &draft, &[])?;
    let mut args = push_args(&draft_path, &proxy.url());
    args.dry_run = true;
    args.yes = true;
    let (code, out, err) = run(ProxyCommand::Push(args.clone()), OutputFormat::Json);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(body["plan"]["changes"][0]["key"], "port");
    assert!(body.get("result").is_none());
    assert_eq!(std::fs::read_to_string(&live)?, FULL);
    args.dry_run = false;
    args.history_dir = Some(dir.path().join("history"));
    let (code, out, err) = run(ProxyCommand::Push(args), OutputFormat::Json);
    assert_eq!(code, 0, "{out}\n{err}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(body["result"]["verified"], true);
    assert_eq!(body["result"]["restart_required"], true);
    assert_eq!(proxy.puts(), 1);
    let history = iw_studio::core::proxy::history::list(&dir.path().join("history"))?;
    assert_eq!(history.entries.len(), 1);
    let listed = ProxyCommand::History(iw_studio::cli::proxy::HistoryArgs {
        history_dir: dir.path().join("history"),
        action: None,
    });
    let (code, out, _) = run(listed, OutputFormat::Human);
    assert_eq!(code, 0);
    assert!(
        out.contains("server.port: 8100 -> 8101") && out.contains("pushed"),
        "{out}"
    );
    Ok(())
}

#[test]
fn file_push_and_diff() -> TestResult {
    let draft = FULL.replace("max_image_pixels = 896", "max_image_pixels = 1024");
    let (_dir, live, draft_path, proxy) = setup(FULL, &draft, &[])?;
    let diff = DiffArgs {
        target: PlanArgs {
            file: draft_path.clone(),
            proxy: vec![proxy.url()],
            fleet: None,
            parallel: None,
            connect: connect(),
            paths: PathOpts::default(),
            mode: CliPushMode::File,
        },
    };
    let (code, out, _) = run(ProxyCommand::Diff(diff), OutputFormat::Human);
    // The draft differs from the proxy: drift, exit 1 (as for a fleet).
    assert_eq!(code, 1);
    assert!(
        out.contains("-max_image_pixels = 896\n+max_image_pixels = 1024"),
        "{out}"
    );
    let mut args = push_args(&draft_path, &proxy.url());
    args.target.mode = CliPushMode::File;
    let (code, out, err) = run(ProxyCommand::Push(args), OutputFormat::Human);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Restart required"), "{out}");
    assert_eq!(std::fs::read_to_string(&live)?, draft);
    assert_eq!(proxy.puts(), 0);
    Ok(())
}

#[test]
fn exit_codes_for_bad_files_invalid_drafts_and_unreachable_proxies() -> TestResult {
    let (_dir, _live, draft_path, proxy) = setup(FULL, "[server\n", &[])?;
    let push = ProxyCommand::Push(push_args(&draft_path, &proxy.url()));
    let (code, _, err) = run(push.clone(), OutputFormat::Human);
    assert_eq!(code, 2, "not TOML: {err}");
    std::fs::write(&draft_path, "[server]\nport = \"abc\"\n")?;
    let (code, _, err) = run(push, OutputFormat::Human);
    assert_eq!(code, 1, "invalid draft: {err}");
    assert!(err.contains("server.port"), "{err}");
    let status = StatusArgs {
        proxy: proxy.url(),
        connect: connect(),
        history_dir: None,
    };
    let (code, out, _) = run(ProxyCommand::Status(status), OutputFormat::Json);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out)?["health"]["status"],
        "ok"
    );
    let gone = unreachable_status()?;
    let (code, _, err) = run(ProxyCommand::Status(gone), OutputFormat::Human);
    assert_eq!(code, 2);
    assert!(err.contains("cannot connect"), "{err}");
    let bad_url = StatusArgs {
        proxy: "ftp://x".to_owned(),
        connect: connect(),
        history_dir: None,
    };
    assert_eq!(run(ProxyCommand::Status(bad_url), OutputFormat::Human).0, 2);
    Ok(())
}

#[test]
fn the_proxy_command_parses_from_the_command_line() -> TestResult {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Top {
        #[command(subcommand)]
        command: ProxyCommand,
    }
    let top = Top::try_parse_from([
        "proxy",
        "push",
        "c.toml",
        "--proxy",
        "http://127.0.0.1:8100",
        "--mode",
        "file",
        "--yes",
        "--dry-run",
    ])?;
    let ProxyCommand::Push(args) = top.command else {
        return Err("not a push".into());
    };
    assert!(args.yes && args.dry_run && args.target.mode == CliPushMode::File);
    assert_eq!(args.target.connect.timeout, 5.0);
    Ok(())
}

#[test]
fn json_mode_errors_are_json_on_stderr() -> TestResult {
    let (_dir, _live, draft_path, proxy) = setup(FULL, "[server]\nport = \"abc\"\n", &[])?;
    let push = ProxyCommand::Push(push_args(&draft_path, &proxy.url()));
    let (code, out, err) = run(push, OutputFormat::Json);
    assert_eq!(code, 1, "{err}");
    assert!(out.trim().is_empty(), "{out}");
    let json: Value = serde_json::from_str(&err)?;
    assert_eq!(json["error"]["kind"], "refused", "{json}");
    assert!(json["error"]["message"].is_string(), "{json}");
    let gone = unreachable_status()?;
    let (code, out, err) = run(ProxyCommand::Status(gone), OutputFormat::Json);
    assert_eq!(code, 2);
    assert!(out.trim().is_empty(), "{out}");
    let json: Value = serde_json::from_str(&err)?;
    assert_eq!(json["error"]["kind"], "unreadable", "{json}");
    Ok(())
}
