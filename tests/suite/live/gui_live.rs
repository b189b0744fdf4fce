//! Preview & push against an in-memory proxy, driven by labels.

use crate::support::app as common;
use crate::support::model_servers;
use crate::support::stand_in_process;
use crate::support::test_proxy;

use common::{app_with_fake_proxy, copy_of, harness, run_until};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use iw_studio::ui::live::PushState;

fn has_text(h: &egui_kittest::Harness<'_, iw_studio::ui::StudioApp>, text: &str) -> bool {
    h.query_all_by(|n| {
        n.value().is_some_and(|v| v.contains(text)) || n.label().is_some_and(|l| l.contains(text))
    })
    .next()
    .is_some()
}

#[test]
fn preview_shows_env_masking_and_push_reads_back() {
    let (dir, path) = copy_of("full_example.toml");
    let history = dir.path().join("history");
    let (app, fake) = app_with_fake_proxy(&path, &[("CHAT_PROXY_PORT", "18100")], &history);
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    assert!(
        has_text(&h, "OFFLINE PREVIEW"),
        "without a proxy the preview says it is offline"
    );
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| {
        app.live().config().value().is_some() && app.live().health().value().is_some()
    });
    assert!(has_text(&h, "Connected to"));
    assert!(
        has_text(&h, "CHAT_PROXY_PORT=18100"),
        "the env override is shown with its raw value"
    );
    assert!(has_text(&h, "masked by env"));
    assert!(h.state().live().status_line().contains("connected"));

    h.get_by_role_and_label(Role::Button, "⬆ Push via API…")
        .click();
    h.run();
    assert!(matches!(h.state().live().push(), PushState::Review { .. }));
    assert!(
        has_text(&h, "[ui]") && has_text(&h, "[storage]"),
        "the loss list names what the proxy drops"
    );
    let push = h.get_by_role_and_label(Role::Button, "⬆ Push");
    assert!(
        push.accesskit_node().is_disabled(),
        "a lossy push needs confirmation first"
    );
    h.get_by_role_and_label(Role::CheckBox, "I understand: push anyway and lose these")
        .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⬆ Push").click();
    run_until(&mut h, |app| {
        matches!(app.live().push(), PushState::Done { .. })
    });
    let puts = fake.puts();
    assert_eq!(puts.len(), 1, "one PUT");
    assert!(
        puts[0].contains_key("max_image_pixels") && !puts[0].contains_key("host"),
        "only changed keys: {:?}",
        puts[0]
    );
    let PushState::Done { result, .. } = &h.state().live().push() else {
        unreachable!()
    };
    let outcome = result.as_ref().unwrap();
    assert!(outcome.verified && outcome.restart_required, "{outcome:?}");
    assert!(has_text(&h, "Read back"));
    assert_eq!(h.state().live().history().len(), 1, "the push is recorded");
}

#[test]
fn a_draft_with_errors_cannot_be_pushed() {
    let (dir, path) = copy_of("broken/wrong_types.toml");
    let (app, fake) = app_with_fake_proxy(&path, &[], &dir.path().join("h"));
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| app.live().config().value().is_some());
    assert!(
        h.get_by_role_and_label(Role::Button, "⬆ Push via API…")
            .accesskit_node()
            .is_disabled()
    );
    assert!(fake.puts().is_empty());
}

#[test]
fn unreachable_proxy_is_reported_and_the_ui_keeps_working() {
    let (dir, path) = copy_of("chat_proxy.toml");
    let (app, fake) = app_with_fake_proxy(&path, &[], &dir.path().join("h"));
    fake.set_unreachable(true);
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| app.live().health().error().is_some());
    assert!(
        h.state().live().status_line().contains("unreachable")
            || h.state().live().status_line().contains("error")
    );
    assert!(
        has_text(&h, "OFFLINE PREVIEW"),
        "falls back to the offline preview"
    );
    // Still responsive: navigation works.
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Server")))
        .click();
    h.run();
    assert_eq!(
        h.state().page(),
        &iw_studio::ui::nav::PageId::Layout("server".into())
    );
}

