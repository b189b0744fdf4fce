//! A local record of every push, and "revert" as a new push of the previous
//! values. Stored as JSON lines in a folder the caller chooses (the app's
//! data dir; a tempdir in tests): one append per push, readable by people
//! and tools, no git library to build (git2 needs libgit2's C build, gix is
//! large; neither buys anything for an append-only log).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::json_value::json_to_toml;
use super::path_map::PathMap;
use super::push::{PushError, PushMode, PushPlan};
use super::push_run::{PushOutcome, PushStatus};
use super::restart::RestartReport;
use crate::core::document::{ConfigDocument, DocPath, EditError};
use crate::core::layout::LayoutSet;

pub const HISTORY_FILE: &str = "proxy_push_history.jsonl";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryChange {
    pub key: String,
    pub path: String,
    pub before: Value,
    pub after: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum HistoryResult {
    Pushed {
        verified: bool,
        restart_required: bool,
        backup: Option<PathBuf>,
        /// Keys another client changed between this push's re-read and its read-back.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        concurrent: Vec<String>,
    },
    /// The write may or may not have happened; a re-read found `present`
    /// with the pushed values and `absent` without (both empty when the
    /// re-read failed too).
    OutcomeUnknown {
        problem: String,
        present: Vec<String>,
        absent: Vec<String>,
        reread: bool,
    },
    Failed {
        error: String,
    },
    /// Written, and the proxy can no longer read its file (`where_` says where it stops).
    BrokeFile {
        #[serde(rename = "where")]
        where_: String,
    },
}

/// What a push found and left on the proxy, so a later push of the same
/// draft knows its base and a revert can put the file back byte for byte.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The draft's file on this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<PathBuf>,
    /// The proxy's `file` view before the push.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub before: Map<String, Value>,
    /// The proxy's `file` view after the push, as read back (empty when the
    /// push did not land or was not read back).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub after: Map<String, Value>,
    /// The proxy's file on this machine (after path maps) and its text
    /// before the push, when it was read here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_before: Option<String>,
}

