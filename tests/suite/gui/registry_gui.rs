//! The Registry page driven by labels, with the registry files checked afterwards.

use crate::support::app as common;

use std::path::{Path, PathBuf};

use common::{app_with, changed_lines, harness, snapshot_harness};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use iw_studio::core::proxy::api_types::ModelList;
use iw_studio::core::registry::RegistryCommand;
use iw_studio::core::registry::merge::EntryLayer;
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use iw_studio::ui::StudioApp;
use iw_studio::ui::pages::registry::RegistryAction;
use iw_studio::ui::status::Status;

/// A chat_proxy.toml with a copy of the sample registry in `configs/` beside it.
fn workspace() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = dir.path().join("chat_proxy.toml");
    std::fs::copy(common::sample("chat_proxy.toml"), &toml).expect("copy the sample");
    let configs = dir.path().join("configs");
    std::fs::create_dir(&configs).expect("make configs/");
    for f in [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE] {
        std::fs::copy(common::sample("registry").join(f), configs.join(f))
            .expect("copy a registry layer");
    }
    (dir, toml, configs)
}

/// Show the Registry page and wait for the registry it opens (on a worker thread).
fn open_registry_page(h: &mut Harness<'_, StudioApp>) {
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Registry")))
        .click();
    // The spinner repaints while the registry opens: step, do not settle.
    h.run_steps(2);
    wait_for_registry(h);
}

/// Step frames until the open or save under way is done.
fn wait_for_registry(h: &mut Harness<'_, StudioApp>) {
    common::run_until(h, |app| !app.registry().is_busy());
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read a registry file")
}

/// Click the entry's row; rows below the fold are brought in by filtering.
fn select(h: &mut Harness<'_, StudioApp>, name: &str) {
    if h.query_by_label(name).is_none() {
        h.get_by_role_and_label(Role::TextInput, "🔍 Filter")
            .focus();
        h.run();
        h.get_by_role_and_label(Role::TextInput, "🔍 Filter")
            .type_text(name);
        h.run();
    }
    h.get_all_by_label(name)
        .next()
        .expect("the entry is in the table")
        .click();
    h.run();
    assert_eq!(h.state().registry().selected(), Some(name));
}

fn replace_text(h: &mut Harness<'_, StudioApp>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
}

#[test]
fn the_registry_beside_the_open_file_is_loaded() {
    let (_dir, toml, configs) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let store = h
        .state()
        .registry()
        .store()
        .expect("the registry is loaded");
    assert_eq!(store.dir(), configs);
    assert_eq!(store.merged().entries.len(), 16);
}

#[test]
fn filter_narrows_the_table() {
    let (_dir, toml, _) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    assert_eq!(h.state_mut().registry_mut().rows().len(), 16);
    assert!(h.query_by_label("florence-2-large_(FP16)").is_some());
    h.get_by_role_and_label(Role::TextInput, "🔍 Filter")
        .focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "🔍 Filter")
        .type_text("qwen3 fp8");
    h.run();
    let rows = h.state_mut().registry_mut().rows().len();
    assert_eq!(rows, 3, "qwen3 … fp8 entries");
    assert!(h.query_by_label("florence-2-large_(FP16)").is_none());
    assert!(h.query_by_label("qwen3-vl-8b-instruct_(FP8)").is_some());
    // A capability filter narrows further.
    h.get_by_role_and_label(Role::CheckBox, "embedding").click();
    h.run();
    assert_eq!(h.state_mut().registry_mut().rows().len(), 0);
}

#[test]
fn clicking_a_header_sorts_the_table() {
    let (_dir, toml, _) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    h.get_by_role_and_label(Role::Button, "Backend").click();
    h.run();
    let reg = h.state_mut().registry_mut();
    let rows = reg.rows().to_vec();
    let store = reg.store().expect("loaded");
    let backends: Vec<&str> = rows
        .iter()
        .map(|&i| store.merged().entries[i].view().backend().unwrap_or(""))
        .collect();
    let mut sorted = backends.clone();
    sorted.sort_unstable();
    assert_eq!(backends, sorted);
    assert_ne!(backends.first(), backends.last());
}

