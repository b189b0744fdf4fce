//! Messages, progress, and the Problems toggle.

use egui::{RichText, Ui};

use crate::core::problem_counts::ProblemCounts;
use crate::ui::actions::Action;
use crate::ui::status::Status;
use crate::ui::theme;

pub fn show(
    ui: &mut Ui,
    status: &Status,
    show_problems: &mut bool,
    counts: &ProblemCounts,
    proxy: &str,
    actions: &mut Vec<Action>,
) {
    // Right to left first, so the fixed parts keep their place and the
    // message and the proxy line share what is left, cut with "…" (the
    // whole text on hover) instead of drawing over each other.
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let label = format!("Problems ({})", counts.summary());
            let mut hover = String::new();
            if let Some(f) = &counts.file {
                hover.push_str(&format!("This file: {}\n", f.describe()));
            }
            if let Some(r) = &counts.registry {
                hover.push_str(&format!("The model registry: {}\n", r.describe()));
            }
            ui.toggle_value(show_problems, label)
                .on_hover_text(format!("{hover}Show or hide the Problems panel"));
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
            // The proxy line takes at most a third of what is left.
            let proxy_width = (ui.available_width() / 3.0).max(60.0);
            ui.scope(|ui| {
                ui.set_max_width(proxy_width);
                ui.add(egui::Label::new(RichText::new(proxy)).truncate());
            });
            ui.separator();
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                if let Some(busy) = &status.busy {
                    ui.spinner();
                    ui.add(egui::Label::new(busy.as_str()).truncate());
                    ui.separator();
                }
                let v = ui.visuals().clone();
                let text = RichText::new(&status.text);
                let text = if status.is_error {
                    text.color(theme::error(&v))
                } else {
                    text
                };
                ui.add(egui::Label::new(text).truncate());
            });
        });
    });
}