#[test]
fn profiles_can_be_added_and_edited() {
    let (dir, path) = copy_of("chat_proxy.toml");
    let (app, _fake) = app_with_fake_proxy(&path, &[], &dir.path().join("h"));
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_label("Connection profiles").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "➕ New profile")
        .click();
    h.run();
    assert_eq!(h.state().live().profiles().all().len(), 2);
    assert_eq!(h.state().live().profiles().active().name, "profile-1");
    let url = h.get_by_role_and_label(Role::TextInput, "Base URL");
    url.focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "Base URL")
        .type_text("http://staging:8100");
    h.run();
    assert_eq!(
        h.state().live().profiles().active().base_url,
        "http://staging:8100"
    );
    assert_eq!(
        h.state().live().base_url(),
        "http://staging:8100",
        "the next request uses the edited profile"
    );
}

#[test]
fn a_draft_the_api_cannot_carry_says_so_and_offers_the_file_push() {
    let (dir, path) = copy_of("chat_proxy.toml");
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, format!("{shipped}\n[ui.pages]\nresults = false\n")).unwrap();
    let (app, fake) = app_with_fake_proxy(&path, &[], &dir.path().join("history"));
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| app.live().config().value().is_some());
    h.get_by_role_and_label(Role::Button, "⬆ Push via API…")
        .click();
    h.run();
    let PushState::Review { plan, .. } = h.state().live().push() else {
        panic!("the push dialog is open for review");
    };
    assert!(!plan.is_empty() && plan.only_uncarriable(), "{plan:?}");
    assert!(
        has_text(&h, "Nothing of this draft can go over the API"),
        "never 'nothing to push'"
    );
    assert!(has_text(&h, "[ui]"), "the table is named");
    assert!(
        h.get_by_role_and_label(Role::Button, "⬆ Push")
            .accesskit_node()
            .is_disabled(),
        "an API push would write nothing of it"
    );
    h.get_by_role_and_label(Role::Button, "Plan a file push instead")
        .click();
    h.run();
    match h.state().live().push() {
        PushState::Refused(why) => assert!(why.contains("Path maps"), "{why}"),
        _ => panic!("the proxy's file is not on this machine: the file push is refused"),
    }
    assert!(fake.puts().is_empty(), "nothing was PUT");
}

#[test]
fn restart_pending_shows_after_a_push_and_clears_when_the_proxy_restarts() {
    let (dir, path) = copy_of("full_example.toml");
    let env = [("CHAT_PROXY_CONFIG_FILE", "chat_proxy.toml")];
    let (app, fake) = app_with_fake_proxy(&path, &env, &dir.path().join("history"));
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| {
        app.live().config().value().is_some() && app.live().restart_state().is_some()
    });
    assert!(
        has_text(&h, "After restart"),
        "the runtime column says what it is"
    );
    assert!(!has_text(&h, "Runtime now"));
    assert!(!has_text(&h, "restart pending"), "nothing pushed yet");
    // A variable that is no setting is other environment, not an override.
    assert!(has_text(&h, "Other proxy environment"));
    assert!(!has_text(&h, "CHAT_PROXY_CONFIG_FILE="));

    h.get_by_role_and_label(Role::Button, "⬆ Push via API…")
        .click();
    h.run();
    h.get_by_role_and_label(Role::CheckBox, "I understand: push anyway and lose these")
        .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⬆ Push").click();
    run_until(&mut h, |app| {
        matches!(app.live().push(), PushState::Done { .. })
            && !app.live().health().is_pending()
            && !app.live().config().is_pending()
    });
    let pending = h.state().live().restart_state().expect("health answered");
    assert!(
        pending.is_pending("enable_metrics") && pending.is_pending("max_image_pixels"),
        "pushed, and the proxy has been up since before: {pending:?}"
    );
    h.get_by_role_and_label(Role::Button, "Close").click();
    h.run();
    assert!(has_text(&h, "Restart pending: the proxy has been up"));
    assert!(
        has_text(&h, "restart pending"),
        "the badge on enable_metrics (near the top of the table)"
    );

    fake.restart();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| {
        app.live()
            .restart_state()
            .is_some_and(|s| s.pending.is_empty())
    });
    assert!(
        !has_text(&h, "restart pending") && !has_text(&h, "Restart pending"),
        "the proxy restarted after the push"
    );
}

