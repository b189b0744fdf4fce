//! Loading and saving the three registry files of one folder.
//!
//! Saving writes only what changed, every write goes through
//! `safe_save::save_atomically` with a conflict check, and the snapshot is
//! always regenerated from the two layers by the merge rule. Edits only ever
//! touch the curated layer, so when ImageWorks rewrites the discovered layer
//! while edits are pending we can reload it and re-merge without losing
//! anything; a conflict on the curated file itself is refused.

use std::collections::HashSet;
use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::thread;

use serde_json::Value;

use super::json_text::{self, list_to_python_json};
use super::merge::{EntryLayer, Merged, merge_layers};
use crate::core::safe_save::{self, Expect, Fingerprint, SaveError, SaveOutcome};

pub const CURATED_FILE: &str = "model_registry.curated.json";
pub const DISCOVERED_FILE: &str = "model_registry.discovered.json";
pub const SNAPSHOT_FILE: &str = "model_registry.json";
/// Env var ImageWorks reads for the registry folder.
pub const REGISTRY_DIR_ENV: &str = "IMAGEWORKS_REGISTRY_DIR";

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Io(#[from] SaveError),
    #[error("{path}: line {line}, column {column}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: entry {index}: {message}")]
    BadShape {
        path: PathBuf,
        index: usize,
        message: String,
    },
    #[error(
        "{path}: the curated layer changed on disk since it was opened; \
         nothing was written (reload to see the other change, then edit again)"
    )]
    CuratedConflict { path: PathBuf },
}

/// One layer file as read: its entries and the bytes a save compares against.
#[derive(Clone, Debug)]
pub struct LayerFile {
    pub path: PathBuf,
    /// The layer's entries; for the snapshot only those in neither layer
    /// (the rest of it is derived and regenerated on save).
    pub entries: Vec<Value>,
    /// Text as read; `None` when the file did not exist.
    original: Option<String>,
    fingerprint: Option<Fingerprint>,
}

impl LayerFile {
    fn load(path: PathBuf) -> Result<Self, RegistryError> {
        let mut file = Self::read(path)?;
        if let Some(text) = &file.original {
            file.entries = parse_entries(&file.path, text)?;
        }
        Ok(file)
    }

    /// Read the file's text and fingerprint without parsing it.
    fn read(path: PathBuf) -> Result<Self, RegistryError> {
        if !path.exists() {
            // A missing layer is an empty list (ImageWorks creates it lazily).
            return Ok(Self {
                path,
                entries: Vec::new(),
                original: None,
                fingerprint: None,
            });
        }
        let loaded = safe_save::read_text(&path)?;
        Ok(Self {
            path,
            entries: Vec::new(),
            original: Some(loaded.text),
            fingerprint: Some(loaded.fingerprint),
        })
    }

    /// Read the snapshot, keeping only the entries that are in neither layer
    /// (the ones the merge adopts). Most snapshots hold none, so the names
    /// are skimmed first and the full parse happens only when needed.
    fn load_snapshot(
        path: PathBuf,
        curated: &[Value],
        discovered: &[Value],
    ) -> Result<Self, RegistryError> {
        let (file, names) = Self::skim_snapshot(path)?;
        file.adopt_snapshot_only(&names, curated, discovered)
    }

    /// Read the snapshot and the names of its entries (independent of the layers).
    fn skim_snapshot(path: PathBuf) -> Result<(Self, Vec<String>), RegistryError> {
        let file = Self::read(path)?;
        let names = match &file.original {
            Some(text) => skim_names(&file.path, text)?,
            None => Vec::new(),
        };
        Ok((file, names))
    }

    fn adopt_snapshot_only(
        mut self,
        names: &[String],
        curated: &[Value],
        discovered: &[Value],
    ) -> Result<Self, RegistryError> {
        let known: HashSet<&str> = curated.iter().chain(discovered).map(entry_name).collect();
        let all_known = names
            .iter()
            .all(|n| n.is_empty() || known.contains(n.as_str()));
        if let (false, Some(text)) = (all_known, &self.original) {
            let mut entries = parse_entries(&self.path, text)?;
            entries.retain(|e| !known.contains(entry_name(e)));
            self.entries = entries;
        }
        Ok(self)
    }

    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.fingerprint
    }

    /// The file text this layer would be saved as.
    pub fn serialized(&self) -> String {
        list_to_python_json(self.entries.iter())
    }

    fn changed_text(&self) -> Option<String> {
        let text = self.serialized();
        (self.original.as_deref() != Some(text.as_str())).then_some(text)
    }

    fn expectation(&self) -> Expect {
        match self.fingerprint {
            Some(fp) => Expect::Unchanged(fp),
            None => Expect::Absent,
        }
    }

    /// Whether the file on disk is no longer what was read.
    fn changed_on_disk(&self) -> Result<bool, SaveError> {
        Ok(safe_save::current_fingerprint(&self.path)? != self.fingerprint)
    }

    fn write(&mut self, text: String) -> Result<SaveOutcome, SaveError> {
        let outcome = safe_save::save_atomically(&self.path, text.as_bytes(), self.expectation())?;
        self.fingerprint = Some(outcome.fingerprint());
        self.original = Some(text);
        Ok(outcome)
    }
}