impl FileRecord {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The record of one plan and what its push read back.
    pub fn of(plan: &PushPlan, result: &Result<PushOutcome, PushError>) -> Self {
        let landed = matches!(result, Ok(o) if matches!(o.status, PushStatus::Verified | PushStatus::ConcurrentEdit | PushStatus::Nothing));
        Self {
            draft: plan.draft_path.clone(),
            before: plan.base_view.clone(),
            after: match result {
                Ok(o) if landed => o.expected_file.clone(),
                _ => Map::new(),
            },
            local_path: plan.local_file().map(Path::to_path_buf),
            text_before: match plan.current {
                super::push::CurrentText::LocalFile { .. } => Some(plan.current_text.clone()),
                super::push::CurrentText::Regenerated => None,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Names this push for records written after it (a restart from the
    /// GUI); empty in entries written before ids existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Seconds since the Unix epoch.
    pub time_unix_s: u64,
    /// UTC, `2026-11-24T11:44:20Z`.
    pub time: String,
    pub profile: String,
    pub base_url: String,
    pub mode: PushMode,
    pub changes: Vec<HistoryChange>,
    pub result: HistoryResult,
    /// The restart after the push, stage by stage, when one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartReport>,
    /// A fleet push: one record per target (then `changes` is empty and
    /// `result` sums the fleet up).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<HistoryTarget>,
    /// The files around this push (single-proxy pushes).
    #[serde(default, skip_serializing_if = "FileRecord::is_empty")]
    pub file: FileRecord,
    /// What else the push changed in the proxy's file, beyond the keys the
    /// proxy's API shows (`changes`): ImageWorks' own tables (`[ui.pages]`),
    /// keys the proxy does not read, tables its writer drops; each by its
    /// path, `null` where it was or is absent. Known when the file was read
    /// on this machine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_changes: Vec<HistoryChange>,
}

/// One target of a fleet push.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryTarget {
    pub name: String,
    pub base_url: String,
    /// The profile's path maps at push time (a file-mode revert needs them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_maps: Vec<PathMap>,
    pub changes: Vec<HistoryChange>,
    pub result: HistoryResult,
    /// Set when the fleet was rolled back and this target may have been written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<HistoryRollback>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum HistoryRollback {
    /// Put back and read back as before.
    RolledBack,
    /// Not put back, not verified, or unknown: the push may still be there.
    Incomplete { problem: String },
}

impl HistoryTarget {
    /// Whether this target may still hold the push (so revert makes sense).
    pub fn may_have_changed_file(&self) -> bool {
        matches!(
            self.result,
            HistoryResult::Pushed { .. } | HistoryResult::OutcomeUnknown { .. }
        ) && !matches!(self.rollback, Some(HistoryRollback::RolledBack))
            && !self.changes.is_empty()
    }
}

/// A new entry's id and time: (id, Unix seconds, UTC text).
pub(super) fn stamp() -> (String, u64, String) {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now = since_epoch.as_secs();
    (
        // Unique enough for one folder: two pushes in the same
        // nanosecond from the same process do not happen.
        format!("{:x}-{:x}", since_epoch.as_nanos(), std::process::id()),
        now,
        utc_text(now),
    )
}

/// The record of one plan's changes.
pub(super) fn changes_of(plan: &PushPlan) -> Vec<HistoryChange> {
    plan.changes
        .iter()
        .map(|c| HistoryChange {
            key: c.key.clone(),
            path: c.path.clone(),
            before: c.before.clone(),
            after: c.after.clone(),
        })
        .collect()
}

/// Every value that differs between the proxy's file before the push and
/// after it, other than the keys the API shows (`changes_of` has those):
/// known only when the file was read here (else `current_text` is the
/// proxy's values regenerated, which holds nothing else).
pub(super) fn file_changes_of(plan: &PushPlan) -> Vec<HistoryChange> {
    if !matches!(plan.current, super::push::CurrentText::LocalFile { .. }) {
        return Vec::new();
    }
    let api_paths: std::collections::HashSet<&str> =
        plan.changes.iter().map(|c| c.path.as_str()).collect();
    value_changes(&plan.current_text, &plan.new_text)
        .into_iter()
        .filter(|c| !api_paths.contains(c.path.as_str()))
        .collect()
}

/// Every value (by its dotted path, `endpoints[0].name`) that differs
/// between two TOML texts, however each is spelled; `null` where absent.
pub fn value_changes(before: &str, after: &str) -> Vec<HistoryChange> {
    let leaves = |text: &str| {
        let mut out = std::collections::BTreeMap::new();
        if let Ok(doc) = crate::core::document::parse_spanned(text) {
            flatten(doc.as_table(), "", &mut out);
        }
        out
    };
    let (old, new) = (leaves(before), leaves(after));
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let (b, a) = (old.get(path), new.get(path));
            (b != a).then(|| HistoryChange {
                key: path.clone(),
                path: path.clone(),
                before: b.cloned().unwrap_or(Value::Null),
                after: a.cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

fn flatten(
    table: &dyn toml_edit::TableLike,
    prefix: &str,
    out: &mut std::collections::BTreeMap<String, Value>,
) {
    for (key, item) in table.iter() {
        let path = format!("{prefix}{key}");
        match item {
            toml_edit::Item::ArrayOfTables(array) => {
                for (i, t) in array.iter().enumerate() {
                    flatten(t, &format!("{path}[{i}]."), out);
                }
            }
            toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
                flatten(t, &format!("{path}."), out);
            }
            toml_edit::Item::Table(t) => flatten(t, &format!("{path}."), out),
            toml_edit::Item::Value(v) => {
                out.insert(path, super::json_value::toml_to_json(v));
            }
            toml_edit::Item::None => {}
        }
    }
}

/// How a push is reverted ([`HistoryEntry::revert_route`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevertRoute {
    /// Write the proxy's file back as it was before the push, byte for
    /// byte (`text` at `path`, on this machine): planned as a file push.
    RestoreText { path: PathBuf, text: String },
    /// Push the previous values of `changes` back (through the API or as a
    /// file push of the draft with them put back).
    PushBack,
}

/// How one push's result is recorded.
pub(super) fn result_of(result: &Result<PushOutcome, PushError>) -> HistoryResult {
    match result {
        Ok(o) => outcome_result(o),
        Err(e) => HistoryResult::Failed {
            error: e.to_string(),
        },
    }
}

pub(super) fn outcome_result(o: &PushOutcome) -> HistoryResult {
    if let (PushStatus::BrokeFile, Some(b)) = (o.status, &o.broken) {
        return HistoryResult::BrokeFile {
            where_: b.describe(),
        };
    }
    if o.status == PushStatus::Unknown {
        HistoryResult::OutcomeUnknown {
            problem: o.problem.clone().unwrap_or_default(),
            reread: !o.reread_failed,
            present: o.present().into_iter().map(str::to_owned).collect(),
            absent: o.absent().into_iter().map(str::to_owned).collect(),
        }
    } else {
        HistoryResult::Pushed {
            verified: o.verified,
            restart_required: o.restart_required,
            backup: o.backup.clone(),
            concurrent: o.concurrent.iter().map(|c| c.key.clone()).collect(),
        }
    }
}

impl HistoryEntry {
    /// The record of running `plan` (successfully or not).
    pub fn of_push(
        profile: &str,
        plan: &PushPlan,
        result: &Result<PushOutcome, PushError>,
    ) -> Self {
        let (id, time_unix_s, time) = stamp();
        Self {
            id,
            time_unix_s,
            time,
            profile: profile.to_owned(),
            base_url: plan.base_url.clone(),
            mode: plan.mode,
            changes: changes_of(plan),
            result: result_of(result),
            restart: None,
            targets: Vec::new(),
            file: FileRecord::of(plan, result),
            file_changes: file_changes_of(plan),
        }
    }

    /// How a revert of this entry puts the file back, or why it cannot.
    pub fn revert_route(&self) -> Result<RevertRoute, HistoryError> {
        if !self.may_have_changed_file() {
            return Err(HistoryError::NotPushed);
        }
        let text = match (&self.file.local_path, &self.file.text_before) {
            (Some(path), Some(text)) => Some((path, text)),
            _ => None,
        };
        // A file push wrote the whole file, and an API push that changed
        // more than its keys can only be undone with the file's old text.
        let whole_file = self.mode == PushMode::File || !self.file_changes.is_empty();
        match text {
            Some((path, text)) if whole_file => Ok(RevertRoute::RestoreText {
                path: path.clone(),
                text: text.clone(),
            }),
            None if self.mode == PushMode::File => Err(HistoryError::NoTextBefore),
            _ if !self.changes.is_empty() => Ok(RevertRoute::PushBack),
            _ => Err(HistoryError::NothingRecorded),
        }
    }

    /// Whether this push may have changed the proxy's file (so revert makes sense).
    pub fn may_have_changed_file(&self) -> bool {
        if !self.targets.is_empty() {
            return self
                .targets
                .iter()
                .any(HistoryTarget::may_have_changed_file);
        }
        matches!(
            self.result,
            HistoryResult::Pushed { .. }
                | HistoryResult::OutcomeUnknown { .. }
                | HistoryResult::BrokeFile { .. }
        )
    }
}

/// The base of the draft at `draft` for the proxy at `base_url`: the
/// proxy's file view it was made from, as far as the history knows.
/// 1. The last push of this very draft to this proxy: what it left.
/// 2. Else the proxy's state when the draft was last modified: the view the
///    last push before that left, or, when every recorded push came after,
///    the view the first of them found.
///
/// `None` when the history has nothing for this proxy.
pub fn draft_base(
    entries: &[HistoryEntry],
    base_url: &str,
    draft: &Path,
    draft_modified_unix_s: u64,
) -> Option<super::three_way::DraftBase> {
    let proxy = super::push_lock::proxy_key(base_url);
    let mine: Vec<&HistoryEntry> = entries
        .iter()
        .filter(|e| e.targets.is_empty() && super::push_lock::proxy_key(&e.base_url) == proxy)
        .collect();
    let same_draft = |e: &&&HistoryEntry| {
        e.file
            .draft
            .as_deref()
            .is_some_and(|d| paths_match(d, draft))
            && !e.file.after.is_empty()
    };
    if let Some(e) = mine.iter().rev().find(same_draft) {
        return Some(super::three_way::DraftBase {
            values: e.file.after.clone(),
            from: format!("the last push of this draft ({})", e.time),
        });
    }
    let before_edit = mine
        .iter()
        .rev()
        .find(|e| e.time_unix_s <= draft_modified_unix_s && !e.file.after.is_empty());
    if let Some(e) = before_edit {
        return Some(super::three_way::DraftBase {
            values: e.file.after.clone(),
            from: format!(
                "the proxy's file after the push of {}, before the draft was last changed",
                e.time
            ),
        });
    }
    let after_edit = mine
        .iter()
        .find(|e| e.time_unix_s > draft_modified_unix_s && !e.file.before.is_empty())?;
    Some(super::three_way::DraftBase {
        values: after_edit.file.before.clone(),
        from: format!(
            "the proxy's file before the push of {}, after the draft was last changed",
            after_edit.time
        ),
    })
}

/// [`draft_base`] from the history in `dir`, with the draft file's own
/// modification time; `None` when the history has nothing for this proxy.
pub fn draft_base_in(
    dir: &Path,
    base_url: &str,
    draft: &Path,
) -> Result<Option<super::three_way::DraftBase>, HistoryError> {
    let listed = list(dir)?;
    let modified = std::fs::metadata(draft)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(u64::MAX, |d| d.as_secs());
    Ok(draft_base(&listed.entries, base_url, draft, modified))
}

fn paths_match(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "push history {path}: cannot {action}: {source}; check the folder exists and is writable"
    )]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("push history: cannot encode an entry: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot revert: {0}")]
    Edit(#[from] EditError),
    #[error("cannot revert “{key}”: no setting has that key in the layouts")]
    UnknownKey { key: String },
    #[error("cannot revert a push that failed (nothing was changed by it)")]
    NotPushed,
    #[error(
        "cannot revert: this file push did not record the file's text before it (an entry written before texts were kept, or the file was not read on this machine); put the file back from its .bak next to it"
    )]
    NoTextBefore,
    #[error(
        "cannot revert: this push recorded no change to put back and no text of the file before it"
    )]
    NothingRecorded,
    #[error(
        "cannot revert by values: this push changed only what the proxy's API does not show ({}); put the file back as it was before the push with “history revert N --restore-file”",
        .paths.join(", ")
    )]
    OnlyInFile { paths: Vec<String> },
}

