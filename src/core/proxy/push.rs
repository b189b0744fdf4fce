//! Pushing a draft to the proxy, part one: the plan (what changes, what the
//! file becomes, what is lost on either side). `push_run.rs` executes it.
//! Everything returns data; the CLI prints it, the GUI shows it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::api_types::ProxyConfigView;
use super::client::ProxyError;
use super::effective::preview;
use super::masked::{MaskedKey, masked_keys};
use super::path_map::{LocalPath, PathMap, PathMapError, resolve};
use super::push_lock::LockError;
use super::three_way::{ConflictChoice, DraftBase, KeyConflict, ThreeWay, three_way};
use super::unsent::unsent;
use super::version::{UnreadKey, unread_keys};
use super::writer::{Loss, Mangled, losses, mangled_values, regenerate};
use crate::core::document::ConfigDocument;
use crate::core::layout::{Field, LayoutSet};
use crate::core::safe_save::{Fingerprint, SaveError, read_text};
use crate::core::text_diff;
use crate::core::validate::{Finding, validate_document};

/// Which proxy a push goes to, how its paths look from here, and what the
/// draft was made from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushTarget {
    pub base_url: String,
    /// The proxy's folders on this machine (`/app/configs` ↔ a local folder).
    pub path_maps: Vec<PathMap>,
    /// The draft's file on this machine (recorded in the history, so the
    /// next push of it knows its base).
    pub draft_path: Option<PathBuf>,
    /// The proxy's file view the draft was made from (`history::draft_base`);
    /// without it every difference is pushed as the draft's own change.
    pub base: Option<DraftBase>,
    /// How a key both the draft and the proxy changed since `base` is settled.
    pub conflict_choice: ConflictChoice,
}

impl PushTarget {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            ..Self::default()
        }
    }

    #[must_use]
    pub fn with_path_maps(mut self, maps: Vec<PathMap>) -> Self {
        self.path_maps = maps;
        self
    }

    /// The draft's path and the base it was made from (`None`: not known).
    #[must_use]
    pub fn with_draft(mut self, path: Option<PathBuf>, base: Option<DraftBase>) -> Self {
        self.draft_path = path;
        self.base = base;
        self
    }

    #[must_use]
    pub fn with_conflict_choice(mut self, choice: ConflictChoice) -> Self {
        self.conflict_choice = choice;
        self
    }
}

/// The proxy writes its file through `tempfile.mkstemp()` and a rename
/// (contract §8), so after an API push the file has mode 0600.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileModeChange {
    /// The file's mode now, when it is readable here.
    pub now: Option<u32>,
    pub after: u32,
}

impl FileModeChange {
    pub fn describe(&self) -> String {
        match self.now {
            Some(now) if now != self.after => format!(
                "the proxy rewrites its file through a private temp file: its mode goes from {now:04o} to {:04o} (other users and groups lose access)",
                self.after
            ),
            Some(_) => format!("the file keeps mode {:04o}", self.after),
            None => format!(
                "the proxy rewrites its file through a private temp file, so it ends with mode {:04o}",
                self.after
            ),
        }
    }
}

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
    /// The proxy's file is not readable here: what it holds beyond its
    /// settings cannot be listed, only that a `PUT` drops it.
    Unknown,
    /// File push, or nothing is `PUT`: nothing of the proxy's file is lost.
    None,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PushPlan {
    pub mode: PushMode,
    pub base_url: String,
    /// As the proxy reports it (relative to its working folder, or a container path).
    pub config_file_path: String,
    /// That file on this machine, through a path map or as is; `None` when
    /// it cannot be known (`local_path_problem` says why).
    pub local_path: Option<LocalPath>,
    pub local_path_problem: Option<String>,
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
    /// The draft's side: its tables, keys and comments that an API push
    /// cannot carry to the proxy's file (and the file does not hold yet).
    pub draft_losses: Vec<Loss>,
    /// Validation warnings (errors refuse the plan), then one per setting
    /// of the draft the proxy does not read (`version::unread_keys`).
    pub warnings: Vec<Finding>,
    pub restart_required: bool,
    /// Pushed keys an env var masks: written, but not what the proxy runs.
    pub masked: Vec<MaskedKey>,
    /// API push: values the proxy's writer would not write back as sent
    /// (its PUT escapes only `"`); any makes the API push refused.
    pub mangled: Vec<Mangled>,
    /// API push: the file's mode after the proxy rewrites it.
    pub file_mode: Option<FileModeChange>,
    /// Against the draft's base: keys kept because only the proxy changed
    /// them, and conflicts that need an explicit choice.
    pub three_way: ThreeWay,
    /// Where the draft's base came from (`None`: no base known; every
    /// difference is pushed as the draft's own change).
    pub base_from: Option<String>,
    /// The draft's file on this machine.
    pub draft_path: Option<PathBuf>,
    #[serde(skip)]
    pub(super) file_fingerprint: Option<Fingerprint>,
    /// Keys where the local file at the proxy's path disagrees with the proxy's view.
    #[serde(skip)]
    pub(super) local_differs: Vec<String>,
}

