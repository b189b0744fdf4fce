//! Pushing a draft to the proxy, part two: running a plan. Under the
//! per-proxy push lock: re-read the proxy and refuse if anything moved
//! since the plan (the stale guard, narrowed to the write), write, then read
//! every key back and compare it with what this push expected. A write that
//! may or may not have happened (timeout, connection lost after sending) is
//! "outcome unknown", never "failed": the proxy is re-read and the outcome
//! says which of the pushed values are there.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::api_types::ProxyConfigView;
use super::broken::{BrokenFile, broken_file, write_failure};
use super::client::{ProxyApi, ProxyError};
use super::masked::{MaskedKey, masked_sentence};
use super::proxy_text::{SHOWN_CHARS, shown};
use super::push::{PushError, PushMode, PushPlan, StaleConflict, read_back_of};
use super::push_lock;
use super::writer::Loss;
use crate::core::layout::LayoutSet;
use crate::core::safe_save::{Expect, SaveOutcome, current_fingerprint, save_atomically};

/// One pushed key after reading the proxy's config back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushedKey {
    pub key: String,
    pub before: Value,
    pub after: Value,
    /// What the proxy should read back (`null` is written as `""`).
    pub expected: Value,
    /// What its `file` view shows after the push (`null` when it could not be read).
    pub read_back: Value,
    pub ok: bool,
}

/// A key this push did not touch that changed on the proxy meanwhile:
/// another client's write that landed between the re-read and the read-back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConcurrentChange {
    pub key: String,
    pub expected: Value,
    pub found: Value,
}

/// What a push that ran came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Nothing to write.
    Nothing,
    /// Written, and every key of the proxy's file reads back as expected.
    Verified,
    /// Written and the pushed keys read back, but other keys changed meanwhile.
    ConcurrentEdit,
    /// Written, but a pushed key does not read back as sent.
    NotVerified,
    /// The write may or may not have happened.
    Unknown,
    /// The proxy replaced its file with one it cannot read: every GET
    /// answers 500 and it will not start again until the file is mended.
    BrokeFile,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PushOutcome {
    pub mode: PushMode,
    pub status: PushStatus,
    /// One line that says what happened, first thing a person reads.
    pub headline: String,
    pub pushed: Vec<PushedKey>,
    pub concurrent: Vec<ConcurrentChange>,
    /// The draft's tables, keys and comments that the API could not carry
    /// (they did not reach the file).
    pub not_carried: Vec<Loss>,
    /// `status == Verified`.
    pub verified: bool,
    pub restart_required: bool,
    /// The proxy's message (API, cut and cleaned) or ours (file).
    pub message: String,
    /// `.bak` of the previous file (file push).
    pub backup: Option<PathBuf>,
    /// Why the outcome is unknown, or why the read-back failed.
    pub problem: Option<String>,
    /// An unknown outcome whose re-read failed too: `pushed` says nothing.
    pub reread_failed: bool,
    /// Pushed keys an env var masks (from the plan): in the file, not run.
    pub masked: Vec<MaskedKey>,
    /// `BrokeFile`: where the proxy's file is broken and how to restore it.
    pub broken: Option<BrokenFile>,
    /// The proxy's whole `file` view as this push expected it afterwards
    /// (what a restart is verified against).
    #[serde(skip)]
    pub expected_file: Map<String, Value>,
}

impl PushOutcome {
    /// The fields every outcome of `plan` shares; each outcome sets the rest.
    fn of_plan(plan: &PushPlan, status: PushStatus, expected: &Map<String, Value>) -> Self {
        Self {
            mode: plan.mode,
            status,
            headline: String::new(),
            pushed: Vec::new(),
            concurrent: Vec::new(),
            not_carried: plan.draft_losses.clone(),
            verified: status == PushStatus::Verified,
            restart_required: plan.restart_required,
            message: String::new(),
            backup: None,
            problem: None,
            reread_failed: false,
            masked: plan.masked.clone(),
            broken: None,
            expected_file: expected.clone(),
        }
    }

    /// Written and read back (another client's unrelated edit included), or
    /// nothing to write: what a restart may follow.
    pub fn landed(&self) -> bool {
        matches!(
            self.status,
            PushStatus::Verified | PushStatus::ConcurrentEdit | PushStatus::Nothing
        )
    }

