//! Fleets: one draft pushed to several proxies as one verified, revertible
//! step, and drift across them.
//!
//! * [`plan_fleet`]: validation once, then every target planned (its view
//!   fetched concurrently, bounded by `parallel`); any target that cannot be
//!   planned refuses the whole fleet before anything is written.
//! * [`apply::apply_fleet`]: preflight every target (re-read, stale guard,
//!   file unchanged) before writing to any, write and read back each
//!   (bounded concurrency), and when any target fails, roll back the ones
//!   written (file: previous bytes through the safe save; API: a `PUT` of the
//!   previous values). Restarts run one at a time, stopping at the first failure.
//! * [`drift::drift`]: per proxy, the settings its file or runtime hold
//!   differently from the draft, and which proxies cannot be reached.
//! * [`revert::plan_revert`]: the previous values of a (fleet) history entry,
//!   planned per target from that target's own current file.

pub mod apply;
pub mod drift;
pub mod revert;
#[cfg(test)]
mod tests;

use crate::core::plural;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use super::api_types::ProxyConfigView;
use super::client::{ProxyApi, ProxyError};
use super::profiles::ConnectionProfile;
use super::push::{PushError, PushMode, PushPlan, PushTarget, plan_push};
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::validate::{Finding, validate_document};

pub use apply::{FleetOutcome, FleetStatus, RollbackResult, TargetPush, TargetResult, apply_fleet};
pub use drift::{ProxyDrift, drift, drift_exit_code};

/// The most proxies contacted at once when `--parallel` is not given.
pub const MAX_DEFAULT_PARALLEL: usize = 32;

/// `--parallel`'s default for a fleet of `members`: every proxy at once, up
/// to [`MAX_DEFAULT_PARALLEL`]. The work waits on the network (one round
/// trip per step), not on this machine, so a lower bound only queues
/// proxies behind each other's latency.
pub fn default_parallel(members: usize) -> usize {
    members.clamp(1, MAX_DEFAULT_PARALLEL)
}

/// One proxy of a fleet: its profile (name, URL, path maps, restart
/// command) and the client that talks to it.
#[derive(Clone)]
pub struct FleetMember {
    pub profile: ConnectionProfile,
    pub api: Arc<dyn ProxyApi>,
}

impl std::fmt::Debug for FleetMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetMember")
            .field("name", &self.profile.name)
            .field("url", &self.api.base_url())
            .finish()
    }
}

impl FleetMember {
    pub fn new(profile: ConnectionProfile, api: Arc<dyn ProxyApi>) -> Self {
        Self { profile, api }
    }

    /// A member over HTTP, from its profile.
    pub fn http(profile: ConnectionProfile) -> Result<Self, ProxyError> {
        let api = Arc::new(profile.client()?);
        Ok(Self { profile, api })
    }

    pub fn name(&self) -> &str {
        &self.profile.name
    }

    pub fn url(&self) -> &str {
        self.api.base_url()
    }

    fn target(&self) -> PushTarget {
        PushTarget::new(self.api.base_url()).with_path_maps(self.profile.path_maps.clone())
    }
}

/// One target's plan.
#[derive(Clone, Debug)]
pub struct TargetPlan {
    pub member: FleetMember,
    pub plan: PushPlan,
}

/// Every target planned; nothing written yet.
#[derive(Clone, Debug)]
pub struct FleetPlan {
    pub mode: PushMode,
    pub targets: Vec<TargetPlan>,
    /// Validation warnings of the draft (errors refuse the plan).
    pub warnings: Vec<Finding>,
}

impl FleetPlan {
    /// Whether any target's push loses something and needs the admin's yes.
    pub fn needs_confirmation(&self) -> bool {
        self.targets.iter().any(|t| t.plan.needs_confirmation())
    }

    pub fn is_empty(&self) -> bool {
        self.targets.iter().all(|t| t.plan.is_empty())
    }

    pub fn restart_required(&self) -> bool {
        self.targets.iter().any(|t| t.plan.restart_required)
    }
}

/// A target that could not be planned.
#[derive(Debug, Serialize)]
pub struct TargetPlanError {
    pub name: String,
    pub url: String,
    #[serde(serialize_with = "as_text")]
    pub error: PushError,
}

