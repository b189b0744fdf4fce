//! An editing session over one `chat_proxy.toml`: the document as the single
//! source of truth, every change as a `Command`, undo/redo, the raw text
//! (which may not parse while someone types), findings, and safe save.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml_edit::{Table, Value};

use crate::core::config_file::OpenError;
use crate::core::document::{
    ConfigDocument, DocPath, EditError, Inverse, ParseError, parse_spanned, push_inverse,
};
use crate::core::layout::LayoutSet;
use crate::core::safe_save::{self, Expect, Fingerprint, SaveError, SaveOutcome};
use crate::core::validate::{Finding, FindingSet, FixEdit, Severity};
use crate::core::value_input;

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
    /// The edits since the file was read or saved add errors (errors the
    /// file already had do not block a save; see `EditSession::added_errors`).
    #[error(
        "not saved: the changes add {}; fix them or use the Problems panel to find them",
        crate::core::plural::count(*.0, "error", "errors")
    )]
    HasErrors(usize),
    #[error("not saved: {}", unwritten_sentence(.0))]
    Unwritten(Vec<Unwritten>),
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

/// Text a form field shows that cannot be written to the file (`abc` in a
/// number field, `99999` above its maximum): the file keeps its old value
/// while the field shows this, so it is a blocking problem like an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unwritten {
    pub path: DocPath,
    /// The field's label (the key when the layouts do not know the path).
    pub label: String,
    pub text: String,
    /// Why it cannot be written ("`abc` is not an integer").
    pub reason: String,
}

impl Unwritten {
    /// As a finding, so every list and count of problems has it.
    pub fn finding(&self) -> Finding {
        Finding {
            severity: Severity::Error,
            path: self.path.clone(),
            line: None,
            column: None,
            message: format!(
                "{} shows “{}”, which is not in the file: {}",
                self.label, self.text, self.reason
            ),
            fix: None,
        }
    }
}

