//! The proxy core against a local stand-in proxy (tests/suite/support/test_proxy.rs).

use crate::support::test_proxy;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use iw_studio::core::document::ConfigDocument;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::{self, ClientConfig, HttpProxyClient, ProxyApi, ProxyError, Source};
use serde_json::{Value, json};
use test_proxy::{Fault, TestProxy};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../../../sample_configs/chat_proxy.toml");

fn layouts() -> Result<LayoutSet, Box<dyn std::error::Error>> {
    Ok(LayoutSet::builtin()?)
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A temp dir with `chat_proxy.toml` holding `text`, and a proxy serving it.
fn proxy_with(
    text: &str,
    env: BTreeMap<String, String>,
) -> Result<(tempfile::TempDir, PathBuf, TestProxy), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, text)?;
    let proxy = TestProxy::start(&path, env)?;
    Ok((dir, path, proxy))
}

fn client(url: &str, timeout: Duration) -> Result<HttpProxyClient, ProxyError> {
    HttpProxyClient::new(&ClientConfig {
        base_url: url.to_owned(),
        timeout,
        token_env: None,
        ca_file: None,
    })
}

/// The preview of `text` under `env` equals what the proxy reports as `runtime`,
/// both connected (env from the proxy) and offline (env passed in).
/// What the preview says each key runs with, as a table of (key, value).
fn expect_effective(p: &proxy::Preview, expected: &[(&str, Value)]) {
    for (key, want) in expected {
        let got = p.row(key).map(|r| &r.effective);
        assert_eq!(got, Some(want), "effective “{key}”");
    }
}

async fn assert_preview_matches(
    text: &str,
    env_pairs: &[(&str, &str)],
) -> Result<proxy::Preview, Box<dyn std::error::Error>> {
    let layouts = layouts()?;
    let (_dir, _path, server) = proxy_with(text, env(env_pairs))?;
    let view = client(&server.url(), Duration::from_secs(5))?
        .config()
        .await?;
    let draft = ConfigDocument::parse(text)?;
    let connected = proxy::preview(&draft, &layouts, Some(&view), &view.env_overrides);
    assert!(
        connected.mismatches.is_empty(),
        "mismatches: {:?}",
        connected.mismatches
    );
    let offline = proxy::preview(&draft, &layouts, None, &env(env_pairs));
    for row in &connected.rows {
        let runtime = view.runtime.get(&row.key);
        assert_eq!(
            Some(&row.effective),
            runtime,
            "connected “{}” under {env_pairs:?}",
            row.key
        );
        let off = offline.row(&row.key).ok_or("row missing offline")?;
        assert_eq!(
            Some(&off.effective),
            runtime,
            "offline “{}” under {env_pairs:?}",
            row.key
        );
        assert!(
            !row.flags.changed,
            "“{}” is the proxy's own file, so unchanged",
            row.key
        );
    }
    assert_eq!(connected.rows.len(), view.runtime.len());
    Ok(connected)
}

#[tokio::test]
async fn preview_equals_runtime_for_the_shipped_file() -> TestResult {
    let p = assert_preview_matches(SHIPPED, &[]).await?;
    let backoff = p.row("vllm_restart_backoff_s").ok_or("no backoff row")?;
    assert!(
        backoff.flags.ignored_by_proxy,
        "backoff under [vllm] is never read"
    );
    assert_eq!(
        backoff.ignored_at,
        vec!["vllm.vllm_restart_backoff_s".to_owned()]
    );
    assert_eq!(p.row("max_image_bytes").ok_or("row")?.source, Source::File);
    Ok(())
}

#[tokio::test]
async fn preview_equals_runtime_for_each_env_parse_kind() -> TestResult {
    let p = assert_preview_matches(
        SHIPPED,
        &[
            ("CHAT_PROXY_PORT", "18100"),
            ("CHAT_PROXY_ENABLE_METRICS", "Yes"),
            ("CHAT_PROXY_REQUIRE_TEMPLATE", "0"),
            ("CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION", "0.5"),
            ("CHAT_PROXY_HOST", "0.0.0.0"),
            ("CHAT_PROXY_VISION_DOWNSCALE_BACKENDS", " vllm , ollama ,"),
            ("CHAT_PROXY_VLLM_RESTART_BACKOFF_S", "4.5"),
            // A variable that is no setting (the stand-in adds CHAT_PROXY_CONFIG_FILE too).
            ("CHAT_PROXY_INCLUDE_TEST_MODELS", "1"),
        ],
    )
    .await?;
    let port = p.row("port").ok_or("row")?;
    assert_eq!(
        (port.effective.clone(), port.source),
        (json!(18100), Source::Env)
    );
    assert!(port.flags.masked_by_env);
    expect_effective(
        &p,
        &[
            ("enable_metrics", json!(true)),
            ("require_template", json!(false)),
            ("vision_downscale_backends", json!(["vllm", "ollama"])),
            ("vllm_restart_backoff_s", json!(4.5)),
        ],
    );
    Ok(())
}

