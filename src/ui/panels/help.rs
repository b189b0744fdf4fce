//! Help: the keyboard shortcut sheet and About, both fed by the command
//! table and the layouts, so they never list a shortcut that does not exist.

use egui::RichText;

use crate::core::layout::LayoutSet;
use crate::ui::actions::{Action, Overlay};
use crate::ui::commands::UiCommand;
use crate::ui::theme;

/// The groups of the sheet, in menu order.
const GROUPS: [&str; 6] = ["File", "Edit", "View", "Theme", "Proxy", "Help"];

/// Keys that work where the focus is rather than as commands.
const FOCUS_KEYS: [(&str, &str); 5] = [
    ("Tab / Shift+Tab", "Next / previous field"),
    ("↑ ↓ then Enter", "Choose in Find, the palette and pickers"),
    ("Enter", "Commit a typed value"),
    ("Escape", "Close a popup or dialog; drop a refused value"),
    ("Space", "Toggle the focused checkbox or button"),
];

/// The sheet's rows for one group: label and every shortcut, as shown.
pub fn shortcut_rows(ctx: &egui::Context, group: &str) -> Vec<(&'static str, String)> {
    UiCommand::ALL
        .into_iter()
        .filter(|c| c.menu() == group && !c.shortcuts().is_empty())
        .map(|c| {
            let keys: Vec<String> = c
                .shortcuts()
                .iter()
                .map(|s| ctx.format_shortcut(s))
                .collect();
            (c.label(), keys.join(" or "))
        })
        .collect()
}

pub fn show(ctx: &egui::Context, layouts: &LayoutSet, overlay: Overlay, actions: &mut Vec<Action>) {
    let response =
        match overlay {
            Overlay::Shortcuts => egui::Modal::new(egui::Id::unique("shortcut_sheet"))
                .show(ctx, |ui| sheet(ui, actions)),
            Overlay::About => egui::Modal::new(egui::Id::unique("about"))
                .show(ctx, |ui| about(ui, layouts, actions)),
            Overlay::None | Overlay::Palette => return,
        };
    if response.should_close() {
        actions.push(Action::Show(Overlay::None));
    }
}

fn sheet(ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    ui.heading("Keyboard shortcuts");
    ui.add_space(6.0);
    // Two columns, so the whole sheet fits the window without scrolling.
    let (left, right) = GROUPS.split_at(3);
    ui.horizontal_top(|ui| {
        shortcut_grid(ui, "shortcuts_left", left, false);
        ui.add_space(24.0);
        shortcut_grid(ui, "shortcuts_right", right, true);
    });
    ui.add_space(6.0);
    close_button(ui, actions);
}

/// The rows of `groups`, then (with `focus_keys`) the keys that act where
/// the focus is.
fn shortcut_grid(ui: &mut egui::Ui, id: &str, groups: &[&str], focus_keys: bool) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([24.0, 4.0])
        .min_col_width(150.0)
        .striped(true)
        .show(ui, |ui| {
            for group in groups {
                let rows = shortcut_rows(ui.ctx(), group);
                if rows.is_empty() {
                    continue;
                }
                ui.label(RichText::new(*group).strong());
                ui.end_row();
                for (label, keys) in rows {
                    ui.label(label);
                    ui.label(RichText::new(keys).monospace());
                    ui.end_row();
                }
            }
            if focus_keys {
                ui.label(RichText::new("Where the focus is").strong());
                ui.end_row();
                for (keys, what) in FOCUS_KEYS {
                    ui.label(what);
                    ui.label(RichText::new(keys).monospace());
                    ui.end_row();
                }
            }
        });
}

fn about(ui: &mut egui::Ui, layouts: &LayoutSet, actions: &mut Vec<Action>) {
    ui.set_width(480.0);
    ui.heading("ImageWorks Config Studio");
    ui.label(format!("Version {}", env!("CARGO_PKG_VERSION")));
    ui.add_space(6.0);
    ui.label(
        "Edits chat_proxy.toml and the model registry losslessly, previews what a \
         running proxy will use, and pushes changes to one proxy or a fleet.",
    );
    ui.add_space(6.0);
    egui::Grid::new("about_grid")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.label("Form layouts");
            ui.label(layouts.origin.describe());
            ui.end_row();
            ui.label("Layout files");
            ui.label(layouts.files.join(", "));
            ui.end_row();
            if let Some(dir) = crate::app_log::log_dir() {
                ui.label("Activity log");
                ui.label(dir.display().to_string());
                ui.end_row();
            }
            if let Some(path) = crate::app_log::profiles_path() {
                ui.label("Profiles file");
                ui.label(path.display().to_string());
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.label(
        RichText::new("The command line has the same commands: iw-studio --help")
            .color(theme::muted(ui.visuals())),
    );
    close_button(ui, actions);
}

fn close_button(ui: &mut egui::Ui, actions: &mut Vec<Action>) {
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
        if ui.button("Close").clicked() {
            actions.push(Action::Show(Overlay::None));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shortcut_of_the_table_is_on_the_sheet() {
        let ctx = egui::Context::default();
        let listed: usize = GROUPS.iter().map(|g| shortcut_rows(&ctx, g).len()).sum();
        let with_keys = UiCommand::ALL
            .iter()
            .filter(|c| c.shortcut().is_some())
            .count();
        assert_eq!(listed, with_keys);
        let file = shortcut_rows(&ctx, "File");
        assert!(
            file.iter()
                .any(|(label, keys)| *label == "Save" && keys.contains('S'))
        );
    }
}
