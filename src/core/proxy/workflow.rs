//! The end of a push, written once for every front: run the plan, decide
//! whether it landed, restart when asked (only after a push that read back
//! as expected), verify what the restarted proxy runs, and make the history
//! record of exactly that. The CLI's single push, the fleet (per target)
//! and the GUI's push and restart dialogs all go through here, so a rule
//! about what counts as "landed", "verified" or "restarted" is made once.

use serde::Serialize;

use super::client::ProxyApi;
use super::history::HistoryEntry;
use super::push::{PushError, PushPlan};
use super::push_run::{PushOutcome, PushStatus, execute_push};
use super::restart::{
    Expected, RestartReport, RestartRequest, RestartResult, RestartStage, restart_and_verify,
};
use crate::core::layout::LayoutSet;

/// What a push and the restart after it came to.
#[derive(Debug)]
pub struct PushRun {
    pub result: Result<PushOutcome, PushError>,
    pub restart: Option<RestartReport>,
    /// Why no restart ran although one was asked for.
    pub restart_skipped: Option<String>,
}

/// One verdict over a push and its restart, for exit codes and colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Everything claimed was checked and holds.
    Ok,
    /// Checked, and something does not hold (refused, not read back, a
    /// restart that failed or runs other values).
    NotOk,
    /// The write may or may not have happened.
    Unknown,
}

impl PushRun {
    pub fn verdict(&self) -> Verdict {
        let pushed = match &self.result {
            Err(_) => Verdict::NotOk,
            Ok(o) => match o.status {
                PushStatus::Nothing | PushStatus::Verified => Verdict::Ok,
                PushStatus::Unknown => Verdict::Unknown,
                PushStatus::ConcurrentEdit | PushStatus::NotVerified | PushStatus::BrokeFile => {
                    Verdict::NotOk
                }
            },
        };
        let restarted = match (&self.restart, &self.restart_skipped) {
            (Some(r), _) if r.result != RestartResult::Verified => Verdict::NotOk,
            (None, Some(_)) => Verdict::NotOk,
            _ => Verdict::Ok,
        };
        match (pushed, restarted) {
            (Verdict::Unknown, _) => Verdict::Unknown,
            (Verdict::Ok, Verdict::Ok) => Verdict::Ok,
            _ => Verdict::NotOk,
        }
    }

    /// The history record of this run (a refused push that needed
    /// confirmation is not worth one: `None`).
    pub fn history_entry(&self, profile: &str, plan: &PushPlan) -> Option<HistoryEntry> {
        if matches!(self.result, Err(PushError::NeedsConfirmation { .. })) {
            return None;
        }
        let mut entry = HistoryEntry::of_push(profile, plan, &self.result);
        entry.restart.clone_from(&self.restart);
        Some(entry)
    }
}

/// Why a restart must not follow this push, if it must not.
pub fn restart_refusal(outcome: &PushOutcome) -> Option<String> {
    (!outcome.landed()).then(|| {
        "not restarting: the push did not read back as expected; check the proxy first".to_owned()
    })
}

/// Restart after `outcome` (when it landed) and verify against it.
pub async fn restart_after(
    api: &dyn ProxyApi,
    layouts: &LayoutSet,
    request: &RestartRequest,
    outcome: &PushOutcome,
    progress: &mut (dyn FnMut(&RestartStage) + Send),
) -> Result<RestartReport, String> {
    if let Some(refused) = restart_refusal(outcome) {
        return Err(refused);
    }
    Ok(restart_and_verify(api, layouts, request, &Expected::after(outcome), progress).await)
}

/// Run `plan`, then restart with `restart` when the push landed.
pub async fn push_and_restart(
    api: &dyn ProxyApi,
    plan: &PushPlan,
    layouts: &LayoutSet,
    confirmed: bool,
    restart: Option<&RestartRequest>,
    progress: &mut (dyn FnMut(&RestartStage) + Send),
) -> PushRun {
    let result = execute_push(api, plan, layouts, confirmed).await;
    let (report, skipped) = match (&result, restart) {
        (Ok(outcome), Some(request)) => {
            match restart_after(api, layouts, request, outcome, progress).await {
                Ok(report) => (Some(report), None),
                Err(why) => (None, Some(why)),
            }
        }
        _ => (None, None),
    };
    PushRun {
        result,
        restart: report,
        restart_skipped: skipped,
    }
}

/// What putting a proxy's file back as it was before a push came to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Restored {
    pub path: std::path::PathBuf,
    /// The proxy reads its file again and has the values it had before the push.
    pub verified: bool,
    pub headline: String,
}

/// Put the proxy's file back byte for byte as it was before the push that
/// `entry` records (a file push of its recorded text), then read the proxy
/// back: the way out of a push that left a file the proxy cannot read.
pub async fn restore_file_before(
    api: &dyn ProxyApi,
    entry: &HistoryEntry,
) -> Result<Restored, PushError> {
    use crate::core::safe_save::{Expect, current_fingerprint, save_atomically};
    let (Some(path), Some(text)) = (&entry.file.local_path, &entry.file.text_before) else {
        return Err(PushError::Draft {
            reason: "this push did not read the proxy's file on this machine, so there is no text to put back; mend the file on the proxy's machine".to_owned(),
        });
    };
    let expect = current_fingerprint(path)?.map_or(Expect::Absent, Expect::Unchanged);
    save_atomically(path, text.as_bytes(), expect)?;
    let (verified, headline) = match api.config().await {
        Ok(view) if view.file == entry.file.before => (
            true,
            format!(
                "Restored {} as it was before the push of {}; the proxy reads it again with its previous values.",
                path.display(),
                entry.time
            ),
        ),
        Ok(_) => (
            false,
            format!(
                "Restored {} as it was before the push of {}, but the proxy's values differ from those it had then (changed since?); check it.",
                path.display(),
                entry.time
            ),
        ),
        Err(e) => (
            false,
            format!(
                "Restored {} as it was before the push of {}, but the proxy does not read it back: {e}",
                path.display(),
                entry.time
            ),
        ),
    };
    tracing::info!(target: "activity", "{headline}");
    Ok(Restored {
        path: path.clone(),
        verified,
        headline,
    })
}
