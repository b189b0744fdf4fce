//! The fleet on Preview & push: which fleet is selected, its grid (one
//! row per proxy: drift, uptime, restart pending, last push) and the fleet
//! push dialog's state machine. Every request runs on the worker; the
//! core's `fleet` does the planning, applying, rollback and drift.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use super::LiveProxy;
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::proxy::fleet::apply::FleetEvent;
use crate::core::proxy::fleet::revert::{
    history_entry, plan_revert, revert_members, revert_targets,
};
use crate::core::proxy::fleet::{
    FleetMember, FleetOutcome, FleetPlan, ProxyDrift, apply_fleet, default_parallel, drift,
    plan_fleet,
};
use crate::core::proxy::history;
use crate::core::proxy::{ConnectionProfile, PushMode, restart_state};

/// The grid's rows.
pub enum FleetGrid {
    Idle,
    Checking(Receiver<Vec<ProxyDrift>>),
    Ready(Vec<ProxyDrift>),
    /// The fleet's members could not be made (a bad URL in a profile).
    Failed(String),
}

/// The fleet push dialog.
pub enum FleetPush {
    Closed,
    Planning(Receiver<Result<FleetPlan, String>>),
    /// Planning refused (validation, a target unreachable, ...): nothing written.
    Refused(String),
    Review {
        plan: Box<FleetPlan>,
        confirmed: bool,
    },
    Running {
        plan: Box<FleetPlan>,
        rx: Receiver<FleetOutcome>,
        progress: Receiver<FleetEvent>,
        events: Vec<FleetEvent>,
    },
    Done {
        plan: Box<FleetPlan>,
        outcome: Box<FleetOutcome>,
    },
}

/// One grid row as the page draws it.
pub struct FleetRow<'a> {
    pub drift: &'a ProxyDrift,
    /// Keys pushed since this proxy's process started.
    pub restart_pending: usize,
    pub last_push: Option<String>,
}

pub struct FleetUi {
    pub selected: Option<String>,
    /// What the push dialog pushes, as its heading and the history name it:
    /// the fleet's name, or "lab (revert of #3)".
    pub job: String,
    pub grid: FleetGrid,
    pub push: FleetPush,
    /// The tab (target index) the dialog shows.
    pub tab: usize,
}

impl Default for FleetUi {
    fn default() -> Self {
        Self {
            selected: None,
            job: String::new(),
            grid: FleetGrid::Idle,
            push: FleetPush::Closed,
            tab: 0,
        }
    }
}

impl LiveProxy {
    pub fn fleet_ui(&self) -> &FleetUi {
        &self.fleet
    }