/// Everything readable in the history; lines that do not parse are counted, not fatal.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryList {
    /// Oldest first.
    pub entries: Vec<HistoryEntry>,
    /// 1-based line numbers that are not valid entries.
    pub unreadable_lines: Vec<usize>,
}

pub fn history_path(dir: &Path) -> PathBuf {
    dir.join(HISTORY_FILE)
}

/// Append one entry (creating the folder and file as needed).
pub fn record(dir: &Path, entry: &HistoryEntry) -> Result<(), HistoryError> {
    append_line(dir, &serde_json::to_string(entry)?)
}

fn append_line(dir: &Path, line: &str) -> Result<(), HistoryError> {
    let path = history_path(dir);
    let io = |action, source| HistoryError::Io {
        path: path.clone(),
        action,
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io("create its folder", e))?;
    let line = format!("{line}\n");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| io("open", e))?;
    file.write_all(line.as_bytes())
        .map_err(|e| io("append to", e))?;
    file.sync_all().map_err(|e| io("sync", e))
}

/// A restart run after a push was recorded (the GUI restarts when the
/// admin asks, after the push's own line is written): one more line, read
/// back into that push's `restart`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RestartRecord {
    restart_of: String,
    restart: RestartReport,
}

/// Append the restart that followed push `push_id` (a [`HistoryEntry::id`]).
pub fn record_restart(
    dir: &Path,
    push_id: &str,
    report: &RestartReport,
) -> Result<(), HistoryError> {
    append_line(
        dir,
        &serde_json::to_string(&RestartRecord {
            restart_of: push_id.to_owned(),
            restart: report.clone(),
        })?,
    )
}

