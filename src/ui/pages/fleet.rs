//! The fleet part of Preview & push: a fleet selector, a grid with one row
//! per proxy (reachable, uptime, drift, restart pending, last push), and
//! the fleet push dialog: per-target changes and losses in tabs, progress
//! while pushing, then per target what happened, rollback included.

use egui::{RichText, Ui};

use crate::core::proxy::fleet::apply::FleetEvent;
use crate::core::proxy::fleet::{FleetOutcome, FleetPlan, RollbackResult, TargetPush};
use crate::core::proxy::{PushMode, PushPlan};
use crate::ui::actions::Action;
use crate::ui::live::{FleetGrid, FleetPush, LiveAction, LiveProxy, human_duration};
use crate::ui::theme;
use crate::ui::widgets::shown_value;

const NO_FLEET: &str = "One proxy (the profile above)";

/// The selector, the buttons and the grid.
pub fn panel(ui: &mut Ui, live: &LiveProxy, can_push: bool, actions: &mut Vec<Action>) {
    let names = live.fleet_names();
    let fleet = live.fleet_ui();
    ui.horizontal(|ui| {
        let shown = fleet.selected.as_deref().unwrap_or(NO_FLEET);
        let mut pick: Option<Option<String>> = None;
        egui::ComboBox::new("fleet_select", "Fleet")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(fleet.selected.is_none(), NO_FLEET)
                    .clicked()
                {
                    pick = Some(None);
                }
                for n in &names {
                    if ui
                        .selectable_label(fleet.selected.as_ref() == Some(n), n.as_str())
                        .clicked()
                    {
                        pick = Some(Some(n.clone()));
                    }
                }
            });
        if let Some(p) = pick.filter(|p| p != &fleet.selected) {
            actions.push(Action::Live(LiveAction::SelectFleet(p)));
        }
        if names.is_empty() {
            ui.label(
                RichText::new("(no [fleets] in the profiles file)")
                    .color(theme::muted(ui.visuals())),
            );
        }
        if fleet.selected.is_none() {
            return;
        }
        let checking = matches!(fleet.grid, FleetGrid::Checking(_));
        if ui
            .add_enabled(!checking, egui::Button::new("⟳ Check fleet"))
            .on_hover_text(
                "Ask every proxy of the fleet how its file and runtime differ from this draft",
            )
            .clicked()
        {
            actions.push(Action::Live(LiveAction::CheckFleet));
        }
        for (label, mode) in [
            ("⬆ Push to fleet via API…", PushMode::Api),
            ("⬆ Push file to fleet…", PushMode::File),
        ] {
            if ui
                .add_enabled(can_push, egui::Button::new(label))
                .on_disabled_hover_text("The draft has errors, or does not parse")
                .clicked()
            {
                actions.push(Action::Live(LiveAction::OpenFleetPush(mode)));
            }
        }
    });
    if fleet.selected.is_some() {
        grid(ui, live);
    }
}

fn grid(ui: &mut Ui, live: &LiveProxy) {
    let v = ui.visuals().clone();
    match &live.fleet_ui().grid {
        FleetGrid::Idle => {
            ui.label(RichText::new("Not checked yet: ⟳ Check fleet.").color(theme::muted(&v)));
        }
        FleetGrid::Checking(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Asking every proxy…");
            });
        }
        FleetGrid::Failed(why) => {
            ui.colored_label(theme::error(&v), why.as_str());
        }
        FleetGrid::Ready(_) => {
            egui::Grid::new("fleet_grid")
                .striped(true)
                .num_columns(6)
                .show(ui, |ui| {
                    for h in [
                        "Proxy",
                        "Reachable",
                        "Uptime",
                        "Drift",
                        "Restart pending",
                        "Last push",
                    ] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for row in live.fleet_rows() {
                        let d = row.drift;
                        if d.known_keys.is_empty() {
                            ui.label(&d.name).on_hover_text(&d.url);
                        } else {
                            // Another ImageWorks version than the other members.
                            ui.horizontal(|ui| {
                                ui.label(&d.name).on_hover_text(&d.url);
                                ui.colored_label(theme::warning(&v), "other version")
                                    .on_hover_text(d.known_keys.describe());
                            });
                        }
                        if d.reachable {
                            ui.colored_label(theme::ok(&v), "yes");
                        } else {
                            ui.colored_label(theme::error(&v), "NO")
                                .on_hover_text(d.error.as_deref().unwrap_or(""));
                        }
                        ui.label(d.uptime_s.map_or_else(|| "—".to_owned(), human_duration));
                        if !d.reachable {
                            ui.label("—");
                        } else if d.drift.is_empty() && d.not_checked.is_none() {
                            ui.colored_label(theme::ok(&v), "matches");
                        } else if d.drift.is_empty() {
                            // Settings match; the app's tables could not be read.
                            ui.colored_label(theme::warning(&v), "settings match")
                                .on_hover_text(d.not_checked.as_deref().unwrap_or_default());
                        } else {
                            ui.colored_label(
                                theme::warning(&v),
                                format!("{} differ", d.drift.len()),
                            )
                            .on_hover_text(d.drift.join("\n"));
                        }
                        ui.label(match row.restart_pending {
                            0 => "no".to_owned(),
                            n => crate::core::plural::count(n, "key", "keys"),
                        });
                        ui.label(row.last_push.unwrap_or_else(|| "—".to_owned()));
                        ui.end_row();
                    }
                });
        }
    }
}

