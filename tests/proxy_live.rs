//! The proxy core against a local stand-in proxy (tests/support/test_proxy.rs).

#[path = "support/test_proxy.rs"]
mod test_proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use iw_studio::core::document::ConfigDocument;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::{self, ClientConfig, HttpProxyClient, ProxyApi, ProxyError, Source};
use serde_json::{Value, json};
use test_proxy::{Fault, TestProxy};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../../shared/fixtures/imageworks/chat_proxy.toml");

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
            "connected `{}` under {env_pairs:?}",
            row.key
        );
        let off = offline.row(&row.key).ok_or("row missing offline")?;
        assert_eq!(
            Some(&off.effective),
            runtime,
            "offline `{}` under {env_pairs:?}",
            row.key
        );
        assert!(
            !row.flags.changed,
            "`{}` is the proxy's own file, so unchanged",
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
            ("CHAT_PROXY_CONFIG_FILE", "/elsewhere.toml"),
        ],
    )
    .await?;
    let port = p.row("port").ok_or("row")?;
    assert_eq!(
        (port.effective.clone(), port.source),
        (json!(18100), Source::Env)
    );
    assert!(port.flags.masked_by_env);
    assert_eq!(p.row("enable_metrics").ok_or("row")?.effective, json!(true));
    assert_eq!(
        p.row("require_template").ok_or("row")?.effective,
        json!(false)
    );
    assert_eq!(
        p.row("vision_downscale_backends").ok_or("row")?.effective,
        json!(["vllm", "ollama"])
    );
    assert_eq!(
        p.row("vllm_restart_backoff_s").ok_or("row")?.effective,
        json!(4.5)
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
    assert_eq!(
        p.row("vllm_max_model_len").ok_or("row")?.effective,
        json!("")
    );
    Ok(())
}

#[tokio::test]
async fn max_model_len_env_applies_when_set() -> TestResult {
    let p = assert_preview_matches(SHIPPED, &[("CHAT_PROXY_VLLM_MAX_MODEL_LEN", "8192")]).await?;
    assert_eq!(
        p.row("vllm_max_model_len").ok_or("row")?.effective,
        json!(8192)
    );
    Ok(())
}

#[tokio::test]
async fn optional_empty_strings_follow_the_proxy() -> TestResult {
    let p = assert_preview_matches(SHIPPED, &[("CHAT_PROXY_VLLM_EXECUTOR_CWD", "")]).await?;
    assert_eq!(p.row("loopback_alias").ok_or("row")?.effective, Value::Null);
    assert_eq!(
        p.row("autostart_map_raw").ok_or("row")?.effective,
        Value::Null
    );
    assert_eq!(
        p.row("vllm_max_model_len").ok_or("row")?.effective,
        json!("")
    );
    assert_eq!(
        p.row("vllm_remote_executor_url").ok_or("row")?.effective,
        json!("")
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
    assert_eq!(
        p.row("vllm_restart_backoff_s").ok_or("row")?.effective,
        json!(2.0)
    );
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
    assert_eq!(
        p.row("include_non_installed").ok_or("row")?.effective,
        json!(true)
    );
    assert_eq!(
        p.row("suppress_decorations").ok_or("row")?.effective,
        json!(false)
    );
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
    assert_eq!(p.row("max_image_bytes").ok_or("row")?.effective, json!(7));
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