#[tokio::test]
async fn invalid_int_and_empty_list_env_values_are_ignored() -> TestResult {
    let p = assert_preview_matches(
        SHIPPED,
        &[
            ("CHAT_PROXY_PORT", "eighty"),
            ("CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION", "lots"),
            ("CHAT_PROXY_VISION_DOWNSCALE_BACKENDS", " , "),
            ("CHAT_PROXY_VLLM_MAX_MODEL_LEN", ""),
        ],
    )
    .await?;
    let port = p.row("port").ok_or("row")?;
    assert_eq!(
        (port.effective.clone(), port.source),
        (json!(8100), Source::File)
    );
    assert!(
        port.env
            .as_ref()
            .is_some_and(|e| e.outcome.applied().is_none())
    );
    assert!(!port.flags.masked_by_env);
    expect_effective(&p, &[("vllm_max_model_len", json!(""))]);
    Ok(())
}

#[tokio::test]
async fn max_model_len_env_applies_when_set() -> TestResult {
    let p = assert_preview_matches(SHIPPED, &[("CHAT_PROXY_VLLM_MAX_MODEL_LEN", "8192")]).await?;
    expect_effective(&p, &[("vllm_max_model_len", json!(8192))]);
    Ok(())
}

#[tokio::test]
async fn optional_empty_strings_follow_the_proxy() -> TestResult {
    let p = assert_preview_matches(SHIPPED, &[("CHAT_PROXY_VLLM_EXECUTOR_CWD", "")]).await?;
    expect_effective(
        &p,
        &[
            ("loopback_alias", Value::Null),
            ("autostart_map_raw", Value::Null),
            ("vllm_max_model_len", json!("")),
            ("vllm_remote_executor_url", json!("")),
        ],
    );
    assert_eq!(
        p.row("vllm_executor_workdir").ok_or("row")?.source,
        Source::Env
    );
    Ok(())
}

#[tokio::test]
async fn wrong_section_and_unknown_table_keys_are_ignored() -> TestResult {
    let text = "port = 1\n[general]\nschema_version = 1\nport = 9000\n[server]\nhost = \"0.0.0.0\"\n[extra.deep]\nmax_image_bytes = 5\n[misc]\nvllm_restart_backoff_s = 9.0\n";
    let p = assert_preview_matches(text, &[]).await?;
    let port = p.row("port").ok_or("row")?;
    assert_eq!(
        (port.effective.clone(), port.source),
        (json!(8100), Source::Default)
    );
    assert!(port.flags.ignored_by_proxy);
    assert_eq!(
        port.ignored_at,
        vec!["port".to_owned(), "general.port".to_owned()]
    );
    let img = p.row("max_image_bytes").ok_or("row")?;
    assert_eq!(
        img.ignored_at,
        vec!["extra.deep.max_image_bytes".to_owned()]
    );
    expect_effective(&p, &[("vllm_restart_backoff_s", json!(2.0))]);
    Ok(())
}

#[tokio::test]
async fn file_values_are_not_coerced() -> TestResult {
    let text = "[server]\nport = \"abc\"\nenable_metrics = \"yes\"\nloopback_alias = \"\"\n[vision_preprocess]\nmax_image_pixels = \"big\"\n[vllm]\nvllm_max_model_len = 4096\n";
    let p = assert_preview_matches(text, &[]).await?;
    let port = p.row("port").ok_or("row")?;
    assert_eq!(port.effective, json!("abc"));
    assert!(port.flags.not_coerced);
    assert!(p.row("enable_metrics").ok_or("row")?.flags.not_coerced);
    assert!(!p.row("vllm_max_model_len").ok_or("row")?.flags.not_coerced);
    assert!(!p.row("loopback_alias").ok_or("row")?.flags.not_coerced);
    Ok(())
}

#[tokio::test]
async fn bool_env_spellings() -> TestResult {
    let p = assert_preview_matches(
        SHIPPED,
        &[
            ("CHAT_PROXY_AUTOSTART_ENABLED", "off"),
            ("CHAT_PROXY_INCLUDE_NON_INSTALLED", "TRUE"),
            ("CHAT_PROXY_SUPPRESS_DECORATIONS", "nope"),
            ("CHAT_PROXY_OLLAMA_ALLOW_CPU_FALLBACK", "1"),
        ],
    )
    .await?;
    expect_effective(
        &p,
        &[
            ("include_non_installed", json!(true)),
            ("suppress_decorations", json!(false)),
        ],
    );
    Ok(())
}

