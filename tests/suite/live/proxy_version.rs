//! Issue 27 flow 2: the studio against a proxy of another ImageWorks version
//! (a stand-in whose `runtime` lacks a setting and has one no layout has).

use crate::support::binary::{self, studio_in};
use crate::support::test_proxy::TestProxy;

use std::collections::BTreeMap;

use iw_studio::core::document::ConfigDocument;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::{
    ClientConfig, HttpProxyClient, ProxyApi, PushMode, PushTarget, plan_push, preview,
};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SHIPPED: &str = include_str!("../../../sample_configs/chat_proxy.toml");
const OLD_KEY: &str = "vllm_health_host";
const NEW_KEY: &str = "vllm_future_knob";

/// A proxy serving the shipped file that does not know `vllm_health_host`
/// (older ImageWorks) and knows `vllm_future_knob` (newer), and a draft that
/// sets the former to another value.
fn older_and_newer()
-> Result<(tempfile::TempDir, std::path::PathBuf, TestProxy), Box<dyn std::error::Error>> {
    let (dir, path) = binary::write_temp(SHIPPED.as_bytes())?;
    let proxy = TestProxy::start(&path, BTreeMap::new())?;
    proxy.set_version(&[OLD_KEY], &[(NEW_KEY, json!(7))]);
    let draft = dir.path().join("draft.toml");
    std::fs::write(
        &draft,
        SHIPPED.replace(
            "vllm_health_host = \"127.0.0.1\"",
            "vllm_health_host = \"10.0.0.9\"",
        ),
    )?;
    Ok((dir, draft, proxy))
}

#[test]
fn preview_flags_a_key_the_proxy_does_not_read_and_keeps_one_the_studio_does_not_know() -> TestResult
{
    let (dir, draft, proxy) = older_and_newer()?;
    let draft_s = binary::arg(&draft);
    let (code, out, err) = studio_in(dir.path(), &["preview", draft_s, "--proxy", &proxy.url()]);
    assert!(code <= 1, "{code} {err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("vllm.vllm_health_host"))
        .ok_or_else(|| format!("no row: {out}"))?;
    assert!(
        line.contains("this proxy does not read vllm.vllm_health_host (older ImageWorks)"),
        "{line}"
    );
    let extra = out
        .lines()
        .find(|l| l.starts_with(NEW_KEY))
        .ok_or_else(|| format!("extra key dropped: {out}"))?;
    assert!(
        extra.contains('7') && extra.contains("unknown to this studio"),
        "{extra}"
    );
    // The missing key is a version difference, not a proxy unlike the stock one.
    assert!(
        !err.contains("does not behave like the stock proxy"),
        "{err}"
    );

    let (_, out, err) = studio_in(
        dir.path(),
        &[
            "preview",
            draft_s,
            "--proxy",
            &proxy.url(),
            "--format",
            "json",
        ],
    );
    let body: Value = serde_json::from_str(&out).map_err(|e| format!("{e}: {out} {err}"))?;
    let row = body["settings"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["path"] == "vllm.vllm_health_host"))
        .ok_or("no JSON row")?;
    assert!(
        row["flags"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("not_read_by_this_proxy")))
    );
    assert_eq!(
        body["unknown_to_this_studio"],
        json!([{"key": NEW_KEY, "value": "7"}])
    );
    Ok(())
}

#[test]
fn diff_and_the_push_plan_warn_of_a_key_the_proxy_does_not_read() -> TestResult {
    let (dir, draft, proxy) = older_and_newer()?;
    let draft_s = binary::arg(&draft);
    let (_, out, err) = studio_in(dir.path(), &["diff", draft_s, "--proxy", &proxy.url()]);
    assert!(
        out.contains("this proxy does not read vllm.vllm_health_host (older ImageWorks)"),
        "{out} {err}"
    );

    // The plan itself carries it, so the app's push dialog lists it too.
    let layouts = LayoutSet::builtin()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let api = HttpProxyClient::new(&ClientConfig {
        base_url: proxy.url(),
        timeout: std::time::Duration::from_secs(5),
        token_env: None,
        ca_file: None,
    })?;
    let view = rt.block_on(api.config())?;
    let doc = ConfigDocument::parse(&std::fs::read_to_string(&draft)?)?;
    let plan = plan_push(
        &doc,
        &layouts,
        &view,
        &PushTarget::new(&proxy.url()),
        PushMode::Api,
    )?;
    let warnings: Vec<String> = plan.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("this proxy does not read vllm.vllm_health_host")),
        "{warnings:?}"
    );
    let p = preview(&doc, &layouts, Some(&view), &view.env_overrides);
    assert!(
        p.row(OLD_KEY)
            .is_some_and(|r| r.flags.not_read_by_this_proxy)
    );
    assert!(p.mismatches.is_empty(), "{:?}", p.mismatches);
    Ok(())
}

#[test]
fn diff_against_several_proxies_says_which_know_other_settings() -> TestResult {
    let (dir, draft, older) = older_and_newer()?;
    let (_dir2, path2) = binary::write_temp(SHIPPED.as_bytes())?;
    let current = TestProxy::start(&path2, BTreeMap::new())?;
    let (_, out, err) = studio_in(
        dir.path(),
        &[
            "diff",
            binary::arg(&draft),
            "--proxy",
            &older.url(),
            "--proxy",
            &current.url(),
        ],
    );
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("another ImageWorks version"))
        .collect();
    assert_eq!(lines.len(), 2, "{out} {err}");
    assert!(
        lines[0].contains("lacks 1 setting other members know: vllm_health_host")
            && lines[0].contains("alone knows 1 setting: vllm_future_knob"),
        "{out}"
    );
    assert!(
        lines[1].contains("lacks 1 setting other members know: vllm_future_knob")
            && lines[1].contains("alone knows 1 setting: vllm_health_host"),
        "{out}"
    );
    Ok(())
}

/// The app's Preview & push page against the same proxy: the setting it does
/// not read carries a badge, its unknown setting is an extra table row.
#[test]
fn the_preview_page_marks_both_version_differences() -> TestResult {
    use crate::support::app::{harness, run_until};
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    use iw_studio::core::proxy::{ConnectionProfile, Profiles};

    let (dir, draft, proxy) = older_and_newer()?;
    let mut profiles = Profiles::default();
    profiles.add(ConnectionProfile::new("old", &proxy.url()))?;
    profiles.set_active("old")?;
    let live = iw_studio::ui::live::LiveProxy::new(profiles, Some(dir.path().join("history")));
    let mut app = iw_studio::ui::StudioApp::with_live(
        std::sync::Arc::new(LayoutSet::builtin()?),
        iw_studio::ui::app::AppSettings::default(),
        live,
    );
    app.open(&egui::Context::default(), &draft);
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| app.live().config().value().is_some());
    // Few rows, so the table's last rows are laid out, not scrolled away.
    h.get_by_label("Only what differs").click();
    h.run();
    let shows = |text: &str| {
        h.query_all_by(|n| {
            n.label().is_some_and(|l| l.contains(text))
                || n.value().is_some_and(|v| v.contains(text))
        })
        .next()
        .is_some()
    };
    assert!(shows("older proxy"), "the badge on vllm_health_host");
    assert!(shows(NEW_KEY), "the extra row's key");
    assert!(shows("unknown to this studio"), "the extra row's badge");
    Ok(())
}
