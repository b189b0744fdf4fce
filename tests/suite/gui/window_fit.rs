//! Issue 25, items 6-11: every column reachable in a small window, the
//! palette's ranking, a page turned off, and removals of served models said
//! before they happen.

use crate::support::app as common;

use std::path::PathBuf;

use common::{app_with, harness};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::served::served_ids;
use iw_studio::core::registry::RegistryStore;
use iw_studio::core::registry::maintenance::{self, MaintenanceAction};
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use iw_studio::ui::StudioApp;
use iw_studio::ui::nav::PageId;

type H = Harness<'static, StudioApp>;

const SMALL: [f32; 2] = [1024.0, 640.0];

/// A chat_proxy.toml with a copy of the sample registry in `configs/` beside it.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = dir.path().join("chat_proxy.toml");
    std::fs::copy(common::sample("chat_proxy.toml"), &toml).expect("copy the sample");
    let configs = dir.path().join("configs");
    std::fs::create_dir(&configs).expect("make configs/");
    for f in [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE] {
        std::fs::copy(common::sample("registry").join(f), configs.join(f))
            .expect("copy a registry layer");
    }
    (dir, toml)
}

/// The app on a workspace, talking to the in-memory proxy (which serves the
/// models of `tests/support/v1_models.json`).
fn connected_app(size: [f32; 2]) -> (tempfile::TempDir, H) {
    let (dir, toml) = workspace();
    let (app, _fake) = common::app_with_fake_proxy(&toml, &[], &dir.path().join("history"));
    let mut h = Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut StudioApp| app.step(ui), app);
    h.run();
    // Connect on Preview & push.
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    common::run_until(&mut h, |app| {
        app.live().models().value().is_some() && app.live().config().value().is_some()
    });
    (dir, h)
}

fn open_registry_page(h: &mut H) {
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("📚 Registry")))
        .click();
    h.run_steps(2);
    common::run_until(h, |app| {
        !app.registry().is_busy() && app.registry().store().is_some()
    });
}

// ---- Item 7: the palette ----

#[test]
fn the_palette_puts_the_start_of_a_word_first_and_its_field_stays_put() {
    let (_dir, path) = common::copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    h.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::P,
    );
    h.run();
    h.run();
    let field_at = |h: &H| {
        h.get_by_role_and_label(Role::TextInput, "Command palette")
            .rect()
    };
    let before = field_at(&h);
    h.get_by_role_and_label(Role::TextInput, "Command palette")
        .type_text("stor");
    h.run();
    // "Vision history" holds "stor" inside a word and comes earlier in the
    // table; Storage starts with it.
    assert!(
        h.query_by_label_contains("Go to 📚 Vision history")
            .is_some()
    );
    let after = field_at(&h);
    assert_eq!(
        before.top(),
        after.top(),
        "the field does not move while the list narrows"
    );
    h.key_press(egui::Key::Enter);
    h.run();
    h.run();
    assert_eq!(h.state().page(), &PageId::Layout("storage".into()));
}

// ---- Item 9: a page turned off ----

#[test]
fn turning_a_page_off_shows_its_modules_as_off_by_page_not_as_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chat_proxy.toml");
    let text = std::fs::read_to_string(common::sample("chat_proxy.toml")).expect("read")
        + "\n[ui.pages]\nmodels = true\n\n[ui.modules]\nbrowse_manage = true\ndownload_import = true\nbackends = true\n";
    std::fs::write(&path, text).expect("write");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Pages & modules"))
    })
    .click();
    h.run();
    assert_eq!(h.query_all_by_label("ℹ off by page").count(), 0);
    h.get_by_role_and_label(Role::CheckBox, "Models").click();
    h.run();
    let session = h.state().session().expect("open");
    let module_findings: Vec<String> = session
        .findings()
        .iter()
        .filter(|f| f.path.to_string().starts_with("ui.modules"))
        .map(ToString::to_string)
        .collect();
    assert!(module_findings.is_empty(), "{module_findings:?}");
    let layouts = LayoutSet::builtin().expect("layouts");
    let modules = layouts
        .all_fields()
        .filter(|(_, _, f)| f.depends_on.as_deref() == Some("ui.pages.models"))
        .count();
    assert!(modules >= 3);
    assert_eq!(
        h.query_all_by_label("ℹ off by page").count(),
        modules,
        "each module of the page says why it has no effect"
    );
}

// ---- Item 10: removing a served model ----