/// Frames until `done` holds, for work that takes seconds (a restart).
fn run_for(
    h: &mut egui_kittest::Harness<'_, iw_studio::ui::StudioApp>,
    seconds: u64,
    done: impl Fn(&iw_studio::ui::StudioApp) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while !done(h.state()) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {seconds} s; status: {:?}",
            h.state().status()
        );
        h.run_steps(2);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = h.try_run();
}

/// The proxy's file (the shipped one) and a draft of it with `port` in a new temp folder.
fn proxy_file_and_draft(port: u16) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let shipped = std::fs::read_to_string(common::sample("chat_proxy.toml")).expect("shipped");
    let live_file = dir.path().join("chat_proxy.toml");
    std::fs::write(&live_file, &shipped).expect("the proxy's file");
    let draft = dir.path().join("draft.toml");
    let edited = shipped.replacen("port = 8100", &format!("port = {port}"), 1);
    std::fs::write(&draft, edited).expect("draft");
    (dir, live_file, draft)
}

/// The app on `draft` with `profile` the active one, pushes recorded in `history`,
/// shown on Preview & push and connected.
fn connected_app(
    draft: &std::path::Path,
    profile: iw_studio::core::proxy::ConnectionProfile,
    history: &std::path::Path,
) -> egui_kittest::Harness<'static, iw_studio::ui::StudioApp> {
    let mut profiles = iw_studio::core::proxy::Profiles::default();
    let name = profile.name.clone();
    profiles.add(profile).expect("a new profile");
    profiles.set_active(&name).expect("it exists");
    let live = iw_studio::ui::live::LiveProxy::new(profiles, Some(history.to_path_buf()));
    let layouts = std::sync::Arc::new(
        iw_studio::core::layout::LayoutSet::builtin().expect("the built-in layouts load"),
    );
    let mut app = iw_studio::ui::StudioApp::with_live(
        layouts,
        iw_studio::ui::app::AppSettings::default(),
        live,
    );
    app.open(&egui::Context::default(), draft);
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_for(&mut h, 20, |app| app.live().config().value().is_some());
    h
}

/// Press "Restart now" and wait for the verdict: the report and why it is
/// not in the history, if it is not.
fn restart_now(
    h: &mut egui_kittest::Harness<'_, iw_studio::ui::StudioApp>,
    seconds: u64,
) -> (
    iw_studio::core::proxy::restart::RestartReport,
    Option<String>,
) {
    use iw_studio::ui::live::RestartRun;
    h.get_by_role_and_label(Role::Button, "⟳ Restart now")
        .click();
    run_for(h, seconds, |app| {
        matches!(app.live().restart(), RestartRun::Done { .. })
    });
    match h.state().live().restart() {
        RestartRun::Done {
            report,
            not_recorded,
            ..
        } => (report.clone(), not_recorded.clone()),
        _ => unreachable!("run_for waited for Done"),
    }
}

