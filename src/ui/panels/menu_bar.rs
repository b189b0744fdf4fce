//! The menu bar: File, Edit, View, Proxy; every entry from the command table.

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
            entry(ui, UiCommand::Open, actions);
            ui.add_enabled_ui(!recent.is_empty(), |ui| {
                ui.menu_button("Open recent", |ui| {
                    for path in recent {
                        if ui.button(path.display().to_string()).clicked() {
                            actions.push(Action::OpenPath(path.clone()));
                        }
                    }
                });
            });
            ui.add_enabled_ui(has_file, |ui| {
                entry(ui, UiCommand::Save, actions);
                entry(ui, UiCommand::SaveAs, actions);
                entry(ui, UiCommand::Reload, actions);
            });
            ui.separator();
            entry(ui, UiCommand::Quit, actions);
        });
        ui.menu_button("Edit", |ui| {
            entry(ui, UiCommand::Undo, actions);
            entry(ui, UiCommand::Redo, actions);
            ui.add_enabled_ui(has_file, |ui| entry(ui, UiCommand::Find, actions));
        });
        ui.menu_button("View", |ui| {
            ui.add_enabled_ui(has_file, |ui| {
                for page in page_order(layouts) {
                    let title = page_title(layouts, &page);
                    if ui.button(title).clicked() {
                        actions.push(Action::Navigate(page));
                    }
                }
                ui.separator();
                entry(ui, UiCommand::PreviousPage, actions);
                entry(ui, UiCommand::NextPage, actions);
                entry(ui, UiCommand::ToggleProblems, actions);
            });
            ui.menu_button("Theme", |ui| {
                entry(ui, UiCommand::ThemeLight, actions);
                entry(ui, UiCommand::ThemeDark, actions);
                entry(ui, UiCommand::ThemeFollowSystem, actions);
            });
        });
        ui.menu_button("Proxy", |ui| {
            entry(ui, UiCommand::ProxyRefresh, actions);
            ui.add_enabled_ui(has_file, |ui| entry(ui, UiCommand::Push, actions));
        });
    });
}

/// A menu entry: label, shortcut text and tooltip from the table.
fn entry(ui: &mut Ui, command: UiCommand, actions: &mut Vec<Action>) {
    let mut button = egui::Button::new(command.label());
    if let Some(s) = command.shortcut() {
        button = button.shortcut_text(ui.ctx().format_shortcut(&s));
    }
    if ui.add(button).on_hover_text(command.tooltip()).clicked() {
        actions.push(command.action());
    }
}