    /// The pushed keys found on the proxy (meaningful for every status).
    pub fn present(&self) -> Vec<&str> {
        self.pushed
            .iter()
            .filter(|p| p.ok)
            .map(|p| p.key.as_str())
            .collect()
    }

    pub fn absent(&self) -> Vec<&str> {
        self.pushed
            .iter()
            .filter(|p| !p.ok)
            .map(|p| p.key.as_str())
            .collect()
    }
}

/// Run a plan: lock, stale guard, write, read back. `confirmed` must be
/// true when the plan loses anything. The outcome goes to the activity log.
pub async fn execute_push(
    api: &dyn ProxyApi,
    plan: &PushPlan,
    layouts: &LayoutSet,
    confirmed: bool,
) -> Result<PushOutcome, PushError> {
    let result = run_plan(api, plan, layouts, confirmed).await;
    log_push(plan, &result);
    result
}

fn log_push(plan: &PushPlan, result: &Result<PushOutcome, PushError>) {
    let (url, mode) = (&plan.base_url, plan.mode);
    let keys: Vec<&str> = plan.changes.iter().map(|c| c.path.as_str()).collect();
    let keys = keys.join(", ");
    match result {
        Ok(o) if o.status == PushStatus::Nothing => {
            tracing::info!(target: "activity", "push to {url} ({mode:?}): nothing to push");
        }
        Ok(o) if o.status == PushStatus::Verified => {
            tracing::info!(target: "activity", "pushed to {url} ({mode:?}): {keys}; {}", o.headline);
        }
        Ok(o) => {
            tracing::warn!(target: "activity", "pushed to {url} ({mode:?}): {keys}; {}", o.headline);
        }
        Err(e) => {
            tracing::warn!(target: "activity", "push to {url} ({mode:?}) refused or failed: {e}");
        }
    }
}

async fn run_plan(
    api: &dyn ProxyApi,
    plan: &PushPlan,
    layouts: &LayoutSet,
    confirmed: bool,
) -> Result<PushOutcome, PushError> {
    if plan.is_empty() {
        return Ok(nothing(plan));
    }
    if let Some(refused) = plan.refusal(confirmed) {
        return Err(refused);
    }
    let _lock = push_lock::acquire(&plan.base_url, push_lock::WAIT).await?;
    let fresh = api.config().await?;
    check_stale(plan, &fresh)?;
    check_same_file(plan)?;
    check_file_unchanged(plan)?;
    let expected = expected_view(plan, layouts, &fresh);
    let written = match plan.mode {
        PushMode::Api => match api.put_config(plan.body()).await {
            Ok(answer) => Ok((shown(&answer.message, SHOWN_CHARS), None)),
            Err(e) => Err(PushError::Proxy(e)),
        },
        PushMode::File => write_file(plan),
    };
    let (message, backup) = match written {
        Ok(w) => w,
        Err(e) if may_have_written(&e) => return after_failed_write(api, plan, &expected, e).await,
        Err(e) => return Err(e),
    };
    let after = match api.config().await {
        Ok(after) => after,
        Err(e) if is_server_error(&e) => return Ok(broke_file(plan, &expected, message, &e)),
        Err(e) => {
            let problem =
                format!("the write was answered, but reading the proxy's config back failed: {e}");
            return Ok(unverified_write(plan, &expected, message, backup, problem));
        }
    };
    Ok(compared(plan, &expected, &after, message, backup))
}

fn nothing(plan: &PushPlan) -> PushOutcome {
    PushOutcome {
        headline: "Nothing to push: the proxy's file already has the draft's values.".to_owned(),
        verified: true,
        restart_required: false,
        not_carried: Vec::new(),
        masked: Vec::new(),
        ..PushOutcome::of_plan(plan, PushStatus::Nothing, &plan.base_view)
    }
}

fn is_server_error(e: &ProxyError) -> bool {
    matches!(e, ProxyError::Status { status, .. } if *status >= 500)
}

