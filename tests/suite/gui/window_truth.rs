//! The window tells the truth (issue 25, items 1-5): what a field shows is
//! never left out of a save silently, Revert puts the file back, the app's
//! own push is not someone else's edit, Save on closing closes, and every
//! place counts problems alike. Driven by labels, the files on disk checked.

use crate::support::app as common;
use crate::support::test_proxy;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use common::{app_with, copy_of, harness, run_until};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::{ConnectionProfile, Profiles};
use iw_studio::core::registry::Severity;
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use iw_studio::ui::StudioApp;
use iw_studio::ui::actions::Action;
use iw_studio::ui::app::AppSettings;
use iw_studio::ui::live::{LiveAction, LiveProxy, PushState};
use iw_studio::ui::nav::PageId;
use test_proxy::TestProxy;

type H = Harness<'static, StudioApp>;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read a test file")
}

fn click_nav(h: &mut H, title: &str) {
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains(title)))
        .click();
    h.run();
}

/// Replace what the field labelled `label` on page `page` shows with `text`.
fn type_into(h: &mut H, page: &str, label: &str, text: &str) {
    click_nav(h, page);
    h.get_by_role_and_label(Role::TextInput, label).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    h.run();
}

/// Every text on screen (a widget's label, a plain label's value) that `pred` accepts.
fn labels(h: &H, pred: impl Fn(&str) -> bool) -> Vec<String> {
    h.query_all_by(|n| text_of(n).is_some_and(|l| pred(&l)))
        .filter_map(|n| text_of(&n.accesskit_node()))
        .collect()
}

fn text_of(n: &egui_kittest::kittest::AccessKitNode<'_>) -> Option<String> {
    n.label().or_else(|| n.value())
}

/// Item 1: `abc` in Max image size and `99999` in JPEG quality are not in
/// the file; Ctrl+S refuses naming both, the title keeps its marker, and
/// the status bar, the badges and the Problems panel count them, with a
/// jump to the field.
#[test]
fn field_text_a_save_would_leave_out_is_a_problem_everywhere() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let before = read(&path);
    let mut h = harness(app_with(Some(&path)));
    h.run();
    let errors_before = h.state().session().map_or(0, |s| s.error_count());
    type_into(&mut h, "Limits", "Max image size", "abc");
    type_into(&mut h, "Vision preprocessing", "JPEG quality", "99999");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    assert_eq!(read(&path), before, "nothing written");
    let status = h.state().status().clone();
    assert!(status.is_error, "never 'Saved': {status:?}");
    assert!(
        status.text.contains("Max image size shows “abc”")
            && status.text.contains("JPEG quality shows “99999”"),
        "each field is named: {}",
        status.text
    );
    assert!(
        h.state().window_title().starts_with("● "),
        "{}",
        h.state().window_title()
    );
    let errors = errors_before + 2;
    let expected = format!("Problems (this file: {}", plural(errors, "error", "errors"));
    assert_eq!(
        labels(&h, |l| l.starts_with(&expected)).len(),
        1,
        "the status bar counts them: {:?}",
        labels(&h, |l| l.starts_with("Problems ("))
    );
    assert!(
        labels(&h, |l| l == "⛔1").len() >= 2,
        "a badge on each field's page: {:?}",
        labels(&h, |l| l.contains('⛔'))
    );
    // The refused save opened the Problems panel: it lists both and jumps.
    assert!(
        !labels(&h, |l| l.contains("Max image size shows “abc”")).is_empty(),
        "listed in the Problems panel"
    );
    assert!(
        !labels(&h, |l| l.contains("JPEG quality shows “99999”")).is_empty(),
        "both listed"
    );
    h.get_by(|n| {
        n.role() == Role::Button
            && n.label()
                .is_some_and(|l| l.contains("Max image size shows “abc”"))
    })
    .click();
    h.run();
    assert_eq!(h.state().page(), &PageId::Layout("limits".into()));
    // Escape gives the field the file's value back: no problem left there.
    h.get_by_role_and_label(Role::TextInput, "Max image size")
        .focus();
    h.run();
    h.key_press(egui::Key::Escape);
    h.run();
    h.run();
    assert_eq!(
        h.state().session().map(|s| s.unwritten().count()),
        Some(1),
        "only JPEG quality is left"
    );
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn request_close(h: &mut H) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
}