#[test]
fn the_push_dialog_restarts_a_real_proxy_process_and_records_live_verified() {
    use iw_studio::core::proxy::ConnectionProfile;
    use iw_studio::core::proxy::restart::RestartResult;
    use iw_studio::ui::live::RestartRun;

    let (dir, live_file, draft) = proxy_file_and_draft(9002);
    let proxy = stand_in_process::StandInProcess::start(dir.path(), &live_file).expect("stand-in");
    // Let the first process's uptime grow past the restart's.
    proxy
        .wait_for_uptime(0.5)
        .expect("the stand-in's uptime grows");
    let mut profile = ConnectionProfile::new("lab", proxy.url());
    profile.restart_command =
        iw_studio::core::proxy::restart::parse_command(&proxy.restart_command())
            .expect("the command splits");
    profile.restart_timeout_s = 30.0;
    let mut h = connected_app(&draft, profile, &dir.path().join("history"));
    h.get_by_role_and_label(Role::Button, "⬆ Push via API…")
        .click();
    h.run();
    let confirm = "I understand: push anyway and lose these";
    let needs_confirming = h
        .query_all_by_role_and_label(Role::CheckBox, confirm)
        .next()
        .is_some();
    if needs_confirming {
        h.get_by_role_and_label(Role::CheckBox, confirm).click();
        h.run();
    }
    h.get_by_role_and_label(Role::Button, "⬆ Push").click();
    run_for(&mut h, 20, |app| {
        matches!(app.live().push(), PushState::Done { .. })
    });
    h.get_by_role_and_label(Role::Button, "⟳ Restart the proxy…")
        .click();
    h.run();
    assert!(matches!(h.state().live().restart(), RestartRun::Confirm(_)));
    assert!(
        has_text(&h, "Restart the proxy now?"),
        "the command is confirmed first"
    );
    assert!(
        has_text(&h, "restart.sh"),
        "the confirmation names the command"
    );
    let (report, not_recorded) = restart_now(&mut h, 45);
    assert_eq!(report.result, RestartResult::Verified, "{report:?}");
    assert_eq!(not_recorded, None);
    assert!(has_text(&h, "live: verified"));
    assert!(has_text(&h, "health: back after"));
    assert!(has_text(&h, "Recorded in the push history."));
    let last = h
        .state()
        .live()
        .history()
        .last()
        .expect("the push is recorded");
    assert_eq!(
        last.restart.as_ref().map(|r| r.result),
        Some(RestartResult::Verified),
        "the history entry ends in live: verified"
    );
}

const ENDPOINT_KEY_VAR: &str = "IW_TEST_ENDPOINT_KEY";

/// The endpoint test needs its key in this process's environment, which a
/// test may not set (`unsafe`), so the test runs itself again with it.
#[test]
fn endpoints_are_tested_with_their_key_and_models_are_picked_from_the_answer() {
    let key = "sk-iw-endpoint-test-5f1c9a";
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "live::gui_live::endpoints_page_with_a_key",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENDPOINT_KEY_VAR, key)
        .output()
        .expect("run the test binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
    assert!(!text.contains(key), "the key never reaches any output");
}

