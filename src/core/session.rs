//! An editing session over one `chat_proxy.toml`: the document as the single
//! source of truth, every change as a `Command`, undo/redo, the raw text
//! (which may not parse while someone types), findings, and safe save.

use crate::core::plural;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml_edit::{Table, Value};

use crate::core::config_file::OpenError;
use crate::core::document::{
    ConfigDocument, DocPath, EditError, Inverse, ParseError, parse_spanned, push_inverse,
};
use crate::core::layout::LayoutSet;
use crate::core::safe_save::{self, Expect, Fingerprint, SaveError, SaveOutcome};
use crate::core::validate::{Finding, FindingSet, FixEdit};

/// Every change a front end can make.
#[derive(Clone, Debug)]
pub enum Command {
    SetValue {
        path: DocPath,
        value: Value,
    },
    Remove {
        path: DocPath,
    },
    PushArrayEntry {
        table: String,
        entry: Table,
    },
    DuplicateArrayEntry {
        table: String,
        index: usize,
    },
    RemoveArrayEntry {
        table: String,
        index: usize,
    },
    MoveArrayEntry {
        table: String,
        from: usize,
        to: usize,
    },
    /// Drop the UTF-8 byte-order mark that starts the file (a quick fix:
    /// the proxy's `tomllib` rejects it); every other byte stays.
    RemoveBom,
    /// The raw text editor's content, parsed or not.
    ReplaceText(String),
    /// Several changes as one undo step (switching a storage backend).
    Batch(Vec<Command>),
}

impl Command {
    /// Consecutive commands with the same key merge into one undo step
    /// (typing in one field, typing in the raw editor).
    fn coalesce_key(&self) -> Option<String> {
        match self {
            Self::SetValue { path, value } if value.is_str() => Some(format!("set:{path}")),
            Self::ReplaceText(_) => Some("text".to_owned()),
            _ => None,
        }
    }
}

/// A quick fix is applied as the command that makes its edit.
impl From<&FixEdit> for Command {
    fn from(edit: &FixEdit) -> Self {
        match edit {
            FixEdit::SetValue { path, value } => Self::SetValue {
                path: path.clone(),
                value: (*value).into(),
            },
            FixEdit::RemoveBom => Self::RemoveBom,
        }
    }
}

/// A copy of the whole state, for the changes that replace the document
/// wholesale (the raw editor's text, a reload from disk).
#[derive(Clone, Debug)]
struct Snapshot {
    doc: ConfigDocument,
    raw: Option<String>,
    parse_error: Option<ParseError>,
}

/// One undo (or redo) step. A document edit is undone by its inverses (the
/// bytes it replaced, and a changed value's old model value): no copy of
/// the document, so an edit of a large file costs what it changes.
#[derive(Clone, Debug)]
enum Step {
    Edits(Vec<Inverse>),
    Whole(Box<Snapshot>),
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("the raw text does not parse (line {}, column {}): fix it before editing forms or saving", .0.line, .0.column)]
    TextInvalid(ParseError),
    #[error(
        "not saved: the document has {}; fix them or use the Problems panel to find them",
        plural::count(*.0, "error", "errors")
    )]
    HasErrors(usize),
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error("this document has no file yet: use Save as")]
    NoPath,
}

/// What a save may do beyond the default (refuse errors, refuse a file
/// changed on disk). One rule for every front end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SavePolicy {
    /// Save even when the document has validation errors (CLI `--force`).
    pub force: bool,
    /// Replace the file even when it changed on disk since it was read.
    pub overwrite: bool,
}

#[derive(Clone, Debug)]
pub struct EditSession {
    layouts: Arc<LayoutSet>,
    doc: ConfigDocument,
    /// What the raw editor shows when it differs from `doc.text_str()`:
    /// text that fails to parse.
    raw: Option<String>,
    parse_error: Option<ParseError>,
    findings: FindingSet,
    path: Option<PathBuf>,
    /// The bytes the file had when read or last saved, and their fingerprint.
    disk_text: String,
    fingerprint: Option<Fingerprint>,
    /// Whether the raw text differs from `disk_text`, kept after each change
    /// (a redraw reads it every frame).
    differs_from_disk: bool,
    /// Changes whenever the findings may have changed (see `findings_revision`).
    findings_revision: u64,
    undo: Vec<(Step, Option<String>)>,
    redo: Vec<Step>,
}

impl EditSession {
    pub fn open(path: &Path, layouts: Arc<LayoutSet>) -> Result<Self, OpenError> {
        let opened = Opened::read(path, &layouts)?;
        let mut session = Self {
            layouts,
            raw: None,
            disk_text: opened.doc.text(),
            doc: opened.doc,
            parse_error: None,
            findings: opened.findings,
            path: Some(path.to_path_buf()),
            fingerprint: Some(opened.fingerprint),
            differs_from_disk: false,
            findings_revision: 0,
            undo: Vec::new(),
            redo: Vec::new(),
        };
        session.findings_changed();
        Ok(session)
    }

