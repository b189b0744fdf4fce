//! A fleet push in the history, and its revert as one fleet step.

use serde_json::Map;

use super::apply::{FleetOutcome, FleetStatus, RollbackResult, TargetPush};
use super::{FleetMember, FleetPlan, FleetPlanError, plan_each};
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::proxy::client::normalize_base_url;
use crate::core::proxy::history::{
    self, HistoryChange, HistoryEntry, HistoryError, HistoryResult, HistoryRollback, HistoryTarget,
    revert_changes,
};
use crate::core::proxy::path_map::{PathMap, resolve};
use crate::core::proxy::profiles::ConnectionProfile;
use crate::core::proxy::push::{PushError, PushMode};
use crate::core::proxy::writer::regenerate;
use crate::core::safe_save::read_text;

/// The history entry of a fleet push (`fleet`: its name, or `--proxy` for a one-off list).
pub fn history_entry(fleet: &str, plan: &FleetPlan, outcome: &FleetOutcome) -> HistoryEntry {
    let (id, time_unix_s, time) = history::stamp();
    let targets = plan
        .targets
        .iter()
        .zip(&outcome.targets)
        .map(|(t, r)| HistoryTarget {
            name: r.name.clone(),
            base_url: r.url.clone(),
            path_maps: t.member.profile.path_maps.clone(),
            changes: history::changes_of(&t.plan),
            result: match &r.push {
                TargetPush::Pushed { outcome } => history::outcome_result(outcome),
                TargetPush::Nothing => HistoryResult::Pushed {
                    verified: true,
                    restart_required: false,
                    backup: None,
                    concurrent: Vec::new(),
                },
                TargetPush::NotWritten { reason } => HistoryResult::Failed {
                    error: reason.clone(),
                },
                TargetPush::Failed { error } => HistoryResult::Failed {
                    error: error.clone(),
                },
            },
            rollback: r.rollback.as_ref().map(|rb| match rb {
                RollbackResult::RolledBack { .. } => HistoryRollback::RolledBack,
                RollbackResult::NotVerified { problem }
                | RollbackResult::Unknown { problem }
                | RollbackResult::Failed { error: problem } => HistoryRollback::Incomplete {
                    problem: problem.clone(),
                },
            }),
        })
        .collect();
    let result = match outcome.status {
        FleetStatus::Nothing | FleetStatus::Pushed => HistoryResult::Pushed {
            verified: true,
            restart_required: plan.restart_required(),
            backup: None,
            concurrent: Vec::new(),
        },
        FleetStatus::Refused | FleetStatus::RolledBack => HistoryResult::Failed {
            error: outcome.headline.clone(),
        },
        FleetStatus::RollbackIncomplete => HistoryResult::OutcomeUnknown {
            problem: outcome.headline.clone(),
            present: Vec::new(),
            absent: Vec::new(),
            reread: false,
        },
    };
    HistoryEntry {
        id,
        time_unix_s,
        time,
        profile: format!("fleet {fleet}"),
        base_url: format!("fleet:{fleet}"),
        mode: plan.mode,
        changes: Vec::new(),
        result,
        restart: None,
        targets,
        file: Default::default(),
        file_changes: Vec::new(),
    }
}

/// One proxy a revert goes to, with the changes to undo there.
#[derive(Clone, Debug, PartialEq)]
pub struct RevertTarget {
    pub name: String,
    pub base_url: String,
    pub path_maps: Vec<PathMap>,
    pub changes: Vec<HistoryChange>,
}

/// The targets `entry` may have changed: every fleet target that may
/// still hold its push, or the one proxy of a single push.
pub fn revert_targets(entry: &HistoryEntry) -> Result<Vec<RevertTarget>, HistoryError> {
    if !entry.may_have_changed_file() {
        return Err(HistoryError::NotPushed);
    }
    if entry.targets.is_empty() {
        // Values put back cannot undo what the API does not show.
        if entry.changes.is_empty() && !entry.file_changes.is_empty() {
            return Err(HistoryError::OnlyInFile {
                paths: entry.file_changes.iter().map(|c| c.path.clone()).collect(),
            });
        }
        return Ok(vec![RevertTarget {
            name: entry.profile.clone(),
            base_url: entry.base_url.clone(),
            path_maps: Vec::new(),
            changes: entry.changes.clone(),
        }]);
    }
    Ok(entry
        .targets
        .iter()
        .filter(|t| t.may_have_changed_file())
        .map(|t| RevertTarget {
            name: t.name.clone(),
            base_url: t.base_url.clone(),
            path_maps: t.path_maps.clone(),
            changes: t.changes.clone(),
        })
        .collect())
}

/// The fleet members a revert goes to, each with the changes to undo
/// there: the profile of `known` that has the target's name and URL (its
/// token, CA and restart command kept), else `fallback`'s for the target,
/// named as the target. The path maps the push recorded win; a profile
/// without any takes `default_maps`.
pub fn revert_members(
    targets: Vec<RevertTarget>,
    known: &[ConnectionProfile],
    default_maps: &[PathMap],
    fallback: impl Fn(&RevertTarget) -> ConnectionProfile,
) -> Result<Vec<(FleetMember, Vec<HistoryChange>)>, String> {
    targets
        .into_iter()
        .map(|t| {
            let same = known
                .iter()
                .find(|p| p.name == t.name && same_url(&p.base_url, &t.base_url));
            let mut profile = same.cloned().unwrap_or_else(|| {
                let mut p = fallback(&t);
                p.name = t.name.clone();
                p
            });
            if !t.path_maps.is_empty() {
                profile.path_maps = t.path_maps.clone();
            } else if profile.path_maps.is_empty() {
                profile.path_maps = default_maps.to_vec();
            }
            let member =
                FleetMember::http(profile).map_err(|e| format!("target “{}”: {e}", t.name))?;
            Ok((member, t.changes))
        })
        .collect()
}

/// Two base URLs that name the same proxy (`http://h:8100/` and `http://h:8100`).
pub fn same_url(a: &str, b: &str) -> bool {
    let norm = |u: &str| normalize_base_url(u).ok();
    norm(a).is_some() && norm(a) == norm(b)
}

/// Plan the revert: each member (paired with its changes, in order) gets
/// its own draft, its current file (read here when its path maps reach it,
/// else as the proxy would write its values) with the previous values put
/// back, so a revert changes nothing but what the push changed. The same
/// plan-first rule as a push: any target that cannot be planned refuses all.
pub async fn plan_revert(
    layouts: &LayoutSet,
    members: &[(FleetMember, Vec<HistoryChange>)],
    mode: PushMode,
    parallel: usize,
) -> Result<FleetPlan, FleetPlanError> {
    let only: Vec<FleetMember> = members.iter().map(|(m, _)| m.clone()).collect();
    plan_each(
        layouts,
        &only,
        mode,
        parallel,
        Vec::new(),
        |member, view| {
            let changes = members
                .iter()
                .find(|(m, _)| m.url() == member.url())
                .map(|(_, c)| c.as_slice())
                .unwrap_or_default();
            let local = resolve(&view.config_file_path, &member.profile.path_maps)
                .ok()
                .filter(|p| p.path().is_file());
            let text = match local {
                Some(p) => read_text(p.path())?.text,
                None => regenerate(&view.file, &Map::new(), layouts),
            };
            let base = ConfigDocument::parse(&text).map_err(|e| PushError::Draft {
                reason: format!("the proxy's current file does not parse: {e}"),
            })?;
            revert_changes(changes, &base, layouts).map_err(|e| PushError::Draft {
                reason: e.to_string(),
            })
        },
    )
    .await
}
