//! Pushing a draft to the proxy: plan (what changes, what the file becomes,
//! what is lost), then execute with a stale guard and a read-back. Everything
//! returns data; the CLI prints it, the GUI shows it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::api_types::ProxyConfigView;
use super::client::{ProxyApi, ProxyError};
use super::effective::preview;
use super::writer::{Loss, losses, regenerate};
use crate::core::document::ConfigDocument;
use crate::core::layout::{Field, LayoutSet};
use crate::core::safe_save::{
    Expect, Fingerprint, SaveError, current_fingerprint, read_text, save_atomically,
};
use crate::core::validate::{Finding, validate_document};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushMode {
    /// `PUT` the changed keys; the proxy regenerates its file (lossy).
    #[default]
    Api,
    /// Write the draft to the proxy's file directly (lossless; the file must be on this machine).
    File,
}

/// One key a push changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub key: String,
    /// `server.port`.
    pub path: String,
    /// The proxy's `file` view now.
    pub before: Value,
    /// The value sent (API) or written (file).
    pub after: Value,
    pub needs_restart: bool,
}

/// What the diff's "before" side is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CurrentText {
    /// The proxy's file, read from this machine.
    LocalFile { path: PathBuf },
    /// The file is not reachable from here: the proxy's values as the proxy
    /// itself would write them (comments and unknown tables cannot be known).
    Regenerated,
}

/// Whose content the loss list is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LossBasis {
    /// The proxy's current file (read locally).
    ProxyFile,
    /// The draft: the proxy's file is not readable here, so the draft stands in for it.
    Draft,
    /// File push: nothing is lost.
    None,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PushPlan {
    pub mode: PushMode,
    pub base_url: String,
    pub config_file_path: String,
    pub changes: Vec<PlannedChange>,
    /// The proxy's `file` view when the plan was made; the stale guard compares against it.
    pub base_view: Map<String, Value>,
    pub current: CurrentText,
    pub current_text: String,
    /// The file's text after the push (API: as the proxy regenerates it).
    pub new_text: String,
    /// Unified diff `current_text` → `new_text`.
    pub diff: String,
    pub losses: Vec<Loss>,
    pub loss_basis: LossBasis,
    /// Validation warnings (errors refuse the plan).
    pub warnings: Vec<Finding>,
    pub restart_required: bool,
    #[serde(skip)]
    file_fingerprint: Option<Fingerprint>,
    /// Keys where the local file at the proxy's path disagrees with the proxy's view.
    #[serde(skip)]
    local_differs: Vec<String>,
}

impl PushPlan {
    /// A lossy push may only run after the user agreed to the losses.
    pub fn needs_confirmation(&self) -> bool {
        !self.losses.is_empty()
    }

    /// Nothing would change: no key (API), or not a byte (file).
    pub fn is_empty(&self) -> bool {
        match self.mode {
            PushMode::Api => self.changes.is_empty(),
            PushMode::File => self.new_text == self.current_text,
        }
    }

    /// The `PUT` body.
    pub fn body(&self) -> Map<String, Value> {
        self.changes
            .iter()
            .map(|c| (c.key.clone(), c.after.clone()))
            .collect()
    }
}

/// A key that changed on the proxy between planning and writing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaleConflict {
    pub key: String,
    /// At planning time.
    pub base: Value,
    /// On the proxy now.
    pub theirs: Value,
    /// What the push would write (`None`: the push leaves the key alone).
    pub mine: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("the draft has {} validation error(s); fix them before pushing: {}", findings.len(), summary(findings))]
    Invalid { findings: Vec<Finding> },
    #[error(
        "the proxy's file {path} is not on this machine, so a file push is impossible; use an API push (lossy) or run the studio where the proxy runs"
    )]
    FileNotReachable { path: String },
    #[error(
        "{path} exists on this machine but is not the proxy's file: its values differ from what the proxy reads ({}); is the proxy on another machine? use an API push",
        differing.join(", ")
    )]
    NotTheProxysFile {
        path: String,
        differing: Vec<String>,
    },
    #[error(
        "{path} changed on disk since the preview (comments or other tables may differ from the diff you saw); reload and review before pushing"
    )]
    FileChanged { path: String },
    #[error("the push would lose {} thing(s) from the proxy's file; confirm to go ahead (--yes), or use a file push: {}", losses.len(), losses.iter().map(Loss::describe).collect::<Vec<_>>().join("; "))]
    NeedsConfirmation { losses: Vec<Loss> },
    #[error("the proxy's config changed since the preview ({}); reload and review before pushing", conflicts.iter().map(|c| c.key.as_str()).collect::<Vec<_>>().join(", "))]
    Stale { conflicts: Vec<StaleConflict> },
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    #[error(transparent)]
    Save(#[from] SaveError),
}

fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One pushed key after reading the proxy's config back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushedKey {
    pub key: String,
    pub before: Value,
    pub after: Value,
    /// What the proxy should read back (`null` is written as `""`).
    pub expected: Value,
    /// What its `file` view shows after the push.
    pub read_back: Value,
    pub ok: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PushOutcome {
    pub mode: PushMode,
    pub pushed: Vec<PushedKey>,
    /// Every pushed key reads back as expected.
    pub verified: bool,
    pub restart_required: bool,
    /// The proxy's message (API) or ours (file).
    pub message: String,
    /// `.bak` of the previous file (file push).
    pub backup: Option<PathBuf>,
}

/// Plan a push of `draft` to the proxy whose config is `view`.
pub fn plan_push(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
    base_url: &str,
    mode: PushMode,
) -> Result<PushPlan, PushError> {
    let findings = validate_document(draft, layouts);
    if findings.iter().any(Finding::is_error) {
        return Err(PushError::Invalid { findings });
    }
    let mut local = read_local_file(&view.config_file_path)?;
    let local_differs = local
        .as_ref()
        .map(|file| keys_differing(&file.1, layouts, view))
        .unwrap_or_default();
    if mode == PushMode::Api && !local_differs.is_empty() {
        // Another machine's file or a stale view; either way not the text to diff against.
        local = None;
    }
    if mode == PushMode::File && local.is_none() {
        return Err(PushError::FileNotReachable {
            path: view.config_file_path.clone(),
        });
    }
    let changes = planned_changes(draft, layouts, view, mode);
    let (current, current_text) = match &local {
        Some((path, text, _)) => (CurrentText::LocalFile { path: path.clone() }, text.clone()),
        None => (
            CurrentText::Regenerated,
            regenerate(&view.file, &Map::new(), layouts),
        ),
    };
    let (new_text, loss_list, loss_basis) = match mode {
        PushMode::File => (draft.text(), Vec::new(), LossBasis::None),
        PushMode::Api => api_outcome(
            draft,
            layouts,
            view,
            &changes,
            local.is_some(),
            &current_text,
        ),
    };
    Ok(PushPlan {
        mode,
        base_url: base_url.to_owned(),
        config_file_path: view.config_file_path.clone(),
        restart_required: changes.iter().any(|c| c.needs_restart),
        base_view: view.file.clone(),
        diff: unified_diff(&current_text, &new_text, &view.config_file_path),
        current,
        current_text,
        new_text,
        losses: loss_list,
        loss_basis,
        warnings: findings,
        file_fingerprint: local.map(|(_, _, fp)| fp),
        local_differs,
        changes,
    })
}

fn api_outcome(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
    changes: &[PlannedChange],
    local: bool,
    current_text: &str,
) -> (String, Vec<Loss>, LossBasis) {
    let body: Map<String, Value> = changes
        .iter()
        .map(|c| (c.key.clone(), c.after.clone()))
        .collect();
    let new_text = regenerate(&view.file, &body, layouts);
    if changes.is_empty() {
        return (current_text.to_owned(), Vec::new(), LossBasis::None);
    }
    if local {
        (
            new_text,
            losses(current_text, layouts),
            LossBasis::ProxyFile,
        )
    } else {
        (new_text, losses(&draft.text(), layouts), LossBasis::Draft)
    }
}

/// The proxy's file when it is readable from here (same path on this machine).
fn read_local_file(path: &str) -> Result<Option<(PathBuf, String, Fingerprint)>, PushError> {
    let path = Path::new(path);
    if path.as_os_str().is_empty() || !path.is_file() {
        return Ok(None);
    }
    let loaded = read_text(path)?;
    Ok(Some((loaded.path, loaded.text, loaded.fingerprint)))
}

/// Keys whose value, as the proxy would read them from `text`, differ from
/// the proxy's `file` view: a file at the proxy's path that is not the
/// proxy's file (another machine, another checkout). Text that is not TOML
/// cannot be the file the proxy just read.
fn keys_differing(text: &str, layouts: &LayoutSet, view: &ProxyConfigView) -> Vec<String> {
    let Ok(doc) = ConfigDocument::parse(text) else {
        return vec!["(the file here is not valid TOML)".to_owned()];
    };
    preview(&doc, layouts, None, &BTreeMap::new())
        .rows
        .into_iter()
        .filter(|r| view.file.get(&r.key).unwrap_or(&Value::Null) != &r.draft)
        .map(|r| r.key)
        .collect()
}

