//! Running a fleet plan: preflight every target, write and read back each,
//! roll back the written ones when any target fails, restart one at a time.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{FleetPlan, TargetPlan, bounded, fetch_views};
use crate::core::layout::LayoutSet;
use crate::core::proxy::api_types::ProxyConfigView;
use crate::core::proxy::push::{PushError, PushMode, PushPlan, read_back_of};
use crate::core::proxy::push_lock;
use crate::core::proxy::push_run::{
    PushOutcome, PushStatus, execute_push, may_have_written, preflight,
};
use crate::core::proxy::restart::{RestartReport, RestartResult};
use crate::core::proxy::workflow::restart_after;
use crate::core::safe_save::{Expect, Fingerprint, save_atomically};

/// What the push did on one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TargetPush {
    /// Nothing was written here: the fleet was refused before any write
    /// (`reason` is this target's own problem, or says which target refused).
    NotWritten { reason: String },
    /// The proxy already had the draft's values.
    Nothing,
    /// The write ran; `outcome.status` is verified, concurrent edit, not
    /// verified or unknown.
    Pushed { outcome: Box<PushOutcome> },
    /// The write was refused or failed before anything reached the proxy.
    Failed { error: String },
}

impl TargetPush {
    /// Written and read back (another client's unrelated edit included).
    fn landed(&self) -> bool {
        match self {
            Self::Nothing => true,
            Self::Pushed { outcome } => outcome.landed(),
            Self::NotWritten { .. } | Self::Failed { .. } => false,
        }
    }

    /// Whether anything of the push may be on the proxy now.
    fn may_have_written(&self) -> bool {
        match self {
            Self::Pushed { outcome } => match outcome.status {
                PushStatus::Nothing => false,
                PushStatus::Unknown => outcome.reread_failed || !outcome.present().is_empty(),
                _ => true,
            },
            _ => false,
        }
    }

    pub fn outcome(&self) -> Option<&PushOutcome> {
        match self {
            Self::Pushed { outcome } => Some(outcome.as_ref()),
            _ => None,
        }
    }
}

/// Putting a target back to its state before the push.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RollbackResult {
    /// Put back, and the proxy reads back its previous values.
    RolledBack { message: String },
    /// The rollback was written but does not read back as before.
    NotVerified { problem: String },
    /// The rollback could not be written; the target keeps the push.
    Failed { error: String },
    /// The rollback may or may not have happened.
    Unknown { problem: String },
}