/// A write answered with an error that may have come after the file was
/// replaced: re-read and say what happened. A re-read answering 500 means
/// the proxy replaced its file with one it cannot read; a re-read without
/// any pushed value after a 500 means the proxy failed before replacing it
/// (named with its likely cause); anything else stays "unknown".
async fn after_failed_write(
    api: &dyn ProxyApi,
    plan: &PushPlan,
    expected: &Map<String, Value>,
    error: PushError,
) -> Result<PushOutcome, PushError> {
    let reread = api.config().await;
    let status_500 = matches!(&error, PushError::Proxy(p) if is_server_error(p));
    match &reread {
        Err(e) if status_500 && is_server_error(e) => {
            return Ok(broke_file(plan, expected, String::new(), e));
        }
        Ok(view) if status_500 => {
            let pushed = pushed_keys(plan, expected, Some(&view.file));
            let untouched = view.file == plan.base_view;
            if untouched && pushed.iter().all(|p| !p.ok) {
                return Err(PushError::ProxyCouldNotWrite {
                    failure: write_failure(plan, &error),
                });
            }
        }
        _ => {}
    }
    Ok(unknown(plan, expected, &error, reread))
}

/// Written, and now the proxy cannot read its own file.
fn broke_file(
    plan: &PushPlan,
    expected: &Map<String, Value>,
    message: String,
    reread_error: &ProxyError,
) -> PushOutcome {
    let broken = broken_file(plan, reread_error);
    let mut outcome = PushOutcome {
        pushed: pushed_keys(plan, expected, None),
        message,
        problem: Some(format!(
            "after the write, the proxy's config endpoint answers: {reread_error}"
        )),
        reread_failed: true,
        broken: Some(broken),
        ..PushOutcome::of_plan(plan, PushStatus::BrokeFile, expected)
    };
    outcome.headline = headline(plan, &outcome);
    outcome
}

/// An error after the request left: the proxy may have applied it.
pub(super) fn may_have_written(e: &PushError) -> bool {
    match e {
        PushError::Proxy(p) => match p {
            ProxyError::Timeout { .. }
            | ProxyError::Transport { .. }
            | ProxyError::InvalidJson { .. } => true,
            ProxyError::Status { status, .. } => *status >= 500,
            _ => false,
        },
        // The file push's rename happened or not; `save_atomically` says which.
        _ => false,
    }
}

/// The proxy's whole `file` view as it should be right after this push:
/// the re-read view with the pushed keys as the proxy will read them back.
/// An API push regenerates the whole file, so every key the proxy holds
/// as none comes back as `""` (except where `""` means none).
fn expected_view(
    plan: &PushPlan,
    layouts: &LayoutSet,
    fresh: &ProxyConfigView,
) -> Map<String, Value> {
    let mut view = fresh.file.clone();
    if plan.mode == PushMode::Api {
        for (key, value) in &mut view {
            if let Some((_, field)) = layouts.proxy_field_by_key(key) {
                *value = read_back_of(field, value);
            }
        }
    }
    for c in &plan.changes {
        view.insert(c.key.clone(), expected_of(plan, layouts, &c.key, &c.after));
    }
    view
}

fn expected_of(plan: &PushPlan, layouts: &LayoutSet, key: &str, sent: &Value) -> Value {
    match (plan.mode, layouts.proxy_field_by_key(key)) {
        (PushMode::Api, Some((_, field))) => read_back_of(field, sent),
        _ => sent.clone(),
    }
}

fn pushed_keys(
    plan: &PushPlan,
    expected: &Map<String, Value>,
    found: Option<&Map<String, Value>>,
) -> Vec<PushedKey> {
    plan.changes
        .iter()
        .map(|c| {
            let want = expected.get(&c.key).cloned().unwrap_or(Value::Null);
            let read_back = found
                .and_then(|f| f.get(&c.key))
                .cloned()
                .unwrap_or(Value::Null);
            PushedKey {
                key: c.key.clone(),
                before: c.before.clone(),
                after: c.after.clone(),
                ok: found.is_some() && read_back == want,
                expected: want,
                read_back,
            }
        })
        .collect()
}

/// Every key of the proxy's file after the push against what this push expected.
fn compared(
    plan: &PushPlan,
    expected: &Map<String, Value>,
    after: &ProxyConfigView,
    message: String,
    backup: Option<PathBuf>,
) -> PushOutcome {
    let pushed = pushed_keys(plan, expected, Some(&after.file));
    let concurrent = concurrent_changes(plan, expected, &after.file);
    let status = if pushed.iter().any(|p| !p.ok) {
        PushStatus::NotVerified
    } else if concurrent.is_empty() {
        PushStatus::Verified
    } else {
        PushStatus::ConcurrentEdit
    };
    let mut outcome = PushOutcome {
        pushed,
        concurrent,
        message,
        backup,
        ..PushOutcome::of_plan(plan, status, expected)
    };
    outcome.headline = headline(plan, &outcome);
    outcome
}

