//! Forms that tell the truth, driven by labels: typed numbers are kept and
//! explained, Find finds and moves with the arrows, ImageWorks pages say
//! who reads them, pickers speak in labels, a backend switch asks before
//! keys leave the file, and the preview's filter hides what agrees.

use crate::support::app as common;

use common::{app_with, copy_of, harness};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use iw_studio::ui::StudioApp;
use iw_studio::ui::nav::PageId;

type H = Harness<'static, StudioApp>;

fn click_nav(h: &mut H, title: &str) {
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains(title)))
        .click();
    h.run();
}

fn has_text(h: &H, text: &str) -> bool {
    h.query_all_by(|n| {
        n.value().is_some_and(|v| v.contains(text)) || n.label().is_some_and(|l| l.contains(text))
    })
    .next()
    .is_some()
}

fn doc_text(h: &H) -> String {
    h.state()
        .session()
        .map(|s| s.doc().text())
        .unwrap_or_default()
}

fn port_field(h: &H) -> Option<String> {
    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .value()
}

#[test]
fn a_refused_number_keeps_its_text_and_says_why() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "Server");
    assert_eq!(port_field(&h).as_deref(), Some("8100"));

    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .set_text_value_accesskit("90x1");
    h.run();
    assert_eq!(port_field(&h).as_deref(), Some("90x1"), "the text is kept");
    assert!(has_text(&h, "“90x1” is not an integer"), "and explained");
    assert!(doc_text(&h).contains("port = 8100"), "nothing is written");

    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .set_text_value_accesskit("99999");
    h.run();
    assert_eq!(port_field(&h).as_deref(), Some("99999"), "never clamped");
    assert!(has_text(&h, "99999 is above the maximum 65535"));
    assert!(doc_text(&h).contains("port = 8100"));

    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .set_text_value_accesskit("9001");
    h.run();
    assert!(
        doc_text(&h).contains("port = 9001"),
        "a valid text is written"
    );
    assert!(!has_text(&h, "is above the maximum"), "the reason is gone");
}

#[test]
fn escape_drops_the_refused_text() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "Server");
    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .type_text("x");
    h.run();
    assert_eq!(port_field(&h).as_deref(), Some("8100x"));
    assert!(has_text(&h, "“8100x” is not an integer"));
    h.key_press(egui::Key::Escape);
    h.run();
    assert_eq!(
        port_field(&h).as_deref(),
        Some("8100"),
        "the file's value again"
    );
    assert!(!has_text(&h, "is not an integer"));
    assert!(doc_text(&h).contains("port = 8100"));
}

#[test]
fn a_typed_float_is_kept_and_explained_too() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "vLLM");
    let label = "GPU memory share";
    h.get_by_role_and_label(Role::TextInput, label)
        .set_text_value_accesskit("lots");
    h.run();
    assert!(has_text(&h, "“lots” is not a number"));
    h.get_by_role_and_label(Role::TextInput, label)
        .set_text_value_accesskit("1.5");
    h.run();
    assert!(has_text(&h, "is above the maximum 1"));
}

fn open_find(h: &mut H, query: &str) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Find a setting")
        .type_text(query);
    h.run();
}

fn hits(h: &H) -> Vec<(String, bool)> {
    h.query_all_by(|n| n.label().is_some_and(|l| l.contains("  ·  ")))
        .map(|n| {
            (
                n.accesskit_node().label().unwrap_or_default(),
                n.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True),
            )
        })
        .collect()
}

#[test]
fn find_matches_an_env_var_name_and_enter_opens_it() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    open_find(&mut h, "CHAT_PROXY_PORT");
    let found = hits(&h);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].0.contains("Listen port") && found[0].0.contains("env CHAT_PROXY_PORT"),
        "{found:?}"
    );
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().page(), &PageId::Layout("server".into()));
    assert!(hits(&h).is_empty(), "the results close");
}

