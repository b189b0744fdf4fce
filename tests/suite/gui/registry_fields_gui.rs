//! Every field the proxy and ImageWorks read, edited in the Registry page's
//! form: each edit changes exactly its own lines of the curated layer, the
//! flag editor keeps unknown arguments as written, and a curated value that
//! hides a discovered one is marked and can be removed.

use crate::support::app as common;

use std::path::{Path, PathBuf};

use common::{app_with, harness};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use iw_studio::core::registry::Severity;
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use iw_studio::ui::StudioApp;
use serde_json::{Value, json};

const FLORENCE: &str = "florence-2-large_(FP16)";
const AWQ: &str = "qwen2.5-vl-7b-instruct_(AWQ)";
const HUIHUI: &str = "huihui-qwen3-vl-8b-instruct-abliterated_(FP8)";

/// A chat_proxy.toml with a copy of the sample registry in `configs/`;
/// `discovered` may rewrite the discovered layer's text first.
fn workspace(discovered: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = dir.path().join("chat_proxy.toml");
    std::fs::copy(common::sample("chat_proxy.toml"), &toml).expect("copy the sample");
    let configs = dir.path().join("configs");
    std::fs::create_dir(&configs).expect("make configs/");
    for f in [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE] {
        let text = read(&common::sample("registry").join(f));
        let text = if f == DISCOVERED_FILE {
            discovered(text)
        } else {
            text
        };
        std::fs::write(configs.join(f), text).expect("write a registry layer");
    }
    (dir, toml, configs)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read a registry file")
}

fn open_registry_page(h: &mut Harness<'_, StudioApp>) {
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Registry")))
        .click();
    h.run_steps(2);
    common::run_until(h, |app| !app.registry().is_busy());
}

fn select(h: &mut Harness<'_, StudioApp>, name: &str) {
    h.get_by_role_and_label(Role::TextInput, "🔍 Filter")
        .focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "🔍 Filter")
        .type_text(name);
    h.run();
    h.get_all_by_label(name)
        .next()
        .expect("the entry is in the table")
        .click();
    h.run();
    assert_eq!(h.state().registry().selected(), Some(name));
}

/// Type `text` over a (single- or multi-line) text field's content;
/// `commit` ends the edit.
fn type_into(h: &mut Harness<'_, StudioApp>, label: &str, text: &str, commit: egui::Key) {
    h.get_by(|n| {
        matches!(n.role(), Role::TextInput | Role::MultilineTextInput)
            && n.label().is_some_and(|l| l == label)
    })
    .focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by(|n| {
        matches!(n.role(), Role::TextInput | Role::MultilineTextInput)
            && n.label().is_some_and(|l| l == label)
    })
    .type_text(text);
    h.run();
    h.key_press(commit);
    h.run();
}

fn save(h: &mut Harness<'_, StudioApp>) {
    h.get_by_role_and_label(Role::Button, "💾 Save").click();
    h.run_steps(2);
    common::run_until(h, |app| !app.registry().is_busy());
    assert!(
        !h.state().registry().has_unsaved_edits(),
        "{:?}",
        h.state().status()
    );
}

