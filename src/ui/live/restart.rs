//! Restarting the proxy from the GUI: asked for explicitly after a push (or
//! when a restart is pending), run on the worker with each stage streamed
//! back, and recorded in the history against the push it follows.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use super::{LiveProxy, PushState};
use crate::core::layout::LayoutSet;
use crate::core::proxy::RestartRequest;
use crate::core::proxy::history;
use crate::core::proxy::restart::{Expected, RestartReport, RestartStage, restart_and_verify};

/// What a restart will do, fixed when the admin asks for it.
#[derive(Clone, Debug)]
pub struct RestartAsk {
    pub request: RestartRequest,
    pub base_url: String,
    /// The push this restart follows, when there is one in this session.
    pub after_push: bool,
    /// The proxy's file as the push left it (or as it reads now) and the
    /// pushed keys: what the restarted process must run with, under its env.
    expected: Expected,
    /// The history entry the result is recorded against.
    push_id: Option<String>,
}

/// The restart dialog's state.
pub enum RestartRun {
    Idle,
    /// Why no restart can run (no command in the profile, a bad timeout).
    Refused(String),
    /// Waiting for the admin's go.
    Confirm(Box<RestartAsk>),
    Running {
        ask: Box<RestartAsk>,
        started: Instant,
        stages: Vec<RestartStage>,
        progress: Receiver<RestartStage>,
        done: Receiver<RestartReport>,
    },
    Done {
        ask: Box<RestartAsk>,
        report: RestartReport,
        /// Why the result is not in the history, when it is not.
        not_recorded: Option<String>,
    },
}

impl LiveProxy {
    pub fn restart(&self) -> &RestartRun {
        &self.restart
    }

    /// Whether the push dialog's result allows a restart: the push landed
    /// as read back (a restart after an unknown outcome would hide it).
    pub fn push_allows_restart(&self) -> bool {
        match &self.push {
            PushState::Done { result: Ok(o), .. } => o.landed(),
            PushState::Closed => self.config.value().is_some(),
            _ => false,
        }
    }

    /// The admin asked to restart: fix what the restart expects, then ask.
    pub(super) fn ask_restart(&mut self) {
        if matches!(self.restart, RestartRun::Running { .. }) {
            return;
        }
        let profile = self.profiles.active();
        let request = match profile.restart_request(false) {
            None => {
                self.restart = RestartRun::Refused(format!(
                    "Profile “{}” has no restart command: add one under Connection profiles \
                     (e.g. `docker restart imageworks-chat-proxy`).",
                    profile.name
                ));
                return;
            }
            Some(Err(e)) => {
                self.restart = RestartRun::Refused(e.to_string());
                return;
            }
            Some(Ok(r)) => r,
        };
        let base_url = self.base_url();
        let (expected, after_push, push_id) = match &self.push {
            PushState::Done { result: Ok(o), .. } => {
                (Expected::after(o), true, self.last_push_id.clone())
            }
            _ => match self.config.value() {
                Some(view) => (
                    Expected::now(&view.file),
                    false,
                    self.newest_push_id(&base_url),
                ),
                None => {
                    self.restart = RestartRun::Refused(
                        "Not connected: refresh the proxy's config first, so the restart can be verified."
                            .into(),
                    );
                    return;
                }
            },
        };
        self.restart = RestartRun::Confirm(Box::new(RestartAsk {
            request,
            base_url,
            after_push,
            expected,
            push_id,
        }));
    }

    /// The newest recorded push to `base_url`, for a restart that follows no push of this session.
    fn newest_push_id(&self, base_url: &str) -> Option<String> {
        self.history
            .iter()
            .rev()
            .find(|e| e.base_url == base_url && !e.id.is_empty() && e.may_have_changed_file())
            .map(|e| e.id.clone())
    }

    /// Run the confirmed restart on the worker.
    pub(super) fn start_restart(
        &mut self,
        ctx: &egui::Context,
        layouts: &Arc<LayoutSet>,
        interrupt_gpu_job: bool,
    ) {
        let mut ask = match std::mem::replace(&mut self.restart, RestartRun::Idle) {
            RestartRun::Confirm(ask) => ask,
            // "Restart anyway" after a held lease: the same restart, confirmed again.
            RestartRun::Done { ask, .. } => ask,
            other => {
                self.restart = other;
                return;
            }
        };
        ask.request.interrupt_gpu_job = interrupt_gpu_job;
        let (Some(api), Some(worker)) = (self.api(), self.worker()) else {
            self.restart = RestartRun::Refused(self.setup_error.clone().unwrap_or_default());
            return;
        };
        let (tx, progress) = channel();
        let layouts = Arc::clone(layouts);
        let task = (*ask).clone();
        let on_stage = ctx.clone();
        let on_done = ctx.clone();
        let done = worker.spawn(
            async move {
                let mut forward = move |stage: &RestartStage| {
                    let _ = tx.send(stage.clone());
                    on_stage.request_repaint();
                };
                restart_and_verify(
                    api.as_ref(),
                    &layouts,
                    &task.request,
                    &task.expected,
                    &mut forward,
                )
                .await
            },
            move || on_done.request_repaint(),
        );
        self.restart = RestartRun::Running {
            ask,
            started: Instant::now(),
            stages: Vec::new(),
            progress,
            done,
        };
    }

    pub(super) fn close_restart(&mut self) {
        if !matches!(self.restart, RestartRun::Running { .. }) {
            self.restart = RestartRun::Idle;
        }
    }

    /// Take the stages that arrived; record and show the result when it is in.
    pub(super) fn poll_restart(&mut self, ctx: &egui::Context) {
        let RestartRun::Running {
            stages,
            progress,
            done,
            ..
        } = &mut self.restart
        else {
            return;
        };
        stages.extend(progress.try_iter());
        let Ok(report) = done.try_recv() else {
            // The elapsed time and the health wait move on their own.
            ctx.request_repaint_after(Duration::from_millis(250));
            return;
        };
        let RestartRun::Running { ask, .. } =
            std::mem::replace(&mut self.restart, RestartRun::Idle)
        else {
            return;
        };
        let not_recorded = self.record_restart(&ask, &report);
        self.restart = RestartRun::Done {
            ask,
            report,
            not_recorded,
        };
        self.refresh(ctx);
    }

    fn record_restart(&mut self, ask: &RestartAsk, report: &RestartReport) -> Option<String> {
        let Some(dir) = &self.history_dir else {
            return Some("pushes are not recorded (no data folder)".to_owned());
        };
        let Some(id) = &ask.push_id else {
            return Some(format!(
                "no recorded push to {} to attach it to",
                ask.base_url
            ));
        };
        let result = history::record_restart(dir, id, report);
        self.reload_history();
        result.err().map(|e| e.to_string())
    }
}