impl RollbackResult {
    pub fn ok(&self) -> bool {
        matches!(self, Self::RolledBack { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetResult {
    pub name: String,
    pub url: String,
    pub push: TargetPush,
    /// Only when the fleet was rolled back and this target may have been written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartReport>,
    /// Why this target was not restarted although a restart was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_skipped: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FleetStatus {
    /// No target needed a change.
    Nothing,
    /// Every target written and read back.
    Pushed,
    /// Refused before any write (a stale target, unconfirmed losses): nothing written anywhere.
    Refused,
    /// A target failed; every target that was written has been put back.
    RolledBack,
    /// A target failed and a rollback failed, did not read back, or its
    /// outcome is unknown: some targets may keep the push.
    RollbackIncomplete,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FleetOutcome {
    pub status: FleetStatus,
    pub headline: String,
    pub targets: Vec<TargetResult>,
    /// Some restart failed (or could not run); later targets were not restarted.
    pub restart_failed: bool,
}

impl FleetOutcome {
    /// Whether any target's outcome is unknown (its write or its rollback).
    pub fn any_unknown(&self) -> bool {
        self.targets.iter().any(|t| {
            matches!(t.rollback, Some(RollbackResult::Unknown { .. }))
                || (t.rollback.is_none()
                    && t.push
                        .outcome()
                        .is_some_and(|o| o.status == PushStatus::Unknown))
        })
    }
}

/// One step of a fleet push, for progress displays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetEvent {
    Checked { target: String },
    Written { target: String, ok: bool },
    RolledBack { target: String, ok: bool },
    Restarted { target: String, ok: bool },
}

/// The restart the admin asked for after a push that landed everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestartAsk {
    pub interrupt_gpu_job: bool,
}

/// Run `plan`: `confirmed` must be true when any target's push loses
/// something; `restart` restarts each written target in turn afterwards.
pub async fn apply_fleet(
    plan: &FleetPlan,
    layouts: &LayoutSet,
    confirmed: bool,
    parallel: usize,
    restart: Option<RestartAsk>,
    progress: &(dyn Fn(FleetEvent) + Sync),
) -> FleetOutcome {
    if let Some(refused) = refuse_unconfirmed(plan, confirmed) {
        return finish(plan, refused, false);
    }
    if let Some(refused) = preflight_all(plan, parallel, progress).await {
        return finish(plan, refused, false);
    }
    let writes: Vec<_> = plan
        .targets
        .iter()
        .map(|t| write_one(t, layouts, progress))
        .collect();
    let pushes: Vec<TargetPush> = bounded(writes, parallel).await;
    let mut results: Vec<TargetResult> = plan
        .targets
        .iter()
        .zip(pushes)
        .map(|(t, push)| result_of(t, push))
        .collect();
    if results.iter().all(|r| r.push.landed()) {
        let restart_failed = match restart {
            Some(ask) => restart_in_turn(plan, layouts, ask, &mut results, progress).await,
            None => false,
        };
        let mut outcome = finish(plan, results, false);
        outcome.restart_failed = restart_failed;
        return outcome;
    }
    let undo: Vec<_> = plan
        .targets
        .iter()
        .zip(&results)
        .map(|(t, r)| rollback_one(t, r.push.may_have_written(), layouts, progress))
        .collect();
    let rollbacks: Vec<Option<RollbackResult>> = bounded(undo, parallel).await;
    for (r, rb) in results.iter_mut().zip(rollbacks) {
        r.rollback = rb;
    }
    finish(plan, results, true)
}

async fn write_one(
    t: &TargetPlan,
    layouts: &LayoutSet,
    progress: &(dyn Fn(FleetEvent) + Sync),
) -> TargetPush {
    let push = push_one(t, layouts).await;
    progress(FleetEvent::Written {
        target: t.member.name().to_owned(),
        ok: push.landed(),
    });
    push
}

async fn rollback_one(
    t: &TargetPlan,
    needed: bool,
    layouts: &LayoutSet,
    progress: &(dyn Fn(FleetEvent) + Sync),
) -> Option<RollbackResult> {
    if !needed {
        return None;
    }
    let rolled = rollback(t, layouts).await;
    progress(FleetEvent::RolledBack {
        target: t.member.name().to_owned(),
        ok: rolled.ok(),
    });
    Some(rolled)
}

fn result_of(t: &TargetPlan, push: TargetPush) -> TargetResult {
    TargetResult {
        name: t.member.name().to_owned(),
        url: t.member.url().to_owned(),
        push,
        rollback: None,
        restart: None,
        restart_skipped: None,
    }
}

/// Every target "not written", with its own reason where it has one.
fn all_refused(plan: &FleetPlan, reasons: &[Option<String>]) -> Vec<TargetResult> {
    let culprits: Vec<&str> = plan
        .targets
        .iter()
        .zip(reasons)
        .filter(|(_, r)| r.is_some())
        .map(|(t, _)| t.member.name())
        .collect();
    let others = format!(
        "not written: the fleet push was refused because of {}",
        culprits.join(", ")
    );
    plan.targets
        .iter()
        .zip(reasons)
        .map(|(t, reason)| {
            result_of(
                t,
                TargetPush::NotWritten {
                    reason: reason.clone().unwrap_or_else(|| others.clone()),
                },
            )
        })
        .collect()
}

fn refuse_unconfirmed(plan: &FleetPlan, confirmed: bool) -> Option<Vec<TargetResult>> {
    let reasons: Vec<Option<String>> = plan
        .targets
        .iter()
        .map(|t| t.plan.refusal(confirmed).map(|e| e.to_string()))
        .collect();
    reasons
        .iter()
        .any(Option::is_some)
        .then(|| all_refused(plan, &reasons))
}

/// Re-read every target and run the checks of the write, before writing to any.
async fn preflight_all(
    plan: &FleetPlan,
    parallel: usize,
    progress: &(dyn Fn(FleetEvent) + Sync),
) -> Option<Vec<TargetResult>> {
    let members: Vec<_> = plan.targets.iter().map(|t| t.member.clone()).collect();
    let views: Vec<Result<ProxyConfigView, _>> = fetch_views(&members, parallel).await;
    let reasons: Vec<Option<String>> = plan
        .targets
        .iter()
        .zip(views)
        .map(|(t, view)| {
            progress(FleetEvent::Checked {
                target: t.member.name().to_owned(),
            });
            if t.plan.is_empty() {
                return None;
            }
            let checked = view
                .map_err(PushError::from)
                .and_then(|fresh| preflight(&t.plan, &fresh));
            checked.err().map(|e| e.to_string())
        })
        .collect();
    reasons
        .iter()
        .any(Option::is_some)
        .then(|| all_refused(plan, &reasons))
}

async fn push_one(t: &TargetPlan, layouts: &LayoutSet) -> TargetPush {
    if t.plan.is_empty() {
        return TargetPush::Nothing;
    }
    // Confirmation was settled for the whole fleet before the first write.
    match execute_push(t.member.api.as_ref(), &t.plan, layouts, true).await {
        Ok(outcome) if outcome.status == PushStatus::Nothing => TargetPush::Nothing,
        Ok(outcome) => TargetPush::Pushed {
            outcome: Box::new(outcome),
        },
        Err(e) => TargetPush::Failed {
            error: e.to_string(),
        },
    }
}

/// Put one target back as the plan found it.
async fn rollback(t: &TargetPlan, layouts: &LayoutSet) -> RollbackResult {
    let plan = &t.plan;
    let api = t.member.api.as_ref();
    let _lock = match push_lock::acquire(&plan.base_url, push_lock::WAIT).await {
        Ok(lock) => lock,
        Err(e) => {
            return RollbackResult::Failed {
                error: e.to_string(),
            };
        }
    };
    let written = match plan.mode {
        PushMode::File => rollback_file(plan),
        PushMode::Api => {
            let body: Map<String, Value> = plan
                .changes
                .iter()
                .map(|c| (c.key.clone(), c.before.clone()))
                .collect();
            api.put_config(body)
                .await
                .map(|_| "the previous values were PUT back".to_owned())
                .map_err(PushError::from)
        }
    };
    let message = match written {
        Ok(m) => m,
        Err(e) if may_have_written(&e) => {
            return match api.config().await {
                Ok(view) if restored(plan, layouts, &view) => RollbackResult::RolledBack {
                    message: format!(
                        "the rollback was not confirmed ({e}), but a re-read shows the previous values"
                    ),
                },
                Ok(_) => RollbackResult::Unknown {
                    problem: format!(
                        "the rollback may or may not have happened ({e}); a re-read does not show the previous values yet"
                    ),
                },
                Err(again) => RollbackResult::Unknown {
                    problem: format!(
                        "the rollback may or may not have happened ({e}); re-reading failed too: {again}"
                    ),
                },
            };
        }
        Err(e) => {
            return RollbackResult::Failed {
                error: e.to_string(),
            };
        }
    };
    match api.config().await {
        Ok(view) if restored(plan, layouts, &view) => RollbackResult::RolledBack { message },
        Ok(view) => RollbackResult::NotVerified {
            problem: format!(
                "{message}, but the proxy reads back differently for {}",
                differing(plan, layouts, &view).join(", ")
            ),
        },
        Err(e) => RollbackResult::NotVerified {
            problem: format!("{message}, but reading the proxy back failed: {e}"),
        },
    }
}

/// The previous bytes, only if the file still holds what the push wrote.
fn rollback_file(plan: &PushPlan) -> Result<String, PushError> {
    let path = plan
        .local_file()
        .ok_or_else(|| PushError::FileNotReachable {
            path: plan.config_file_path.clone(),
        })?;
    let expect = Expect::Unchanged(Fingerprint::of(plan.new_text.as_bytes()));
    save_atomically(path, plan.current_text.as_bytes(), expect)?;
    Ok(format!("{} has its previous bytes again", path.display()))
}

/// What the proxy should read back for each pushed key after the rollback.
fn expected_before(plan: &PushPlan, layouts: &LayoutSet, key: &str, before: &Value) -> Value {
    match (plan.mode, layouts.proxy_field_by_key(key)) {
        (PushMode::Api, Some((_, field))) => read_back_of(field, before),
        _ => before.clone(),
    }
}

fn differing(plan: &PushPlan, layouts: &LayoutSet, view: &ProxyConfigView) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| {
            view.file.get(&c.key).unwrap_or(&Value::Null)
                != &expected_before(plan, layouts, &c.key, &c.before)
        })
        .map(|c| c.key.clone())
        .collect()
}

fn restored(plan: &PushPlan, layouts: &LayoutSet, view: &ProxyConfigView) -> bool {
    differing(plan, layouts, view).is_empty()
}

/// Restart each target that was written, in fleet order; stop at the first failure.
async fn restart_in_turn(
    plan: &FleetPlan,
    layouts: &LayoutSet,
    ask: RestartAsk,
    results: &mut [TargetResult],
    progress: &(dyn Fn(FleetEvent) + Sync),
) -> bool {
    let mut failed: Option<String> = None;
    for (t, r) in plan.targets.iter().zip(results.iter_mut()) {
        let Some(outcome) = r.push.outcome() else {
            continue;
        };
        if let Some(first) = &failed {
            r.restart_skipped = Some(format!(
                "not restarted: the restart of {first} failed first"
            ));
            continue;
        }
        let request = match t.member.profile.restart_request(ask.interrupt_gpu_job) {
            Some(Ok(request)) => request,
            Some(Err(e)) => {
                r.restart_skipped = Some(format!("not restarted: {e}"));
                failed = Some(r.name.clone());
                continue;
            }
            None => {
                r.restart_skipped = Some(format!(
                    "not restarted: profile “{}” has no restart command",
                    r.name
                ));
                failed = Some(r.name.clone());
                continue;
            }
        };
        let mut quiet = |_: &crate::core::proxy::restart::RestartStage| {};
        let report = match restart_after(
            t.member.api.as_ref(),
            layouts,
            &request,
            outcome,
            &mut quiet,
        )
        .await
        {
            Ok(report) => report,
            Err(why) => {
                r.restart_skipped = Some(why);
                failed = Some(r.name.clone());
                continue;
            }
        };
        let ok = report.result == RestartResult::Verified;
        progress(FleetEvent::Restarted {
            target: r.name.clone(),
            ok,
        });
        if !ok {
            failed = Some(r.name.clone());
        }
        r.restart = Some(report);
    }
    failed.is_some()
}

fn finish(plan: &FleetPlan, targets: Vec<TargetResult>, rolled_back: bool) -> FleetOutcome {
    let n = targets.len();
    let status = if targets
        .iter()
        .any(|t| matches!(t.push, TargetPush::NotWritten { .. }))
    {
        FleetStatus::Refused
    } else if rolled_back {
        if targets
            .iter()
            .all(|t| t.rollback.as_ref().is_none_or(RollbackResult::ok))
        {
            FleetStatus::RolledBack
        } else {
            FleetStatus::RollbackIncomplete
        }
    } else if plan.is_empty() {
        FleetStatus::Nothing
    } else {
        FleetStatus::Pushed
    };
    let names = |pred: &dyn Fn(&TargetResult) -> bool| {
        targets
            .iter()
            .filter(|t| pred(t))
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let headline = match status {
        FleetStatus::Nothing => {
            format!("Nothing to push: all {n} proxies already have the draft's values.")
        }
        FleetStatus::Pushed => format!(
            "Pushed to {} of {n} proxies ({} already matched); every one reads back as expected.",
            targets
                .iter()
                .filter(|t| t.push.outcome().is_some())
                .count(),
            targets
                .iter()
                .filter(|t| t.push == TargetPush::Nothing)
                .count(),
        ),
        FleetStatus::Refused => format!(
            "Refused before writing: nothing was written to any of the {n} proxies (problem at {}).",
            names(&|t| match &t.push {
                TargetPush::NotWritten { reason } => !reason.starts_with("not written: the fleet"),
                _ => false,
            })
        ),
        FleetStatus::RolledBack => format!(
            "The push did not land at {}; every proxy written to was put back ({}).",
            names(&|t| !t.push.landed()),
            if targets.iter().any(|t| t.rollback.is_some()) {
                names(&|t| t.rollback.is_some())
            } else {
                "none had been written".to_owned()
            }
        ),
        FleetStatus::RollbackIncomplete => format!(
            "The push did not land at {}, and the rollback did NOT complete at {}: check those proxies before pushing again.",
            names(&|t| !t.push.landed()),
            names(&|t| t.rollback.as_ref().is_some_and(|r| !r.ok()))
        ),
    };
    FleetOutcome {
        status,
        headline,
        targets,
        restart_failed: false,
    }
}
