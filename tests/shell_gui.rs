//! The shell around the pages: the menu bar and the command table behind
//! it, Ctrl+PageUp/PageDown, and the theme choice that persists.

mod common;

use common::{app_with, copy_of, harness};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use iw_studio::ui::StudioApp;
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
    let menus: [(&str, &[UiCommand]); 4] = [
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
                UiCommand::ToggleProblems,
            ],
        ),
        ("Proxy", &[UiCommand::ProxyRefresh, UiCommand::Push]),
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
