//! Messages, progress, and the Problems toggle.

use egui::{RichText, Ui};

use crate::ui::actions::Action;
use crate::ui::theme;

#[derive(Clone, Debug, Default)]
pub struct Status {
    pub text: String,
    pub is_error: bool,
    /// Something is running (a file dialog, a request).
    pub busy: Option<String>,
}

impl Status {
    pub fn info(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.is_error = false;
    }

    /// An error the user sees; it goes to the activity log too.
    pub fn error(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.is_error = true;
        tracing::warn!(target: "activity", "shown to the user: {}", self.text);
    }
}

pub fn show(
    ui: &mut Ui,
    status: &Status,
    show_problems: &mut bool,
    counts: (usize, usize),
    proxy: &str,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        if let Some(busy) = &status.busy {
            ui.spinner();
            ui.label(busy);
            ui.separator();
        }
        let v = ui.visuals().clone();
        let text = RichText::new(&status.text);
        ui.label(if status.is_error {
            text.color(theme::error(&v))
        } else {
            text
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let (errors, warnings) = counts;
            let label = format!(
                "Problems ({}, {})",
                crate::core::plural::count(errors, "error", "errors"),
                crate::core::plural::count(warnings, "warning", "warnings")
            );
            ui.toggle_value(show_problems, label)
                .on_hover_text("Show or hide the Problems panel");
            ui.separator();
            // The folder is looked up only while the tooltip shows, not every frame.
            if ui
                .small_button("Open log folder")
                .on_hover_ui(|ui| {
                    ui.label(crate::app_log::log_dir().map_or_else(
                        || "No data folder on this system: nothing is logged".to_owned(),
                        |d| {
                            format!(
                                "Saves, pushes, refusals and errors are logged in {}",
                                d.display()
                            )
                        },
                    ));
                })
                .clicked()
            {
                actions.push(Action::OpenLogFolder);
            }
            ui.separator();
            ui.label(RichText::new(proxy).small());
        });
    });
}
