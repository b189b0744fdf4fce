//! Rescue a proxy that will not start or answer (issue 27): its file stops
//! `tomllib` (TOML 1.1 syntax, a value its own `PUT` wrote unescaped,
//! contract §7–§8), or an env value it applies cannot be encoded as JSON
//! (`nan`, `inf` on a float setting: every config request answers 500).
//!
//! [`plan_rescue`] says why, in the proxy's own terms (line and column as
//! tomllib reports them, the env var by name), and makes the mended file:
//! every text repair (`repair.rs`) and every quick fix, or, when no repair
//! knows the error, the last version of the file the proxy could read (the
//! push history's text before a push, or the `.bak` of the last save,
//! whichever is newer). [`run::run_rescue`] saves it, restarts when a
//! restart command is known and verifies. The CLI's `rescue` and the GUI's
//! rescue button both run these two.

pub mod repair;
pub mod run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::proxy::env_parse::{EnvOutcome, parse_env_value};
use crate::core::proxy::history;
use crate::core::safe_save::{self, Fingerprint, read_text};
use crate::core::session::EditSession;
use crate::core::text_diff;

pub use repair::{FileError, Repair};

/// An env value the proxy applies and then cannot put into JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvProblem {
    pub var: String,
    pub key: String,
    /// Python's spelling of what it becomes (`nan`, `inf`).
    pub value: String,
}

impl EnvProblem {
    pub fn describe(&self) -> String {
        format!(
            "env {} makes {} {} (as Python reads it), which JSON cannot encode: every config request answers 500",
            self.var, self.key, self.value
        )
    }
}

/// Every env var in `env` whose value the proxy applies as a float JSON
/// cannot hold.
pub fn env_problems(layouts: &LayoutSet, env: &BTreeMap<String, String>) -> Vec<EnvProblem> {
    layouts
        .proxy_fields()
        .filter_map(|(_, field)| {
            let var = field.env.as_ref()?;
            let raw = env.get(var)?;
            match parse_env_value(field, raw) {
                EnvOutcome::NotJson { value } => Some(EnvProblem {
                    var: var.clone(),
                    key: field.key.clone(),
                    value,
                }),
                _ => None,
            }
        })
        .collect()
}

/// Where a restored text came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RestoredFrom {
    /// The file before the push recorded at `time` (history entry `id`).
    History { id: String, time: String },
    /// The backup the last save kept.
    Backup { path: PathBuf },
}

impl RestoredFrom {
    pub fn describe(&self) -> String {
        match self {
            Self::History { time, .. } => {
                format!("restored the file as it was before the push of {time} (push history)")
            }
            Self::Backup { path } => format!("restored the backup {}", path.display()),
        }
    }
}

/// What a rescue will do to the file, before anything is written.
#[derive(Clone, Debug, PartialEq)]
pub struct RescuePlan {
    pub path: PathBuf,
    /// The file now, and its fingerprint (the save expects it unchanged).
    pub before: String,
    pub fingerprint: Fingerprint,
    /// Where tomllib stops in the file now.
    pub error: Option<FileError>,
    pub repairs: Vec<Repair>,
    /// Quick fixes applied after the repairs: `line: label`.
    pub quick_fixes: Vec<String>,
    pub restored: Option<RestoredFrom>,
    /// The mended file.
    pub after: String,
    /// Where tomllib still stops when nothing mends it.
    pub remaining: Option<FileError>,
    /// Env values the proxy cannot encode (from the env given).
    pub env: Vec<EnvProblem>,
    pub diff: String,
}

impl RescuePlan {
    /// Whether the file can be made readable for the proxy.
    pub fn file_mended(&self) -> bool {
        self.remaining.is_none()
    }

    pub fn changes_file(&self) -> bool {
        self.before != self.after
    }

    /// Why the proxy cannot start or answer, one sentence per cause.
    pub fn causes(&self) -> Vec<String> {
        let mut causes: Vec<String> = self
            .error
            .iter()
            .map(|e| format!("the proxy cannot start: {e}"))
            .collect();
        causes.extend(self.env.iter().map(EnvProblem::describe));
        causes
    }

    /// Every change to the file, one line each.
    pub fn steps(&self) -> Vec<String> {
        let mut steps: Vec<String> = self
            .repairs
            .iter()
            .map(|r| format!("line {}: {}", r.line, r.label))
            .collect();
        steps.extend(self.restored.iter().map(RestoredFrom::describe));
        steps.extend(self.quick_fixes.iter().cloned());
        steps
    }

    /// The proxy's `file` view of the mended file (defaults < file).
    pub fn expected_file(&self, layouts: &LayoutSet) -> Map<String, Value> {
        proxy_file_view(&self.after, layouts)
    }
}