#[test]
fn a_plan_names_each_removed_entry_the_proxy_serves_and_the_id_that_stops_answering() {
    let store = RegistryStore::load(&common::sample("registry")).expect("the sample registry");
    let models: iw_studio::core::proxy::api_types::ModelList =
        serde_json::from_str(include_str!("../support/v1_models.json")).expect("fixture");
    let served = served_ids(&models);
    let plan = maintenance::plan(&store, &MaintenanceAction::PruneDuplicates).expect("plan");
    let losses = plan.served_losses(&served);
    let names: Vec<&str> = losses.iter().map(|l| l.name.as_str()).collect();
    // Of the four pruned (tests/registry_maintenance.rs), these two are served.
    assert_eq!(names, ["qwen2.5vl_7b_(Q4_K_M)", "qwen3_8b_(Q4_K_M)"]);
    let qwen = &losses[0];
    assert_eq!(qwen.served_id, served["qwen2.5vl_7b_(Q4_K_M)"]);
    let text = qwen.to_string();
    assert!(text.contains(&format!("\"{}\"", qwen.served_id)), "{text}");
    assert!(text.contains("404 model_not_found"), "{text}");
    assert!(
        text.contains("qwen25vl_8.3b_(Q4_K_M), which is kept, is not served now"),
        "{text}"
    );
    // Not connected: no served map, nothing claimed.
    assert!(plan.served_losses(&Default::default()).is_empty());
}

#[test]
fn prune_and_remove_name_the_served_entries_before_anything_changes() {
    let (_dir, mut h) = connected_app(common::SIZE);
    open_registry_page(&mut h);
    h.get_by_label("✨ Maintenance").click();
    h.run();
    h.get_by_label("Prune duplicates…").click();
    h.run();
    assert!(
        h.query_by_label("⚠ Served right now: 2 entries").is_some(),
        "the warning heads the preview"
    );
    for name in ["qwen2.5vl_7b_(Q4_K_M)", "qwen3_8b_(Q4_K_M)"] {
        assert!(
            h.query_by_label_contains(&format!("• {name} is served now as \""))
                .is_some(),
            "{name}"
        );
    }
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    h.run();
    // Remove the selected entry: one served model.
    h.get_all_by_label("florence-2-large_(FP16)")
        .next()
        .expect("in the table")
        .click();
    h.run();
    h.get_by_label("✨ Maintenance").click();
    h.run();
    h.get_by_label("Remove the selected entry completely…")
        .click();
    h.run();
    assert!(
        h.query_by_label("⚠ Served right now: 1 entry").is_some(),
        "a single served entry"
    );
    assert!(
        h.query_by_label_contains("• florence-2-large_(FP16) is served now as \"")
            .is_some()
    );
}

// ---- Item 6: every column reachable at 1024×640 ----

/// Whether the node lies wholly inside the window.
fn on_screen(rect: egui::Rect, size: [f32; 2]) -> bool {
    rect.left() >= 0.0 && rect.right() <= size[0] && rect.top() >= 0.0 && rect.bottom() <= size[1]
}

/// The header cell `title` (a sort arrow may follow it) in the header row at height `y`.
fn header_rect(h: &H, title: &str, y: f32) -> egui::Rect {
    let arrows = [format!("{title} ⏶"), format!("{title} ⏷")];
    h.query_all_by(|n| {
        // A label's text is its `value`; a button's is its `label`.
        let text = if n.role() == Role::Label {
            n.value()
        } else {
            n.label()
        };
        text.is_some_and(|l| l == title || arrows.contains(&l))
    })
    .map(|n| n.rect())
    .find(|r| (r.center().y - y).abs() < 12.0)
    .unwrap_or_else(|| panic!("no header {title:?} in the row at y={y}"))
}

/// Scroll sideways over the table's header row (at height `y`) until the
/// header `title` is wholly on screen; panics when it cannot be reached.
/// Over the rows a wheel scrolls them up and down (egui gives a one-way
/// scroll area every wheel direction); over the header it scrolls sideways.
fn reach_header(h: &mut H, title: &str, y: f32) {
    let over = egui::pos2(SMALL[0] * 0.6, y);
    // Steps under 8 points: egui applies them at once (larger ones are
    // spread over the next frames, as for a mouse wheel's notches).
    for _ in 0..400 {
        let rect = header_rect(h, title, y);
        if on_screen(rect, SMALL) {
            return;
        }
        let step = if rect.right() > SMALL[0] { -7.0 } else { 7.0 };
        h.hover_at(over);
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(step, 0.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Trackpad,
            modifiers: egui::Modifiers::NONE,
        });
        h.run_steps(1);
    }
    panic!(
        "column {title:?} is not reachable: {:?}",
        header_rect(h, title, y)
    );
}

#[test]
fn every_column_of_registry_and_preview_is_reachable_at_1024x640() {
    let (_dir, mut h) = connected_app(SMALL);
    let preview = [
        "Setting",
        "Default",
        "Proxy file",
        "This draft",
        "Env override",
        "Effective",
        "After restart",
        "Notes",
    ];
    let y = h.get_by_label("Proxy file").rect().center().y;
    for title in preview {
        reach_header(&mut h, title, y);
    }
    open_registry_page(&mut h);
    let registry = [
        "Name",
        "Served now",
        "Display name",
        "Backend",
        "Host:port",
        "Quant",
        "Layer",
        "Capabilities",
        "Deprecated",
    ];
    let y = h.get_by_label("Served now").rect().center().y;
    for title in registry {
        reach_header(&mut h, title, y);
    }
}