#[test]
#[ignore = "run by endpoints_are_tested_with_their_key_and_models_are_picked_from_the_answer, with the key set"]
fn endpoints_page_with_a_key() {
    use model_servers::{Flavor, ModelServer};
    let Ok(key) = std::env::var(ENDPOINT_KEY_VAR) else {
        return;
    };
    let vllm = ModelServer::start(
        Flavor::OpenAi,
        &["qwen2.5-vl-7b-awq", "llava-phi3"],
        Some(&key),
    )
    .expect("vllm stand-in");
    let ollama =
        ModelServer::start(Flavor::Ollama, &["gemma3:27b", "phi4"], None).expect("ollama stand-in");
    let shipped = std::fs::read_to_string(common::sample("chat_proxy.toml")).expect("shipped");
    let text = format!(
        "{shipped}\n[[endpoints]]\nname = \"vllm-box\"\nkind = \"vllm\"\nbase_url = \"{}/v1\"\n\
         api_key_env = \"{ENDPOINT_KEY_VAR}\"\ndefault_models = [\"qwen2.5-vl-7b-awq\", \"not-served\"]\n\n\
         [[endpoints]]\nname = \"gpu-box\"\nkind = \"ollama\"\nbase_url = \"{}\"\ndefault_models = []\n",
        vllm.url(),
        ollama.url()
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, &text).expect("config");
    let mut h = harness(common::app_with(Some(&path)));
    h.run();
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.ends_with("Endpoints")))
        .click();
    h.run();
    assert!(has_text(&h, "Not tested yet"));
    for name in ["vllm-box", "gpu-box"] {
        let label = format!("Test endpoint {name}");
        // By its id, as a screen reader would: the card may be below the fold.
        h.get_by_role_and_label(Role::Button, &label)
            .click_accesskit();
        // The spinner of a pending test repaints on its own: step, do not settle.
        h.run_steps(2);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !(has_text(&h, "/v1/models serves 2 models") && has_text(&h, "/api/tags serves 2 models"))
    {
        if std::time::Instant::now() > deadline {
            let seen: Vec<String> = h
                .query_all_by(|n| {
                    n.value()
                        .is_some_and(|l| l.contains("serves") || l.contains("✖"))
                })
                .filter_map(|n| n.accesskit_node().value())
                .collect();
            panic!("both endpoints answer; seen: {seen:?}");
        }
        h.run_steps(2);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        has_text(&h, "qwen2.5-vl-7b-awq, llava-phi3"),
        "the key was sent and accepted"
    );
    assert!(
        has_text(
            &h,
            "default model \"not-served\" is not among the 2 models it serves"
        ),
        "an unknown default model is a warning after the test"
    );
    h.get_by_role_and_label(Role::Button, "Add a default model to gpu-box")
        .click_accesskit();
    h.run();
    assert!(has_text(&h, "Served by gpu-box"));
    h.get_by_role_and_label(Role::Button, "phi4").click();
    h.run();
    let session = h.state().session().expect("open");
    let after = session.raw_text();
    assert!(
        after.contains("default_models = [\"phi4\"]"),
        "the pick is written: {after}"
    );
    assert_eq!(
        common::changed_lines(&text, after),
        vec![(
            "default_models = []".to_owned(),
            "default_models = [\"phi4\"]".to_owned()
        )]
    );
    assert!(
        h.query_all_by(|n| {
            n.label().is_some_and(|l| l.contains(&key))
                || n.value().is_some_and(|v| v.contains(&key))
        })
        .next()
        .is_none(),
        "the key's value is shown nowhere"
    );
}

#[test]
fn a_held_gpu_lease_stops_the_restart_and_a_failing_command_says_so() {
    use iw_studio::core::proxy::ConnectionProfile;
    use iw_studio::core::proxy::restart::RestartResult;
    use iw_studio::ui::live::RestartRun;

    let (dir, live_file, draft) = proxy_file_and_draft(9003);
    let proxy = test_proxy::TestProxy::start(&live_file, Default::default()).expect("stand-in");
    proxy.set_gpu_lease(Some("personal_tagger"));
    let mut profile = ConnectionProfile::new("lab", &proxy.url());
    profile.restart_command = vec![
        "sh".into(),
        "-c".into(),
        "echo no such unit >&2; exit 3".into(),
    ];
    let mut h = connected_app(&draft, profile, &dir.path().join("history"));
    // Restart from the page, with no push in this session.
    h.get_by_role_and_label(Role::Button, "⟳ Restart…").click();
    h.run();
    assert!(
        has_text(&h, "its file under its environment"),
        "what it verifies against"
    );
    let (report, not_recorded) = restart_now(&mut h, 20);
    assert_eq!(report.result, RestartResult::LeaseHeld);
    assert!(
        not_recorded
            .as_deref()
            .is_some_and(|w| w.contains("no recorded push")),
        "nothing to attach it to is said, not hidden: {not_recorded:?}"
    );
    assert!(has_text(
        &h,
        "GPU lease: HELD by personal_tagger: batch captioning"
    ));
    assert!(
        !has_text(&h, "secret-token"),
        "the lease token is never shown"
    );
    h.get_by_role_and_label(Role::Button, "⟳ Restart anyway (interrupts the GPU job)")
        .click();
    run_for(
        &mut h,
        20,
        |app| matches!(app.live().restart(), RestartRun::Done { report, .. } if report.result != RestartResult::LeaseHeld),
    );
    let RestartRun::Done { report, .. } = h.state().live().restart() else {
        unreachable!()
    };
    assert_eq!(report.result, RestartResult::CommandFailed);
    assert!(has_text(
        &h,
        "restart command failed (exit code 3: no such unit)"
    ));
    assert_eq!(proxy.puts(), 0, "a restart writes nothing");
}