#[test]
fn editing_display_name_and_saving_changes_one_line_of_the_curated_file() {
    let (_dir, toml, configs) = workspace();
    let curated = configs.join(CURATED_FILE);
    let discovered = configs.join(DISCOVERED_FILE);
    let (cur_before, dis_before) = (read(&curated), read(&discovered));
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    select(&mut h, "qwen3_8b_(Q4_K_M)");
    replace_text(&mut h, "Display name", "Qwen3 8B (edited)");
    let store = h.state().registry().store().expect("loaded");
    let shown = store
        .merged()
        .get("qwen3_8b_(Q4_K_M)")
        .and_then(|e| e.view().display_name());
    assert_eq!(shown, Some("Qwen3 8B (edited)"));
    h.get_by_role_and_label(Role::Button, "💾 Save").click();
    h.run_steps(2);
    wait_for_registry(&mut h);
    let changed = changed_lines(&cur_before, &read(&curated));
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(
        changed[0]
            .1
            .contains("\"display_name\": \"Qwen3 8B (edited)\""),
        "{changed:?}"
    );
    assert_eq!(read(&discovered), dis_before, "discovered layer untouched");
    let status = &h.state().status().text;
    assert!(
        status.contains(CURATED_FILE) && status.contains(SNAPSHOT_FILE),
        "{status}"
    );
}

#[test]
fn promoting_a_discovered_entry_makes_it_curated() {
    let (_dir, toml, _) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let name = "siglip-large-patch16-384_(FP32)";
    select(&mut h, name);
    h.get_by_role_and_label(Role::Button, "🚀 Promote to curated")
        .click();
    h.run();
    let store = h.state().registry().store().expect("loaded");
    assert_eq!(
        store.merged().get(name).map(|e| e.layer),
        Some(EntryLayer::Both)
    );
    assert!(store.curated().iter().any(|e| e["name"] == name));
}

#[test]
fn ctrl_z_on_the_registry_page_undoes_the_registry_edit() {
    let (_dir, toml, _) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let name = "qwen3_8b_(Q4_K_M)";
    let display = |h: &Harness<'_, StudioApp>| {
        h.state()
            .registry()
            .store()
            .and_then(|s| s.merged().get(name))
            .and_then(|e| e.view().display_name().map(str::to_owned))
    };
    let before = display(&h);
    select(&mut h, name);
    replace_text(&mut h, "Display name", "Changed");
    assert_eq!(display(&h).as_deref(), Some("Changed"));
    // Move focus away from the text field so Ctrl+Z reaches the app.
    h.get_by_role_and_label(Role::Button, "↩ Undo").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(display(&h), before);
    assert!(!h.state().registry().can_undo());
    assert!(
        h.state().session().is_some_and(|s| !s.is_dirty()),
        "the document is untouched"
    );
    h.get_by_role_and_label(Role::Button, "↪ Redo").click();
    h.run();
    assert_eq!(display(&h).as_deref(), Some("Changed"));
}

#[test]
fn clicking_a_finding_selects_its_entry() {
    let (_dir, toml, _) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let first = h.state().registry().findings().first().cloned();
    let Some(finding) = first else {
        return; // nothing to click in a clean registry
    };
    h.get_by(|n| {
        n.label()
            .is_some_and(|l| l.starts_with("Findings in the registry:"))
    })
    .click();
    h.run();
    h.get_all_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains(&finding.message))
    })
    .next()
    .expect("finding shown")
    .click();
    h.run();
    assert_eq!(
        h.state().registry().selected(),
        Some(finding.entry.as_str())
    );
}

#[test]
fn snapshots_of_table_and_editor() {
    // Relative paths (tests run in the crate folder) keep the pictures the
    // same wherever the repository is checked out; nothing is written.
    let mut app = app_with(Some(Path::new("sample_configs/chat_proxy.toml")));
    app.open_registry(Path::new("sample_configs/registry"));
    let mut h = snapshot_harness(app);
    h.run();
    open_registry_page(&mut h);
    h.snapshot("registry_table");
    select(&mut h, "gemma3_27.0b_(Q3_K_M)");
    h.run();
    h.snapshot("registry_editor");
}