fn concurrent_changes(
    plan: &PushPlan,
    expected: &Map<String, Value>,
    found: &Map<String, Value>,
) -> Vec<ConcurrentChange> {
    let mut keys: Vec<&String> = expected.keys().chain(found.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !plan.changes.iter().any(|c| &c.key == *k))
        .filter_map(|k| {
            let want = expected.get(k).cloned().unwrap_or(Value::Null);
            let got = found.get(k).cloned().unwrap_or(Value::Null);
            (want != got).then(|| ConcurrentChange {
                key: k.clone(),
                expected: want,
                found: got,
            })
        })
        .collect()
}

/// The request may have been applied: say what the re-read found.
fn unknown(
    plan: &PushPlan,
    expected: &Map<String, Value>,
    error: &PushError,
    reread: Result<ProxyConfigView, ProxyError>,
) -> PushOutcome {
    let problem = match &reread {
        Ok(_) => format!("the write may or may not have happened: {error}"),
        Err(e) => format!(
            "the write may or may not have happened: {error}; re-reading the proxy failed too: {e}"
        ),
    };
    let found = reread.as_ref().ok().map(|v| &v.file);
    let mut outcome = PushOutcome {
        pushed: pushed_keys(plan, expected, found),
        problem: Some(problem),
        reread_failed: found.is_none(),
        ..PushOutcome::of_plan(plan, PushStatus::Unknown, expected)
    };
    outcome.headline = if found.is_some() {
        headline(plan, &outcome)
    } else {
        "Outcome unknown: the push may or may not have reached the proxy, and the proxy could not be re-read; check it before pushing again.".to_owned()
    };
    outcome
}

/// Answered as written, but not read back.
fn unverified_write(
    plan: &PushPlan,
    expected: &Map<String, Value>,
    message: String,
    backup: Option<PathBuf>,
    problem: String,
) -> PushOutcome {
    PushOutcome {
        headline: format!(
            "Written but NOT verified: {problem}; check the proxy before pushing again."
        ),
        pushed: pushed_keys(plan, expected, None),
        message,
        backup,
        problem: Some(problem),
        ..PushOutcome::of_plan(plan, PushStatus::NotVerified, expected)
    }
}

