//! Connection profiles (dev, staging, prod): app settings, never the
//! config file. A token is only ever the name of an env var.

use egui::{RichText, Ui};

use crate::core::proxy::ConnectionProfile;
use crate::ui::live::LiveProxy;
use crate::ui::theme;

/// The editable fields of the active profile, plus add / remove.
pub fn show(ui: &mut Ui, live: &mut LiveProxy) {
    egui::CollapsingHeader::new("Connection profiles")
        .id_salt("profiles")
        .show(ui, |ui| {
            let active = live.profiles.active().clone();
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
            if edited != active {
                match live.profiles.update(&active.name, edited) {
                    Ok(()) => live.profile_changed(),
                    Err(e) => {
                        ui.colored_label(theme::error(ui.visuals()), e.to_string());
                    }
                }
            }
            ui.horizontal(|ui| {
                if ui.button("➕ New profile").clicked() {
                    let name = (1..)
                        .map(|n| format!("profile-{n}"))
                        .find(|n| live.profiles.get(n).is_none())
                        .unwrap_or_default();
                    let profile = ConnectionProfile::new(&name, &live.profiles.active().base_url);
                    if live.profiles.add(profile).is_ok() {
                        live.set_active_profile(&name);
                    }
                }
                let name = live.profiles.active().name.clone();
                let can_remove = live.profiles.all().len() > 1;
                if ui
                    .add_enabled(can_remove, egui::Button::new("🗑 Remove this profile"))
                    .clicked()
                {
                    let _ = live.profiles.remove(&name);
                    let first = live.profiles.active().name.clone();
                    live.set_active_profile(&first);
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
