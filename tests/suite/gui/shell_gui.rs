//! The shell around the pages: the menu bar and the command table behind
//! it, Ctrl+PageUp/PageDown, and the theme choice that persists.

use crate::support::app as common;

use common::{app_with, copy_of, harness};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use iw_studio::ui::StudioApp;
use iw_studio::ui::actions::Overlay;
use iw_studio::ui::commands::UiCommand;
use iw_studio::ui::nav::PageId;
use iw_studio::ui::theme::ThemeChoice;

type H = Harness<'static, StudioApp>;

fn open_menu(h: &mut H, name: &str) {
    h.get_by_role_and_label(Role::Button, name).click();
    h.run();
}

fn click_entry(h: &mut H, label: &str) {
    // The menu's entry is the last one drawn (the navigation may hold the same title).
    h.query_all_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.starts_with(label)))
        .last()
        .unwrap_or_else(|| panic!("no entry {label}"))
        .click();
    h.run();
}

#[test]
fn the_menus_hold_every_command_of_the_table() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    let menus: [(&str, &[UiCommand]); 5] = [
        (
            "File",
            &[
                UiCommand::Open,
                UiCommand::Save,
                UiCommand::SaveAs,
                UiCommand::Reload,
                UiCommand::Quit,
            ],
        ),
        ("Edit", &[UiCommand::Undo, UiCommand::Redo, UiCommand::Find]),
        (
            "View",
            &[
                UiCommand::PreviousPage,
                UiCommand::NextPage,
                UiCommand::NextRegion,
                UiCommand::PreviousRegion,
                UiCommand::ToggleProblems,
            ],
        ),
        ("Proxy", &[UiCommand::ProxyRefresh, UiCommand::Push]),
        (
            "Help",
            &[
                UiCommand::CommandPalette,
                UiCommand::ShortcutSheet,
                UiCommand::About,
            ],
        ),
    ];
    for (menu, commands) in menus {
        open_menu(&mut h, menu);
        for c in commands {
            let found = h
                .query_all_by(|n| {
                    n.role() == Role::Button && n.label().is_some_and(|l| l.starts_with(c.label()))
                })
                .next()
                .is_some();
            assert!(found, "{menu} lists {}", c.label());
        }
        h.key_press(egui::Key::Escape);
        h.run();
    }
}

#[test]
fn a_menu_entry_runs_its_command() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    assert!(!h.state().show_problems());
    open_menu(&mut h, "View");
    click_entry(&mut h, "Problems panel");
    h.run();
    assert!(h.state().show_problems(), "View ▸ Problems panel shows it");

    open_menu(&mut h, "View");
    click_entry(&mut h, "± Diff");
    h.run();
    assert_eq!(h.state().page(), &PageId::Diff);
}

#[test]
fn ctrl_page_down_and_up_change_page() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    let first = h.state().page().clone();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::PageDown);
    h.run();
    h.run();
    let second = h.state().page().clone();
    assert_ne!(second, first, "Ctrl+PageDown moves on");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::PageUp);
    h.run();
    h.run();
    assert_eq!(h.state().page(), &first, "Ctrl+PageUp comes back");
    // Up from the first page wraps to the last one (the Registry).
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::PageUp);
    h.run();
    h.run();
    assert_eq!(h.state().page(), &PageId::Registry);
}

#[test]
fn the_theme_choice_applies_and_is_kept_in_the_settings() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    assert_eq!(h.state().settings().theme, ThemeChoice::Dark);
    open_menu(&mut h, "View");
    h.get_by_role_and_label(Role::Button, "Theme").hover();
    h.run();
    click_entry(&mut h, "Light");
    h.run();
    h.run();
    assert_eq!(h.state().settings().theme, ThemeChoice::Light);
    assert!(
        h.ctx.theme() == egui::Theme::Light,
        "the light visuals are in use"
    );
    // What eframe persists carries the choice.
    let saved = serde_json::to_string(h.state().settings()).unwrap();
    let back: iw_studio::ui::app::AppSettings = serde_json::from_str(&saved).unwrap();
    assert_eq!(back.theme, ThemeChoice::Light);
}