/// Contract §8's env table, one set per line: the core's preview equals the
/// stand-in's `runtime` on every key, connected and offline; a float JSON
/// cannot hold makes the stand-in's config GET a 500 and the preview an
/// error naming the variable.
#[tokio::test]
async fn preview_equals_runtime_for_every_env_set_of_the_contract() -> TestResult {
    let sets: &[&[(&str, &str)]] = &[
        &[
            ("CHAT_PROXY_ENABLE_METRICS", " true"),
            ("CHAT_PROXY_INCLUDE_NON_INSTALLED", "On"),
            ("CHAT_PROXY_REQUIRE_TEMPLATE", "2"),
            ("CHAT_PROXY_VISION_KEEP_SYSTEM", "yes "),
        ],
        &[
            ("CHAT_PROXY_MAX_LOG_BYTES", "٩٠"),
            ("CHAT_PROXY_BACKEND_TIMEOUT_MS", "１２３"),
            ("CHAT_PROXY_IMAGE_JPEG_QUALITY", " 1_0 "),
        ],
        &[
            ("CHAT_PROXY_MAX_IMAGE_BYTES", "99999999999999999999"),
            ("CHAT_PROXY_MAX_IMAGE_PIXELS", "1e3"),
        ],
        &[
            ("CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION", "1e-1"),
            ("CHAT_PROXY_VLLM_RESTART_BACKOFF_S", "٣.٥"),
        ],
        &[
            ("CHAT_PROXY_LOOPBACK_ALIAS", ""),
            ("CHAT_PROXY_AUTOSTART_MAP", ""),
        ],
        &[("CHAT_PROXY_VISION_DOWNSCALE_BACKENDS", ",")],
        &[("CHAT_PROXY_VISION_DOWNSCALE_BACKENDS", "   ")],
        &[("CHAT_PROXY_VISION_DOWNSCALE_BACKENDS", "vllm, ollama")],
        &[("CHAT_PROXY_VISION_DOWNSCALE_BACKENDS", "")],
        &[("CHAT_PROXY_VLLM_MAX_MODEL_LEN", "")],
        &[("CHAT_PROXY_VLLM_MAX_MODEL_LEN", "  ")],
        &[("CHAT_PROXY_VLLM_MAX_MODEL_LEN", "٨١٩٢")],
    ];
    for set in sets {
        assert_preview_matches(SHIPPED, set).await?;
    }
    let layouts = layouts()?;
    let draft = ConfigDocument::parse(SHIPPED)?;
    for raw in ["nan", "inf", "-Infinity", "1e400"] {
        let var = "CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION";
        let (_dir, _path, server) = proxy_with(SHIPPED, env(&[(var, raw)]))?;
        let answer = client(&server.url(), Duration::from_secs(5))?
            .config()
            .await;
        assert!(
            answer.is_err(),
            "{raw}: the stand-in answers 500: {answer:?}"
        );
        let p = proxy::preview(&draft, &layouts, None, &env(&[(var, raw)]));
        let errors = p.env_errors();
        assert_eq!(errors.len(), 1, "{raw}: {errors:?}");
        assert!(
            errors[0].starts_with(&format!("{var}={raw}: the proxy applies it"))
                && errors[0].contains("answers 500"),
            "{errors:?}"
        );
    }
    Ok(())
}

/// The real proxy under whatever env it was started with: its `runtime`
/// equals the core's merge of its own `file` view and `env_overrides`.
/// `IW_STUDIO_LIVE_PROXY=http://127.0.0.1:8100 cargo test --test proxy_live live_proxy_env -- --ignored`,
/// once per env set of contract §8 (start the proxy with the set each time).
#[tokio::test]
#[ignore = "needs a real proxy: set IW_STUDIO_LIVE_PROXY"]
async fn live_proxy_env_is_parsed_as_the_core_parses_it() -> TestResult {
    let url = std::env::var("IW_STUDIO_LIVE_PROXY")?;
    let view = client(&url, Duration::from_secs(10))?.config().await?;
    let p = proxy::preview(
        &ConfigDocument::parse("")?,
        &layouts()?,
        Some(&view),
        &view.env_overrides,
    );
    assert!(
        p.mismatches.is_empty(),
        "under {:?}: {:?}",
        view.env_overrides,
        p.mismatches
    );
    assert!(p.env_errors().is_empty(), "{:?}", p.env_errors());
    Ok(())
}