/// All entries, oldest first; no history yet is an empty list.
pub fn list(dir: &Path) -> Result<HistoryList, HistoryError> {
    let path = history_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HistoryList::default()),
        Err(source) => {
            return Err(HistoryError::Io {
                path,
                action: "read",
                source,
            });
        }
    };
    let mut out = HistoryList::default();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        if let Ok(entry) = serde_json::from_str(line) {
            out.entries.push(entry);
            continue;
        }
        let attached = serde_json::from_str::<RestartRecord>(line)
            .ok()
            .and_then(|r| {
                let push = out
                    .entries
                    .iter_mut()
                    .rev()
                    .find(|e| !e.id.is_empty() && e.id == r.restart_of)?;
                push.restart = Some(r.restart);
                Some(())
            });
        if attached.is_none() {
            out.unreadable_lines.push(i + 1);
        }
    }
    Ok(out)
}

/// A draft that puts back the values `entry` replaced, starting from `base`
/// (the document being edited). Push it with `plan_push` like any draft, so
/// validation, the stale guard and the loss list apply to a revert too.
pub fn revert_draft(
    entry: &HistoryEntry,
    base: &ConfigDocument,
    layouts: &LayoutSet,
) -> Result<ConfigDocument, HistoryError> {
    if !entry.may_have_changed_file() {
        return Err(HistoryError::NotPushed);
    }
    revert_changes(&entry.changes, base, layouts)
}

