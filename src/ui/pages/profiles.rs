//! Connection profiles (dev, staging, prod): app settings, never the
//! config file. A token is only ever the name of an env var.

use egui::{RichText, Ui};

use crate::core::proxy::{ConnectionProfile, PathMap, restart};
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
                    path_maps_row(ui, &mut edited);
                    restart_row(ui, &mut edited);
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
                ui.label(RichText::new(text).color(tone));
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

/// One `PROXY=LOCAL` per line. The text being typed is kept as typed (in
/// egui's memory, view state only); the profile gets the lines that parse.
fn path_maps_row(ui: &mut Ui, edited: &mut ConnectionProfile) {
    let id = ui.make_persistent_id(("profile_path_maps", edited.name.as_str()));
    let mut text = ui
        .data_mut(|d| d.get_temp::<String>(id))
        .unwrap_or_else(|| {
            edited
                .path_maps
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        });
    let label = ui.label("Path maps").on_hover_text(
        "Where the proxy's folders are on this machine, one PROXY=LOCAL per line: \
         /app/configs=/home/me/imageworks/configs for the Docker deployment, \
         .=/srv/imageworks for a proxy that reports a path relative to its working folder. \
         File pushes and the loss list read the proxy's file through these.",
    );
    ui.vertical(|ui| {
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut text)
                    .desired_rows(2)
                    .desired_width(320.0)
                    .hint_text("/app/configs=/home/me/imageworks/configs"),
            )
            .labelled_by(label.id);
        let (maps, errors) = parse_maps(&text);
        if response.changed() {
            edited.path_maps = maps;
            ui.data_mut(|d| d.insert_temp(id, text));
        }
        for e in errors {
            ui.label(RichText::new(e).color(theme::error(ui.visuals())));
        }
    });
    ui.end_row();
}

/// The restart command, split like a shell would (no shell runs it). The
/// text is kept as typed while it does not split (an open quote).
fn restart_row(ui: &mut Ui, edited: &mut ConnectionProfile) {
    let id = ui.make_persistent_id(("profile_restart", edited.name.as_str()));
    let mut text = ui
        .data_mut(|d| d.get_temp::<String>(id))
        .unwrap_or_else(|| {
            shlex::try_join(edited.restart_command.iter().map(String::as_str))
                .unwrap_or_else(|_| edited.restart_command.join(" "))
        });
    let label = ui.label("Restart command").on_hover_text(
        "How to restart this proxy from here, run without a shell: \
         docker restart imageworks-chat-proxy, or systemctl --user restart imageworks-chat-proxy. \
         After a push the studio offers to run it, then waits for the proxy and checks what it runs.",
    );
    ui.vertical(|ui| {
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .desired_width(320.0)
                    .hint_text("docker restart imageworks-chat-proxy"),
            )
            .labelled_by(label.id);
        let parsed = if text.trim().is_empty() {
            Ok(Vec::new())
        } else {
            restart::parse_command(&text).map_err(|e| e.to_string())
        };
        if response.changed() {
            if let Ok(argv) = &parsed {
                edited.restart_command = argv.clone();
            }
            ui.data_mut(|d| d.insert_temp(id, text));
        }
        if let Err(e) = parsed {
            ui.label(RichText::new(e).color(theme::error(ui.visuals())));
        }
        ui.horizontal(|ui| {
            let l = ui.label(RichText::new("Restart timeout"));
            ui.add(
                egui::DragValue::new(&mut edited.restart_timeout_s)
                    .range(1.0..=3600.0)
                    .suffix(" s")
                    .speed(1.0),
            )
            .labelled_by(l.id);
        });
    });
    ui.end_row();
}

fn parse_maps(text: &str) -> (Vec<PathMap>, Vec<String>) {
    let mut maps = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match line.parse::<PathMap>() {
            Ok(m) => maps.push(m),
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    (maps, errors)
}

fn text_row(ui: &mut Ui, label: &str, value: &mut String) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(320.0))
        .labelled_by(l.id);
    ui.end_row();
}