/// Keys whose value as the proxy reads it differs between the draft and the
/// proxy's `file` view. An API push skips keys the proxy would read back
/// unchanged anyway (`null` is written as `""`).
fn planned_changes(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
    mode: PushMode,
) -> Vec<PlannedChange> {
    let rows = preview(draft, layouts, Some(view), &view.env_overrides).rows;
    layouts
        .proxy_fields()
        .zip(rows)
        .filter_map(|((_, field), row)| {
            let before = view.file.get(&field.key).cloned().unwrap_or(Value::Null);
            let differs = row.draft != before;
            // `null` sent for a key whose file holds "" would be written as "" again.
            let no_op_put = mode == PushMode::Api && read_back_of(field, &row.draft) == before;
            (differs && !no_op_put).then(|| PlannedChange {
                key: field.key.clone(),
                path: field.path.clone(),
                before,
                after: row.draft,
                needs_restart: field.needs_restart,
            })
        })
        .collect()
}

/// What the proxy reads back after writing `sent`: `null` goes to the file
/// as `""`, which is none again only where `""` means none.
pub fn read_back_of(field: &Field, sent: &Value) -> Value {
    if sent.is_null() && !field.empty_means_none {
        Value::String(String::new())
    } else {
        sent.clone()
    }
}

pub fn unified_diff(before: &str, after: &str, name: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (now)"), &format!("{name} (after push)"))
        .to_string()
}

/// Run a plan: stale guard, write, read back. `confirmed` must be true when
/// the plan loses anything. The outcome goes to the activity log.
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
    match result {
        Ok(outcome) if outcome.pushed.is_empty() => {
            tracing::info!(target: "activity", "push to {url} ({mode:?}): nothing to push");
        }
        Ok(outcome) if outcome.verified => {
            tracing::info!(target: "activity", "pushed to {url} ({mode:?}): {}; reads back as sent",
                keys.join(", ")
            );
        }
        Ok(outcome) => {
            let wrong: Vec<&str> = outcome
                .pushed
                .iter()
                .filter(|p| !p.ok)
                .map(|p| p.key.as_str())
                .collect();
            tracing::warn!(target: "activity", "pushed to {url} ({mode:?}): {}; read-back differs for {}",
                keys.join(", "),
                wrong.join(", ")
            );
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
        return Ok(PushOutcome {
            mode: plan.mode,
            pushed: Vec::new(),
            verified: true,
            restart_required: false,
            message: "Nothing to push: the proxy's file already has the draft's values.".to_owned(),
            backup: None,
        });
    }
    if plan.needs_confirmation() && !confirmed {
        return Err(PushError::NeedsConfirmation {
            losses: plan.losses.clone(),
        });
    }
    let fresh = api.config().await?;
    check_stale(plan, &fresh)?;
    check_same_file(plan)?;
    check_file_unchanged(plan)?;
    let (message, backup) = match plan.mode {
        PushMode::Api => (api.put_config(plan.body()).await?.message, None),
        PushMode::File => write_file(plan)?,
    };
    let after = api.config().await?;
    let pushed = read_back(plan, layouts, &after);
    Ok(PushOutcome {
        mode: plan.mode,
        verified: pushed.iter().all(|p| p.ok),
        pushed,
        restart_required: plan.restart_required,
        message,
        backup,
    })
}

/// Refuse when the proxy's file view moved since the plan was made.
pub fn check_stale(plan: &PushPlan, fresh: &ProxyConfigView) -> Result<(), PushError> {
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
    let Some(expected) = plan.file_fingerprint else {
        return Ok(());
    };
    if plan.mode == PushMode::File {
        return Ok(());
    }
    let now = current_fingerprint(Path::new(&plan.config_file_path))?;
    if now == Some(expected) {
        Ok(())
    } else {
        Err(PushError::FileChanged {
            path: plan.config_file_path.clone(),
        })
    }
}

/// The draft's bytes, only if the file is still what the plan read.
fn write_file(plan: &PushPlan) -> Result<(String, Option<PathBuf>), PushError> {
    let path = Path::new(&plan.config_file_path);
    let expect = plan
        .file_fingerprint
        .map_or(Expect::Absent, Expect::Unchanged);
    let outcome = save_atomically(path, plan.new_text.as_bytes(), expect)?;
    let backup = match outcome {
        crate::core::safe_save::SaveOutcome::Written { backup, .. } => backup,
        crate::core::safe_save::SaveOutcome::Unchanged { .. } => None,
    };
    let message = format!(
        "Wrote {}. Restart chat-proxy to apply changes.",
        plan.config_file_path
    );
    Ok((message, backup))
}

fn read_back(plan: &PushPlan, layouts: &LayoutSet, after: &ProxyConfigView) -> Vec<PushedKey> {
    plan.changes
        .iter()
        .map(|c| {
            let expected = match (plan.mode, layouts.proxy_field_by_key(&c.key)) {
                (PushMode::Api, Some((_, field))) => read_back_of(field, &c.after),
                _ => c.after.clone(),
            };
            let read_back = after.file.get(&c.key).cloned().unwrap_or(Value::Null);
            PushedKey {
                key: c.key.clone(),
                before: c.before.clone(),
                after: c.after.clone(),
                ok: read_back == expected,
                expected,
                read_back,
            }
        })
        .collect()
}
