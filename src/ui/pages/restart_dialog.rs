//! Restart the proxy and verify what it runs: asked for explicitly, the
//! command shown before it runs, each stage as it finishes, the wait for a
//! fresh uptime with its timeout, and the verdict with what differs. Drawn
//! inside the push dialog after a push, or on its own from Preview & push.

use egui::{RichText, Ui};

use crate::core::proxy::restart::{RestartResult, RestartStage};
use crate::ui::actions::Action;
use crate::ui::live::{LiveAction, LiveProxy, PushState, RestartAsk, RestartRun};
use crate::ui::theme;
use crate::ui::widgets::{shown, shown_value};

/// "⟳ Restart…" on the Preview & push page.
pub fn restart_button(ui: &mut Ui, live: &LiveProxy, connected: bool, actions: &mut Vec<Action>) {
    let profile = live.profiles().active();
    let (enabled, why) = if !connected {
        (false, "Connect to the proxy first".to_owned())
    } else if profile.restart_command.is_empty() {
        (
            false,
            format!(
                "Profile “{}” has no restart command: add one under Connection profiles",
                profile.name
            ),
        )
    } else {
        (
            true,
            format!(
                "Run “{}”, wait for the proxy to come back and check what it runs",
                shown_argv(&profile.restart_command)
            ),
        )
    };
    if ui
        .add_enabled(enabled, egui::Button::new("⟳ Restart…"))
        .on_hover_text(&why)
        .on_disabled_hover_text(&why)
        .clicked()
    {
        actions.push(Action::Live(LiveAction::AskRestart));
    }
}

/// The restart dialog on its own, when no push dialog holds it.
pub fn show(ctx: &egui::Context, live: &LiveProxy, actions: &mut Vec<Action>) {
    if matches!(live.restart(), RestartRun::Idle) || !matches!(live.push(), PushState::Closed) {
        return;
    }
    egui::Modal::new(egui::Id::unique("restart_dialog")).show(ctx, |ui| {
        ui.set_width(760.0);
        ui.heading(format!("Restart {}", live.base_url()));
        section(ui, live, actions);
        let running = matches!(live.restart(), RestartRun::Running { .. });
        if ui
            .add_enabled(!running, egui::Button::new("Close"))
            .on_disabled_hover_text("The restart is under way; its result is recorded when it ends")
            .clicked()
        {
            actions.push(Action::Live(LiveAction::CloseRestart));
        }
    });
}

/// The restart part of a dialog, whatever state it is in.
pub fn section(ui: &mut Ui, live: &LiveProxy, actions: &mut Vec<Action>) {
    let v = ui.visuals().clone();
    match live.restart() {
        RestartRun::Idle => offer(ui, live, actions),
        RestartRun::Refused(why) => {
            ui.colored_label(theme::warning(&v), why.as_str());
        }
        RestartRun::Confirm(ask) => confirm(ui, ask, actions),
        RestartRun::Running {
            ask,
            started,
            stages,
            ..
        } => {
            stage_list(ui, stages);
            running_step(ui, ask, stages, started.elapsed().as_secs_f64());
        }
        RestartRun::Done {
            ask,
            report,
            not_recorded,
        } => {
            stage_list(ui, &report.stages);
            let tone = match report.result {
                RestartResult::Verified => theme::ok(&v),
                RestartResult::LeaseHeld | RestartResult::NotVerified | RestartResult::Masked => {
                    theme::warning(&v)
                }
                _ => theme::error(&v),
            };
            ui.label(RichText::new(&report.headline).strong().color(tone));
            differences(ui, &report.stages);
            match not_recorded {
                None => ui.label(RichText::new("Recorded in the push history.")),
                Some(why) => ui.label(
                    RichText::new(format!("Not in the push history: {why}."))
                        .color(theme::warning(&v)),
                ),
            };
            if report.result == RestartResult::LeaseHeld
                && ui
                    .button("⟳ Restart anyway (interrupts the GPU job)")
                    .on_hover_text(format!("Runs \"{}\" now", shown_argv(&ask.request.argv)))
                    .clicked()
            {
                actions.push(Action::Live(LiveAction::Restart {
                    interrupt_gpu_job: true,
                }));
            }
        }
    }
}