    /// A new, unsaved document from text (e.g. the generated defaults).
    pub fn from_text(text: &str, layouts: Arc<LayoutSet>) -> Result<Self, ParseError> {
        let parsed = parse_spanned(text)?;
        let findings = FindingSet::of_parsed(&parsed, &layouts);
        let mut session = Self {
            layouts,
            raw: None,
            doc: ConfigDocument::from_spanned(parsed),
            parse_error: None,
            findings,
            path: None,
            disk_text: String::new(),
            fingerprint: None,
            differs_from_disk: true,
            findings_revision: 0,
            undo: Vec::new(),
            redo: Vec::new(),
        };
        session.findings_changed();
        session.refresh_dirty();
        Ok(session)
    }

    pub fn layouts(&self) -> &Arc<LayoutSet> {
        &self.layouts
    }
    pub fn doc(&self) -> &ConfigDocument {
        &self.doc
    }
    pub fn raw_text(&self) -> &str {
        self.raw.as_deref().unwrap_or_else(|| self.doc.text_str())
    }
    pub fn parse_error(&self) -> Option<&ParseError> {
        self.parse_error.as_ref()
    }
    pub fn findings(&self) -> &[Finding] {
        self.findings.findings()
    }

    /// A number that changes whenever the findings may have changed, unique
    /// across sessions: a redraw that sums up findings (errors per page)
    /// keeps its sums until it changes instead of going over every finding
    /// each frame.
    pub fn findings_revision(&self) -> u64 {
        self.findings_revision
    }