fn sent(h: &H, command: &egui::ViewportCommand) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| v.commands.contains(command))
}

/// Click Save in the closing question and run a few frames: whether the
/// window was closed.
fn save_on_close(h: &mut H) -> bool {
    request_close(h);
    assert!(sent(h, &egui::ViewportCommand::CancelClose), "asked first");
    h.run();
    h.get_by_role_and_label(Role::Button, "Save").click();
    let mut closed = false;
    for _ in 0..6 {
        h.step();
        closed |= sent(h, &egui::ViewportCommand::Close);
    }
    closed
}

/// Item 4: Save in "Unsaved changes… before closing?" saves and closes; a
/// save that fails keeps the window, with the reason.
#[test]
fn save_on_closing_saves_and_closes_or_says_why_not() {
    let (_dir, path) = copy_of("full_example.toml");
    let mut h = common::eframe_harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "Pages & modules");
    h.get_by_role_and_label(Role::CheckBox, "Results").click();
    h.run();
    assert!(save_on_close(&mut h), "Save closes the window");
    assert!(read(&path).contains("results = false"), "and saved first");

    let (_dir2, path2) = copy_of("chat_proxy.toml");
    let before = read(&path2);
    let mut h = common::eframe_harness(app_with(Some(&path2)));
    h.run();
    type_into(&mut h, "Limits", "Max image size", "abc");
    assert!(!save_on_close(&mut h), "a refused save keeps the window");
    assert_eq!(read(&path2), before);
    assert!(
        !labels(&h, |l| l.starts_with("The window stays open: not saved")
            && l.contains("Max image size"))
        .is_empty(),
        "the question says why: {:?} {:?}",
        labels(&h, |l| l.contains("Max image size")),
        h.state().status()
    );
}

/// The app on `draft`, connected to the stand-in proxy at `url`, on
/// Preview & push with the proxy's config read.
fn connected(draft: &Path, url: &str, history: &Path) -> H {
    let mut profiles = Profiles::default();
    profiles
        .add(ConnectionProfile::new("lab", url))
        .expect("a new profile");
    profiles.set_active("lab").expect("it exists");
    let live = LiveProxy::new(profiles, Some(history.to_path_buf()));
    let layouts = Arc::new(LayoutSet::builtin().expect("the built-in layouts load"));
    let mut app = StudioApp::with_live(layouts, AppSettings::default(), live);
    app.open(&egui::Context::default(), draft);
    let mut h = harness(app);
    h.run();
    click_nav(&mut h, "Preview & push");
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    run_until(&mut h, |app| app.live().config().value().is_some());
    h
}

/// In the push dialog: agree to the losses when asked, push, wait for the end.
fn push_reviewed(h: &mut H) {
    let PushState::Review { plan, .. } = h.state().live().push() else {
        panic!("the push dialog reviews a plan: {:?}", h.state().status());
    };
    if plan.needs_confirmation() {
        h.get_by_role_and_label(Role::CheckBox, "I understand: push anyway and lose these")
            .click();
        h.run();
    }
    h.get_by_role_and_label(Role::Button, "⬆ Push").click();
    run_until(h, |app| matches!(app.live().push(), PushState::Done { .. }));
}

fn close_push(h: &mut H) {
    h.state_mut().handle(
        &egui::Context::default(),
        Action::Live(LiveAction::ClosePush),
    );
    h.run();
}