/// `base` with the `before` value of every change put back.
pub fn revert_changes(
    changes: &[HistoryChange],
    base: &ConfigDocument,
    layouts: &LayoutSet,
) -> Result<ConfigDocument, HistoryError> {
    let mut draft = base.clone();
    for change in changes {
        let (section, field) =
            layouts
                .proxy_field_by_key(&change.key)
                .ok_or_else(|| HistoryError::UnknownKey {
                    key: change.key.clone(),
                })?;
        let path = DocPath::keys(&[section.table.as_str(), field.key.as_str()]);
        draft.set_value(layouts, &path, json_to_toml(&change.before))?;
    }
    Ok(draft)
}

/// Unix seconds as UTC `YYYY-MM-DDThh:mm:ssZ` (days-to-civil, no date crate needed).
fn utc_text(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_text_matches_known_dates() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_text(1_795_520_660), "2026-11-24T11:44:20Z");
    }

    fn pushed(id: &str) -> HistoryEntry {
        HistoryEntry {
            id: id.to_owned(),
            time_unix_s: 1,
            time: utc_text(1),
            profile: "p".to_owned(),
            base_url: "http://127.0.0.1:8100".to_owned(),
            mode: PushMode::Api,
            changes: Vec::new(),
            result: HistoryResult::Pushed {
                verified: true,
                restart_required: true,
                backup: None,
                concurrent: Vec::new(),
            },
            restart: None,
            targets: Vec::new(),
            file: FileRecord::default(),
            file_changes: Vec::new(),
        }
    }

    /// Every value a push changed, however it is spelled, with `null`
    /// where a key was or is absent; formatting and comments are no change.
    #[test]
    fn value_changes_name_every_value_that_differs() {
        let before = "# c\n[server]\nport = 8100\n[ui.pages]\nmono_checker = true\n[[endpoints]]\nname = \"a\"\n";
        let after = "[server]\nport   = 8100\n[ui]\npages = { mono_checker = false }\n[[endpoints]]\nname = \"b\"\nurl = \"x\"\n";
        let changes = value_changes(before, after);
        let seen: Vec<(&str, String, String)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.before.to_string(), c.after.to_string()))
            .collect();
        assert_eq!(
            seen,
            [
                ("endpoints[0].name", "\"a\"".to_owned(), "\"b\"".to_owned()),
                ("endpoints[0].url", "null".to_owned(), "\"x\"".to_owned()),
                (
                    "ui.pages.mono_checker",
                    "true".to_owned(),
                    "false".to_owned()
                ),
            ]
        );
    }

    /// A file push is reverted by its text before (byte for byte); one
    /// without that text says why it cannot be; an API push of keys puts
    /// their values back.
    #[test]
    fn a_revert_restores_the_text_or_says_why_not() {
        let mut entry = pushed("a");
        assert!(matches!(
            entry.revert_route(),
            Err(HistoryError::NothingRecorded)
        ));
        entry.mode = PushMode::File;
        assert!(matches!(
            entry.revert_route(),
            Err(HistoryError::NoTextBefore)
        ));
        entry.file.local_path = Some(PathBuf::from("/srv/chat_proxy.toml"));
        entry.file.text_before = Some("[ui.pages]\nmono_checker = true\n".to_owned());
        assert_eq!(
            entry.revert_route().ok(),
            Some(RevertRoute::RestoreText {
                path: PathBuf::from("/srv/chat_proxy.toml"),
                text: "[ui.pages]\nmono_checker = true\n".to_owned()
            })
        );
        entry.mode = PushMode::Api;
        assert!(matches!(
            entry.revert_route(),
            Err(HistoryError::NothingRecorded)
        ));
        entry.changes.push(HistoryChange {
            key: "port".to_owned(),
            path: "server.port".to_owned(),
            before: 8100.into(),
            after: 8101.into(),
        });
        assert_eq!(entry.revert_route().ok(), Some(RevertRoute::PushBack));
        entry.result = HistoryResult::Failed {
            error: "refused".to_owned(),
        };
        assert!(matches!(entry.revert_route(), Err(HistoryError::NotPushed)));
    }

    /// A push that changed only what the API does not show is not
    /// "nothing to push" when reverted by values: it says how instead.
    #[test]
    fn a_push_of_app_tables_alone_is_not_reverted_by_values() {
        let mut entry = pushed("a");
        entry.mode = PushMode::File;
        entry.file_changes.push(HistoryChange {
            key: "ui.pages.mono_checker".to_owned(),
            path: "ui.pages.mono_checker".to_owned(),
            before: true.into(),
            after: false.into(),
        });
        let why = super::super::fleet::revert::revert_targets(&entry)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            why.contains("ui.pages.mono_checker") && why.contains("--restore-file"),
            "{why}"
        );
    }

    #[test]
    fn a_drafts_base_is_its_last_push_else_the_proxy_when_it_was_last_changed() {
        let view = |port: i64| {
            serde_json::json!({"port": port})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        let push = |at: u64, draft: &str, before: i64, after: i64| {
            let mut e = pushed(&format!("p{at}"));
            e.time_unix_s = at;
            e.file = FileRecord {
                draft: Some(PathBuf::from(draft)),
                before: view(before),
                after: view(after),
                ..FileRecord::default()
            };
            e
        };
        let url = "http://localhost:8100/";
        let entries = [
            push(100, "/a.toml", 8100, 9001),
            push(200, "/b.toml", 9001, 9002),
        ];
        let base = |draft: &str, mtime| {
            draft_base(&entries, url, Path::new(draft), mtime).map(|b| b.values["port"].clone())
        };
        // Its own last push.
        assert_eq!(base("/a.toml", 500), Some(Value::from(9001)));
        // Another draft changed at 150: the proxy as the push at 100 left it.
        assert_eq!(base("/c.toml", 150), Some(Value::from(9001)));
        // Changed before every push: as the first push found it.
        assert_eq!(base("/c.toml", 50), Some(Value::from(8100)));
        // Another proxy: nothing known.
        assert_eq!(
            draft_base(&entries, "http://127.0.0.1:8101", Path::new("/c.toml"), 50),
            None
        );
    }

    #[test]
    fn a_restart_recorded_later_joins_its_push() -> Result<(), Box<dyn std::error::Error>> {
        use crate::core::proxy::restart::{RestartResult, RestartStage};
        let dir = tempfile::tempdir()?;
        record(dir.path(), &pushed("a"))?;
        record(dir.path(), &pushed("b"))?;
        let report = RestartReport {
            result: RestartResult::Verified,
            headline: "live: verified".to_owned(),
            stages: vec![RestartStage::Health {
                waited_s: 0.25,
                uptime_s: Some(0.125),
                back: true,
            }],
        };
        record_restart(dir.path(), "a", &report)?;
        record_restart(dir.path(), "gone", &report)?;
        let list = list(dir.path())?;
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.entries[0].restart.as_ref(), Some(&report));
        assert_eq!(list.entries[1].restart, None);
        // A restart of a push that is not there is not silently dropped.
        assert_eq!(list.unreadable_lines, vec![4]);
        Ok(())
    }
}