fn as_text<S: serde::Serializer>(e: &PushError, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&e.to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum FleetPlanError {
    #[error("a fleet needs at least one proxy")]
    NoTargets,
    #[error("the same proxy {url} is in the fleet twice (“{first}” and “{second}”)")]
    Duplicate {
        url: String,
        first: String,
        second: String,
    },
    #[error("the draft has {}; fix them before pushing: {}", plural::count(findings.iter().filter(|f| f.is_error()).count(), "validation error", "validation errors"), findings.iter().filter(|f| f.is_error()).map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid { findings: Vec<Finding> },
    #[error(
        "{} of {} cannot be planned, so nothing is written anywhere: {}",
        failed.len(),
        plural::count(*total, "target", "targets"),
        failed.iter().map(|f| format!("{} ({}): {}", f.name, f.url, f.error)).collect::<Vec<_>>().join("; ")
    )]
    Targets {
        total: usize,
        failed: Vec<TargetPlanError>,
    },
}

/// Each member's config view, fetched concurrently (at most `parallel` at once), in member order.
pub async fn fetch_views(
    members: &[FleetMember],
    parallel: usize,
) -> Vec<Result<ProxyConfigView, ProxyError>> {
    // The futures are made first: a stream over a closure is not `Send`
    // for the worker (the closure's lifetimes are higher-ranked).
    let requests: Vec<_> = members.iter().map(|m| m.api.config()).collect();
    bounded(requests, parallel).await
}

/// Run `futures` with at most `parallel` at once; results in their order.
pub(crate) async fn bounded<F: std::future::Future>(
    futures: Vec<F>,
    parallel: usize,
) -> Vec<F::Output> {
    stream::iter(futures)
        .buffered(parallel.max(1))
        .collect()
        .await
}

fn check_members(members: &[FleetMember]) -> Result<(), FleetPlanError> {
    if members.is_empty() {
        return Err(FleetPlanError::NoTargets);
    }
    for (i, a) in members.iter().enumerate() {
        if let Some(b) = members[..i].iter().find(|b| b.url() == a.url()) {
            return Err(FleetPlanError::Duplicate {
                url: a.url().to_owned(),
                first: b.name().to_owned(),
                second: a.name().to_owned(),
            });
        }
    }
    Ok(())
}

/// Plan `draft` for every member (validation once, then per target).
pub async fn plan_fleet(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    members: &[FleetMember],
    mode: PushMode,
    parallel: usize,
) -> Result<FleetPlan, FleetPlanError> {
    check_members(members)?;
    let findings = validate_document(draft, layouts);
    if findings.iter().any(Finding::is_error) {
        return Err(FleetPlanError::Invalid { findings });
    }
    plan_each(layouts, members, mode, parallel, findings, |_, _| {
        Ok(draft.clone())
    })
    .await
}

/// Plan every member with the draft `draft_for` gives for its view.
async fn plan_each(
    layouts: &LayoutSet,
    members: &[FleetMember],
    mode: PushMode,
    parallel: usize,
    warnings: Vec<Finding>,
    draft_for: impl Fn(&FleetMember, &ProxyConfigView) -> Result<ConfigDocument, PushError>,
) -> Result<FleetPlan, FleetPlanError> {
    check_members(members)?;
    let views = fetch_views(members, parallel).await;
    let mut targets = Vec::new();
    let mut failed = Vec::new();
    for (member, view) in members.iter().zip(views) {
        let planned = view.map_err(PushError::from).and_then(|view| {
            let draft = draft_for(member, &view)?;
            plan_push(&draft, layouts, &view, &member.target(), mode)
        });
        match planned {
            Ok(plan) => targets.push(TargetPlan {
                member: member.clone(),
                plan,
            }),
            Err(error) => failed.push(TargetPlanError {
                name: member.name().to_owned(),
                url: member.url().to_owned(),
                error,
            }),
        }
    }
    if failed.is_empty() {
        Ok(FleetPlan {
            mode,
            targets,
            warnings,
        })
    } else {
        Err(FleetPlanError::Targets {
            total: members.len(),
            failed,
        })
    }
}