/// Issue 27: a proxy stopped at start-up by a TOML 1.1 line in its file,
/// which is the file open here. Preview & push says why it cannot start, in
/// tomllib's words and place, and its one button mends the file, restarts
/// the proxy with the profile's command and verifies it, step by step.
#[test]
fn the_preview_rescues_a_proxy_that_cannot_start() {
    use iw_studio::core::proxy::ConnectionProfile;
    use iw_studio::core::proxy::workflow::Verdict;
    use iw_studio::core::rescue::repair::FileError;
    use iw_studio::ui::live::RescueRun;

    let dir = tempfile::tempdir().expect("a temp dir");
    let shipped = std::fs::read_to_string(common::sample("chat_proxy.toml")).expect("shipped");
    let live_file = dir.path().join("chat_proxy.toml");
    std::fs::write(&live_file, &shipped).expect("the proxy's file");
    let proxy = stand_in_process::StandInProcess::start(dir.path(), &live_file).expect("stand-in");
    let broken = format!("{shipped}\n[ui.extra]\ntags = {{a = 1,\n  b = 2}}\n");
    std::fs::write(&live_file, &broken).expect("a TOML 1.1 line");
    let command = proxy.restart_command();
    let status = std::process::Command::new("sh")
        .arg(command.trim_start_matches("sh "))
        .status()
        .expect("run the restart script");
    assert!(status.success());

    let mut profile = ConnectionProfile::new("lab", proxy.url());
    profile.restart_command =
        iw_studio::core::proxy::restart::parse_command(&command).expect("the command splits");
    profile.restart_timeout_s = 30.0;
    let mut profiles = iw_studio::core::proxy::Profiles::default();
    profiles.add(profile).expect("a new profile");
    profiles.set_active("lab").expect("it exists");
    let live = iw_studio::ui::live::LiveProxy::new(profiles, Some(dir.path().join("history")));
    let layouts = std::sync::Arc::new(
        iw_studio::core::layout::LayoutSet::builtin().expect("the built-in layouts load"),
    );
    let mut app = iw_studio::ui::StudioApp::with_live(
        layouts,
        iw_studio::ui::app::AppSettings::default(),
        live,
    );
    app.open(&egui::Context::default(), &live_file);
    let mut h = harness(app);
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_for(&mut h, 20, |app| app.live().cannot_answer().is_some());
    h.run();
    let shows = |h: &egui_kittest::Harness<'_, iw_studio::ui::StudioApp>, text: &str| {
        h.query_all_by(|n| {
            n.label().is_some_and(|l| l.contains(text))
                || n.value().is_some_and(|v| v.contains(text))
        })
        .count()
            > 0
    };
    assert!(
        shows(&h, "The proxy cannot start: line"),
        "the banner says why, with the place"
    );

    h.get_by_role_and_label(Role::Button, "🔧 Rescue the proxy")
        .click();
    // The spinner keeps repainting: frames, not `run`.
    h.run_steps(2);
    assert!(
        matches!(h.state().live().rescue(), RescueRun::Running { .. }),
        "the rescue runs on the worker"
    );
    run_for(&mut h, 60, |app| {
        matches!(app.live().rescue(), RescueRun::Done { .. })
    });
    let RescueRun::Done { steps, report, .. } = h.state().live().rescue() else {
        unreachable!("run_for waited for Done")
    };
    assert_eq!(report.verdict, Verdict::Ok, "{report:?}");
    assert!(
        steps.iter().any(|s| s.text.starts_with("saved")),
        "{steps:?}"
    );
    let mended = std::fs::read_to_string(&live_file).expect("the mended file");
    assert!(FileError::first_in(&mended).is_none(), "{mended}");
    assert!(shows(&h, "Rescued"), "the verdict is on the page");
    // The rescue is this app's own write: the open document takes it, with
    // no "changed on disk" question.
    h.run_steps(4);
    assert_eq!(
        h.state().session().map(|s| s.raw_text().to_owned()),
        Some(mended),
        "the document holds the rescued file"
    );
    assert!(!shows(&h, "changed on disk"), "not someone else's edit");
}