fn ctrl_shift(h: &mut H, key: egui::Key) {
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, key);
    h.run();
    h.run();
}

#[test]
fn the_command_palette_finds_runs_and_closes() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    ctrl_shift(&mut h, egui::Key::P);
    assert!(h.state().palette_open(), "Ctrl+Shift+P opens it");
    // Typing narrows the list; Down then Enter runs the second hit.
    h.get_by_role_and_label(Role::TextInput, "Command palette")
        .type_text("go to");
    h.run();
    assert!(h.query_by_label_contains("Go to ± Diff").is_some());
    assert!(
        h.query_by_label_contains("File: Save").is_none(),
        "filtered out"
    );
    h.key_press(egui::Key::ArrowDown);
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    h.run();
    assert!(!h.state().palette_open(), "Enter runs and closes");
    assert_eq!(
        h.state().page(),
        &iw_studio::ui::nav::step_page(
            &iw_studio::core::layout::LayoutSet::builtin().unwrap(),
            &PageId::Layout("general".into()),
            1
        ),
        "the second page of the list"
    );
    // A command by name: Problems panel.
    ctrl_shift(&mut h, egui::Key::P);
    h.get_by_role_and_label(Role::TextInput, "Command palette")
        .type_text("problems");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    h.run();
    assert!(h.state().show_problems());
    // Escape closes without running anything.
    ctrl_shift(&mut h, egui::Key::P);
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(!h.state().palette_open());
    assert!(h.state().show_problems());
}

#[test]
fn help_shows_the_shortcut_sheet_and_about() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    h.key_press(egui::Key::F1);
    h.run();
    h.run();
    assert_eq!(h.state().overlay(), Overlay::Shortcuts, "F1");
    assert!(
        h.query_by_label("Focus next region").is_some(),
        "a row of the sheet"
    );
    assert!(
        h.query_by_label("Ctrl+Shift+P").is_some(),
        "the palette's shortcut is listed"
    );
    assert!(h.query_by_label("F6").is_some(), "F6 is listed");
    h.key_press(egui::Key::Escape);
    h.run();
    h.run();
    assert_eq!(h.state().overlay(), Overlay::None, "Escape closes it");
    open_menu(&mut h, "Help");
    click_entry(&mut h, "About Config Studio");
    h.run();
    assert_eq!(h.state().overlay(), Overlay::About);
    let version = format!("Version {}", env!("CARGO_PKG_VERSION"));
    assert!(h.query_by_label(&version).is_some());
    assert!(h.query_by_label_contains("built in (ui_layouts/").is_some());
    h.get_by_role_and_label(Role::Button, "Close").click();
    h.run();
    h.run();
    assert_eq!(h.state().overlay(), Overlay::None);
}

/// A copy of the sample `name` open, with the Problems panel showing.
fn with_problems_panel(name: &str) -> (tempfile::TempDir, std::path::PathBuf, H) {
    let (dir, path) = copy_of(name);
    let mut h = harness(app_with(Some(&path)));
    h.run();
    let ctx = h.ctx.clone();
    h.state_mut()
        .handle(&ctx, iw_studio::ui::actions::Action::ShowProblems);
    h.run();
    (dir, path, h)
}