impl PushPlan {
    /// A lossy push may only run after the user agreed to the losses, on
    /// the proxy's side and on the draft's.
    pub fn needs_confirmation(&self) -> bool {
        !self.losses.is_empty() || !self.draft_losses.is_empty()
    }

    /// Nothing would change: no key and nothing the API cannot carry (API),
    /// or not a byte (file).
    pub fn is_empty(&self) -> bool {
        match self.mode {
            PushMode::Api => self.changes.is_empty() && self.draft_losses.is_empty(),
            PushMode::File => self.new_text == self.current_text,
        }
    }

    /// The draft differs from the proxy's file only in what the API cannot
    /// carry: an API push would write nothing of it.
    pub fn only_uncarriable(&self) -> bool {
        self.mode == PushMode::Api && self.changes.is_empty() && !self.draft_losses.is_empty()
    }

    /// The local file at the proxy's path, when there is one.
    pub fn local_file(&self) -> Option<&Path> {
        self.local_path.as_ref().map(LocalPath::path)
    }

    /// Why this plan must not run as it is, before anything is written
    /// (the same checks for one proxy and for every target of a fleet).
    pub fn refusal(&self, confirmed: bool) -> Option<PushError> {
        if self.is_empty() {
            return None;
        }
        if self.only_uncarriable() {
            return Some(PushError::CannotCarry {
                draft_losses: self.draft_losses.clone(),
            });
        }
        if self.mode == PushMode::Api && !self.mangled.is_empty() {
            return Some(PushError::WouldMangle {
                mangled: self.mangled.clone(),
            });
        }
        if !self.three_way.conflicts.is_empty() {
            return Some(PushError::Conflicts {
                conflicts: self.three_way.conflicts.clone(),
            });
        }
        if self.needs_confirmation() && !confirmed {
            return Some(PushError::NeedsConfirmation {
                losses: self.losses.clone(),
                draft_losses: self.draft_losses.clone(),
            });
        }
        None
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
    #[error("the draft has {}; fix them before pushing: {}", crate::core::plural::count(findings.len(), "validation error", "validation errors"), summary(findings))]
    Invalid { findings: Vec<Finding> },
    #[error(
        "the proxy's file {path} is not on this machine, so a file push is impossible; map the proxy's folder to this machine's (CLI --path-map PROXY=LOCAL, GUI \"Path maps\" in the connection profile), use an API push (lossy), or run the studio where the proxy runs"
    )]
    FileNotReachable { path: String },
    #[error("file push refused: {0}")]
    Path(#[from] PathMapError),
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
    #[error("{}", confirmation_text(losses, draft_losses))]
    NeedsConfirmation {
        losses: Vec<Loss>,
        draft_losses: Vec<Loss>,
    },
    #[error(
        "nothing of this draft can reach the proxy over the API: {}; the proxy's API drops ImageWorks' tables ([ui], [storage], [[endpoints]]), unknown keys and comments; push with --mode file (lossless) instead",
        draft_losses.iter().map(Loss::describe).collect::<Vec<_>>().join("; ")
    )]
    CannotCarry { draft_losses: Vec<Loss> },
    #[error(
        "an API push would corrupt {}: the proxy's writer escapes only `\"` (contract §8); {}. Push with --mode file (lossless) instead",
        crate::core::plural::count(mangled.len(), "value", "values"),
        mangled.iter().map(Mangled::describe).collect::<Vec<_>>().join("; ")
    )]
    WouldMangle { mangled: Vec<Mangled> },
    #[error(
        "{} changed on the proxy since the draft was made and changed differently in the draft: {}; choose with --on-conflict mine (push the draft's) or --on-conflict theirs (keep the proxy's)",
        crate::core::plural::count(conflicts.len(), "key", "keys"),
        conflicts.iter().map(KeyConflict::describe).collect::<Vec<_>>().join("; ")
    )]
    Conflicts { conflicts: Vec<KeyConflict> },
    #[error("{failure}")]
    ProxyCouldNotWrite {
        failure: super::broken::WriteFailure,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("the proxy's config changed since the preview ({}); reload and review before pushing", conflicts.iter().map(|c| c.key.as_str()).collect::<Vec<_>>().join(", "))]
    Stale { conflicts: Vec<StaleConflict> },
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    #[error(transparent)]
    Save(#[from] SaveError),
    /// The draft for this proxy could not be made (a revert's base).
    #[error("cannot make the draft for this proxy: {reason}")]
    Draft { reason: String },
}