/// The fleet push dialog (drawn while one is open).
pub fn dialog(ctx: &egui::Context, live: &LiveProxy, actions: &mut Vec<Action>) {
    let fleet = live.fleet_ui();
    if matches!(fleet.push, FleetPush::Closed) {
        return;
    }
    let name = fleet.job.clone();
    let mut close = false;
    egui::Modal::new(egui::Id::unique("fleet_push_dialog")).show(ctx, |ui| {
        ui.set_width(900.0);
        ui.set_max_height(ctx.content_rect().height() - 80.0);
        let v = ui.visuals().clone();
        match &fleet.push {
            FleetPush::Closed => {}
            FleetPush::Planning(_) => {
                ui.heading(format!("Push to fleet {name}"));
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Planning every target…");
                });
            }
            FleetPush::Refused(why) => {
                ui.heading("Fleet push refused: nothing was written");
                ui.colored_label(theme::error(&v), why.as_str());
                close = ui.button("Close").clicked();
            }
            FleetPush::Review { plan, confirmed } => {
                ui.heading(title(&name, plan));
                tabs(ui, plan, None, fleet.tab, actions);
                if let Some(t) = plan.targets.get(fleet.tab) {
                    egui::ScrollArea::vertical()
                        .id_salt("fleet_review")
                        .max_height(ctx.content_rect().height() - 260.0)
                        .show(ui, |ui| target_review(ui, &t.plan));
                }
                let mut ticked = *confirmed;
                if plan.needs_confirmation() {
                    ui.checkbox(&mut ticked, "I understand: push anyway and lose these (on every target that loses something)");
                }
                if ticked != *confirmed {
                    actions.push(Action::Live(LiveAction::ConfirmFleetLosses(ticked)));
                }
                ui.horizontal(|ui| {
                    let ready = !plan.is_empty() && (!plan.needs_confirmation() || *confirmed);
                    let label = format!("⬆ Push to {} proxies", plan.targets.len());
                    if ui
                        .add_enabled(ready, egui::Button::new(RichText::new(label).strong()))
                        .clicked()
                    {
                        actions.push(Action::Live(LiveAction::FleetPush));
                    }
                    close = ui.button("Cancel").clicked();
                });
            }
            FleetPush::Running { plan, events, .. } => {
                ui.heading(title(&name, plan));
                let n = plan.targets.len();
                let written = events
                    .iter()
                    .filter(|e| matches!(e, FleetEvent::Written { .. }))
                    .count();
                let checked = events
                    .iter()
                    .filter(|e| matches!(e, FleetEvent::Checked { .. }))
                    .count();
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!(
                        "Checked {checked} of {n}, written and read back {written} of {n}…"
                    ));
                });
                ui.add(egui::ProgressBar::new((checked + written) as f32 / (2 * n.max(1)) as f32));
                for e in events {
                    ui.label(RichText::new(event_line(e)));
                }
            }
            FleetPush::Done { plan, outcome } => {
                ui.heading(title(&name, plan));
                let colour = match outcome.status {
                    crate::core::proxy::fleet::FleetStatus::Pushed
                    | crate::core::proxy::fleet::FleetStatus::Nothing => theme::ok(&v),
                    crate::core::proxy::fleet::FleetStatus::RollbackIncomplete => theme::error(&v),
                    _ => theme::warning(&v),
                };
                ui.colored_label(colour, RichText::new(&outcome.headline).strong());
                results(ui, outcome);
                tabs(ui, plan, Some(outcome), fleet.tab, actions);
                if let Some(t) = plan.targets.get(fleet.tab) {
                    egui::ScrollArea::vertical()
                        .id_salt("fleet_done")
                        .max_height(240.0)
                        .show(ui, |ui| target_review(ui, &t.plan));
                }
                close = ui.button("Close").clicked();
            }
        }
    });
    if close {
        actions.push(Action::Live(LiveAction::CloseFleetPush));
    }
}

fn title(name: &str, plan: &FleetPlan) -> String {
    let how = match plan.mode {
        PushMode::Api => "through their API",
        PushMode::File => "to their files (lossless)",
    };
    format!(
        "Push to fleet {name}: {} proxies, {how}",
        plan.targets.len()
    )
}