#[test]
fn find_moves_with_the_arrows_and_opens_the_selected_hit() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    open_find(&mut h, "keep last turns");
    let found = hits(&h);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].1 && !found[1].1,
        "the first is selected: {found:?}"
    );
    h.key_press(egui::Key::ArrowDown);
    h.run();
    let found = hits(&h);
    assert!(
        !found[0].1 && found[1].1,
        "down selects the second: {found:?}"
    );
    assert!(found[1].0.contains("reasoning_history"), "{found:?}");
    h.key_press(egui::Key::ArrowDown);
    h.run();
    assert!(hits(&h)[0].1, "and wraps around");
    h.key_press(egui::Key::ArrowUp);
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(
        h.state().page(),
        &PageId::Layout("reasoning_history".into())
    );
}

#[test]
fn find_lists_every_asset_once_and_escape_or_a_page_change_closes_it() {
    let (_dir, path) = copy_of("full_example.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    open_find(&mut h, "bucket");
    let found = hits(&h);
    for asset in ["images", "documents", "avatars", "results"] {
        let path = format!("storage.assets.{asset}.bucket ");
        let n = found.iter().filter(|(l, _)| l.contains(&path)).count();
        assert_eq!(n, 1, "{asset}: {found:?}");
    }
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(hits(&h).is_empty(), "Escape closes");

    open_find(&mut h, "port");
    assert!(!hits(&h).is_empty());
    click_nav(&mut h, "Storage");
    assert!(hits(&h).is_empty(), "a page change closes");
}

const BANNER: &str =
    "Read by the ImageWorks app, not by the proxy; an API push drops this page; use a file push";

fn restart_badges(h: &H) -> usize {
    h.query_all_by(|n| {
        n.value().as_deref() == Some("restart") || n.label().as_deref() == Some("restart")
    })
    .count()
}

#[test]
fn imageworks_pages_carry_one_banner_and_no_restart_badge() {
    let (_dir, path) = copy_of("full_example.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    for page in ["Pages & modules", "Storage", "Endpoints"] {
        click_nav(&mut h, page);
        let banners: Vec<_> = h
            .query_all_by(|n| {
                n.role() == Role::Label && n.value().is_some_and(|v| v.contains(BANNER))
            })
            .map(|n| format!("{:?}", n.accesskit_node().role()))
            .collect();
        assert_eq!(banners.len(), 1, "{page}: {banners:?}");
        assert_eq!(restart_badges(&h), 0, "{page}");
    }
    click_nav(&mut h, "Server");
    assert!(!has_text(&h, BANNER));
    assert!(
        restart_badges(&h) > 0,
        "the proxy's settings wait for a restart"
    );
}

#[test]
fn pickers_show_labels_not_ids() {
    let (_dir, path) = copy_of("full_example.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "Pages & modules");
    let picker = h.get_by_role_and_label(Role::ComboBox, "Default page");
    assert_eq!(picker.value().as_deref(), Some("Personal tagger"));
    let shown = |h: &H, text: &str| h.query_all_by_label(text).count();
    let before = shown(&h, "Image similarity");
    picker.click();
    h.run();
    assert_eq!(
        shown(&h, "Image similarity"),
        before + 1,
        "an option by its label"
    );
    assert_eq!(shown(&h, "image_similarity"), 0, "no option by its id");
    h.key_press(egui::Key::Escape);
    h.run();

    click_nav(&mut h, "Storage");
    let picker = h.get_by_role_and_label(Role::ComboBox, "Default backend");
    assert_eq!(picker.value().as_deref(), Some("Local folder"));

    click_nav(&mut h, "Endpoints");
    let kinds: Vec<String> = h
        .query_all_by_role_and_label(Role::ComboBox, "Kind")
        .filter_map(|n| n.value())
        .collect();
    assert!(kinds.iter().any(|k| k == "OpenAI-compatible"), "{kinds:?}");
    assert!(!kinds.iter().any(|k| k == "openai_compatible"), "{kinds:?}");
}

fn pick_images_backend(h: &mut H, label: &str) {
    h.get_by_role_and_label(Role::ComboBox, "Images backend")
        .click();
    h.run();
    h.get_by_label(label).click();
    h.run();
}

#[test]
fn a_backend_switch_asks_before_keys_leave_the_file() {
    let (_dir, path) = copy_of("full_example.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "Storage");
    let before = doc_text(&h);
    pick_images_backend(&mut h, "Amazon S3 / S3-compatible");
    assert!(has_text(
        &h,
        "Switching Images from Local folder to Amazon S3 / S3-compatible removes"
    ));
    assert!(has_text(&h, "path = \"data/images\""));
    assert_eq!(doc_text(&h), before, "nothing changes before the answer");

    h.get_by_role_and_label(Role::Button, "Cancel switch")
        .click();
    h.run();
    assert_eq!(doc_text(&h), before);
    assert!(!has_text(&h, "Switching Images"));

    pick_images_backend(&mut h, "Amazon S3 / S3-compatible");
    h.get_by_role_and_label(Role::Button, "Keep them").click();
    h.run();
    let text = doc_text(&h);
    assert!(
        text.contains("[storage.assets.images]\nbackend = \"s3\"\npath = \"data/images\""),
        "{text}"
    );
    assert!(has_text(&h, "kept: path = \"data/images\""));
    let kept_path =
        iw_studio::core::document::DocPath::keys(&["storage", "assets", "images", "path"]);
    let warned = h.state().session().is_some_and(|s| {
        s.findings()
            .iter()
            .any(|f| f.path == kept_path && !f.is_error())
    });
    assert!(warned, "the kept key carries a warning");

    // Back to local, then to s3 again, dropping the path this time.
    h.get_by_role_and_label(Role::Button, "Remove kept path")
        .click();
    h.run();
    pick_images_backend(&mut h, "Local folder");
    assert!(!has_text(&h, "Switching Images"), "s3 has nothing to lose");
    h.get_by_role_and_label(Role::TextInput, "Folder")
        .set_text_value_accesskit("data/img");
    h.run();
    pick_images_backend(&mut h, "Amazon S3 / S3-compatible");
    h.get_by_role_and_label(Role::Button, "Drop them").click();
    h.run();
    let text = doc_text(&h);
    assert!(!text.contains("data/img"), "{text}");
    assert!(
        text.contains("[storage.assets.images]\nbackend = \"s3\""),
        "{text}"
    );
}

#[test]
fn only_what_differs_hides_rows_that_agree_however_the_file_spells_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chat_proxy.toml");
    let layouts = iw_studio::core::layout::LayoutSet::builtin().expect("layouts");
    // Every key spelled out at its default, as the proxy's own writer does,
    // and one real change.
    let every_key =
        iw_studio::core::defaults::defaults_text(&layouts).replace("port = 8100", "port = 9001");
    std::fs::write(&path, every_key).expect("write");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "Preview & push");
    assert!(h.query_by_label("Listen port").is_some());
    assert!(h.query_by_label("Listen host").is_some());
    h.get_by_role_and_label(Role::CheckBox, "Only what differs")
        .click();
    h.run();
    assert!(
        h.query_by_label("Listen port").is_some(),
        "the change stays"
    );
    assert!(
        h.query_by_label("Listen host").is_none(),
        "an agreeing row goes"
    );
}

/// Item 8: required fields are marked before anything fails; an error shows
/// on its field's line, so the rows below stay where they were; optional
/// settings all have the one "Set …" switch.
#[test]
fn required_marked_from_the_start_and_errors_do_not_move_the_layout() {
    let (_dir, path) = copy_of("full_example.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    click_nav(&mut h, "Server");
    let below = |h: &H| {
        h.get_by_role_and_label(Role::TextInput, "Log file")
            .rect()
            .top()
    };
    let before = below(&h);
    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .set_text_value_accesskit("not a port");
    h.run();
    h.run();
    assert!(has_text(&h, "is not an integer"), "the error is shown");
    assert_eq!(below(&h), before, "the next rows did not move");

    click_nav(&mut h, "Storage");
    let required = h
        .query_all_by(|n| {
            n.label()
                .or_else(|| n.value())
                .is_some_and(|l| l == "required")
        })
        .count();
    assert!(
        required >= 3,
        "required badges before any error ({required})"
    );
    // Every optional setting is switched the same way: a "Set <label>" checkbox.
    click_nav(&mut h, "Server");
    let switches = h
        .query_all_by(|n| {
            n.role() == Role::CheckBox && n.label().is_some_and(|l| l.starts_with("Set "))
        })
        .count();
    let none_buttons = h
        .query_all_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l == "None"))
        .count();
    assert!(switches >= 1, "optional settings have the switch");
    assert_eq!(none_buttons, 0, "and no other widget for it");
}