fn confirmation_text(losses: &[Loss], draft_losses: &[Loss]) -> String {
    let list = |l: &[Loss]| l.iter().map(Loss::describe).collect::<Vec<_>>().join("; ");
    let mut parts = Vec::new();
    if !losses.is_empty() {
        parts.push(format!(
            "it would lose {} from the proxy's file: {}",
            crate::core::plural::count(losses.len(), "thing", "things"),
            list(losses)
        ));
    }
    if !draft_losses.is_empty() {
        parts.push(format!(
            "{} of the draft cannot go over the API and would not reach the file: {}",
            crate::core::plural::count(draft_losses.len(), "part", "parts"),
            list(draft_losses)
        ));
    }
    format!(
        "the push needs confirmation (--yes): {}; or use a file push (--mode file) to keep them",
        parts.join("; and ")
    )
}

fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The draft's validation warnings (an error refuses the plan), and a
/// warning per setting it sets that this proxy does not read: an older
/// proxy takes such a key without complaint and ignores it.
fn plan_warnings(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
) -> Result<Vec<Finding>, PushError> {
    let mut findings = validate_document(draft, layouts);
    if findings.iter().any(Finding::is_error) {
        return Err(PushError::Invalid { findings });
    }
    findings.extend(
        unread_keys(draft, layouts, view)
            .iter()
            .map(UnreadKey::finding),
    );
    Ok(findings)
}

