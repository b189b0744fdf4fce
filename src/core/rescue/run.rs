//! Carry out a [`RescuePlan`]: save the mended file (the safe save,
//! expecting the file as planned), restart when a restart command is known
//! (without the env vars the proxy cannot encode), wait for health and
//! verify that the proxy answers with the values of the mended file. Every
//! step is reported as it happens; the verdict is `Ok` only when the proxy
//! was seen answering healthy with the expected values.

use serde::Serialize;

use super::RescuePlan;
use crate::core::layout::LayoutSet;
use crate::core::proxy::effective::runtime_from;
use crate::core::proxy::restart::{Expected, RestartReport, RestartRequest, restart_and_verify};
use crate::core::proxy::workflow::Verdict;
use crate::core::proxy::{ProxyApi, RestartResult};
use crate::core::safe_save::{Expect, SaveOutcome, save_atomically};

/// One step of a rescue, as it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RescueStep {
    pub text: String,
    pub ok: bool,
}

impl RescueStep {
    fn new(text: impl Into<String>, ok: bool) -> Self {
        Self {
            text: text.into(),
            ok,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RescueReport {
    pub verdict: Verdict,
    pub headline: String,
    pub steps: Vec<RescueStep>,
    /// The previous file, kept by the save.
    pub backup: Option<std::path::PathBuf>,
    pub restart: Option<RestartReport>,
}

/// Save, restart when `restart` is given, and verify against `api`.
pub async fn run_rescue(
    plan: &RescuePlan,
    layouts: &LayoutSet,
    api: Option<&dyn ProxyApi>,
    restart: Option<&RestartRequest>,
    progress: &mut (dyn FnMut(&RescueStep) + Send),
) -> RescueReport {
    let mut steps = Vec::new();
    fn step(
        progress: &mut (dyn FnMut(&RescueStep) + Send),
        s: RescueStep,
        steps: &mut Vec<RescueStep>,
    ) {
        progress(&s);
        steps.push(s);
    }
    let done = |verdict, headline: String, steps, backup, restart| RescueReport {
        verdict,
        headline,
        steps,
        backup,
        restart,
    };
    if let Some(left) = &plan.remaining {
        let why = format!(
            "nothing written: no repair knows the error at {left}, and there is no earlier version of the file the proxy can read (push history or .bak); mend that line by hand"
        );
        step(progress, RescueStep::new(why.clone(), false), &mut steps);
        return done(Verdict::NotOk, why, steps, None, None);
    }
    let backup = match save(plan) {
        Ok((text, backup)) => {
            step(progress, RescueStep::new(text, true), &mut steps);
            backup
        }
        Err(why) => {
            step(progress, RescueStep::new(why.clone(), false), &mut steps);
            return done(Verdict::NotOk, why, steps, None, None);
        }
    };
    let expected = plan.expected_file(layouts);
    let Some(api) = api else {
        let why = "not verified: no proxy to ask (give its URL)".to_owned();
        step(progress, RescueStep::new(why.clone(), false), &mut steps);
        return done(Verdict::NotOk, why, steps, backup, None);
    };
    if let Some(request) = restart {
        let mut request = request.clone();
        request.unset_env = plan.env.iter().map(|p| p.var.clone()).collect();
        if !request.unset_env.is_empty() {
            step(
                progress,
                RescueStep::new(
                    format!(
                        "restarting without {} in the restart command's environment",
                        request.unset_env.join(", ")
                    ),
                    true,
                ),
                &mut steps,
            );
        }
        let mut on_stage = |s: &crate::core::proxy::RestartStage| {
            step(progress, RescueStep::new(s.describe(), s.ok()), &mut steps);
        };
        let report = restart_and_verify(
            api,
            layouts,
            &request,
            &Expected::now(&expected),
            &mut on_stage,
        )
        .await;
        let verdict = if report.result == RestartResult::Verified {
            Verdict::Ok
        } else {
            Verdict::NotOk
        };
        let mut headline = if verdict == Verdict::Ok {
            "Rescued: the proxy restarted, answers healthy and runs the rescued file's values."
                .to_owned()
        } else {
            format!("Not rescued: {}", report.headline)
        };
        if verdict != Verdict::Ok && !plan.env.is_empty() {
            headline.push_str(&format!(
                " {} is still set where the proxy is started (its compose file, unit or script); remove it there.",
                plan.env.iter().map(|p| p.var.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        return done(verdict, headline, steps, backup, Some(report));
    }
    let (verdict, headline) = check_without_restart(plan, layouts, api, &expected).await;
    step(
        progress,
        RescueStep::new(headline.clone(), verdict == Verdict::Ok),
        &mut steps,
    );
    done(verdict, headline, steps, backup, None)
}

/// No restart: a running proxy re-reads its file on every config request,
/// so its `file` and `runtime` show whether the rescue reads back.
async fn check_without_restart(
    plan: &RescuePlan,
    layouts: &LayoutSet,
    api: &dyn ProxyApi,
    expected: &serde_json::Map<String, serde_json::Value>,
) -> (Verdict, String) {
    let (health, config) = futures_util::future::join(api.health(), api.config()).await;
    match (health, config) {
        (Err(e), _) => (
            Verdict::NotOk,
            format!(
                "not verified: the proxy does not answer ({e}); start it, or give a restart command"
            ),
        ),
        (Ok(_), Err(e)) => {
            let env = if plan.env.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} must leave the proxy's environment, then restart it",
                    plan.env
                        .iter()
                        .map(|p| p.var.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            (
                Verdict::NotOk,
                format!("not verified: the proxy still cannot answer ({e}){env}"),
            )
        }
        (Ok(_), Ok(view)) => {
            let want = runtime_from(layouts, expected, &view.env_overrides);
            let differ: Vec<&String> = expected
                .keys()
                .filter(|k| {
                    view.file.get(*k) != expected.get(*k) || view.runtime.get(*k) != want.get(*k)
                })
                .collect();
            if differ.is_empty() {
                (
                    Verdict::Ok,
                    "Rescued: the proxy answers healthy and reads the rescued file's values (it runs them after its next restart).".to_owned(),
                )
            } else {
                (
                    Verdict::NotOk,
                    format!(
                        "not verified: the proxy answers, but {} differ from the rescued file: {}",
                        crate::core::plural::count(differ.len(), "value", "values"),
                        differ
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }
        }
    }
}

/// The safe save of the mended file, expecting the file as planned: what
/// happened and the backup kept, or why nothing was written.
fn save(plan: &RescuePlan) -> Result<(String, Option<std::path::PathBuf>), String> {
    let name = plan.path.display();
    if !plan.changes_file() {
        return Ok((
            format!("{name}: the proxy can read it; nothing to change"),
            None,
        ));
    }
    match save_atomically(
        &plan.path,
        plan.after.as_bytes(),
        Expect::Unchanged(plan.fingerprint),
    ) {
        Ok(SaveOutcome::Written { backup, .. }) => {
            let kept = backup
                .as_ref()
                .map(|b| format!(" (previous version in {})", b.display()))
                .unwrap_or_default();
            Ok((format!("saved {name}{kept}"), backup))
        }
        Ok(SaveOutcome::Unchanged { .. }) => Ok((format!("{name} already holds the rescue"), None)),
        Err(e) => Err(format!("not saved: {e}; the file is unchanged")),
    }
}