#[test]
fn new_entry_duplicate_delete_and_deprecate() {
    let (_dir, toml, _) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let layer = |h: &Harness<'_, StudioApp>, name: &str| {
        h.state()
            .registry()
            .store()
            .and_then(|s| s.merged().get(name).map(|e| e.layer))
    };
    // New entry from the name field.
    h.get_by_role_and_label(Role::TextInput, "New name").focus();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "New name")
        .type_text("my-model");
    h.run();
    h.get_by_role_and_label(Role::Button, "➕ New entry")
        .click();
    h.run();
    assert_eq!(layer(&h, "my-model"), Some(EntryLayer::CuratedOnly));
    assert_eq!(h.state().registry().selected(), Some("my-model"));
    // Duplicate it (empty name field: "<name>-copy"), then delete the copy.
    h.get_by_role_and_label(Role::Button, "🗐 Duplicate").click();
    h.run();
    assert_eq!(layer(&h, "my-model-copy"), Some(EntryLayer::CuratedOnly));
    assert_eq!(h.state().registry().selected(), Some("my-model-copy"));
    h.get_by_role_and_label(Role::Button, "🗑 Delete").click();
    h.run();
    assert_eq!(layer(&h, "my-model-copy"), None);
    // A discovered-only entry cannot be deleted, only deprecated.
    select(&mut h, "siglip-large-patch16-384_(FP32)");
    assert!(
        h.get_by_role_and_label(Role::Button, "🗑 Delete")
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_role_and_label(Role::Button, "⚠ Deprecate").click();
    h.run();
    let store = h.state().registry().store().expect("loaded");
    let entry = store.merged().get("siglip-large-patch16-384_(FP32)");
    assert!(entry.is_some_and(|e| e.view().deprecated() && e.layer == EntryLayer::Both));
}

/// `/v1/models` as the stock proxy answers it: display ids, the registry
/// name in `extensions.logical_id`, nulls for some backends and formats.
fn real_style_models() -> ModelList {
    serde_json::from_str(include_str!("../support/v1_models.json")).expect("the models fixture")
}