#[test]
fn f6_moves_the_focus_between_navigation_page_and_problems() {
    use iw_studio::ui::focus_regions::Region;
    let (_dir, _path, mut h) = with_problems_panel("chat_proxy.toml");
    let press = |h: &mut H, m: egui::Modifiers| {
        h.key_press_modifiers(m, egui::Key::F6);
        h.run();
        h.run();
        let focused = h.ctx.memory(|m| m.focused());
        (h.state().focused_region(&h.ctx), focused)
    };
    let none = egui::Modifiers::NONE;
    let (region, nav_widget) = press(&mut h, none);
    assert_eq!(region, Some(Region::Navigation), "first F6");
    assert_eq!(press(&mut h, none).0, Some(Region::Page), "second F6");
    assert_eq!(press(&mut h, none).0, Some(Region::Problems), "third F6");
    let (region, widget) = press(&mut h, none);
    assert_eq!(region, Some(Region::Navigation), "and round again");
    assert_eq!(widget, nav_widget, "to the same first widget");
    let shift = egui::Modifiers::SHIFT;
    assert_eq!(
        press(&mut h, shift).0,
        Some(Region::Problems),
        "Shift+F6 goes back"
    );
    assert_eq!(press(&mut h, shift).0, Some(Region::Page));
}

/// Tab from the start of the window: every stop is a widget a screen reader
/// can name (no invisible stops in the menu bar or top bar).
#[test]
fn every_tab_stop_has_a_name() {
    let (_dir, path) = copy_of("chat_proxy.toml");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    let mut names = Vec::new();
    for _ in 0..14 {
        h.key_press(egui::Key::Tab);
        h.run();
        let focused: Vec<String> = h
            .query_all_by(|n| n.is_focused())
            .map(|n| {
                let node = n.accesskit_node();
                node.label()
                    .or_else(|| node.value())
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            })
            .collect();
        assert_eq!(focused.len(), 1, "one focused widget after {names:?}");
        assert!(
            !focused[0].is_empty(),
            "a nameless Tab stop after {names:?}"
        );
        names.push(focused[0].clone());
    }
}

/// A finding's "line N" opens Raw TOML with the cursor at the start of that line.
#[test]
fn a_findings_line_opens_raw_toml_at_that_line() {
    use iw_studio::ui::pages::raw_toml::editor_id;
    let (_dir, path, mut h) = with_problems_panel("broken/wrong_types.toml");
    h.get_by_role_and_label(Role::Button, "line 7").click();
    h.run();
    h.run();
    h.run();
    assert_eq!(h.state().page(), &PageId::RawToml);
    let text = std::fs::read_to_string(&path).unwrap();
    let line_7_start: usize = text
        .split_inclusive('\n')
        .take(6)
        .map(|l| l.chars().count())
        .sum();
    let state = egui::TextEdit::load_state(&h.ctx, editor_id()).expect("the editor's state");
    let cursor = state.cursor.char_range().expect("a cursor").primary.index;
    assert_eq!(
        cursor,
        egui::text::CharIndex(line_7_start),
        "the cursor is at the start of line 7"
    );
    assert_eq!(
        h.ctx.memory(|m| m.focused()),
        Some(editor_id()),
        "the editor has the focus"
    );
    // The gutter numbers every line.
    let lines = text.split('\n').count();
    assert!(
        h.query_by_label_contains(&format!("\n{lines}")).is_some(),
        "numbers up to {lines}"
    );
}

/// File ▸ Open recent lists the files opened before and opens the one clicked.
#[test]
fn open_recent_in_the_file_menu_reopens_a_file() {
    let (_dir, first) = copy_of("chat_proxy.toml");
    let (_dir2, second) = copy_of("full_example.toml");
    let mut h = harness(app_with(Some(&first)));
    h.run();
    let ctx = h.ctx.clone();
    h.state_mut().handle(
        &ctx,
        iw_studio::ui::actions::Action::OpenPath(second.clone()),
    );
    h.run();
    open_menu(&mut h, "File");
    h.get_by_role_and_label(Role::Button, "Open recent").hover();
    h.run();
    let first_shown = first.canonicalize().unwrap().display().to_string();
    h.get_by_role_and_label(Role::Button, &first_shown).click();
    h.run();
    h.run();
    let open = h
        .state()
        .session()
        .and_then(|s| s.path())
        .map(|p| p.canonicalize().unwrap());
    assert_eq!(open, Some(first.canonicalize().unwrap()));
}
