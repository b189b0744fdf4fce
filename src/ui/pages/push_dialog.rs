//! The push dialog: what changes, the file exactly as the proxy will write
//! it (as a diff), what is lost (confirmation required), then the result
//! with every value read back.

use egui::{RichText, Ui};

use crate::core::proxy::{CurrentText, PushMode, PushPlan, PushStatus};
use crate::ui::actions::Action;
use crate::ui::live::{LiveAction, LiveProxy, PushState, RestartRun};
use crate::ui::pages::diff::show_diff;
use crate::ui::theme;
use crate::ui::widgets::{shown, shown_value};

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
                // The buttons stay in view however long the plan is.
                egui::ScrollArea::vertical()
                    .id_salt("push_review")
                    .max_height(ctx.content_rect().height() - 180.0)
                    .show(ui, |ui| review(ui, plan));
                if plan.needs_confirmation() && !plan.only_uncarriable() {
                    ui.checkbox(&mut ticked, "I understand: push anyway and lose these");
                }
                if ticked != *confirmed {
                    actions.push(Action::Live(LiveAction::ConfirmLosses(ticked)));
                }
                ui.horizontal(|ui| {
                    let ready = !plan.is_empty() && plan.refusal(*confirmed).is_none();
                    push = ui
                        .add_enabled(ready, egui::Button::new(RichText::new("⬆ Push").strong()))
                        .clicked();
                    if plan.mode == PushMode::Api
                        && (!plan.draft_losses.is_empty() || !plan.mangled.is_empty())
                        && ui
                            .button("Plan a file push instead")
                            .on_hover_text("Write the draft to the proxy's file as it is: lossless, keeps every table and comment")
                            .clicked()
                    {
                        actions.push(Action::Live(LiveAction::OpenPush(PushMode::File)));
                    }
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
                super::restart_dialog::section(ui, live, actions);
                let restarting = matches!(live.restart(), RestartRun::Running { .. });
                close = ui
                    .add_enabled(!restarting, egui::Button::new("Close"))
                    .on_disabled_hover_text(
                        "The restart is under way; its result is recorded when it ends",
                    )
                    .clicked();
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

fn review(ui: &mut Ui, plan: &PushPlan) {
    let v = ui.visuals().clone();
    ui.heading(title(plan));
    match (&plan.current, &plan.local_path_problem) {
        (CurrentText::LocalFile { path }, _) => {
            ui.label(RichText::new(format!(
                "The proxy's file {} is {} on this machine.",
                plan.config_file_path,
                path.display()
            )));
        }
        (CurrentText::Regenerated, Some(problem)) => {
            ui.label(RichText::new(problem).color(theme::warning(&v)));
        }
        (CurrentText::Regenerated, None) => {
            ui.label(
                RichText::new(format!(
                    "The proxy's file {} is not readable from here: the diff starts from its values as the proxy would write them.",
                    plan.config_file_path
                )),
            );
        }
    }
    if plan.is_empty() {
        ui.label("Nothing to push: the proxy's file already has this draft's values.");
        return;
    }
    if plan.only_uncarriable() {
        draft_losses_card(ui, plan, &v);
        return;
    }
    changes_grid(ui, plan, &v);
    ui.add_space(6.0);
    let heading = match plan.mode {
        PushMode::Api => "The file as the proxy will regenerate it",
        PushMode::File => "The file as it will be written",
    };
    ui.label(RichText::new(heading).strong());
    egui::ScrollArea::vertical()
        .id_salt("push_diff")
        .max_height(220.0)
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
        loss_card(
            ui,
            &v,
            &format!(
                "⚠ The proxy's writer drops {} from its file:",
                crate::core::plural::count(plan.losses.len(), "thing", "things")
            ),
            &plan.losses,
        );
    }
    if !plan.draft_losses.is_empty() {
        ui.add_space(6.0);
        draft_losses_card(ui, plan, &v);
    }
    plan_notes(ui, plan, &v);
}

/// What the plan found beyond its changes: values the proxy's writer would
/// corrupt (the API push is refused), keys an env var masks, the file's
/// mode, and the draft against its base.
fn plan_notes(ui: &mut Ui, plan: &PushPlan, v: &egui::Visuals) {
    if plan.mode == PushMode::Api && !plan.mangled.is_empty() {
        ui.add_space(6.0);
        theme::card(v)
            .fill(theme::badge_fill(v, theme::error(v)))
            .show(ui, |ui| {
                ui.label(
                    RichText::new(format!(
                        "✖ The proxy's writer escapes only quotes: an API push would write {} wrongly, so it is refused. A file push writes them as they are.",
                        crate::core::plural::count(plan.mangled.len(), "value", "values")
                    ))
                    .strong()
                    .color(theme::error(v)),
                );
                for m in &plan.mangled {
                    ui.label(format!("• {}", m.describe()));
                }
            });
    }
    for m in &plan.masked {
        ui.label(
            RichText::new(format!("⚠ Masked by env: {}", m.describe())).color(theme::warning(v)),
        );
    }
    if let Some(mode) = &plan.file_mode {
        ui.label(format!("File mode: {}.", mode.describe()));
    }
    if let Some(from) = &plan.base_from {
        ui.label(format!("This draft's base: {from}."));
    }
    for k in &plan.three_way.kept {
        ui.label(format!("Kept: {}.", k.describe()));
    }
    if !plan.three_way.conflicts.is_empty() {
        ui.colored_label(
            theme::error(v),
            format!(
                "✖ {} changed on the proxy and in this draft since its base; take the proxy's values into the draft (or push from the command line with --on-conflict):",
                crate::core::plural::count(plan.three_way.conflicts.len(), "key", "keys")
            ),
        );
        for c in &plan.three_way.conflicts {
            ui.label(format!("• {}", c.describe()));
        }
    }
}

fn changes_grid(ui: &mut Ui, plan: &PushPlan, v: &egui::Visuals) {
    // No heading over nothing: a plan without changes says so elsewhere.
    if plan.changes.is_empty() {
        return;
    }
    ui.label(RichText::new("Changes").strong());
    egui::Grid::new("push_changes")
        .striped(true)
        .show(ui, |ui| {
            for c in &plan.changes {
                ui.label(RichText::new(&c.path).monospace());
                ui.label(
                    RichText::new(shown_value(&c.path, &c.before))
                        .monospace()
                        .color(theme::removed(v)),
                );
                ui.label("->");
                ui.label(
                    RichText::new(shown_value(&c.path, &c.after))
                        .monospace()
                        .color(theme::added(v)),
                );
                ui.end_row();
            }
        });
    if plan.restart_required {
        ui.label(
            RichText::new("The proxy does not hot-reload: restart it to apply these values.")
                .color(theme::warning(v)),
        );
    }
    for w in &plan.warnings {
        ui.label(RichText::new(format!("⚠ {w}")).color(theme::warning(v)));
    }
}

/// What of the draft the API cannot carry, with the way out.
fn draft_losses_card(ui: &mut Ui, plan: &PushPlan, v: &egui::Visuals) {
    let title = if plan.only_uncarriable() {
        format!(
            "⚠ Nothing of this draft can go over the API: it differs from the proxy's file only in {} the API cannot carry:",
            crate::core::plural::count(plan.draft_losses.len(), "thing", "things")
        )
    } else {
        format!(
            "⚠ {} of this draft cannot go over the API and will not reach the file:",
            crate::core::plural::count(plan.draft_losses.len(), "part", "parts")
        )
    };
    loss_card(ui, v, &title, &plan.draft_losses);
    let way_out = match &plan.local_path_problem {
        Some(problem) => format!("A file push carries them, once the file is reachable: {problem}"),
        None => "A file push carries them: \"Plan a file push instead\" below.".to_owned(),
    };
    ui.label(way_out);
}

fn loss_card(ui: &mut Ui, v: &egui::Visuals, title: &str, losses: &[crate::core::proxy::Loss]) {
    theme::card(v)
        .fill(theme::badge_fill(v, theme::error(v)))
        .show(ui, |ui| {
            ui.label(RichText::new(title).strong().color(theme::error(v)));
            egui::ScrollArea::vertical()
                .id_salt(title)
                .max_height(110.0)
                .show(ui, |ui| {
                    for loss in losses {
                        ui.label(format!("• {}", loss.describe()));
                    }
                });
        });
}

fn done(
    ui: &mut Ui,
    result: &Result<Box<crate::core::proxy::PushOutcome>, String>,
    stale: &[crate::core::proxy::StaleConflict],
) {
    let v = ui.visuals().clone();
    match result {
        Ok(outcome) => {
            let tone = match outcome.status {
                PushStatus::Verified | PushStatus::Nothing => theme::ok(&v),
                PushStatus::Unknown | PushStatus::ConcurrentEdit => theme::warning(&v),
                PushStatus::NotVerified | PushStatus::BrokeFile => theme::error(&v),
            };
            ui.label(RichText::new(&outcome.headline).color(tone).strong());
            if let Some(problem) = &outcome.problem {
                ui.label(problem);
            }
            if !outcome.message.is_empty() {
                // A file push is the app's own write: its message is ours, not the proxy's.
                let text = match outcome.mode {
                    PushMode::Api => format!("The proxy said: {}", shown(&outcome.message)),
                    PushMode::File => shown(&outcome.message),
                };
                ui.label(text);
            }
            let found = if outcome.status == PushStatus::Unknown {
                "On the proxy now"
            } else {
                "Read back"
            };
            // A file push sends no keys: no empty table then.
            if !outcome.pushed.is_empty() {
                egui::Grid::new("read_back").striped(true).show(ui, |ui| {
                    ui.strong("Key");
                    ui.strong("Sent");
                    ui.strong(found);
                    ui.end_row();
                    for k in &outcome.pushed {
                        ui.label(RichText::new(&k.key).monospace());
                        ui.label(RichText::new(shown_value(&k.key, &k.after)).monospace());
                        let mark = if k.ok { "✔" } else { "✖" };
                        let found = if outcome.reread_failed {
                            "? (could not re-read)".to_owned()
                        } else {
                            format!("{mark} {}", shown_value(&k.key, &k.read_back))
                        };
                        ui.label(RichText::new(found).monospace().color(if k.ok {
                            theme::ok(&v)
                        } else {
                            theme::error(&v)
                        }));
                        ui.end_row();
                    }
                });
            }
            if !outcome.concurrent.is_empty() {
                ui.label(RichText::new("Changed elsewhere while this push ran:").strong());
                for c in &outcome.concurrent {
                    ui.label(format!(
                        "• {}: expected {}, found {}",
                        c.key,
                        shown_value(&c.key, &c.expected),
                        shown_value(&c.key, &c.found)
                    ));
                }
            }
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
                        ui.label(shown_value(&c.key, &c.base));
                        ui.label(shown_value(&c.key, &c.theirs));
                        ui.label(
                            c.mine
                                .as_ref()
                                .map_or("(unchanged)".into(), |m| shown_value(&c.key, m)),
                        );
                        ui.end_row();
                    }
                });
                ui.label("Refresh the preview to review their version, then push again.");
            }
        }
    }
}