/// Show Preview & push and connect to the fake proxy.
fn connect_on_preview(h: &mut Harness<'_, StudioApp>) {
    h.get_by(|n| {
        n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Preview & push"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    common::run_until(h, |app| app.live().models().value().is_some());
}

#[test]
fn models_served_by_the_connected_proxy_show_as_a_column() {
    let (dir, toml, _) = workspace();
    let (app, fake) = common::app_with_fake_proxy(&toml, &[], &dir.path().join("history"));
    let mut models = real_style_models();
    let extra = serde_json::json!({"id": "not in the registry",
        "extensions": {"logical_id": "not-in-the-registry"}});
    models
        .data
        .push(serde_json::from_value(extra).expect("model entry"));
    fake.set_models(models);
    let mut h = harness(app);
    h.run();
    open_registry_page(&mut h);
    assert!(
        h.query_by_label("Served now").is_none(),
        "not connected yet"
    );
    connect_on_preview(&mut h);
    open_registry_page(&mut h);
    assert!(h.query_by_label("Served now").is_some());
    // Matched by `logical_id`: all six, and not `qwen25vl_8.3b_(Q4_K_M)`, whose
    // `served_model_id` (`qwen2.5vl:7b`) is the same as a served entry's.
    assert_eq!(h.query_all_by_label("served").count(), 6);
}

#[test]
fn the_preview_lists_served_models_with_registry_backends_where_the_proxy_sends_null() {
    let (dir, toml, _) = workspace();
    let (app, fake) = common::app_with_fake_proxy(&toml, &[], &dir.path().join("history"));
    fake.set_models(real_style_models());
    let mut h = harness(app);
    h.run();
    connect_on_preview(&mut h);
    // The registry beside the file is loaded once the proxy answers.
    common::run_until(&mut h, |app| {
        app.registry().store().is_some() && !app.registry().is_busy()
    });
    h.run();
    assert!(
        h.query_by_label("qwen3 8b (Q4 K M)").is_some(),
        "the display id"
    );
    // qwen3_8b: backend null from the proxy, `ollama` in the registry.
    assert_eq!(h.query_all_by_label("ollama (registry)").count(), 1);
    // gpt-oss-20b and florence-2-large: null, `vllm` in the registry.
    assert_eq!(h.query_all_by_label("vllm (registry)").count(), 2);
    assert!(h.query_by_label("?").is_none(), "no unknown backend left");
}

#[test]
fn ctrl_s_on_the_registry_page_saves_the_registry() {
    let (_dir, toml, configs) = workspace();
    let curated = configs.join(CURATED_FILE);
    let before = read(&curated);
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    select(&mut h, "gemma3_27.0b_(Q3_K_M)");
    replace_text(&mut h, "Family", "gemma3");
    assert!(h.state().registry().has_unsaved_edits());
    assert!(h.query_by_label("⏺ unsaved").is_some());
    h.get_by_role_and_label(Role::Button, "💾 Save").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run_steps(2);
    wait_for_registry(&mut h);
    assert!(!h.state().registry().has_unsaved_edits());
    let changed = changed_lines(&before, &read(&curated));
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(
        changed[0].1.contains("\"family\": \"gemma3\""),
        "{changed:?}"
    );
}

#[test]
fn toggling_a_capability_and_resetting_it_to_the_discovered_value() {
    let (_dir, toml, _) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let name = "gemma3_27.0b_(Q3_K_M)";
    let vision = |h: &Harness<'_, StudioApp>| {
        h.state()
            .registry()
            .store()
            .and_then(|s| s.value(name))
            .and_then(|e| e["capabilities"]["vision"].as_bool())
    };
    select(&mut h, name);
    assert_eq!(vision(&h), Some(false));
    // Below the fold of the editor: click through AccessKit.
    h.get_by_role_and_label(Role::CheckBox, "Vision")
        .click_accesskit();
    h.run();
    assert_eq!(vision(&h), Some(true));
    // The curated value goes: the discovered one (false) shows again.
    h.get_by_role_and_label(Role::Button, "Reset Vision")
        .click_accesskit();
    h.run();
    assert_eq!(vision(&h), Some(false), "{:?}", h.state().status());
    let store = h.state().registry().store().expect("loaded");
    let curated = store.curated().iter().find(|e| e["name"] == name);
    assert!(curated.is_some_and(|e| e["capabilities"].get("vision").is_none()));
}

/// Poll the page until its open or save is done (no frames drawn).
fn finish_job(app: &mut StudioApp, status: &mut Status) {
    for _ in 0..500 {
        app.registry_mut().poll(status);
        if !app.registry().is_busy() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the registry job did not finish: {status:?}");
}

/// Opening and saving run on a worker thread; until they are done, edits
/// are refused with a message (nothing is queued or lost), browsing is not.
#[test]
fn edits_wait_while_the_registry_opens_or_saves() {
    let (_dir, _toml, configs) = workspace();
    let curated = configs.join(CURATED_FILE);
    let before = read(&curated);
    let mut app = app_with(None);
    let mut status = Status::default();
    let set = |value: &str| {
        RegistryAction::Apply(RegistryCommand::SetField {
            name: "qwen3_8b_(Q4_K_M)".into(),
            path: "display_name".into(),
            value: serde_json::json!(value),
        })
    };
    app.registry_mut()
        .handle(RegistryAction::Load(configs.clone()), None, &mut status);
    assert!(app.registry().is_busy());
    app.registry_mut()
        .handle(set("Too early"), None, &mut status);
    assert!(status.text.starts_with("Wait: Opening"), "{status:?}");
    finish_job(&mut app, &mut status);
    assert!(status.text.starts_with("Opened registry"), "{status:?}");
    assert_eq!(
        app.registry().store().map(|s| s.merged().entries.len()),
        Some(16)
    );
    assert!(!app.registry().can_undo(), "the early edit was not applied");

    app.registry_mut().handle(set("Saved"), None, &mut status);
    app.registry_mut()
        .handle(RegistryAction::Save, None, &mut status);
    assert!(app.registry().is_busy());
    app.registry_mut()
        .handle(set("During the save"), None, &mut status);
    assert!(status.text.starts_with("Wait: Saving"), "{status:?}");
    app.registry_mut().handle(
        RegistryAction::Sort(iw_studio::ui::pages::registry::SortColumn::Backend),
        None,
        &mut status,
    );
    assert_eq!(
        app.registry().sort().column,
        iw_studio::ui::pages::registry::SortColumn::Backend
    );
    finish_job(&mut app, &mut status);
    assert!(status.text.contains(CURATED_FILE), "{status:?}");
    assert!(!app.registry().has_unsaved_edits());
    let changed = changed_lines(&before, &read(&curated));
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("\"Saved\""), "{changed:?}");
}

#[test]
fn config_and_registry_edits_share_one_undo_order_save_and_title_marker() {
    use iw_studio::core::document::DocPath;
    use iw_studio::core::session::Command;
    use iw_studio::ui::actions::Action;

    let (_dir, toml, configs) = workspace();
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let name = "qwen3_8b_(Q4_K_M)";
    let display = |h: &Harness<'_, StudioApp>| {
        h.state()
            .registry()
            .store()
            .and_then(|s| s.merged().get(name))
            .and_then(|e| e.view().display_name().map(str::to_owned))
    };
    let port = |h: &Harness<'_, StudioApp>| {
        h.state()
            .session()
            .and_then(|s| {
                s.doc()
                    .get_value(&DocPath::keys(&["server", "port"]))
                    .cloned()
            })
            .and_then(|v| v.as_integer())
    };
    let before = display(&h);
    // A config edit, then a registry edit.
    h.state_mut().handle(
        &egui::Context::default(),
        Action::Edit(Command::SetValue {
            path: DocPath::keys(&["server", "port"]),
            value: 9005.into(),
        }),
    );
    select(&mut h, name);
    replace_text(&mut h, "Display name", "Changed");
    assert_eq!(display(&h).as_deref(), Some("Changed"));
    assert_eq!(port(&h), Some(9005));
    h.get_by_role_and_label(Role::Button, "↩ Undo").focus();
    h.run();
    let title = h.state().window_title().to_owned();
    assert!(
        title.starts_with("● ") && title.contains("+ model registry"),
        "the title marks both: {title}"
    );
    // Undo takes back the registry edit first (the last made), then the config's.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(display(&h), before);
    assert_eq!(port(&h), Some(9005), "the config edit is still there");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(port(&h), Some(8100));
    // Redo in the same order, then one Save writes both.
    h.get_by_role_and_label(Role::Button, "↪ Redo").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "↪ Redo").click();
    h.run();
    assert_eq!(
        (port(&h), display(&h).as_deref()),
        (Some(9005), Some("Changed"))
    );
    let curated = read(&configs.join(CURATED_FILE));
    h.get_by_role_and_label(Role::Button, "💾 Save").click();
    h.run_steps(2);
    wait_for_registry(&mut h);
    assert!(read(&toml).contains("port = 9005"), "the config is saved");
    assert_ne!(
        read(&configs.join(CURATED_FILE)),
        curated,
        "the registry is saved"
    );
    assert!(!h.state().registry().has_unsaved_edits());
    assert!(h.state().session().is_some_and(|s| !s.is_dirty()));
}