fn keys_with_values(keys: &[PushedKey], ok: bool) -> String {
    keys.iter()
        .filter(|p| p.ok == ok)
        .map(|p| {
            if ok {
                p.key.clone()
            } else {
                format!(
                    "{} (expected {}, found {})",
                    p.key,
                    short(&p.expected),
                    short(&p.read_back)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(v: &Value) -> String {
    shown(&v.to_string(), 80)
}

fn headline(plan: &PushPlan, o: &PushOutcome) -> String {
    let n = o.pushed.len();
    let carried = if o.not_carried.is_empty() {
        String::new()
    } else {
        format!(
            " Did not reach the file (the API cannot carry it): {}.",
            o.not_carried
                .iter()
                .map(Loss::describe)
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let line = match o.status {
        PushStatus::Nothing => "Nothing to push.".to_owned(),
        // A file push that changed only tables the proxy does not read (the
        // ImageWorks app's pages, say) sends no key: say what it did write.
        PushStatus::Verified if o.mode == PushMode::File && n == 0 => format!(
            "Wrote the draft to the proxy's file for {}: no setting the proxy reads changed (only tables other apps read); the file reads back as expected.",
            plan.base_url
        ),
        PushStatus::Verified => format!(
            "Pushed {} to {}; the proxy's file reads back as expected.",
            crate::core::plural::count(n, "key", "keys"),
            plan.base_url
        ),
        PushStatus::ConcurrentEdit => format!(
            "Pushed {}, but the proxy's file also changed elsewhere meanwhile: {}; review before pushing again.",
            crate::core::plural::count(n, "key", "keys"),
            o.concurrent
                .iter()
                .map(|c| format!(
                    "{} (expected {}, found {})",
                    c.key,
                    short(&c.expected),
                    short(&c.found)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        PushStatus::NotVerified => format!(
            "Push NOT verified: the proxy's file does not read back as sent for {}.",
            keys_with_values(&o.pushed, false)
        ),
        PushStatus::Unknown => {
            let there = keys_with_values(&o.pushed, true);
            let missing = keys_with_values(&o.pushed, false);
            format!(
                "Outcome unknown: the proxy did not confirm the write. Re-read: {}{}.",
                if there.is_empty() {
                    "none of the pushed values are there".to_owned()
                } else {
                    format!("there: {there}")
                },
                if missing.is_empty() {
                    String::new()
                } else {
                    format!("; not there: {missing}")
                }
            )
        }
        PushStatus::BrokeFile => o
            .broken
            .as_ref()
            .map_or_else(String::new, BrokenFile::describe),
    };
    let masked = masked_sentence(&o.masked).map_or_else(String::new, |m| format!(" {m}"));
    line + &masked + &carried
}

/// Every check `execute_push` makes before writing, against a fresh
/// re-read of the proxy, without writing: what a fleet push runs on every
/// target before it writes to any (the proxy's view moved, the local file
/// is not the proxy's, or it changed since planning).
pub fn preflight(plan: &PushPlan, fresh: &ProxyConfigView) -> Result<(), PushError> {
    check_stale(plan, fresh)?;
    check_same_file(plan)?;
    check_file_unchanged(plan)?;
    if plan.mode == PushMode::File
        && let Some(path) = plan.local_file()
        && current_fingerprint(path)? != plan.file_fingerprint
    {
        return Err(PushError::FileChanged {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// Refuse when the proxy's file view moved since the plan was made.
fn check_stale(plan: &PushPlan, fresh: &ProxyConfigView) -> Result<(), PushError> {
    let mut keys: Vec<&String> = plan.base_view.keys().chain(fresh.file.keys()).collect();
    keys.sort();
    keys.dedup();
    let conflicts: Vec<StaleConflict> = keys
        .into_iter()
        .filter_map(|key| {
            let base = plan.base_view.get(key).cloned().unwrap_or(Value::Null);
            let theirs = fresh.file.get(key).cloned().unwrap_or(Value::Null);
            (base != theirs).then(|| StaleConflict {
                key: key.clone(),
                mine: plan
                    .changes
                    .iter()
                    .find(|c| &c.key == key)
                    .map(|c| c.after.clone()),
                base,
                theirs,
            })
        })
        .collect();
    if conflicts.is_empty() {
        Ok(())
    } else {
        Err(PushError::Stale { conflicts })
    }
}

/// With the proxy's view unchanged since planning, a local file that reads
/// differently is not the proxy's file; a file push must not touch it.
fn check_same_file(plan: &PushPlan) -> Result<(), PushError> {
    if plan.mode == PushMode::File && !plan.local_differs.is_empty() {
        return Err(PushError::NotTheProxysFile {
            path: plan.config_file_path.clone(),
            differing: plan.local_differs.clone(),
        });
    }
    Ok(())
}

/// The loss list and diff were made from the file's text at planning time;
/// an API push must not destroy text the user has not seen. (A file push
/// gets the same check from `save_atomically`.)
fn check_file_unchanged(plan: &PushPlan) -> Result<(), PushError> {
    let (Some(expected), Some(path)) = (plan.file_fingerprint, plan.local_file()) else {
        return Ok(());
    };
    if plan.mode == PushMode::File {
        return Ok(());
    }
    let now = current_fingerprint(path)?;
    if now == Some(expected) {
        Ok(())
    } else {
        Err(PushError::FileChanged {
            path: path.display().to_string(),
        })
    }
}

/// The draft's bytes, only if the file is still what the plan read.
fn write_file(plan: &PushPlan) -> Result<(String, Option<PathBuf>), PushError> {
    let path: &Path = plan
        .local_file()
        .ok_or_else(|| PushError::FileNotReachable {
            path: plan.config_file_path.clone(),
        })?;
    let expect = plan
        .file_fingerprint
        .map_or(Expect::Absent, Expect::Unchanged);
    let backup = match save_atomically(path, plan.new_text.as_bytes(), expect)? {
        SaveOutcome::Written { backup, .. } => backup,
        SaveOutcome::Unchanged { .. } => None,
    };
    let message = format!(
        "Wrote {} (the proxy's {}). Restart chat-proxy to apply changes.",
        path.display(),
        plan.config_file_path
    );
    Ok((message, backup))
}