/// The proxy's `file` view of `text`: each key it reads in its own section
/// as it reads it, else its default. Empty when the text does not parse.
pub fn proxy_file_view(text: &str, layouts: &LayoutSet) -> Map<String, Value> {
    let Ok(doc) = ConfigDocument::parse(text) else {
        return Map::new();
    };
    crate::core::proxy::preview(&doc, layouts, None, &BTreeMap::new())
        .rows
        .into_iter()
        .map(|r| (r.key, r.draft))
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum RescueError {
    #[error("{0}")]
    Read(#[from] safe_save::SaveError),
}

/// Plan the rescue of the proxy's file at `path`: `env` is the proxy's
/// environment as far as it is known here, `history_dir` the push history.
pub fn plan_rescue(
    path: &Path,
    layouts: &Arc<LayoutSet>,
    env: &BTreeMap<String, String>,
    history_dir: Option<&Path>,
) -> Result<RescuePlan, RescueError> {
    let loaded = read_text(path)?;
    let before = loaded.text;
    let error = FileError::first_in(&before);
    let repaired = repair::repair_for_tomllib(&before);
    let (mut text, repairs, restored, remaining) = match repaired.remaining {
        None => (repaired.text, repaired.repairs, None, None),
        Some(left) => match last_readable(path, history_dir) {
            Some((text, from)) => (text, Vec::new(), Some(from), None),
            None => (repaired.text, repaired.repairs, None, Some(left)),
        },
    };
    let mut quick_fixes = Vec::new();
    if remaining.is_none()
        && let Ok(mut session) = EditSession::from_text(&text, Arc::clone(layouts))
        && let Ok(fixed) = session.apply_fixes()
        && !fixed.is_empty()
    {
        let mended = session.doc().text();
        // A quick fix never makes a file tomllib cannot read; if one did,
        // the file without it is the rescue.
        if FileError::first_in(&mended).is_none() {
            text = mended;
            quick_fixes = fixed
                .iter()
                .map(|f| {
                    let label = f.fix.as_ref().map_or("", |x| x.label.as_str());
                    match f.line {
                        Some(l) => format!("line {l}: quick fix: {label}"),
                        None => format!("quick fix: {label}"),
                    }
                })
                .collect();
        }
    }
    let name = path.display().to_string();
    let diff = text_diff::unified(&before, &text, &name, ("now", "rescued"));
    Ok(RescuePlan {
        path: path.to_path_buf(),
        fingerprint: loaded.fingerprint,
        before,
        error,
        repairs,
        quick_fixes,
        restored,
        after: text,
        remaining,
        env: env_problems(layouts, env),
        diff,
    })
}

/// The newest version of the file tomllib can read: the text before the
/// newest recorded push to this file, or the `.bak`, whichever is newer.
fn last_readable(path: &Path, history_dir: Option<&Path>) -> Option<(String, RestoredFrom)> {
    let same = |p: &Path| {
        p == path || matches!((p.canonicalize(), path.canonicalize()), (Ok(a), Ok(b)) if a == b)
    };
    let from_history = history_dir
        .and_then(|dir| history::list(dir).ok())
        .and_then(|list| {
            list.entries
                .into_iter()
                .filter(|e| e.file.local_path.as_deref().is_some_and(same))
                .filter_map(|e| {
                    let text = e.file.text_before.clone()?;
                    FileError::first_in(&text).is_none().then_some((
                        e.time_unix_s,
                        text,
                        RestoredFrom::History {
                            id: e.id,
                            time: e.time,
                        },
                    ))
                })
                .max_by_key(|(t, _, _)| *t)
        });
    let bak = safe_save::backup_path(path);
    let from_backup = read_text(&bak).ok().and_then(|loaded| {
        let modified = std::fs::metadata(&bak)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        FileError::first_in(&loaded.text).is_none().then_some((
            modified,
            loaded.text,
            RestoredFrom::Backup { path: bak },
        ))
    });
    [from_history, from_backup]
        .into_iter()
        .flatten()
        .max_by_key(|(t, _, _)| *t)
        .map(|(_, text, from)| (text, from))
}

#[cfg(test)]
mod tests;

/// How the proxy answers before a rescue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "why", rename_all = "snake_case")]
pub enum ProxyState {
    /// Healthy, and its config endpoint answers.
    Answers,
    /// Healthy, but `GET /v1/config/chat-proxy` fails (a 500).
    ConfigFails(String),
    /// No answer at all: not running (it stops at start-up on a file
    /// tomllib cannot read), or not reachable.
    Down(String),
}

impl ProxyState {
    pub fn describe(&self) -> String {
        match self {
            Self::Answers => "answers; its config endpoint too".to_owned(),
            Self::ConfigFails(why) => format!("up, but its config endpoint fails: {why}"),
            Self::Down(why) => format!("does not answer: {why}"),
        }
    }

    /// Whether a rescue is what the proxy needs.
    pub fn needs_rescue(&self) -> bool {
        !matches!(self, Self::Answers)
    }
}

/// Ask the proxy's health and config endpoints.
pub async fn probe(api: &dyn crate::core::proxy::ProxyApi) -> ProxyState {
    let (health, config) = futures_util::future::join(api.health(), api.config()).await;
    match (health, config) {
        (Err(e), _) => ProxyState::Down(e.to_string()),
        (Ok(_), Err(e)) => ProxyState::ConfigFails(e.to_string()),
        (Ok(_), Ok(_)) => ProxyState::Answers,
    }
}
