//! Shown when no file is open: Open…, New from defaults, recent files.

use std::path::PathBuf;

use egui::{RichText, Ui};

use crate::ui::actions::Action;
use crate::ui::theme;

pub fn show(ui: &mut Ui, recent: &[PathBuf], actions: &mut Vec<Action>) {
    ui.vertical_centered(|ui| {
        ui.add_space(60.0);
        ui.heading(RichText::new("ImageWorks Config Studio").size(28.0));
        ui.label(
            RichText::new("Edit chat_proxy.toml without losing a comment.")
                .color(theme::muted(ui.visuals())),
        );
        ui.add_space(24.0);
        if ui
            .button(RichText::new("📂 Open…  (Ctrl+O)").size(16.0))
            .clicked()
        {
            actions.push(Action::Open);
        }
        ui.add_space(8.0);
        if ui
            .button(RichText::new("✨ New from defaults").size(16.0))
            .on_hover_text("A complete chat_proxy.toml with every setting at its built-in default")
            .clicked()
        {
            actions.push(Action::NewFromDefaults);
        }
        ui.add_space(24.0);
        if !recent.is_empty() {
            ui.label(RichText::new("Recent files").strong());
            for path in recent {
                let exists = path.exists();
                let button = ui.add_enabled(
                    exists,
                    egui::Button::new(path.display().to_string()).frame(false),
                );
                let button = if exists {
                    button
                } else {
                    button.on_disabled_hover_text("This file no longer exists")
                };
                if button.clicked() {
                    actions.push(Action::OpenPath(path.clone()));
                }
            }
        }
    });
}