/// Item 3: a file push of the open file writes exactly the draft; the app
/// knows that change is its own (no "changed on disk", no ●). Someone
/// else's edit afterwards is still offered for reload.
#[test]
fn pushing_the_open_file_is_not_someone_elses_edit() {
    let (dir, path) = copy_of("chat_proxy.toml");
    let proxy = TestProxy::start(&path, BTreeMap::new()).expect("a stand-in proxy");
    let mut h = connected(&path, &proxy.url(), &dir.path().join("history"));
    let edit = iw_studio::core::session::Command::SetValue {
        path: iw_studio::core::document::DocPath::parse("server.port").expect("a path"),
        value: 9001.into(),
    };
    h.state_mut()
        .handle(&egui::Context::default(), Action::Edit(edit));
    h.run();
    assert!(h.state().window_title().starts_with("● "));
    h.get_by_role_and_label(Role::Button, "⬆ Push file…")
        .click();
    h.run();
    push_reviewed(&mut h);
    let draft = h
        .state()
        .session()
        .map(|s| s.doc().text())
        .unwrap_or_default();
    assert_eq!(read(&path), draft, "the file holds the draft");
    h.run();
    assert!(
        !h.state().window_title().starts_with('●'),
        "clean when the draft equals the disk: {}",
        h.state().window_title()
    );
    assert!(!h.state().offers_reload(), "not someone else's edit");
    close_push(&mut h);
    // Someone else's edit is still seen (the watch reports it shortly).
    std::fs::write(&path, draft.replace("port = 9001", "port = 9002")).expect("write");
    run_until(&mut h, StudioApp::offers_reload);
}

/// Item 2: a file push that only turns off `[ui.pages] mono_checker` is
/// recorded with that change, and its Revert… writes the proxy's file back
/// byte for byte.
#[test]
fn a_file_push_of_an_app_table_is_recorded_and_reverted_byte_for_byte() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let shipped = read(&common::sample("chat_proxy.toml"));
    let live_file = dir.path().join("chat_proxy.toml");
    // Spelled the proxy's way, with a comment only the file push keeps.
    let original = format!("{shipped}\n[ui.pages]  # what the app offers\nmono_checker = true\n");
    std::fs::write(&live_file, &original).expect("the proxy's file");
    let draft = dir.path().join("draft.toml");
    std::fs::write(
        &draft,
        original.replace("mono_checker = true", "mono_checker = false"),
    )
    .expect("the draft");
    let proxy = TestProxy::start(&live_file, BTreeMap::new()).expect("a stand-in proxy");
    let mut h = connected(&draft, &proxy.url(), &dir.path().join("history"));
    h.get_by_role_and_label(Role::Button, "⬆ Push file…")
        .click();
    h.run();
    push_reviewed(&mut h);
    assert_eq!(
        read(&live_file),
        read(&draft),
        "the file push wrote the draft"
    );
    close_push(&mut h);
    let entry = h
        .state()
        .live()
        .history()
        .last()
        .cloned()
        .expect("recorded");
    let recorded: Vec<(String, String, String)> = entry
        .file_changes
        .iter()
        .map(|c| (c.path.clone(), c.before.to_string(), c.after.to_string()))
        .collect();
    assert_eq!(
        recorded,
        [(
            "ui.pages.mono_checker".to_owned(),
            "true".to_owned(),
            "false".to_owned()
        )],
        "every change the push made"
    );
    h.get_by_role_and_label(Role::Button, "Revert…").click();
    h.run();
    match h.state().live().push() {
        PushState::Review { plan, .. } => {
            assert_eq!(plan.new_text, original, "the file as it was before");
        }
        PushState::Refused(why) => panic!("Revert plans a push, refused: {why}"),
        _ => panic!("Revert plans a push"),
    }
    push_reviewed(&mut h);
    assert_eq!(read(&live_file), original, "byte for byte");
}