/// Plan a push of `draft` to the proxy whose config is `view`.
pub fn plan_push(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
    target: &PushTarget,
    mode: PushMode,
) -> Result<PushPlan, PushError> {
    let findings = plan_warnings(draft, layouts, view)?;
    let local_path = resolve(&view.config_file_path, &target.path_maps);
    if mode == PushMode::File
        && let Err(e) = &local_path
    {
        return Err(PushError::Path(e.clone()));
    }
    let mut local = match &local_path {
        Ok(p) => read_local_file(p.path())?,
        Err(_) => None,
    };
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
    let mut changes = planned_changes(draft, layouts, view, mode);
    let three_way = match &target.base {
        Some(base) => three_way(&mut changes, base, layouts, target.conflict_choice),
        None => ThreeWay::default(),
    };
    // A file push writes the whole draft: it must carry the kept values.
    let kept_draft = (mode == PushMode::File && !three_way.kept.is_empty())
        .then(|| with_kept(draft, layouts, &three_way))
        .transpose()?;
    let draft = kept_draft.as_ref().unwrap_or(draft);
    let (current, current_text) = match &local {
        Some((path, text, _)) => (CurrentText::LocalFile { path: path.clone() }, text.clone()),
        None => (
            CurrentText::Regenerated,
            regenerate(&view.file, &Map::new(), layouts),
        ),
    };
    let api = match mode {
        PushMode::File => ApiSides::default(),
        PushMode::Api => api_sides(
            draft,
            layouts,
            view,
            &changes,
            local.as_ref().map(|l| l.1.as_str()),
        ),
    };
    let new_text = match mode {
        PushMode::File => draft.text(),
        PushMode::Api if changes.is_empty() => current_text.clone(),
        PushMode::Api => api.new_text,
    };
    let proxy = ProxySide::of(
        layouts,
        view,
        &changes,
        mode,
        local.as_ref().map(|(path, _, _)| path.as_path()),
    );
    let (local_path, local_path_problem) = match local_path {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(PushPlan {
        mode,
        base_url: target.base_url.clone(),
        config_file_path: view.config_file_path.clone(),
        local_path,
        local_path_problem,
        restart_required: changes.iter().any(|c| c.needs_restart),
        base_view: view.file.clone(),
        diff: text_diff::unified(
            &current_text,
            &new_text,
            &view.config_file_path,
            ("now", "after push"),
        ),
        current,
        current_text,
        new_text,
        losses: api.losses,
        loss_basis: api.basis,
        draft_losses: api.draft_losses,
        warnings: findings,
        masked: proxy.masked,
        mangled: proxy.mangled,
        file_mode: proxy.file_mode,
        three_way,
        base_from: target.base.as_ref().map(|b| b.from.clone()),
        draft_path: target.draft_path.clone(),
        file_fingerprint: local.map(|(_, _, fp)| fp),
        local_differs,
        changes,
    })
}

/// What the proxy will do with the pushed values beyond writing them:
/// run an env var's value instead, write them wrongly (API), leave its file
/// at mode 0600 (API).
struct ProxySide {
    masked: Vec<MaskedKey>,
    mangled: Vec<Mangled>,
    file_mode: Option<FileModeChange>,
}

impl ProxySide {
    fn of(
        layouts: &LayoutSet,
        view: &ProxyConfigView,
        changes: &[PlannedChange],
        mode: PushMode,
        local: Option<&Path>,
    ) -> Self {
        let masked = masked_keys(
            layouts,
            changes.iter().map(|c| (c.key.as_str(), &c.after)),
            &view.env_overrides,
        );
        if mode == PushMode::File || changes.is_empty() {
            return Self {
                masked,
                mangled: Vec::new(),
                file_mode: None,
            };
        }
        let body = changes
            .iter()
            .map(|c| (c.key.clone(), c.after.clone()))
            .collect();
        Self {
            masked,
            mangled: mangled_values(&view.file, &body, layouts),
            file_mode: Some(FileModeChange {
                now: local.and_then(file_mode_of),
                after: 0o600,
            }),
        }
    }
}

/// What an API push does to both sides.
struct ApiSides {
    new_text: String,
    losses: Vec<Loss>,
    basis: LossBasis,
    draft_losses: Vec<Loss>,
}

impl Default for ApiSides {
    fn default() -> Self {
        Self {
            new_text: String::new(),
            losses: Vec::new(),
            basis: LossBasis::None,
            draft_losses: Vec::new(),
        }
    }
}

/// The regenerated file, what it destroys of the proxy's current file
/// (`local`, when readable here; else the draft stands in for it), and what
/// of the draft cannot reach the file at all.
fn api_sides(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
    changes: &[PlannedChange],
    local: Option<&str>,
) -> ApiSides {
    let body: Map<String, Value> = changes
        .iter()
        .map(|c| (c.key.clone(), c.after.clone()))
        .collect();
    let draft_text = draft.text();
    let draft_losses = unsent(&draft_text, local, layouts);
    let (losses, basis) = match (changes.is_empty(), local) {
        // Nothing is PUT, so nothing of the proxy's file is rewritten.
        (true, _) => (Vec::new(), LossBasis::None),
        (false, Some(text)) => (losses(text, layouts), LossBasis::ProxyFile),
        (false, None) => (
            vec![Loss::Layout {
                what: "the proxy's file is not readable from here, so its comments and other tables cannot be listed; a PUT drops whatever it holds beyond the proxy's settings".to_owned(),
            }],
            LossBasis::Unknown,
        ),
    };
    ApiSides {
        new_text: regenerate(&view.file, &body, layouts),
        losses,
        basis,
        draft_losses,
    }
}

/// The draft with the proxy's value put back for every key only the proxy
/// changed since the base (a file push writes the whole draft, so it must
/// carry those values itself).
fn with_kept(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    three_way: &ThreeWay,
) -> Result<ConfigDocument, PushError> {
    let mut out = draft.clone();
    for kept in &three_way.kept {
        let Some((section, field)) = layouts.proxy_field_by_key(&kept.key) else {
            continue;
        };
        let path =
            crate::core::document::DocPath::keys(&[section.table.as_str(), field.key.as_str()]);
        out.set_value(layouts, &path, super::json_value::json_to_toml(&kept.proxy))
            .map_err(|e| PushError::Draft {
                reason: format!("cannot keep the proxy's {}: {e}", kept.path),
            })?;
    }
    Ok(out)
}

#[cfg(unix)]
fn file_mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode_of(_: &Path) -> Option<u32> {
    None
}

/// The proxy's file when it is readable from here.
fn read_local_file(path: &Path) -> Result<Option<(PathBuf, String, Fingerprint)>, PushError> {
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