    fn findings_changed(&mut self) {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        self.findings_revision = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
    pub fn disk_text(&self) -> &str {
        &self.disk_text
    }
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
    /// Steps undo and redo can take (the app orders them with the registry's).
    pub fn undo_depth(&self) -> (usize, usize) {
        (self.undo.len(), self.redo.len())
    }

    /// Unsaved changes: the text differs from what is on disk (or there is no file).
    pub fn is_dirty(&self) -> bool {
        self.path.is_none() || self.differs_from_disk
    }

    fn refresh_dirty(&mut self) {
        let (raw, disk) = (self.raw_text(), self.disk_text.as_str());
        self.differs_from_disk = raw.len() != disk.len() || raw != disk;
    }

    pub fn error_count(&self) -> usize {
        self.findings.errors() + usize::from(self.parse_error.is_some())
    }

    pub fn warning_count(&self) -> usize {
        self.findings.warnings()
    }

    /// Apply a change as one undo step (or merged into the previous one).
    pub fn apply(&mut self, command: Command) -> Result<bool, SessionError> {
        let key = command.coalesce_key();
        if let Command::ReplaceText(text) = command {
            return Ok(self.apply_text(text, key));
        }
        if let Some(e) = &self.parse_error {
            return Err(SessionError::TextInvalid(e.clone()));
        }
        self.doc.record_inverses();
        let result = self.execute(command);
        let inverses = self.doc.take_inverses();
        let changed = match result {
            Ok(changed) => changed,
            Err(e) => {
                // A batch that failed half-way leaves nothing behind.
                self.revert(inverses);
                return Err(e);
            }
        };
        if !changed || inverses.is_empty() {
            return Ok(false);
        }
        self.revalidate_after(&inverses);
        match self.undo.last_mut() {
            Some((Step::Edits(step), k)) if key.is_some() && *k == key => {
                for inverse in inverses {
                    push_inverse(step, inverse);
                }
            }
            _ => self.undo.push((Step::Edits(inverses), key)),
        }
        self.redo.clear();
        if self.differs_from_disk {
            self.refresh_dirty();
        } else {
            // The text was the disk's and a change was made: it differs now
            // (no compare of the whole text).
            self.differs_from_disk = true;
        }
        Ok(true)
    }

    /// The raw editor's text: a step that keeps the whole previous state
    /// (the text may not parse, and the forms then show the last good one).
    fn apply_text(&mut self, text: String, key: Option<String>) -> bool {
        let before = self.snapshot();
        if !self.replace_text(text) {
            return false;
        }
        let merge = key.is_some() && self.undo.last().is_some_and(|(_, k)| *k == key);
        if !merge {
            self.undo.push((Step::Whole(Box::new(before)), key));
        }
        self.redo.clear();
        self.revalidate();
        self.refresh_dirty();
        true
    }

    /// Undo `inverses` (the edits of one step, in the order made); returns
    /// what redoes them, as a step.
    fn revert(&mut self, inverses: Vec<Inverse>) -> Vec<Inverse> {
        let forward: Vec<Inverse> = inverses
            .into_iter()
            .rev()
            .map(|inverse| self.doc.apply_inverse(inverse))
            .collect();
        self.revalidate_after(&forward);
        forward
    }

    /// Findings after edits: values changed in place are re-checked where
    /// they are; anything else re-checks the whole file.
    fn revalidate_after(&mut self, edits: &[Inverse]) {
        let local = edits.iter().all(|e| {
            e.value_path().is_some_and(|path| {
                self.findings
                    .after_value_edit(&self.doc, &self.layouts, path)
            })
        });
        if !local {
            self.revalidate();
        }
        self.findings_changed();
    }

    fn execute(&mut self, command: Command) -> Result<bool, SessionError> {
        let layouts = Arc::clone(&self.layouts);
        Ok(match command {
            Command::SetValue { path, value } => self.doc.set_value(&layouts, &path, value)?,
            Command::Remove { path } => self.doc.remove(&path)?,
            Command::PushArrayEntry { table, entry } => {
                self.doc.push_array_entry(&layouts, &table, entry)?;
                true
            }
            Command::DuplicateArrayEntry { table, index } => {
                self.doc.duplicate_array_entry(&table, index)?;
                true
            }
            Command::RemoveArrayEntry { table, index } => {
                self.doc.remove_array_entry(&table, index)?;
                true
            }
            Command::MoveArrayEntry { table, from, to } => {
                if from == to {
                    return Ok(false);
                }
                self.doc.move_array_entry(&table, from, to)?;
                true
            }
            Command::RemoveBom => self.doc.remove_bom(),
            Command::ReplaceText(text) => return Ok(self.replace_text(text)),
            Command::Batch(commands) => {
                let mut any = false;
                for c in commands {
                    any |= self.execute(c)?;
                }
                any
            }
        })
    }

    /// Apply every quick fix the findings carry, each its own undo step and
    /// the same command a button in the app pushes. Returns the findings
    /// that were fixed, as they were reported before the fix.
    pub fn apply_fixes(&mut self) -> Result<Vec<Finding>, SessionError> {
        let fixable: Vec<Finding> = self
            .findings()
            .iter()
            .filter(|f| f.fix.is_some())
            .cloned()
            .collect();
        let mut fixed = Vec::new();
        for finding in fixable {
            let Some(fix) = &finding.fix else { continue };
            if self.apply(Command::from(&fix.edit))? {
                fixed.push(finding);
            }
        }
        Ok(fixed)
    }

    fn replace_text(&mut self, text: String) -> bool {
        if text == self.raw_text() {
            return false;
        }
        match ConfigDocument::parse(&text) {
            Ok(doc) => {
                self.doc = doc;
                self.parse_error = None;
                self.raw = None;
            }
            // Keep the last good document: the forms show it read-only.
            Err(e) => {
                self.parse_error = Some(e);
                self.raw = Some(text);
            }
        }
        true
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            doc: self.doc.clone(),
            raw: self.raw.clone(),
            parse_error: self.parse_error.clone(),
        }
    }

    fn restore(&mut self, s: Snapshot) {
        self.doc = s.doc;
        self.raw = s.raw;
        self.parse_error = s.parse_error;
        self.revalidate();
    }

    pub fn undo(&mut self) -> bool {
        let Some((step, _)) = self.undo.pop() else {
            return false;
        };
        let redo = self.take_back(step);
        self.redo.push(redo);
        self.refresh_dirty();
        true
    }

    pub fn redo(&mut self) -> bool {
        let Some(step) = self.redo.pop() else {
            return false;
        };
        let undo = self.take_back(step);
        self.undo.push((undo, None));
        self.refresh_dirty();
        true
    }

    /// Apply an undo or redo step; returns the step that takes it back.
    fn take_back(&mut self, step: Step) -> Step {
        match step {
            Step::Edits(inverses) => Step::Edits(self.revert(inverses)),
            Step::Whole(snapshot) => {
                let now = Step::Whole(Box::new(self.snapshot()));
                self.restore(*snapshot);
                now
            }
        }
    }

    /// Check the whole file (after a change that is not a value in place).
    fn revalidate(&mut self) {
        self.findings_changed();
        if self.parse_error.is_some() {
            return; // findings of the last good state stay visible
        }
        match parse_spanned(self.raw_text()) {
            Ok(parsed) => self.findings = FindingSet::of_parsed(&parsed, &self.layouts),
            Err(e) => {
                self.parse_error = Some(e);
                self.findings = FindingSet::default();
            }
        }
    }

    /// Save to the session's file; refused with errors, an unparsable text,
    /// or when the file changed on disk (unless `overwrite` was confirmed).
    pub fn save(&mut self, overwrite: bool) -> Result<SaveOutcome, SessionError> {
        self.save_with(SavePolicy {
            force: false,
            overwrite,
        })
    }