fn tabs(
    ui: &mut Ui,
    plan: &FleetPlan,
    outcome: Option<&FleetOutcome>,
    current: usize,
    actions: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        for (i, t) in plan.targets.iter().enumerate() {
            let p = &t.plan;
            let changes = crate::core::plural::count(p.changes.len(), "change", "changes");
            let mut label = format!("{} ({changes}", t.member.name());
            let lost = p.losses.len() + p.draft_losses.len();
            if lost > 0 {
                label.push_str(&format!(", {lost} lost"));
            }
            label.push(')');
            if let Some(r) = outcome.and_then(|o| o.targets.get(i)) {
                label.push_str(if r.rollback.is_some() { " ↩" } else { "" });
            }
            if ui.selectable_label(i == current, label).clicked() && i != current {
                actions.push(Action::Live(LiveAction::FleetTab(i)));
            }
        }
    });
    ui.separator();
}

/// One target's changes and losses.
fn target_review(ui: &mut Ui, plan: &PushPlan) {
    let v = ui.visuals().clone();
    if plan.is_empty() {
        ui.label("Nothing to push here: this proxy already has the draft's values.");
        return;
    }
    egui::Grid::new(("fleet_changes", &plan.base_url))
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for h in ["Setting", "Now", "After push"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for c in &plan.changes {
                ui.label(&c.path);
                ui.label(shown_value(&c.path, &c.before));
                ui.label(shown_value(&c.path, &c.after));
                ui.end_row();
            }
        });
    if !plan.losses.is_empty() {
        ui.colored_label(
            theme::warning(&v),
            format!(
                "The push loses {} of this proxy's file:",
                crate::core::plural::count(plan.losses.len(), "thing", "things")
            ),
        );
        for l in &plan.losses {
            ui.label(format!("• {}", l.describe()));
        }
    }
    if !plan.draft_losses.is_empty() {
        ui.colored_label(
            theme::warning(&v),
            format!(
                "{} of the draft cannot go over the API to this proxy:",
                crate::core::plural::count(plan.draft_losses.len(), "part", "parts")
            ),
        );
        for l in &plan.draft_losses {
            ui.label(format!("• {}", l.describe()));
        }
    }
}

/// Per target: what the push did and the rollback, if any.
fn results(ui: &mut Ui, outcome: &FleetOutcome) {
    let v = ui.visuals().clone();
    egui::Grid::new("fleet_results")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for h in ["Proxy", "Push", "Rollback"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for r in &outcome.targets {
                ui.label(&r.name).on_hover_text(&r.url);
                let (text, detail, good) = match &r.push {
                    TargetPush::NotWritten { reason } => ("not written", reason.clone(), false),
                    TargetPush::Nothing => ("nothing to push", String::new(), true),
                    TargetPush::Pushed { outcome } => (
                        match outcome.status {
                            crate::core::proxy::PushStatus::Verified => "verified",
                            crate::core::proxy::PushStatus::ConcurrentEdit => {
                                "pushed, edited elsewhere"
                            }
                            crate::core::proxy::PushStatus::NotVerified => "NOT verified",
                            crate::core::proxy::PushStatus::Unknown => "outcome unknown",
                            crate::core::proxy::PushStatus::Nothing => "nothing to push",
                            crate::core::proxy::PushStatus::BrokeFile => "BROKE ITS FILE",
                        },
                        outcome.headline.clone(),
                        outcome.verified,
                    ),
                    TargetPush::Failed { error } => ("failed", error.clone(), false),
                };
                let colour = if good {
                    theme::ok(&v)
                } else {
                    theme::warning(&v)
                };
                ui.colored_label(colour, text).on_hover_text(detail);
                match &r.rollback {
                    None => ui.label("—"),
                    Some(RollbackResult::RolledBack { message }) => ui
                        .colored_label(theme::ok(&v), "rolled back")
                        .on_hover_text(message),
                    Some(RollbackResult::NotVerified { problem }) => ui
                        .colored_label(theme::error(&v), "rollback NOT verified")
                        .on_hover_text(problem),
                    Some(RollbackResult::Failed { error }) => ui
                        .colored_label(theme::error(&v), "rollback FAILED")
                        .on_hover_text(error),
                    Some(RollbackResult::Unknown { problem }) => ui
                        .colored_label(theme::error(&v), "rollback outcome unknown")
                        .on_hover_text(problem),
                };
                ui.end_row();
            }
        });
}

fn event_line(e: &FleetEvent) -> String {
    let verdict = |ok: bool| if ok { "ok" } else { "FAILED" };
    match e {
        FleetEvent::Checked { target } => format!("{target}: checked"),
        FleetEvent::Written { target, ok } => {
            format!("{target}: written, read back {}", verdict(*ok))
        }
        FleetEvent::RolledBack { target, ok } => format!("{target}: rollback {}", verdict(*ok)),
        FleetEvent::Restarted { target, ok } => format!("{target}: restart {}", verdict(*ok)),
    }
}