    /// The names of the profiles file's fleets.
    pub fn fleet_names(&self) -> Vec<String> {
        self.fleets()
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The grid's rows with what the history says about each proxy.
    pub fn fleet_rows(&self) -> Vec<FleetRow<'_>> {
        let FleetGrid::Ready(report) = &self.fleet.grid else {
            return Vec::new();
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        report
            .iter()
            .map(|d| FleetRow {
                drift: d,
                restart_pending: d.uptime_s.map_or(0, |up| {
                    restart_state(&self.history, &d.url, now, up).pending.len()
                }),
                last_push: crate::core::proxy::restart_state::last_push(&self.history, &d.url)
                    .map(|t| self.history_time(t)),
            })
            .collect()
    }

    fn history_time(&self, unix_s: u64) -> String {
        self.history
            .iter()
            .find(|e| e.time_unix_s == unix_s)
            .map_or_else(|| unix_s.to_string(), |e| e.time.clone())
    }

    pub(super) fn select_fleet(&mut self, name: Option<String>) {
        self.fleet = FleetUi {
            selected: name,
            ..FleetUi::default()
        };
    }

    /// The selected fleet's members, from the profiles of the profiles file.
    fn fleet_members(&self) -> Result<Vec<FleetMember>, String> {
        let name = self.fleet.selected.as_deref().ok_or("no fleet selected")?;
        let names = self
            .fleets()
            .and_then(|f| f.get(name))
            .ok_or_else(|| format!("there is no fleet named \"{name}\" in the profiles file"))?;
        names
            .iter()
            .map(|n| {
                let profile = self
                    .profiles
                    .get(n)
                    .ok_or_else(|| format!("fleet \"{name}\": no profile named \"{n}\""))?;
                FleetMember::http(profile.clone()).map_err(|e| format!("profile \"{n}\": {e}"))
            })
            .collect()
    }

    pub(super) fn check_fleet(
        &mut self,
        ctx: &egui::Context,
        draft: &ConfigDocument,
        layouts: &Arc<LayoutSet>,
    ) {
        let members = match self.fleet_members() {
            Ok(m) => m,
            Err(e) => {
                self.fleet.grid = FleetGrid::Failed(e);
                return;
            }
        };
        let Some(worker) = self.worker() else { return };
        let (draft, layouts, ctx) = (draft.clone(), Arc::clone(layouts), ctx.clone());
        let rx = worker.spawn(
            async move {
                let parallel = default_parallel(members.len());
                drift(&draft, &layouts, &members, parallel).await
            },
            move || ctx.request_repaint(),
        );
        self.fleet.grid = FleetGrid::Checking(rx);
    }

    pub(super) fn open_fleet_push(
        &mut self,
        ctx: &egui::Context,
        draft: &ConfigDocument,
        layouts: &Arc<LayoutSet>,
        mode: PushMode,
    ) {
        let members = match self.fleet_members() {
            Ok(m) => m,
            Err(e) => {
                self.fleet.push = FleetPush::Refused(e);
                return;
            }
        };
        let Some(worker) = self.worker() else { return };
        let (draft, layouts, ctx) = (draft.clone(), Arc::clone(layouts), ctx.clone());
        let rx = worker.spawn(
            async move {
                plan_fleet(
                    &draft,
                    &layouts,
                    &members,
                    mode,
                    default_parallel(members.len()),
                )
                .await
                .map_err(|e| e.to_string())
            },
            move || ctx.request_repaint(),
        );
        self.fleet.tab = 0;
        self.fleet.job = self.fleet.selected.clone().unwrap_or_default();
        self.fleet.push = FleetPush::Planning(rx);
    }

    /// Plan the revert of fleet push `index` of the history as one fleet
    /// step (the same plan-first rule), and show it in the fleet dialog.
    pub(super) fn open_fleet_revert(
        &mut self,
        ctx: &egui::Context,
        index: usize,
        layouts: &Arc<LayoutSet>,
    ) {
        let Some(entry) = self.history.get(index) else {
            return;
        };
        let fleet = entry
            .profile
            .strip_prefix("fleet ")
            .unwrap_or(&entry.profile);
        self.fleet.job = format!("{fleet} (revert of #{index})");
        self.fleet.tab = 0;
        let mode = entry.mode;
        let members = revert_targets(entry)
            .map_err(|e| e.to_string())
            .and_then(|targets| {
                revert_members(targets, self.profiles.all(), &[], |t| {
                    ConnectionProfile::new(&t.name, &t.base_url)
                })
            });
        let members = match members {
            Ok(m) => m,
            Err(e) => {
                self.fleet.push = FleetPush::Refused(e);
                return;
            }
        };
        let Some(worker) = self.worker() else { return };
        let (layouts, ctx) = (Arc::clone(layouts), ctx.clone());
        let rx = worker.spawn(
            async move {
                plan_revert(&layouts, &members, mode, default_parallel(members.len()))
                    .await
                    .map_err(|e| e.to_string())
            },
            move || ctx.request_repaint(),
        );
        self.fleet.push = FleetPush::Planning(rx);
    }

    pub(super) fn confirm_fleet_losses(&mut self, value: bool) {
        if let FleetPush::Review { confirmed, .. } = &mut self.fleet.push {
            *confirmed = value;
        }
    }

    pub(super) fn fleet_tab(&mut self, tab: usize) {
        self.fleet.tab = tab;
    }

    pub(super) fn close_fleet_push(&mut self) {
        // A push under way finishes and is recorded; only its dialog waits.
        if !matches!(self.fleet.push, FleetPush::Running { .. }) {
            self.fleet.push = FleetPush::Closed;
        }
    }

    pub(super) fn start_fleet_push(&mut self, ctx: &egui::Context, layouts: &Arc<LayoutSet>) {
        let FleetPush::Review { plan, confirmed } =
            std::mem::replace(&mut self.fleet.push, FleetPush::Closed)
        else {
            return;
        };
        let Some(worker) = self.worker() else {
            self.fleet.push = FleetPush::Review { plan, confirmed };
            return;
        };
        let (tx, progress) = channel();
        let (job, layouts) = (plan.clone(), Arc::clone(layouts));
        let (ctx_events, ctx_done) = (ctx.clone(), ctx.clone());
        let rx = worker.spawn(
            async move {
                let report = move |e: FleetEvent| {
                    let _ = tx.send(e);
                    ctx_events.request_repaint();
                };
                let parallel = default_parallel(job.targets.len());
                apply_fleet(&job, &layouts, confirmed, parallel, None, &report).await
            },
            move || ctx_done.request_repaint(),
        );
        self.fleet.push = FleetPush::Running {
            plan,
            rx,
            progress,
            events: Vec::new(),
        };
    }

    /// Take the fleet answers that arrived.
    pub(super) fn poll_fleet(&mut self) {
        if let FleetGrid::Checking(rx) = &self.fleet.grid
            && let Ok(report) = rx.try_recv()
        {
            self.fleet.grid = FleetGrid::Ready(report);
        }
        match &mut self.fleet.push {
            FleetPush::Planning(rx) => {
                if let Ok(planned) = rx.try_recv() {
                    self.fleet.push = match planned {
                        Ok(plan) => FleetPush::Review {
                            plan: Box::new(plan),
                            confirmed: false,
                        },
                        Err(e) => FleetPush::Refused(e),
                    };
                }
            }
            FleetPush::Running {
                rx,
                progress,
                events,
                ..
            } => {
                events.extend(progress.try_iter());
                if let Ok(outcome) = rx.try_recv() {
                    let FleetPush::Running { plan, .. } =
                        std::mem::replace(&mut self.fleet.push, FleetPush::Closed)
                    else {
                        return;
                    };
                    self.record_fleet(&plan, &outcome);
                    self.fleet.push = FleetPush::Done {
                        plan,
                        outcome: Box::new(outcome),
                    };
                    // The grid is from before the push.
                    self.fleet.grid = FleetGrid::Idle;
                }
            }
            _ => {}
        }
    }

    fn record_fleet(&mut self, plan: &FleetPlan, outcome: &FleetOutcome) {
        let name = self.fleet.job.clone();
        let Some(dir) = &self.history_dir else { return };
        if let Err(e) = history::record(dir, &history_entry(&name, plan, outcome)) {
            self.setup_error = Some(format!(
                "the fleet push was not recorded in the history: {e}"
            ));
        }
        self.reload_history();
    }
}
