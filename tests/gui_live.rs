//! Preview & push against an in-memory proxy, driven by labels.

mod common;

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