/// After a push: the way to restart, or why there is none.
fn offer(ui: &mut Ui, live: &LiveProxy, actions: &mut Vec<Action>) {
    if !live.push_allows_restart() {
        return;
    }
    ui.separator();
    let profile = live.profiles().active();
    if profile.restart_command.is_empty() {
        ui.label(
            RichText::new(format!(
                "To restart from here, give profile “{}” a restart command under Connection profiles.",
                profile.name
            ))
            .color(theme::muted(ui.visuals())),
        );
        return;
    }
    ui.horizontal(|ui| {
        if ui.button("⟳ Restart the proxy…").clicked() {
            actions.push(Action::Live(LiveAction::AskRestart));
        }
        ui.label(RichText::new(shown_argv(&profile.restart_command)).monospace());
    });
}

fn confirm(ui: &mut Ui, ask: &RestartAsk, actions: &mut Vec<Action>) {
    let v = ui.visuals().clone();
    theme::card(&v).show(ui, |ui| {
        ui.label(RichText::new("Restart the proxy now?").strong());
        ui.label(format!(
            "This runs “{}” on this machine (no shell). {} stops answering until it is back; \
             requests in flight fail.",
            shown_argv(&ask.request.argv),
            ask.base_url
        ));
        ui.label(format!(
            "First the GPU lease is checked (a restart would interrupt a job holding it); then the \
             studio waits up to {:.0} s for /v1/health with a fresh uptime and compares what the \
             restarted proxy runs with {}.",
            ask.request.timeout.as_secs_f64(),
            if ask.after_push {
                "the values just pushed"
            } else {
                "its file under its environment"
            }
        ));
        ui.horizontal(|ui| {
            if ui.button(RichText::new("⟳ Restart now").strong()).clicked() {
                actions.push(Action::Live(LiveAction::Restart {
                    interrupt_gpu_job: false,
                }));
            }
            if ui.button("Cancel").clicked() {
                actions.push(Action::Live(LiveAction::CloseRestart));
            }
        });
    });
}

/// What is happening now, from the stages done so far.
fn running_step(ui: &mut Ui, ask: &RestartAsk, stages: &[RestartStage], elapsed_s: f64) {
    let commanded = stages
        .iter()
        .any(|s| matches!(s, RestartStage::Command { .. }));
    let back = stages
        .iter()
        .any(|s| matches!(s, RestartStage::Health { .. }));
    ui.horizontal(|ui| {
        ui.spinner();
        let step = if stages.is_empty() {
            "Checking the GPU lease…".to_owned()
        } else if !commanded {
            format!("Running \"{}\"…", shown_argv(&ask.request.argv))
        } else if !back {
            "Waiting for /v1/health with a fresh uptime…".to_owned()
        } else {
            "Reading the config back and comparing what runs…".to_owned()
        };
        ui.label(shown(&step));
    });
    let limit = ask.request.timeout.as_secs_f64();
    ui.add(
        egui::ProgressBar::new((elapsed_s / limit).clamp(0.0, 1.0) as f32)
            .text(format!("{elapsed_s:.1} s of at most {limit:.0} s")),
    );
}

fn stage_list(ui: &mut Ui, stages: &[RestartStage]) {
    let v = ui.visuals().clone();
    for stage in stages {
        let (mark, tone) = if stage.ok() {
            ("✔", theme::ok(&v))
        } else {
            ("✖", theme::error(&v))
        };
        ui.label(RichText::new(format!("{mark} {}", shown(&stage.describe()))).color(tone));
    }
}

/// Each value the restarted proxy runs with that is not what was expected.
fn differences(ui: &mut Ui, stages: &[RestartStage]) {
    let Some(differs) = stages.iter().find_map(|s| match s {
        RestartStage::Verify { differs, .. } if !differs.is_empty() => Some(differs),
        _ => None,
    }) else {
        return;
    };
    egui::Grid::new("restart_differs")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Key");
            ui.strong("Expected");
            ui.strong("Runs with");
            ui.end_row();
            for d in differs {
                ui.label(RichText::new(&d.key).monospace());
                ui.label(RichText::new(shown_value(&d.key, &d.expected)).monospace());
                ui.label(RichText::new(shown_value(&d.key, &d.found)).monospace());
                ui.end_row();
            }
        });
}

fn shown_argv(argv: &[String]) -> String {
    let joined =
        shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "));
    // A restart command may carry a token (`--token …`, a URL with a password).
    shown(&joined)
}
