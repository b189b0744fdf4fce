//! Rescuing the connected proxy from the GUI: when it does not answer or
//! its config endpoint fails, and its file is here, Preview & push says why
//! the proxy cannot start (the file's first error as tomllib reports it) and
//! offers one button that runs the CLI's `rescue` steps (`core::rescue`):
//! mend, save, restart with the profile's command, verify. Each step is
//! streamed back as it happens.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use super::LiveProxy;
use crate::core::layout::LayoutSet;
use crate::core::rescue::plan_rescue;
use crate::core::rescue::repair::FileError;
use crate::core::rescue::run::{RescueReport, RescueStep, run_rescue};

/// The rescue flow's state.
pub enum RescueRun {
    Idle,
    Running {
        file: PathBuf,
        steps: Vec<RescueStep>,
        progress: Receiver<RescueStep>,
        done: Receiver<RescueReport>,
    },
    Done {
        file: PathBuf,
        steps: Vec<RescueStep>,
        report: RescueReport,
    },
    /// It could not start (the file unreadable, no worker).
    Failed(String),
}

impl LiveProxy {
    pub fn rescue(&self) -> &RescueRun {
        &self.rescue
    }

    /// Why the connected proxy needs a rescue, from the last refresh: it
    /// does not answer, or its config endpoint fails. `None` while it
    /// answers or before it was asked.
    pub fn cannot_answer(&self) -> Option<String> {
        if let Some(e) = self.health.error() {
            return Some(format!("it does not answer ({e})"));
        }
        let e = self.config.error()?;
        Some(format!("its config endpoint fails ({e})"))
    }

    /// Why the proxy cannot start with a file holding `text`: its first
    /// error as the proxy's parser reports it, or `None` when tomllib reads it.
    pub fn file_error(text: &str) -> Option<String> {
        FileError::first_in(text).map(|e| e.to_string())
    }

    /// Plan and run the rescue of `file` on the worker, restarting with the
    /// active profile's command when it has one.
    pub(super) fn start_rescue(
        &mut self,
        ctx: &egui::Context,
        file: PathBuf,
        layouts: &Arc<LayoutSet>,
    ) {
        if matches!(self.rescue, RescueRun::Running { .. }) {
            return;
        }
        // The proxy's environment is unknown while it is down; the values
        // this machine would start it with are the best guess.
        let env: BTreeMap<String, String> = crate::core::proxy::local_proxy_env();
        let plan = match plan_rescue(&file, layouts, &env, self.history_dir.as_deref()) {
            Ok(plan) => plan,
            Err(e) => {
                self.rescue = RescueRun::Failed(format!("{}: {e}", file.display()));
                return;
            }
        };
        let restart = match self.profiles.active().restart_request(false) {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                self.rescue = RescueRun::Failed(e.to_string());
                return;
            }
            None => None,
        };
        let (Some(api), Some(worker)) = (self.api(), self.worker()) else {
            self.rescue = RescueRun::Failed(self.setup_error.clone().unwrap_or_default());
            return;
        };
        let (tx, progress) = channel();
        let layouts = Arc::clone(layouts);
        let on_step = ctx.clone();
        let on_done = ctx.clone();
        // The rescue writes the file: the app's own write, not someone else's edit.
        let own = plan
            .changes_file()
            .then(|| (file.clone(), plan.after.clone()));
        let done = worker.spawn(
            async move {
                let mut forward = move |s: &RescueStep| {
                    let _ = tx.send(s.clone());
                    on_step.request_repaint();
                };
                run_rescue(
                    &plan,
                    &layouts,
                    Some(api.as_ref()),
                    restart.as_ref(),
                    &mut forward,
                )
                .await
            },
            move || on_done.request_repaint(),
        );
        self.own_writes.extend(own);
        self.rescue = RescueRun::Running {
            file,
            steps: Vec::new(),
            progress,
            done,
        };
    }

    /// Take the steps that arrived; show the result and refresh when it is in.
    pub(super) fn poll_rescue(&mut self, ctx: &egui::Context) {
        let RescueRun::Running {
            steps,
            progress,
            done,
            ..
        } = &mut self.rescue
        else {
            return;
        };
        steps.extend(progress.try_iter());
        let Ok(report) = done.try_recv() else {
            ctx.request_repaint_after(Duration::from_millis(250));
            return;
        };
        let RescueRun::Running {
            file,
            mut steps,
            progress,
            ..
        } = std::mem::replace(&mut self.rescue, RescueRun::Idle)
        else {
            return;
        };
        steps.extend(progress.try_iter());
        tracing::info!(target: "activity", "rescue of {}: {}", file.display(), report.headline);
        self.rescue = RescueRun::Done {
            file,
            steps,
            report,
        };
        self.refresh(ctx);
    }

    pub(super) fn close_rescue(&mut self) {
        if !matches!(self.rescue, RescueRun::Running { .. }) {
            self.rescue = RescueRun::Idle;
        }
    }
}
