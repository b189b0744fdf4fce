//! Connection profiles (dev, staging, prod): app settings, never the
//! config file. A token is only ever the name of an env var.

use egui::{RichText, Ui};

use crate::ui::actions::Action;
use crate::ui::live::{LiveAction, LiveProxy};
use crate::ui::theme;

/// The editable fields of the active profile, plus add / remove.
pub fn show(ui: &mut Ui, live: &LiveProxy, actions: &mut Vec<Action>) {
    egui::CollapsingHeader::new("Connection profiles")
        .id_salt("profiles")
        .show(ui, |ui| {
            let active = live.profiles().active().clone();
            let mut edited = active.clone();
            egui::Grid::new("profile_fields")
                .num_columns(2)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    text_row(ui, "Profile name", &mut edited.name);
                    text_row(ui, "Base URL", &mut edited.base_url);
                    let mut token = edited.token_env.clone().unwrap_or_default();
                    text_row(ui, "Bearer token env var", &mut token);
                    edited.token_env = (!token.trim().is_empty()).then(|| token.trim().to_owned());
                    let label = ui.label("Timeout");
                    ui.add(
                        egui::DragValue::new(&mut edited.timeout_s)
                            .range(0.5..=600.0)
                            .suffix(" s")
                            .speed(0.5),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                    let mut ca = edited
                        .ca_file
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    text_row(ui, "Extra CA file (PEM)", &mut ca);
                    edited.ca_file = (!ca.trim().is_empty()).then(|| ca.trim().into());
                });
            if let Some(var) = &edited.token_env {
                let set = std::env::var_os(var).is_some();
                let (text, tone) = if set {
                    (
                        format!("{var} is set here (its value is never shown or stored)"),
                        theme::ok(ui.visuals()),
                    )
                } else {
                    (
                        format!("{var} is not set in this environment: requests will be refused"),
                        theme::warning(ui.visuals()),
                    )
                };
                ui.label(RichText::new(text).small().color(tone));
            }
            if let Some(e) = live.profile_error() {
                ui.colored_label(theme::error(ui.visuals()), e);
            }
            if edited != active {
                actions.push(Action::Live(LiveAction::EditProfile {
                    name: active.name.clone(),
                    edited: Box::new(edited),
                }));
            }
            ui.horizontal(|ui| {
                if ui.button("➕ New profile").clicked() {
                    actions.push(Action::Live(LiveAction::NewProfile));
                }
                let can_remove = live.profiles().all().len() > 1;
                if ui
                    .add_enabled(can_remove, egui::Button::new("🗑 Remove this profile"))
                    .clicked()
                {
                    actions.push(Action::Live(LiveAction::RemoveProfile(active.name.clone())));
                }
            });
        });
}

fn text_row(ui: &mut Ui, label: &str, value: &mut String) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(320.0))
        .labelled_by(l.id);
    ui.end_row();
}