#[test]
fn registry_findings_are_in_the_problems_panel_with_a_filter() {
    let (_dir, toml, configs) = workspace();
    // A duplicate name in the curated layer is a registry finding.
    let curated = configs.join(CURATED_FILE);
    let text = read(&curated);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).expect("curated parses");
    let mut doubled = entries.clone();
    doubled.push(entries[0].clone());
    std::fs::write(
        &curated,
        serde_json::to_string_pretty(&doubled).expect("json"),
    )
    .expect("write");
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    assert!(
        !h.state().registry().findings().is_empty(),
        "the duplicate is found"
    );
    h.get_by(|n| n.label().is_some_and(|l| l.starts_with("Problems (")))
        .click();
    h.run();
    h.get_by(|n| n.label().is_some_and(|l| l.starts_with("Registry: ")))
        .click();
    h.run();
    assert!(
        h.query_all_by(|n| n
            .label()
            .is_some_and(|l| l.contains("registry ") && l.contains("only the last one counts")))
            .next()
            .is_some(),
        "the registry's finding is listed"
    );
    h.get_by(|n| n.label().is_some_and(|l| l.starts_with("This file: ")))
        .click();
    h.run();
    assert!(
        h.query_all_by(|n| n
            .label()
            .is_some_and(|l| l.contains("only the last one counts")))
            .next()
            .is_none(),
        "filtered out when only the config's findings are shown"
    );
}