/// "Max image size shows `abc` (...); JPEG quality shows `99999` (...)".
fn unwritten_sentence(unwritten: &[Unwritten]) -> String {
    let each: Vec<String> = unwritten
        .iter()
        .map(|u| format!("{} shows “{}” ({})", u.label, u.text, u.reason))
        .collect();
    format!(
        "{}; fix {} or press Escape in {} to show the file's value again",
        each.join("; "),
        if unwritten.len() == 1 { "it" } else { "them" },
        if unwritten.len() == 1 {
            "the field"
        } else {
            "each field"
        }
    )
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
    /// The errors of the text on disk, by setting and message (none for a
    /// new document): a save may leave them as it found them, it may not
    /// add any.
    disk_errors: Vec<ErrorKey>,
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
    /// Text fields show that cannot be written (see [`Unwritten`]), by path.
    unwritten: BTreeMap<DocPath, Unwritten>,
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
            disk_errors: error_keys(opened.findings.findings()),
            findings: opened.findings,
            path: Some(path.to_path_buf()),
            fingerprint: Some(opened.fingerprint),
            differs_from_disk: false,
            findings_revision: 0,
            undo: Vec::new(),
            redo: Vec::new(),
            unwritten: BTreeMap::new(),
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
            disk_errors: Vec::new(),
            path: None,
            disk_text: String::new(),
            fingerprint: None,
            differs_from_disk: true,
            findings_revision: 0,
            undo: Vec::new(),
            redo: Vec::new(),
            unwritten: BTreeMap::new(),
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

    /// Unsaved changes: the text differs from what is on disk (or there is
    /// no file), or a field shows text that is not in the file.
    pub fn is_dirty(&self) -> bool {
        self.path.is_none() || self.differs_from_disk || !self.unwritten.is_empty()
    }

    /// A field at `path` now shows `text` (`None`: it shows the file's value
    /// again). Text the field's type cannot take is kept as [`Unwritten`]
    /// until the field shows something else; returns why it is refused.
    pub fn set_field_text(&mut self, path: &DocPath, text: Option<&str>) -> Option<String> {
        let refused = text.and_then(|t| {
            let field = self.layouts.resolve(path).ok().and_then(|r| r.field);
            let parsed = match field {
                Some(f) if f.ty.is_number() => value_input::parse_number(f, t),
                _ => value_input::parse_literal(t),
            };
            let label = field.map_or_else(|| path.to_string(), |f| f.label.clone());
            parsed.err().map(|reason| Unwritten {
                path: path.clone(),
                label,
                text: t.to_owned(),
                reason,
            })
        });
        let reason = refused.as_ref().map(|u| u.reason.clone());
        let changed = match refused {
            Some(u) => self.unwritten.insert(path.clone(), u.clone()).as_ref() != Some(&u),
            None => self.unwritten.remove(path).is_some(),
        };
        if changed {
            // The counts and lists of problems read it.
            self.findings_changed();
        }
        reason
    }

    /// Every field whose shown text is not in the file, in path order.
    pub fn unwritten(&self) -> impl Iterator<Item = &Unwritten> {
        self.unwritten.values()
    }

    /// The text a field at `path` shows that is not in the file, if any.
    pub fn unwritten_at(&self, path: &DocPath) -> Option<&Unwritten> {
        self.unwritten.get(path)
    }

    fn refresh_dirty(&mut self) {
        let (raw, disk) = (self.raw_text(), self.disk_text.as_str());
        self.differs_from_disk = raw.len() != disk.len() || raw != disk;
    }

    /// Errors: the findings', a text that does not parse, and every field
    /// showing text that is not in the file.
    pub fn error_count(&self) -> usize {
        self.findings.errors() + usize::from(self.parse_error.is_some()) + self.unwritten.len()
    }

    pub fn warning_count(&self) -> usize {
        self.findings.warnings()
    }

    /// The errors the edits since the last read or save added: what blocks
    /// a save. Errors the file on disk already had are matched by setting
    /// and message (as many times as they were there) and left out.
    pub fn added_errors(&self) -> Vec<&Finding> {
        let mut already: HashMap<&ErrorKey, usize> = HashMap::new();
        for key in &self.disk_errors {
            *already.entry(key).or_default() += 1;
        }
        self.findings
            .findings()
            .iter()
            .filter(|f| f.is_error())
            .filter(|f| {
                let key = error_key(f);
                match already.get_mut(&key) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                }
            })
            .collect()
    }

    /// The errors this document has that the file on disk already had
    /// (named after a save so that they are not taken for the change's).
    pub fn inherited_error_count(&self) -> usize {
        self.findings.errors() - self.added_errors().len()
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
        // Never "saved" while a field shows what the file will not hold.
        if !self.unwritten.is_empty() {
            return Err(SessionError::Unwritten(
                self.unwritten.values().cloned().collect(),
            ));
        }
        let added = self.added_errors().len();
        if added > 0 && !force {
            return Err(SessionError::HasErrors(added));
        }
        let text = self.doc.text();
        let outcome = safe_save::save_atomically(path, text.as_bytes(), expect)?;
        self.fingerprint = Some(outcome.fingerprint());
        self.disk_errors = error_keys(self.findings.findings());
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

    /// Compare the file on disk with what this session knows, by content:
    /// a disk that now holds exactly this document, or a text this app
    /// wrote itself (`own_writes`: what its pushes expect there), is taken
    /// as the file's new base (the title is clean when the draft equals the
    /// disk); anything else is someone else's edit, for the user to judge.
    pub fn check_disk(&mut self, own_writes: &[String]) -> DiskChange {
        let Some(path) = &self.path else {
            return DiskChange::None;
        };
        let Ok(loaded) = safe_save::read_text(path) else {
            return DiskChange::None;
        };
        if Some(loaded.fingerprint) == self.fingerprint {
            return DiskChange::None;
        }
        let own = own_writes.contains(&loaded.text);
        if loaded.text == self.raw_text() {
            self.adopt_disk_version(loaded.text);
            DiskChange::NowTheDraft { own }
        } else if own {
            self.adopt_disk_version(loaded.text);
            DiskChange::OwnWrite
        } else {
            DiskChange::Other(loaded.text)
        }
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
        self.disk_errors = error_keys(opened.findings.findings());
        self.findings = opened.findings;
        self.fingerprint = Some(opened.fingerprint);
        self.undo.push((Step::Whole(Box::new(before)), None));
        self.redo.clear();
        // The fields show the file's values again.
        self.unwritten.clear();
        self.findings_changed();
        self.refresh_dirty();
        Ok(())
    }

    /// Keep this session's text but accept the disk's new content as the base
    /// (after "Keep mine": the next save overwrites knowingly).
    pub fn adopt_disk_version(&mut self, disk_text: String) {
        // Unparsable text on disk: none of its errors are settings', so
        // every error of this session counts as the session's own.
        self.disk_errors = parse_spanned(&disk_text)
            .map(|parsed| error_keys(FindingSet::of_parsed(&parsed, &self.layouts).findings()))
            .unwrap_or_default();
        self.fingerprint = Some(Fingerprint::of(disk_text.as_bytes()));
        self.disk_text = disk_text;
        self.refresh_dirty();
    }
}

/// What [`EditSession::check_disk`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiskChange {
    /// The file is as this session read or saved it (or cannot be read).
    None,
    /// The file now holds exactly this document (`own`: written by this app).
    NowTheDraft { own: bool },
    /// The file holds what this app itself wrote there, which is not this
    /// document (the proxy's own writer after an API push).
    OwnWrite,
    /// Someone else changed the file: its text now.
    Other(String),
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

/// What a save that went through says of the errors it left in the file:
/// `errors` after the save, `added` by the saved changes (non-zero only for
/// a forced save). `None` when the file has none.
pub fn errors_left_by_save(errors: usize, added: usize) -> Option<String> {
    let n = crate::core::plural::count(errors, "error", "errors");
    match (errors, added) {
        (0, _) => None,
        (_, 0) => Some(format!("the file still has {n}, none from this change")),
        (_, a) => Some(format!(
            "the file now has {n}, {a} from this change (saved anyway)"
        )),
    }
}

/// An error as a save compares it with the file's: the setting and what is
/// wrong there (not the line, which moves with edits above it).
type ErrorKey = (DocPath, String);

fn error_key(f: &Finding) -> ErrorKey {
    (f.path.clone(), f.message.clone())
}

fn error_keys(findings: &[Finding]) -> Vec<ErrorKey> {
    findings
        .iter()
        .filter(|f| f.is_error())
        .map(error_key)
        .collect()
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
