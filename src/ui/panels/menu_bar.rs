//! The menu bar: File, Edit, View, Proxy, Help; every entry from the command table.

use std::path::PathBuf;

use egui::Ui;

use crate::core::layout::LayoutSet;
use crate::ui::actions::Action;
use crate::ui::commands::UiCommand;
use crate::ui::nav::{page_order, page_title};

pub fn show(
    ui: &mut Ui,
    layouts: &LayoutSet,
    recent: &[PathBuf],
    has_file: bool,
    actions: &mut Vec<Action>,
) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            entry(ui, UiCommand::Open, has_file, actions);
            ui.add_enabled_ui(!recent.is_empty(), |ui| {
                ui.menu_button("Open recent", |ui| {
                    for path in recent {
                        if ui.button(path.display().to_string()).clicked() {
                            actions.push(Action::OpenPath(path.clone()));
                        }
                    }
                });
            });
            entry(ui, UiCommand::Save, has_file, actions);
            entry(ui, UiCommand::SaveAs, has_file, actions);
            entry(ui, UiCommand::Reload, has_file, actions);
            ui.separator();
            entry(ui, UiCommand::Quit, has_file, actions);
        });
        ui.menu_button("Edit", |ui| {
            entry(ui, UiCommand::Undo, has_file, actions);
            entry(ui, UiCommand::Redo, has_file, actions);
            entry(ui, UiCommand::Find, has_file, actions);
        });
        ui.menu_button("View", |ui| {
            ui.add_enabled_ui(has_file, |ui| {
                for page in page_order(layouts) {
                    let title = page_title(layouts, &page);
                    if ui.button(title).clicked() {
                        actions.push(Action::Navigate(page));
                    }
                }
            });
            ui.separator();
            entry(ui, UiCommand::PreviousPage, has_file, actions);
            entry(ui, UiCommand::NextPage, has_file, actions);
            entry(ui, UiCommand::NextRegion, has_file, actions);
            entry(ui, UiCommand::PreviousRegion, has_file, actions);
            entry(ui, UiCommand::ToggleProblems, has_file, actions);
            ui.menu_button("Theme", |ui| {
                entry(ui, UiCommand::ThemeLight, has_file, actions);
                entry(ui, UiCommand::ThemeDark, has_file, actions);
                entry(ui, UiCommand::ThemeFollowSystem, has_file, actions);
            });
        });
        ui.menu_button("Proxy", |ui| {
            entry(ui, UiCommand::ProxyRefresh, has_file, actions);
            entry(ui, UiCommand::Push, has_file, actions);
        });
        ui.menu_button("Help", |ui| {
            entry(ui, UiCommand::CommandPalette, has_file, actions);
            entry(ui, UiCommand::ShortcutSheet, has_file, actions);
            ui.separator();
            entry(ui, UiCommand::About, has_file, actions);
        });
    });
}

/// A menu entry: label, shortcut text and tooltip from the table; greyed
/// out when it needs a document and none is open.
fn entry(ui: &mut Ui, command: UiCommand, has_file: bool, actions: &mut Vec<Action>) {
    let mut button = egui::Button::new(command.label());
    if let Some(s) = command.shortcut() {
        button = button.shortcut_text(ui.ctx().format_shortcut(&s));
    }
    let enabled = has_file || !command.needs_file();
    if ui
        .add_enabled(enabled, button)
        .on_hover_text(command.tooltip())
        .clicked()
    {
        actions.push(command.action());
    }
}