/// Item 5: one count of problems. The status bar, the navigation badge,
/// the Registry page and the Problems panel say what they count (this
/// file, the registry, both), and their numbers agree.
#[test]
fn every_place_counts_problems_alike_and_says_of_what() {
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = dir.path().join("chat_proxy.toml");
    // One warning in the file: a key the proxy does not know.
    let shipped = read(&common::sample("chat_proxy.toml"));
    std::fs::write(
        &toml,
        shipped.replacen("[server]\n", "[server]\nprot = 1\n", 1),
    )
    .expect("write the file");
    let configs = dir.path().join("configs");
    std::fs::create_dir(&configs).expect("make configs/");
    for f in [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE] {
        std::fs::copy(common::sample("registry").join(f), configs.join(f))
            .expect("copy a registry layer");
    }
    // A duplicate entry: a registry finding.
    let curated = configs.join(CURATED_FILE);
    let mut entries: Vec<serde_json::Value> =
        serde_json::from_str(&read(&curated)).expect("curated parses");
    entries.push(entries[0].clone());
    std::fs::write(
        &curated,
        serde_json::to_string_pretty(&entries).expect("json"),
    )
    .expect("write");
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    // The page opens the registry on the worker (a spinner): step.
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("📚 Registry")))
        .click();
    h.run_steps(2);
    run_until(&mut h, |app| {
        !app.registry().is_busy() && app.registry().store().is_some()
    });
    let (file_e, file_w) = h
        .state()
        .session()
        .map_or((0, 0), |s| (s.error_count(), s.warning_count()));
    let findings = h.state().registry().findings().to_vec();
    let of = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
    let (reg_e, reg_w, reg_n) = (
        of(Severity::Error),
        of(Severity::Warning),
        of(Severity::Info),
    );
    assert!(file_w >= 1 && reg_e + reg_w >= 1, "problems on both sides");
    let tally = |e: usize, w: usize, n: usize| {
        let mut t = format!(
            "{}, {}",
            plural(e, "error", "errors"),
            plural(w, "warning", "warnings")
        );
        if n > 0 {
            t.push_str(&format!(", {}", plural(n, "note", "notes")));
        }
        t
    };
    // The Registry page says whose findings it counts.
    let page = format!("Findings in the registry: {}", tally(reg_e, reg_w, reg_n));
    assert_eq!(labels(&h, |l| l == page).len(), 1, "{page}");
    // The navigation badge counts the registry's problems.
    let badge = if reg_e > 0 {
        format!("⛔{reg_e}")
    } else {
        format!("⚠{reg_w}")
    };
    assert!(!labels(&h, |l| l == badge).is_empty(), "badge {badge}");
    // The status bar names both.
    let bar = labels(&h, |l| l.starts_with("Problems ("));
    assert_eq!(bar.len(), 1);
    assert!(
        bar[0].contains("this file: ") && bar[0].contains("registry: "),
        "{bar:?}"
    );
    let brief = |e: usize, w: usize| match (e, w) {
        (0, 0) => "no problems".to_owned(),
        (e, 0) => plural(e, "error", "errors"),
        (0, w) => plural(w, "warning", "warnings"),
        (e, w) => format!(
            "{}, {}",
            plural(e, "error", "errors"),
            plural(w, "warning", "warnings")
        ),
    };
    assert_eq!(
        bar[0],
        format!(
            "Problems (this file: {} · registry: {})",
            brief(file_e, file_w),
            brief(reg_e, reg_w)
        )
    );
    // The Problems panel: this file, the registry, both: the same numbers.
    h.get_by(|n| n.label().is_some_and(|l| l.starts_with("Problems (")))
        .click();
    h.run();
    for expected in [
        format!("This file: {}", tally(file_e, file_w, 0)),
        format!("Registry: {}", tally(reg_e, reg_w, reg_n)),
        format!("Both: {}", tally(file_e + reg_e, file_w + reg_w, reg_n)),
    ] {
        assert_eq!(labels(&h, |l| l == expected).len(), 1, "{expected}");
    }
}
