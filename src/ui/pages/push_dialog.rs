//! The push dialog: what changes, the file exactly as the proxy will write
//! it (as a diff), what is lost (confirmation required), then the result
//! with every value read back.

use egui::{RichText, Ui};

use crate::core::proxy::{PushMode, PushPlan};
use crate::ui::actions::Action;
use crate::ui::live::{LiveAction, LiveProxy, PushState};
use crate::ui::pages::diff::show_diff;
use crate::ui::theme;

pub fn show(ctx: &egui::Context, live: &LiveProxy, actions: &mut Vec<Action>) {
    if matches!(live.push(), PushState::Closed) {
        return;
    }
    let mut close = false;
    let mut push = false;
    egui::Modal::new(egui::Id::unique("push_dialog")).show(ctx, |ui| {
        ui.set_width(900.0);
        ui.set_max_height(ctx.content_rect().height() - 80.0);
        match live.push() {
            PushState::Closed => {}
            PushState::Refused(why) => {
                ui.heading("Push refused");
                ui.colored_label(theme::error(ui.visuals()), why.as_str());
                close = ui.button("Close").clicked();
            }
            PushState::Review { plan, confirmed } => {
                let mut ticked = *confirmed;
                review(ui, plan, &mut ticked);
                if ticked != *confirmed {
                    actions.push(Action::Live(LiveAction::ConfirmLosses(ticked)));
                }
                ui.horizontal(|ui| {
                    let ready = !plan.is_empty() && (!plan.needs_confirmation() || *confirmed);
                    push = ui
                        .add_enabled(ready, egui::Button::new(RichText::new("⬆ Push").strong()))
                        .clicked();
                    close = ui.button("Cancel").clicked();
                });
            }
            PushState::Running { plan, .. } => {
                ui.heading(title(plan));
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Pushing, then reading every value back…");
                });
            }
            PushState::Done {
                plan,
                result,
                stale,
            } => {
                ui.heading(title(plan));
                done(ui, result, stale);
                close = ui.button("Close").clicked();
            }
        }
    });
    if push {
        actions.push(Action::Live(LiveAction::Push));
    }
    if close {
        actions.push(Action::Live(LiveAction::ClosePush));
    }
}

fn title(plan: &PushPlan) -> String {
    match plan.mode {
        PushMode::Api => format!("Push to {} through its API", plan.base_url),
        PushMode::File => format!("Write {} (lossless file push)", plan.config_file_path),
    }
}

fn review(ui: &mut Ui, plan: &PushPlan, confirmed: &mut bool) {
    let v = ui.visuals().clone();
    ui.heading(title(plan));
    if plan.is_empty() {
        ui.label("Nothing to push: the proxy's file already has this draft's values.");
        return;
    }
    ui.label(RichText::new("Changes").strong());
    egui::Grid::new("push_changes")
        .striped(true)
        .show(ui, |ui| {
            for c in &plan.changes {
                ui.label(RichText::new(&c.path).monospace());
                ui.label(
                    RichText::new(c.before.to_string())
                        .monospace()
                        .color(theme::removed(&v)),
                );
                ui.label("->");
                ui.label(
                    RichText::new(c.after.to_string())
                        .monospace()
                        .color(theme::added(&v)),
                );
                ui.end_row();
            }
        });
    if plan.restart_required {
        ui.label(
            RichText::new("The proxy does not hot-reload: restart it to apply these values.")
                .color(theme::warning(&v)),
        );
    }
    for w in &plan.warnings {
        ui.label(RichText::new(format!("⚠ {w}")).color(theme::warning(&v)));
    }
    ui.add_space(6.0);
    let heading = match plan.mode {
        PushMode::Api => "The file as the proxy will regenerate it",
        PushMode::File => "The file as it will be written",
    };
    ui.label(RichText::new(heading).strong());
    egui::ScrollArea::vertical()
        .id_salt("push_diff")
        .max_height(260.0)
        .show(ui, |ui| {
            show_diff(
                ui,
                &plan.current_text,
                &plan.new_text,
                "proxy's file now",
                "after the push",
            );
        });
    if !plan.losses.is_empty() {
        ui.add_space(6.0);
        theme::card(&v)
            .fill(theme::badge_fill(&v, theme::error(&v)))
            .show(ui, |ui| {
                ui.label(
                    RichText::new(format!(
                        "⚠ The proxy's writer drops {} thing(s) from the file:",
                        plan.losses.len()
                    ))
                    .strong()
                    .color(theme::error(&v)),
                );
                egui::ScrollArea::vertical()
                    .id_salt("losses")
                    .max_height(120.0)
                    .show(ui, |ui| {
                        for loss in &plan.losses {
                            ui.label(format!("• {}", loss.describe()));
                        }
                    });
                ui.label("A file push keeps all of it, where the proxy's file is on this machine.");
                ui.checkbox(confirmed, "I understand: push anyway and lose these");
            });
    }
}

fn done(
    ui: &mut Ui,
    result: &Result<crate::core::proxy::PushOutcome, String>,
    stale: &[crate::core::proxy::StaleConflict],
) {
    let v = ui.visuals().clone();
    match result {
        Ok(outcome) => {
            let tone = if outcome.verified {
                theme::ok(&v)
            } else {
                theme::error(&v)
            };
            ui.label(RichText::new(&outcome.message).color(tone).strong());
            egui::Grid::new("read_back").striped(true).show(ui, |ui| {
                ui.strong("Key");
                ui.strong("Sent");
                ui.strong("Read back");
                ui.end_row();
                for k in &outcome.pushed {
                    ui.label(RichText::new(&k.key).monospace());
                    ui.label(RichText::new(k.after.to_string()).monospace());
                    let mark = if k.ok { "✔" } else { "✖" };
                    ui.label(
                        RichText::new(format!("{mark} {}", k.read_back))
                            .monospace()
                            .color(if k.ok {
                                theme::ok(&v)
                            } else {
                                theme::error(&v)
                            }),
                    );
                    ui.end_row();
                }
            });
            if let Some(b) = &outcome.backup {
                ui.label(format!("Previous file kept as {}", b.display()));
            }
        }
        Err(e) => {
            ui.colored_label(theme::error(&v), e.as_str());
            if !stale.is_empty() {
                ui.label(
                    RichText::new("Someone else changed the proxy since your preview:").strong(),
                );
                egui::Grid::new("stale").striped(true).show(ui, |ui| {
                    for h in [
                        "Key",
                        "Base (your preview)",
                        "Theirs (now)",
                        "Mine (this draft)",
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for c in stale {
                        ui.label(RichText::new(&c.key).monospace());
                        ui.label(c.base.to_string());
                        ui.label(c.theirs.to_string());
                        ui.label(
                            c.mine
                                .as_ref()
                                .map_or("(unchanged)".into(), ToString::to_string),
                        );
                        ui.end_row();
                    }
                });
                ui.label("Refresh the preview to review their version, then push again.");
            }
        }
    }
}