/// Parse a registry file: a JSON array of objects.
pub fn parse_entries(path: &Path, text: &str) -> Result<Vec<Value>, RegistryError> {
    let value = json_text::parse(text).map_err(|e| RegistryError::Malformed {
        path: path.to_path_buf(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let Value::Array(entries) = value else {
        return Err(RegistryError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "expected a JSON array of entries".into(),
        });
    };
    if let Some(index) = entries.iter().position(|e| !e.is_object()) {
        return Err(RegistryError::BadShape {
            path: path.to_path_buf(),
            index,
            message: "is not a JSON object".into(),
        });
    }
    Ok(entries)
}

/// A worker's result; a panic in it is re-raised here rather than swallowed.
fn join<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn entry_name(entry: &Value) -> &str {
    entry.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Only the `name` of each entry; every other field is skipped unparsed.
#[derive(serde::Deserialize)]
struct NameOnly {
    #[serde(default)]
    name: Option<Value>,
}

fn skim_names(path: &Path, text: &str) -> Result<Vec<String>, RegistryError> {
    let items: Vec<NameOnly> = serde_json::from_str(text).map_err(|e| {
        let e = json_text::JsonTextError::from(e);
        RegistryError::Malformed {
            path: path.to_path_buf(),
            line: e.line,
            column: e.column,
            message: e.message,
        }
    })?;
    Ok(items
        .into_iter()
        .map(|i| {
            i.name
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect())
}

/// What a save did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveReport {
    /// Files actually replaced on disk.
    pub written: Vec<PathBuf>,
    /// ImageWorks had rewritten the discovered layer; it was reloaded and re-merged.
    pub discovered_reloaded: bool,
}

/// The registry folder: both layers, the snapshot, and their merge.
#[derive(Clone, Debug)]
pub struct RegistryStore {
    dir: PathBuf,
    curated: LayerFile,
    discovered: LayerFile,
    snapshot: LayerFile,
    merged: Merged,
}

impl RegistryStore {
    /// Read the three files of `dir` and merge them.
    pub fn load(dir: &Path) -> Result<Self, RegistryError> {
        // The three files are independent until the merge: read, hash and
        // parse them in parallel.
        let (curated, discovered, skimmed) = thread::scope(|scope| {
            let curated = scope.spawn(|| LayerFile::load(dir.join(CURATED_FILE)));
            let skimmed = scope.spawn(|| LayerFile::skim_snapshot(dir.join(SNAPSHOT_FILE)));
            let discovered = LayerFile::load(dir.join(DISCOVERED_FILE));
            (join(curated), discovered, join(skimmed))
        });
        let (curated, discovered) = (curated?, discovered?);
        let (snapshot, names) = skimmed?;
        let snapshot =
            snapshot.adopt_snapshot_only(&names, &curated.entries, &discovered.entries)?;
        let merged = merge_layers(&curated.entries, &discovered.entries, &snapshot.entries);
        Ok(Self {
            dir: dir.to_path_buf(),
            curated,
            discovered,
            snapshot,
            merged,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn curated(&self) -> &[Value] {
        &self.curated.entries
    }

    pub fn discovered(&self) -> &[Value] {
        &self.discovered.entries
    }

    /// Entries found only in `model_registry.json` (adopted as discovered).
    pub fn snapshot_only(&self) -> &[Value] {
        &self.snapshot.entries
    }

    pub fn merged(&self) -> &Merged {
        &self.merged
    }

    pub fn curated_file(&self) -> &LayerFile {
        &self.curated
    }

    pub fn discovered_file(&self) -> &LayerFile {
        &self.discovered
    }

    pub fn snapshot_file(&self) -> &LayerFile {
        &self.snapshot
    }

    /// Field provenance of the merged entry `name`.
    pub fn provenance(&self, name: &str) -> Option<Vec<(String, super::merge::FieldSource)>> {
        let entry = self.merged.get(name)?;
        Some(super::merge::provenance(
            entry,
            &self.curated.entries,
            &self.discovered.entries,
        ))
    }

    /// Replace the curated layer (used by edit commands) and re-merge.
    pub(crate) fn curated_entries_mut(&mut self) -> &mut Vec<Value> {
        &mut self.curated.entries
    }

    pub(crate) fn remerge(&mut self) {
        self.merged = merge_layers(
            &self.curated.entries,
            &self.discovered.entries,
            &self.snapshot.entries,
        );
    }

    /// Whether saving would change the curated file. This serializes the
    /// curated layer, so call it after an edit rather than on every frame.
    pub fn has_pending_edits(&self) -> bool {
        self.curated.changed_text().is_some()
    }

    /// Write the changed layers, then the regenerated snapshot.
    pub fn save(&mut self) -> Result<SaveReport, RegistryError> {
        let mut report = SaveReport::default();
        let curated_text = self.curated.changed_text();
        if curated_text.is_some() && self.curated.changed_on_disk()? {
            return Err(RegistryError::CuratedConflict {
                path: self.curated.path.clone(),
            });
        }
        if self.discovered.changed_on_disk()? {
            self.reload_discovered_and_snapshot()?;
            report.discovered_reloaded = true;
        } else if self.snapshot.changed_on_disk()? {
            // The snapshot is derived; a newer one only matters for the
            // snapshot-only entries it may carry, which we re-adopt.
            self.reload_snapshot()?;
        }
        if let Some(text) = curated_text {
            let outcome = self.curated.write(text).map_err(curated_conflict)?;
            note_written(&mut report, &self.curated.path, &outcome);
        }
        if let Some(text) = self.discovered.changed_text() {
            let outcome = self.discovered.write(text)?;
            note_written(&mut report, &self.discovered.path, &outcome);
        }
        self.write_snapshot(&mut report)?;
        Ok(report)
    }

    /// Take ImageWorks' new discovered layer (and the snapshot it wrote with
    /// it) and re-merge our curated edits over it.
    fn reload_discovered_and_snapshot(&mut self) -> Result<(), RegistryError> {
        self.discovered = LayerFile::load(self.discovered.path.clone())?;
        self.reload_snapshot()
    }

    fn reload_snapshot(&mut self) -> Result<(), RegistryError> {
        let path = self.snapshot.path.clone();
        self.snapshot =
            LayerFile::load_snapshot(path, &self.curated.entries, &self.discovered.entries)?;
        self.remerge();
        Ok(())
    }

    fn write_snapshot(&mut self, report: &mut SaveReport) -> Result<(), RegistryError> {
        let text = list_to_python_json(self.merged.entries.iter().map(|e| &e.value));
        if self.snapshot.original.as_deref() == Some(text.as_str()) {
            return Ok(());
        }
        let outcome = self.snapshot.write(text)?;
        self.snapshot.entries = self
            .merged
            .entries
            .iter()
            .filter(|e| e.layer == EntryLayer::SnapshotOnly)
            .map(|e| e.value.clone())
            .collect();
        note_written(report, &self.snapshot.path, &outcome);
        Ok(())
    }
}

fn curated_conflict(e: SaveError) -> RegistryError {
    match e {
        SaveError::Conflict { path, .. } | SaveError::Deleted { path } => {
            RegistryError::CuratedConflict { path }
        }
        other => RegistryError::Io(other),
    }
}

fn note_written(report: &mut SaveReport, path: &Path, outcome: &SaveOutcome) {
    if matches!(outcome, SaveOutcome::Written { .. }) {
        report.written.push(path.to_path_buf());
    }
}

/// Where the registry lives: `explicit`, else `$IMAGEWORKS_REGISTRY_DIR`,
/// else `configs/` beside the open `chat_proxy.toml`.
pub fn resolve_dir(explicit: Option<&Path>, chat_proxy_toml: Option<&Path>) -> Option<PathBuf> {
    resolve_dir_with_env(explicit, env::var_os(REGISTRY_DIR_ENV), chat_proxy_toml)
}

/// `resolve_dir` with the env var's value passed in (testable without
/// mutating the process environment).
pub fn resolve_dir_with_env(
    explicit: Option<&Path>,
    env_dir: Option<OsString>,
    chat_proxy_toml: Option<&Path>,
) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    if let Some(dir) = env_dir.filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let toml_dir = chat_proxy_toml?.parent()?;
    let toml_dir = if toml_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        toml_dir
    };
    let configs = toml_dir.join("configs");
    if configs.is_dir() {
        return Some(configs);
    }
    let has_registry = [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE]
        .iter()
        .any(|f| toml_dir.join(f).is_file());
    has_registry.then(|| toml_dir.to_path_buf())
}