    /// Save to the session's file under `policy`.
    pub fn save_with(&mut self, policy: SavePolicy) -> Result<SaveOutcome, SessionError> {
        let path = self.path.clone().ok_or(SessionError::NoPath)?;
        let expect = match (policy.overwrite, self.fingerprint) {
            (true, _) => Expect::Anything,
            (false, Some(fp)) => Expect::Unchanged(fp),
            (false, None) => Expect::Absent,
        };
        self.write(&path, expect, policy.force)
    }

    /// Save under a new name (refuses to replace an existing file unless `overwrite`).
    pub fn save_as(&mut self, path: &Path, overwrite: bool) -> Result<SaveOutcome, SessionError> {
        let expect = if overwrite {
            Expect::Anything
        } else {
            Expect::Absent
        };
        let outcome = self.write(path, expect, false)?;
        self.path = Some(path.to_path_buf());
        Ok(outcome)
    }

    /// Write and record the outcome in the activity log, whatever it is.
    fn write(
        &mut self,
        path: &Path,
        expect: Expect,
        force: bool,
    ) -> Result<SaveOutcome, SessionError> {
        let result = self.write_checked(path, expect, force);
        log_save(path, &result);
        result
    }

    fn write_checked(
        &mut self,
        path: &Path,
        expect: Expect,
        force: bool,
    ) -> Result<SaveOutcome, SessionError> {
        if let Some(e) = &self.parse_error {
            return Err(SessionError::TextInvalid(e.clone()));
        }
        if self.findings.errors() > 0 && !force {
            return Err(SessionError::HasErrors(self.error_count()));
        }
        let text = self.doc.text();
        let outcome = safe_save::save_atomically(path, text.as_bytes(), expect)?;
        self.fingerprint = Some(outcome.fingerprint());
        self.disk_text = text;
        self.refresh_dirty();
        Ok(outcome)
    }

    /// What is on disk now, when it differs from what this session read or saved.
    pub fn external_change(&self) -> Option<String> {
        let path = self.path.as_ref()?;
        let loaded = safe_save::read_text(path).ok()?;
        (Some(loaded.fingerprint) != self.fingerprint).then_some(loaded.text)
    }

    /// Replace the session's content with the file on disk (undoable).
    pub fn reload(&mut self) -> Result<(), OpenError> {
        let path = self
            .path
            .clone()
            .ok_or(OpenError::Read(SaveError::Deleted {
                path: PathBuf::new(),
            }))?;
        let opened = Opened::read(&path, &self.layouts)?;
        let before = self.snapshot();
        self.disk_text = opened.doc.text();
        self.doc = opened.doc;
        self.raw = None;
        self.parse_error = None;
        self.findings = opened.findings;
        self.fingerprint = Some(opened.fingerprint);
        self.undo.push((Step::Whole(Box::new(before)), None));
        self.redo.clear();
        self.findings_changed();
        self.refresh_dirty();
        Ok(())
    }

    /// Keep this session's text but accept the disk's new content as the base
    /// (after "Keep mine": the next save overwrites knowingly).
    pub fn adopt_disk_version(&mut self, disk_text: String) {
        self.fingerprint = Some(Fingerprint::of(disk_text.as_bytes()));
        self.disk_text = disk_text;
        self.refresh_dirty();
    }
}

/// A file read, parsed once and checked from that one parse (its spans give
/// the findings' lines, then it becomes the document).
struct Opened {
    doc: ConfigDocument,
    findings: FindingSet,
    fingerprint: Fingerprint,
}

impl Opened {
    fn read(path: &Path, layouts: &LayoutSet) -> Result<Self, OpenError> {
        let loaded = safe_save::read_text(path)?;
        let parsed = parse_spanned(&loaded.text).map_err(|error| OpenError::Parse {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(Self {
            findings: FindingSet::of_parsed(&parsed, layouts),
            doc: ConfigDocument::from_spanned(parsed),
            fingerprint: loaded.fingerprint,
        })
    }
}

fn log_save(path: &Path, result: &Result<SaveOutcome, SessionError>) {
    let file = path.display();
    match result {
        Ok(SaveOutcome::Written {
            backup: Some(b), ..
        }) => {
            tracing::info!(target: "activity", "saved {file} (previous version in {})", b.display());
        }
        Ok(SaveOutcome::Written { backup: None, .. }) => {
            tracing::info!(target: "activity", "saved {file}");
        }
        Ok(SaveOutcome::Unchanged { .. }) => {
            tracing::info!(target: "activity", "save of {file}: already this content, nothing written");
        }
        Err(e) => tracing::warn!(target: "activity", "save refused, {file} not written: {e}"),
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