#[tokio::test]
async fn empty_file_and_env_only_strings() -> TestResult {
    assert_preview_matches(
        "",
        &[
            ("CHAT_PROXY_LOOPBACK_ALIAS", ""),
            ("CHAT_PROXY_AUTOSTART_MAP", "a=b"),
            ("CHAT_PROXY_LOG_PATH", ""),
        ],
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_draft_differing_from_the_proxy_file_is_flagged_changed() -> TestResult {
    let layouts = layouts()?;
    let (_dir, _path, server) = proxy_with(SHIPPED, env(&[("CHAT_PROXY_PORT", "18100")]))?;
    let view = client(&server.url(), Duration::from_secs(5))?
        .config()
        .await?;
    let mut draft = ConfigDocument::parse(SHIPPED)?;
    draft.set_value(
        &layouts,
        &"server.port".parse()?,
        toml_edit::Value::from(8200),
    )?;
    draft.set_value(
        &layouts,
        &"limits.max_image_bytes".parse()?,
        toml_edit::Value::from(7),
    )?;
    let p = proxy::preview(&draft, &layouts, Some(&view), &view.env_overrides);
    let port = p.row("port").ok_or("row")?;
    assert_eq!(
        port.flags.names(),
        vec!["changed", "masked_by_env", "needs_restart"]
    );
    assert_eq!(port.effective, json!(18100));
    expect_effective(&p, &[("max_image_bytes", json!(7))]);
    assert_eq!(p.rows.iter().filter(|r| r.flags.changed).count(), 2);
    Ok(())
}

#[tokio::test]
async fn a_proxy_disagreeing_with_the_model_is_a_mismatch() -> TestResult {
    let layouts = layouts()?;
    let (_dir, _path, server) = proxy_with(SHIPPED, env(&[]))?;
    let mut view = client(&server.url(), Duration::from_secs(5))?
        .config()
        .await?;
    view.runtime.insert("port".into(), json!(1));
    let p = proxy::preview(
        &ConfigDocument::parse(SHIPPED)?,
        &layouts,
        Some(&view),
        &view.env_overrides,
    );
    assert_eq!(p.mismatches.len(), 1);
    assert_eq!(p.mismatches[0].key, "port");
    assert_eq!(p.mismatches[0].expected, json!(8100));
    Ok(())
}

const FULL: &str = include_str!("../../../sample_configs/full_example.toml");

/// A draft of `text` with each (path, value) set through the layouts.
fn draft_with(
    text: &str,
    layouts: &LayoutSet,
    edits: &[(&str, toml_edit::Value)],
) -> Result<ConfigDocument, Box<dyn std::error::Error>> {
    let mut draft = ConfigDocument::parse(text)?;
    for (path, value) in edits {
        set(&mut draft, layouts, path, value.clone())?;
    }
    Ok(draft)
}

fn set(
    draft: &mut ConfigDocument,
    layouts: &LayoutSet,
    path: &str,
    value: toml_edit::Value,
) -> TestResult {
    draft.set_value(layouts, &path.parse()?, value)?;
    Ok(())
}

#[tokio::test]
async fn api_push_of_one_key_reads_back_and_matches_the_simulated_file() -> TestResult {
    let layouts = layouts()?;
    let (_dir, path, server) = proxy_with(SHIPPED, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let draft = draft_with(
        SHIPPED,
        &layouts,
        &[("limits.max_image_bytes", toml_edit::Value::from(7_000_000))],
    )?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(
        plan.body(),
        serde_json::Map::from_iter([("max_image_bytes".to_owned(), json!(7_000_000))])
    );
    assert!(plan.restart_required);
    assert!(
        plan.diff
            .contains("-max_image_bytes = 9000000\n+max_image_bytes = 7000000"),
        "{}",
        plan.diff
    );
    let refused = proxy::execute_push(&api, &plan, &layouts, false).await;
    assert!(
        matches!(refused, Err(proxy::PushError::NeedsConfirmation { .. })),
        "{refused:?}"
    );
    assert_eq!(server.puts(), 0);
    let outcome = proxy::execute_push(&api, &plan, &layouts, true).await?;
    assert!(outcome.verified, "{outcome:?}");
    assert!(outcome.restart_required);
    assert_eq!(outcome.pushed.len(), 1);
    assert_eq!(outcome.pushed[0].read_back, json!(7_000_000));
    assert_eq!(server.puts(), 1);
    // The stand-in proxy's own writer produced exactly what the core simulated.
    assert_eq!(std::fs::read_to_string(&path)?, plan.new_text);
    Ok(())
}

#[tokio::test]
async fn api_push_of_none_and_of_every_changed_key_reads_back() -> TestResult {
    let layouts = layouts()?;
    let (_dir, path, server) = proxy_with(FULL, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let draft = draft_with(
        FULL,
        &layouts,
        &[
            ("server.loopback_alias", toml_edit::Value::from("")),
            (
                "vllm.vllm_gpu_memory_utilization",
                toml_edit::Value::from(0.5),
            ),
            (
                "vision_preprocess.vision_downscale_backends",
                toml_edit::Value::from_iter(["ollama"]),
            ),
        ],
    )?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(plan.changes.len(), 3, "{:?}", plan.changes);
    let outcome = proxy::execute_push(&api, &plan, &layouts, true).await?;
    assert!(outcome.verified, "{outcome:?}");
    assert_eq!(std::fs::read_to_string(&path)?, plan.new_text);
    Ok(())
}

#[tokio::test]
async fn the_loss_list_names_what_a_put_drops() -> TestResult {
    let layouts = layouts()?;
    let (_dir, _path, server) = proxy_with(FULL, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let draft = draft_with(
        FULL,
        &layouts,
        &[("server.port", toml_edit::Value::from(8101))],
    )?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(plan.loss_basis, proxy::push::LossBasis::ProxyFile);
    let described: Vec<String> = plan.losses.iter().map(proxy::Loss::describe).collect();
    let all = described.join("\n");
    for expected in [
        "table [ui]",
        "table [storage]",
        "table [[endpoints]]",
        "comment “# keep the API private",
    ] {
        assert!(all.contains(expected), "“{expected}” missing from:\n{all}");
    }
    assert!(plan.needs_confirmation());
    assert!(
        plan.new_text
            .contains("[misc]\nvllm_restart_backoff_s = 2.0")
    );
    assert!(!plan.new_text.contains("[ui]"));
    // A file the proxy wrote itself loses nothing on a PUT.
    let regenerated = proxy::regenerate(&view.file, &serde_json::Map::new(), &layouts);
    assert_eq!(proxy::losses(&regenerated, &layouts), vec![]);
    Ok(())
}

#[tokio::test]
async fn file_push_changes_only_the_edited_line() -> TestResult {
    let layouts = layouts()?;
    let (_dir, path, server) = proxy_with(FULL, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let draft = draft_with(
        FULL,
        &layouts,
        &[("server.enable_metrics", toml_edit::Value::from(false))],
    )?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::File,
    )?;
    assert!(plan.losses.is_empty() && !plan.needs_confirmation());
    let outcome = proxy::execute_push(&api, &plan, &layouts, false).await?;
    assert!(outcome.verified, "{outcome:?}");
    assert_eq!(server.puts(), 0, "a file push never PUTs");
    let after = std::fs::read_to_string(&path)?;
    let changed: Vec<(&str, &str)> = FULL
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(FULL.lines().count(), after.lines().count());
    assert_eq!(
        changed,
        vec![(
            "enable_metrics = true       # Prometheus scrapes /metrics",
            "enable_metrics = false       # Prometheus scrapes /metrics"
        )]
    );
    assert_eq!(FULL.ends_with('\n'), after.ends_with('\n'));
    let backup = outcome.backup.ok_or("no backup")?;
    assert_eq!(std::fs::read_to_string(backup)?, FULL);
    Ok(())
}

#[tokio::test]
async fn file_push_refuses_a_file_elsewhere() -> TestResult {
    let layouts = layouts()?;
    let (_dir, _path, server) = proxy_with(SHIPPED, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let mut view = api.config().await?;
    view.config_file_path = "/nonexistent/remote/chat_proxy.toml".into();
    let draft = ConfigDocument::parse(SHIPPED)?;
    let refused = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::File,
    );
    assert!(
        matches!(refused, Err(proxy::PushError::FileNotReachable { .. })),
        "{refused:?}"
    );
    // The API plan then diffs against the proxy's values as it would write them.
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(plan.current, proxy::CurrentText::Regenerated);
    // A file at the same path here with other values is another machine's file.
    let mut draft = draft.clone();
    set(
        &mut draft,
        &layouts,
        "limits.max_image_bytes",
        toml_edit::Value::from(1_000_000),
    )?;
    let mut view = api.config().await?;
    view.file.insert("port".into(), json!(9000));
    view.runtime.insert("port".into(), json!(9000));
    let server_view = api.config().await?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(plan.current, proxy::CurrentText::Regenerated);
    let mut plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::File,
    )?;
    // Pretend the proxy still reports that view, so only the identity check can stop it.
    plan.base_view = server_view.file.clone();
    let refused = proxy::execute_push(&api, &plan, &layouts, true).await;
    let Err(proxy::PushError::NotTheProxysFile { differing, .. }) = refused else {
        return Err(format!("expected a refusal, got {refused:?}").into());
    };
    assert_eq!(differing, vec!["port".to_owned()]);
    Ok(())
}

#[tokio::test]
async fn stale_guard_fires_when_the_proxy_changed_after_the_preview() -> TestResult {
    let layouts = layouts()?;
    let (_dir, path, server) = proxy_with(SHIPPED, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let draft = draft_with(
        SHIPPED,
        &layouts,
        &[("server.port", toml_edit::Value::from(8200))],
    )?;
    for mode in [proxy::PushMode::Api, proxy::PushMode::File] {
        let plan = proxy::plan_push(
            &draft,
            &layouts,
            &view,
            &proxy::PushTarget::new(api.base_url()),
            mode,
        )?;
        if mode == proxy::PushMode::Api {
            // Someone else changes the port meanwhile.
            api.put_config(serde_json::Map::from_iter([(
                "port".to_owned(),
                json!(9999),
            )]))
            .await?;
        }
        let before = std::fs::read(&path)?;
        let result = proxy::execute_push(&api, &plan, &layouts, true).await;
        let Err(proxy::PushError::Stale { conflicts }) = result else {
            return Err(format!("expected a stale refusal, got {result:?}").into());
        };
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].key, "port");
        assert_eq!(
            (conflicts[0].base.clone(), conflicts[0].theirs.clone()),
            (json!(8100), json!(9999))
        );
        assert_eq!(conflicts[0].mine, Some(json!(8200)));
        assert_eq!(std::fs::read(&path)?, before, "nothing written");
    }
    assert_eq!(server.puts(), 1, "only the other writer's PUT");
    Ok(())
}

#[tokio::test]
async fn a_draft_with_validation_errors_is_refused() -> TestResult {
    let layouts = layouts()?;
    let (_dir, _path, server) = proxy_with(SHIPPED, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let draft = ConfigDocument::parse("[server]\nport = \"abc\"\n")?;
    let refused = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    );
    let Err(proxy::PushError::Invalid { findings }) = refused else {
        return Err(format!("expected a validation refusal, got {refused:?}").into());
    };
    assert!(
        findings.iter().any(|f| f.path == "server.port"),
        "{findings:?}"
    );
    Ok(())
}

#[tokio::test]
async fn proxy_api_errors_say_what_failed() -> TestResult {
    let (_dir, path, server) = proxy_with(SHIPPED, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let unknown = api
        .put_config(serde_json::Map::from_iter([("bogus".to_owned(), json!(1))]))
        .await;
    let Err(ProxyError::Status {
        status: 400,
        detail: Some(detail),
        ..
    }) = unknown
    else {
        return Err(format!("expected a 400, got {unknown:?}").into());
    };
    assert_eq!(detail, "'Unknown configuration field(s): bogus'");
    let empty = api.put_config(serde_json::Map::new()).await;
    assert!(
        matches!(empty, Err(ProxyError::Status { status: 400, .. })),
        "{empty:?}"
    );
    std::fs::write(&path, "[server\nport = 1")?;
    let broken = api.config().await;
    let Err(e @ ProxyError::Status { status: 500, .. }) = broken else {
        return Err(format!("expected a 500, got {broken:?}").into());
    };
    assert!(e.to_string().contains("/v1/config/chat-proxy"), "{e}");
    assert_eq!(
        api.health().await.map(|h| h.status).ok(),
        Some("ok".to_owned())
    );
    let models = api.models().await?;
    assert_eq!(models.data.len(), 6);
    // Like the stock proxy: display ids, the registry name in `logical_id`.
    assert_eq!(models.data[0].id, "qwen2.5vl 7b (Q4 K M)");
    assert_eq!(models.data[0].registry_name(), "qwen2.5vl_7b_(Q4_K_M)");
    Ok(())
}

#[tokio::test]
async fn every_fault_gives_a_clear_error_within_the_timeout_and_writes_nothing() -> TestResult {
    let layouts = layouts()?;
    let timeout = Duration::from_millis(800);
    let faults = [
        (
            Fault::Slow(Duration::from_secs(3)),
            "no answer within 0.8 s",
        ),
        (Fault::Hang, "no answer within 0.8 s"),
        (Fault::ServerError, "HTTP 500"),
        (Fault::Reset, "connection"),
        (
            Fault::Garbage,
            "not the JSON the chat proxy sends (line 1, column 24: expected",
        ),
    ];
    for (fault, expected) in faults {
        let (_dir, path, server) = proxy_with(SHIPPED, env(&[]))?;
        let api = client(&server.url(), timeout)?;
        let view = api.config().await?;
        let draft = draft_with(
            SHIPPED,
            &layouts,
            &[("server.port", toml_edit::Value::from(8300))],
        )?;
        let plans = [
            proxy::plan_push(
                &draft,
                &layouts,
                &view,
                &proxy::PushTarget::new(api.base_url()),
                proxy::PushMode::Api,
            )?,
            proxy::plan_push(
                &draft,
                &layouts,
                &view,
                &proxy::PushTarget::new(api.base_url()),
                proxy::PushMode::File,
            )?,
        ];
        server.set_fault(fault);
        let started = Instant::now();
        let err = api.config().await.err().ok_or("a faulty proxy answered")?;
        assert!(
            started.elapsed() < timeout + Duration::from_millis(700),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        let text = err.to_string();
        println!("{fault:?} -> {text}");
        assert!(
            text.contains(expected) && text.contains(&server.url()),
            "{fault:?}: {text}"
        );
        for plan in &plans {
            let result = proxy::execute_push(&api, plan, &layouts, true).await;
            assert!(
                matches!(result, Err(proxy::PushError::Proxy(_))),
                "{fault:?}: {result:?}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&path)?,
            SHIPPED,
            "{fault:?} wrote something"
        );
        assert_eq!(server.puts(), 0);
    }
    Ok(())
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_error() -> TestResult {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let api = client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2))?;
    let err = api.health().await.err().ok_or("nothing listens there")?;
    assert!(
        matches!(err, ProxyError::Connect { .. }) && err.is_unreachable(),
        "{err:?}"
    );
    assert!(err.to_string().contains("is the proxy running"), "{err}");
    Ok(())
}

#[tokio::test]
async fn history_records_pushes_and_revert_pushes_the_previous_values() -> TestResult {
    let layouts = layouts()?;
    let history_dir = tempfile::tempdir()?;
    let (_dir, path, server) = proxy_with(FULL, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let draft = draft_with(
        FULL,
        &layouts,
        &[(
            "timeouts.backend_timeout_ms",
            toml_edit::Value::from(90_000),
        )],
    )?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::File,
    )?;
    let result = proxy::execute_push(&api, &plan, &layouts, false).await;
    proxy::history::record(
        history_dir.path(),
        &proxy::HistoryEntry::of_push("test", &plan, &result),
    )?;
    result?;
    let listed = proxy::history::list(history_dir.path())?;
    assert_eq!(listed.entries.len(), 1);
    let entry = &listed.entries[0];
    assert_eq!(
        (
            entry.changes[0].before.clone(),
            entry.changes[0].after.clone()
        ),
        (json!(180_000), json!(90_000))
    );
    let current = ConfigDocument::parse(&std::fs::read_to_string(&path)?)?;
    let revert = proxy::history::revert_draft(entry, &current, &layouts)?;
    let view = api.config().await?;
    let plan = proxy::plan_push(
        &revert,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::File,
    )?;
    assert_eq!(
        plan.body(),
        serde_json::Map::from_iter([("backend_timeout_ms".to_owned(), json!(180_000))])
    );
    let outcome = proxy::execute_push(&api, &plan, &layouts, false).await?;
    assert!(outcome.verified);
    assert_eq!(
        std::fs::read_to_string(&path)?,
        FULL,
        "the revert restored the file byte for byte"
    );
    Ok(())
}

/// Puts the real proxy's file back byte for byte, however the test ends.
struct RestoreFile {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Drop for RestoreFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.bytes) {
            eprintln!("could not restore {}: {e}", self.path.display());
        }
    }
}

/// Preview → push → read-back against a real proxy:
/// `IW_STUDIO_LIVE_PROXY=http://127.0.0.1:8100 IW_STUDIO_LIVE_CONFIG=/path/chat_proxy.toml cargo test --test proxy_live -- --ignored`.
/// `IW_STUDIO_LIVE_CONFIG` is the proxy's own file (it must be on this machine):
/// the test previews it, pushes `enable_metrics` flipped by API, checks the
/// read-back, then writes the original bytes back (the PUT regenerates the file).
#[tokio::test]
#[ignore = "needs a real proxy: set IW_STUDIO_LIVE_PROXY and IW_STUDIO_LIVE_CONFIG"]
async fn live_proxy_preview_push_read_back() -> TestResult {
    let url = std::env::var("IW_STUDIO_LIVE_PROXY")?;
    let config: PathBuf = std::env::var("IW_STUDIO_LIVE_CONFIG")?.into();
    let layouts = layouts()?;
    let api = client(&url, Duration::from_secs(10))?;
    let view = api.config().await?;
    let _restore = RestoreFile {
        path: config.clone(),
        bytes: std::fs::read(&config)?,
    };
    let draft = ConfigDocument::parse(&std::fs::read_to_string(&config)?)?;
    let p = proxy::preview(&draft, &layouts, Some(&view), &view.env_overrides);
    assert!(
        p.mismatches.is_empty(),
        "the real proxy disagrees with the model: {:?}",
        p.mismatches
    );
    for row in &p.rows {
        assert!(
            !row.flags.changed,
            "{} differs between the file and the proxy's view",
            row.key
        );
        assert_eq!(Some(&row.effective), row.runtime.as_ref(), "{}", row.key);
    }
    let original = view
        .file
        .get("enable_metrics")
        .and_then(Value::as_bool)
        .ok_or("enable_metrics is not a bool")?;
    let mut edited = draft.clone();
    set(
        &mut edited,
        &layouts,
        "server.enable_metrics",
        toml_edit::Value::from(!original),
    )?;
    let plan = proxy::plan_push(
        &edited,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    let outcome = proxy::execute_push(&api, &plan, &layouts, true).await?;
    assert!(outcome.verified, "{outcome:?}");
    assert_eq!(
        std::fs::read_to_string(&config)?,
        plan.new_text,
        "the proxy wrote what the studio simulated"
    );
    Ok(())
}

#[tokio::test]
async fn tricky_values_are_written_as_the_core_simulates() -> TestResult {
    let layouts = layouts()?;
    let (_dir, path, server) = proxy_with(SHIPPED, env(&[]))?;
    let api = client(&server.url(), Duration::from_secs(5))?;
    let view = api.config().await?;
    let mut draft = draft_with(
        SHIPPED,
        &layouts,
        &[
            (
                "server.log_path",
                toml_edit::Value::from("logs/\"proxy\"\tü.jsonl"),
            ),
            ("server.host", toml_edit::Value::from("0.0.0.0")),
            (
                "autostart.autostart_map_raw",
                toml_edit::Value::from("a=b,c=d"),
            ),
            (
                "vllm.vllm_gpu_memory_utilization",
                toml_edit::Value::from(1.0),
            ),
            ("vllm.vllm_max_model_len", toml_edit::Value::from(32768)),
            (
                "vision_preprocess.vision_downscale_backends",
                toml_edit::Value::from_iter(["vllm", "ollama", "lmdeploy"]),
            ),
        ],
    )?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(plan.changes.len(), 6, "{:?}", plan.changes);
    let outcome = proxy::execute_push(&api, &plan, &layouts, true).await?;
    assert!(outcome.verified, "{outcome:?}");
    assert_eq!(std::fs::read_to_string(&path)?, plan.new_text);
    // A backslash the proxy's writer leaves raw (contract §8): refused, nothing written.
    set(
        &mut draft,
        &layouts,
        "server.log_path",
        toml_edit::Value::from("C:\\logs\\proxy.jsonl"),
    )?;
    let view = api.config().await?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    assert_eq!(plan.mangled.len(), 1, "{:?}", plan.mangled);
    let refused = proxy::execute_push(&api, &plan, &layouts, true).await;
    assert!(
        matches!(refused, Err(proxy::PushError::WouldMangle { .. })),
        "{refused:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_token_is_sent_from_its_env_var_and_never_shown() -> TestResult {
    let (_dir, _path, server) = proxy_with(SHIPPED, env(&[]))?;
    // PATH is always set, so it stands in for a token without touching the environment.
    let token = std::env::var("PATH")?;
    let with_token = HttpProxyClient::new(&ClientConfig {
        base_url: server.url(),
        timeout: Duration::from_secs(5),
        token_env: Some("PATH".to_owned()),
        ca_file: None,
    })?;
    with_token.health().await?;
    assert_eq!(server.last_authorization(), Some(format!("Bearer {token}")));
    assert!(!format!("{with_token:?}").contains(&token));
    let missing = HttpProxyClient::new(&ClientConfig {
        base_url: server.url(),
        timeout: Duration::from_secs(5),
        token_env: Some("IW_STUDIO_TEST_TOKEN_NEVER_SET".to_owned()),
        ca_file: None,
    })?;
    let err = missing.health().await.err().ok_or("sent without a token")?;
    assert!(matches!(err, ProxyError::TokenMissing { .. }), "{err:?}");
    let bad_ca = HttpProxyClient::new(&ClientConfig {
        base_url: server.url(),
        timeout: Duration::from_secs(5),
        token_env: None,
        ca_file: Some(PathBuf::from("/nonexistent/ca.pem")),
    });
    assert!(
        matches!(bad_ca, Err(ProxyError::CaFile { .. })),
        "{bad_ca:?}"
    );
    Ok(())
}

#[test]
fn the_worker_answers_on_a_channel_through_a_boxed_api() -> TestResult {
    let (_dir, _path, server) = proxy_with(SHIPPED, env(&[]))?;
    let api: std::sync::Arc<dyn ProxyApi> =
        std::sync::Arc::new(client(&server.url(), Duration::from_secs(5))?);
    let worker = proxy::ProxyWorker::new()?;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let task_api = api.clone();
    let answer = worker.spawn(async move { task_api.config().await }, move || {
        let _ = done_tx.send(());
    });
    done_rx.recv_timeout(Duration::from_secs(5))?;
    let view = answer.try_recv()??;
    assert_eq!(view.runtime.get("port"), Some(&json!(8100)));
    // A whole push runs on the worker too (its future is Send + 'static once inputs are owned).
    let layouts = std::sync::Arc::new(layouts()?);
    let draft = draft_with(
        SHIPPED,
        &layouts,
        &[("server.port", toml_edit::Value::from(8555))],
    )?;
    let plan = proxy::plan_push(
        &draft,
        &layouts,
        &view,
        &proxy::PushTarget::new(api.base_url()),
        proxy::PushMode::Api,
    )?;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let answer = worker.spawn(
        async move { proxy::execute_push(&*api, &plan, &layouts, true).await },
        move || {
            let _ = done_tx.send(());
        },
    );
    done_rx.recv_timeout(Duration::from_secs(5))?;
    assert!(answer.try_recv()??.verified);
    Ok(())
}

#[tokio::test]
async fn dotted_keys_and_inline_tables_are_read_like_tables() -> TestResult {
    let text = "server.port = 9100\nlimits = { max_image_bytes = 123, disable_tool_normalization = true }\n[vllm]\nvllm_port = 25000\n";
    let p = assert_preview_matches(text, &[("CHAT_PROXY_MAX_IMAGE_BYTES", "")]).await?;
    expect_effective(
        &p,
        &[("port", json!(9100)), ("max_image_bytes", json!(123))],
    );
    Ok(())
}

#[tokio::test]
async fn the_full_example_under_a_mixed_environment() -> TestResult {
    let p = assert_preview_matches(
        FULL,
        &[
            ("CHAT_PROXY_VLLM_START_TIMEOUT_S", "12.5"),
            ("CHAT_PROXY_IMAGE_JPEG_QUALITY", " 70 "),
            ("CHAT_PROXY_OLLAMA_BASE_URL", "http://gpu-box:11434"),
            ("CHAT_PROXY_VLLM_MAX_MODEL_LEN", "  "),
            ("CHAT_PROXY_UNRELATED", "x"),
        ],
    )
    .await?;
    expect_effective(
        &p,
        &[
            ("vllm_start_timeout_s", json!(300)),
            ("image_jpeg_quality", json!(70)),
            ("vllm_max_model_len", json!(16384)),
        ],
    );
    Ok(())
}

#[tokio::test]
async fn a_file_edited_after_the_preview_is_not_overwritten() -> TestResult {
    let layouts = layouts()?;
    for mode in [proxy::PushMode::Api, proxy::PushMode::File] {
        let (_dir, path, server) = proxy_with(FULL, env(&[]))?;
        let api = client(&server.url(), Duration::from_secs(5))?;
        let view = api.config().await?;
        let draft = draft_with(
            FULL,
            &layouts,
            &[("server.port", toml_edit::Value::from(8200))],
        )?;
        let plan = proxy::plan_push(
            &draft,
            &layouts,
            &view,
            &proxy::PushTarget::new(api.base_url()),
            mode,
        )?;
        // Same values, new comment: the proxy's file view cannot see this.
        let edited = format!("# added by hand\n{FULL}");
        std::fs::write(&path, &edited)?;
        let result = proxy::execute_push(&api, &plan, &layouts, true).await;
        let refused = match &result {
            Err(proxy::PushError::FileChanged { .. }) => mode == proxy::PushMode::Api,
            Err(proxy::PushError::Save(e)) => e.is_conflict() && mode == proxy::PushMode::File,
            _ => false,
        };
        assert!(refused, "{mode:?}: {result:?}");
        assert_eq!(std::fs::read_to_string(&path)?, edited);
        assert_eq!(server.puts(), 0);
    }
    Ok(())
}