/// Lines removed and added between two texts, a trailing comma ignored (a
/// key appended to a JSON object or list puts a comma on the line before).
fn line_changes(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let strip = |t: &str| -> String {
        t.lines()
            .map(|l| l.trim().trim_end_matches(','))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let (before, after) = (strip(before), strip(after));
    let diff = similar::TextDiff::from_lines(&before, &after);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end().to_owned();
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(line),
            similar::ChangeTag::Insert => added.push(line),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

fn merged(h: &Harness<'_, StudioApp>, name: &str, path: &str) -> Option<Value> {
    let store = h.state().registry().store()?;
    let entry = store.value(name)?;
    path.split('.').try_fold(entry, |v, k| v.get(k)).cloned()
}

/// One edit through the form: what it does, the lines it must remove and add.
struct Case {
    entry: &'static str,
    what: &'static str,
    edit: fn(&mut Harness<'_, StudioApp>),
    removed: &'static [&'static str],
    added: &'static [&'static str],
}

/// `generation_defaults` and the roles.
fn generation_and_role_cases() -> Vec<Case> {
    vec![
        Case {
            entry: FLORENCE,
            what: "generation_defaults.min_tokens (new key)",
            edit: |h| type_into(h, "Min tokens", "16", egui::Key::Enter),
            removed: &[],
            added: &["\"min_tokens\": 16"],
        },
        Case {
            entry: AWQ,
            what: "generation_defaults.frequency_penalty",
            edit: |h| type_into(h, "Frequency penalty", "0.5", egui::Key::Enter),
            removed: &["\"frequency_penalty\": 0.2"],
            added: &["\"frequency_penalty\": 0.5"],
        },
        Case {
            entry: AWQ,
            what: "generation_defaults.presence_penalty",
            edit: |h| type_into(h, "Presence penalty", "-0.5", egui::Key::Enter),
            removed: &["\"presence_penalty\": 0.6"],
            added: &["\"presence_penalty\": -0.5"],
        },
        Case {
            entry: AWQ,
            what: "generation_defaults.stop_sequences (an item added)",
            edit: |h| {
                h.get_by_role_and_label(Role::Button, "➕ Add to Stop sequences")
                    .click_accesskit();
                h.run();
                h.get_by_role_and_label(Role::TextInput, "Stop sequences item 2")
                    .focus();
                h.run();
                h.get_by_role_and_label(Role::TextInput, "Stop sequences item 2")
                    .type_text("</s>");
                h.run();
            },
            removed: &[],
            added: &["\"</s>\""],
        },
        Case {
            entry: FLORENCE,
            what: "roles (a role ticked)",
            edit: |h| {
                h.get_by_role_and_label(Role::CheckBox, "Roles ocr")
                    .click_accesskit();
                h.run();
            },
            removed: &[],
            added: &["\"ocr\""],
        },
        Case {
            entry: FLORENCE,
            what: "role_priority.caption",
            edit: |h| type_into(h, "caption", "80", egui::Key::Enter),
            removed: &["\"caption\": 75"],
            added: &["\"caption\": 80"],
        },
    ]
}

/// The VRAM estimate, the metadata fields and the load flags.
fn resource_and_flag_cases() -> Vec<Case> {
    vec![
        Case {
            entry: FLORENCE,
            what: "vram_estimate_mb (new key)",
            edit: |h| type_into(h, "VRAM estimate", "12000", egui::Key::Enter),
            removed: &[],
            added: &["\"vram_estimate_mb\": 12000"],
        },
        Case {
            entry: FLORENCE,
            what: "metadata.default_system_prompt (multi-line, new key)",
            edit: |h| {
                type_into(
                    h,
                    "Default system prompt",
                    "Describe the image.\nBe brief.",
                    egui::Key::Escape,
                );
            },
            removed: &[],
            added: &["\"default_system_prompt\": \"Describe the image.\\nBe brief.\""],
        },
        Case {
            entry: FLORENCE,
            what: "metadata.vision_target_long_edge (new key)",
            edit: |h| type_into(h, "Vision target long edge", "768", egui::Key::Enter),
            removed: &[],
            added: &["\"vision_target_long_edge\": 768"],
        },
        Case {
            entry: FLORENCE,
            what: "extra_args --max-model-len",
            edit: |h| type_into(h, "--max-model-len", "8192", egui::Key::Enter),
            removed: &["\"4096\""],
            added: &["\"8192\""],
        },
        Case {
            entry: FLORENCE,
            what: "extra_args --enforce-eager (switched on)",
            edit: |h| {
                h.get_by_role_and_label(Role::CheckBox, "--enforce-eager")
                    .click_accesskit();
                h.run();
            },
            removed: &[],
            added: &["\"--enforce-eager\""],
        },
    ]
}

#[test]
fn each_field_edit_changes_exactly_its_lines_of_the_curated_layer() {
    let mut cases = generation_and_role_cases();
    cases.extend(resource_and_flag_cases());
    let (_dir, toml, configs) = workspace(|t| t);
    let curated = configs.join(CURATED_FILE);
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let mut before = read(&curated);
    for case in &cases {
        select(&mut h, case.entry);
        (case.edit)(&mut h);
        save(&mut h);
        let after = read(&curated);
        let (removed, added) = line_changes(&before, &after);
        assert_eq!(removed, case.removed, "{}: removed", case.what);
        assert_eq!(added, case.added, "{}: added", case.what);
        before = after;
    }
}

#[test]
fn the_flag_editor_keeps_unknown_arguments_as_written() {
    let (_dir, toml, _) = workspace(|t| t);
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    select(&mut h, HUIHUI);
    let args = "backend_config.extra_args";
    let original = merged(&h, HUIHUI, args).expect("the entry has extra_args");
    assert!(
        h.query_by_label("--gpu-memory-utilization").is_some(),
        "a typed field for a known vLLM flag"
    );
    assert!(
        h.query_by_label("num_ctx").is_none(),
        "no Ollama options for vLLM"
    );
    type_into(&mut h, "--gpu-memory-utilization", "1.5", egui::Key::Enter);
    assert_eq!(
        merged(&h, HUIHUI, args),
        Some(original.clone()),
        "out of range: not applied"
    );
    type_into(&mut h, "--gpu-memory-utilization", "0.85", egui::Key::Enter);
    let mut items = original.as_array().cloned().expect("a list");
    let at = items
        .iter()
        .position(|a| a == "--gpu-memory-utilization")
        .expect("the flag is there");
    items[at + 1] = json!("0.85");
    // Only that value changed: every other argument as it was, in order.
    assert_eq!(merged(&h, HUIHUI, args), Some(Value::Array(items.clone())));
    // The raw list is one click away and shows the same list.
    h.get_all_by(|n| n.label().is_some_and(|l| l.starts_with("Raw list (")))
        .next()
        .expect("the raw list header")
        .click_accesskit();
    h.run();
    let last = items.len();
    let label = format!("Extra arguments item {last}");
    let node = h.get_by_role_and_label(Role::TextInput, &label);
    assert_eq!(node.value().as_deref(), items[last - 1].as_str());
}

#[test]
fn a_curated_value_hiding_a_discovered_one_is_marked_and_can_be_dropped() {
    let discovered_name = "Florence 2 large (from the Models page)";
    let (_dir, toml, configs) = workspace(|t| {
        t.replacen(
            "\"display_name\": \"Florence-2 Large (FP16)\"",
            &format!("\"display_name\": \"{discovered_name}\""),
            1,
        )
    });
    let curated = configs.join(CURATED_FILE);
    let mut h = harness(app_with(Some(&toml)));
    h.run();
    open_registry_page(&mut h);
    let info = h
        .state()
        .registry()
        .findings()
        .iter()
        .filter(|f| f.severity == Severity::Info && f.entry == FLORENCE)
        .map(|f| f.field.clone())
        .collect::<Vec<_>>();
    assert_eq!(info, ["display_name"], "registry check lists it as info");
    select(&mut h, FLORENCE);
    let marker = format!("curated hides discovered: \"{discovered_name}\"");
    assert!(h.query_by_label(&marker).is_some(), "the field is marked");
    let before = read(&curated);
    h.get_by_role_and_label(Role::Button, "Use the discovered value for display_name")
        .click();
    h.run();
    assert_eq!(
        merged(&h, FLORENCE, "display_name"),
        Some(json!(discovered_name))
    );
    assert!(h.query_by_label(&marker).is_none());
    save(&mut h);
    let (removed, added) = line_changes(&before, &read(&curated));
    assert_eq!(removed, ["\"display_name\": \"Florence-2 Large (FP16)\""]);
    assert!(added.is_empty(), "{added:?}");
}
