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
use std::fmt;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::thread;

use serde_json::Value;
use serde_json::value::RawValue;

use super::checks::{Checks, SharedFields};
pub use super::error::RegistryError;
use super::json_text::{self, TextStyle};
use super::layer::{EntrySource, LazyLayer, parse_entries};
use super::merge::{EntryLayer, FieldSource, Merged, merge_layers};
use super::parallel::join;
use crate::core::safe_save::transaction::{self, Disk, FileWrite, Steps};
use crate::core::safe_save::{
    self, Expect, Fingerprint, FingerprintHasher, SaveError, SaveOutcome,
};

pub const CURATED_FILE: &str = "model_registry.curated.json";
pub const DISCOVERED_FILE: &str = "model_registry.discovered.json";
pub const SNAPSHOT_FILE: &str = "model_registry.json";
/// Env var ImageWorks reads for the registry folder.
pub const REGISTRY_DIR_ENV: &str = "IMAGEWORKS_REGISTRY_DIR";

/// One registry file as last read or written: what a save compares and
/// checks for conflicts against.
#[derive(Clone)]
struct LayerFile {
    path: PathBuf,
    seen: Seen,
    /// Its BOM and newline style, which a save keeps.
    style: TextStyle,
}

/// What is known of a file's content as last read or written.
#[derive(Clone)]
enum Seen {
    Absent,
    /// Its text without the BOM (shared with the layer parsed from it). The fingerprint is
    /// computed when a save needs it: hashing a large registry's layers on
    /// every load would be wasted.
    Text(Arc<String>),
    /// Only its fingerprint: a large file not worth holding.
    Hashed(Fingerprint),
}

impl LayerFile {
    fn read(path: PathBuf) -> Result<Self, RegistryError> {
        let (seen, style) = if path.exists() {
            let text = safe_save::read_text_unhashed(&path, safe_save::REGISTRY_LAYER_LIMIT)?;
            let style = TextStyle::of(text.as_bytes());
            let text = match TextStyle::without_bom(&text).len() == text.len() {
                true => text,
                false => TextStyle::without_bom(&text).to_owned(),
            };
            (Seen::Text(Arc::new(text)), style)
        } else {
            // A missing layer is an empty list (ImageWorks creates it lazily).
            (Seen::Absent, TextStyle::default())
        };
        Ok(Self { path, seen, style })
    }

    fn fingerprint(&self) -> Option<Fingerprint> {
        match &self.seen {
            Seen::Absent => None,
            Seen::Text(text) if self.style.bom => {
                Some(Fingerprint::of(format!("\u{feff}{text}").as_bytes()))
            }
            Seen::Text(text) => Some(Fingerprint::of(text.as_bytes())),
            Seen::Hashed(fingerprint) => Some(*fingerprint),
        }
    }

    /// The writer's `text` in this file's style (BOM, newlines).
    fn styled(&self, text: &str) -> String {
        self.style.apply(text)
    }

    /// `text` (already in the file's newlines) with the file's BOM, if any.
    fn with_bom(&self, text: String) -> String {
        match self.style.bom {
            true => format!("\u{feff}{text}"),
            false => text,
        }
    }

    /// Whether writing `styled` (see [`Self::styled`]) would change the file.
    fn differs_from(&self, styled: &str) -> bool {
        match &self.seen {
            Seen::Absent => true,
            Seen::Text(seen) => seen.as_str() != TextStyle::without_bom(styled),
            Seen::Hashed(fingerprint) => Fingerprint::of(styled.as_bytes()) != *fingerprint,
        }
    }

    fn expectation(&self) -> Expect {
        match self.fingerprint() {
            Some(fp) => Expect::Unchanged(fp),
            None => Expect::Absent,
        }
    }

    /// Whether the file on disk is no longer what was read.
    fn changed_on_disk(&self) -> Result<bool, SaveError> {
        Ok(safe_save::current_fingerprint(&self.path)? != self.fingerprint())
    }
}

impl fmt::Debug for LayerFile {
    // The text can be tens of megabytes: show its size, not its content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seen = match &self.seen {
            Seen::Absent => "absent".to_owned(),
            Seen::Text(text) => format!("{} bytes", text.len()),
            Seen::Hashed(fp) => format!("sha256 {}", fp.short()),
        };
        f.debug_struct("LayerFile")
            .field("path", &self.path)
            .field("seen", &seen)
            .finish()
    }
}

/// A file's content as read, compared with text written piece by piece
/// (in the file's style, without the BOM for `Text`, with it for `Hash`).
enum SameAs<'a> {
    /// The part of the text as read that no piece has matched yet.
    Text(&'a [u8]),
    /// A piece differed from the text as read.
    Differs,
    /// The pieces hashed so far, and the file's fingerprint as read.
    Hash(FingerprintHasher, Fingerprint),
}

impl SameAs<'_> {
    /// Take the next piece; `Break` once it is known to differ.
    fn feed(&mut self, piece: &[u8]) -> ControlFlow<()> {
        match self {
            Self::Text(rest) => match rest.strip_prefix(piece) {
                Some(after) => {
                    *rest = after;
                    ControlFlow::Continue(())
                }
                None => {
                    *self = Self::Differs;
                    ControlFlow::Break(())
                }
            },
            Self::Differs => ControlFlow::Break(()),
            Self::Hash(hasher, _) => {
                hasher.update(piece);
                ControlFlow::Continue(())
            }
        }
    }

    /// Whether every piece matched and nothing of the file is left over.
    fn matched(self) -> bool {
        match self {
            Self::Text(rest) => rest.is_empty(),
            Self::Differs => false,
            Self::Hash(hasher, fingerprint) => hasher.finish() == fingerprint,
        }
    }
}

/// A layer file, its entries parsed lazily.
fn load_layer(path: PathBuf) -> Result<(LayerFile, LazyLayer), RegistryError> {
    refuse_dangling_link(&path)?;
    let file = LayerFile::read(path)?;
    let entries = match &file.seen {
        Seen::Text(text) => LazyLayer::parse(&file.path, Arc::clone(text))?,
        _ => LazyLayer::default(),
    };
    Ok((file, entries))
}

/// The snapshot and the names of its entries. The snapshot is derived and
/// most hold no entry outside the two layers, so it is streamed past a
/// `NameScanner` and only its fingerprint is kept; the full parse happens
/// only when needed (`snapshot_only_entries`).
///
/// A snapshot ImageWorks cannot parse (not UTF-8, a BOM, bad JSON, not a
/// list) is no error: ImageWorks ignores it, entries only it holds
/// included, and rewrites it on its next load; so does this editor on the
/// next save. Why it does not parse is the third value.
fn skim_snapshot(path: PathBuf) -> Result<(LayerFile, Vec<String>, Option<String>), RegistryError> {
    refuse_dangling_link(&path)?;
    let mut scanner = NameScanner::default();
    let mut style = None;
    let fingerprint = safe_save::fingerprint_in_chunks(&path, |chunk| {
        style.get_or_insert_with(|| TextStyle::of(chunk));
        scanner.feed(chunk);
    })?;
    // ImageWorks writes the snapshot with `write_text`: no BOM.
    let style = TextStyle {
        bom: false,
        ..style.unwrap_or_default()
    };
    match (fingerprint, scanner.finish()) {
        (None, _) => Ok((
            LayerFile {
                path,
                seen: Seen::Absent,
                style: TextStyle::default(),
            },
            Vec::new(),
            None,
        )),
        (Some(fingerprint), Some(names)) => Ok((
            LayerFile {
                path,
                seen: Seen::Hashed(fingerprint),
                style,
            },
            names,
            None,
        )),
        // Another layout: read it whole.
        (Some(fingerprint), None) => {
            let hashed = |style| LayerFile {
                path: path.clone(),
                seen: Seen::Hashed(fingerprint),
                style,
            };
            let text = match safe_save::read_text_unhashed(&path, safe_save::REGISTRY_LAYER_LIMIT) {
                Ok(text) => text,
                Err(SaveError::NotUtf8 { valid_up_to, .. }) => {
                    let why = format!("it is not UTF-8 text (byte {valid_up_to})");
                    return Ok((hashed(style), Vec::new(), Some(why)));
                }
                Err(e) => return Err(e.into()),
            };
            if TextStyle::of(text.as_bytes()).bom {
                let why = "it starts with a UTF-8 BOM, which json.loads refuses".to_owned();
                return Ok((hashed(style), Vec::new(), Some(why)));
            }
            match skim_names(&path, &text) {
                Ok(names) => Ok((
                    LayerFile {
                        path,
                        seen: Seen::Text(Arc::new(text)),
                        style,
                    },
                    names,
                    None,
                )),
                Err(why) => Ok((hashed(style), Vec::new(), Some(why))),
            }
        }
    }
}

/// A layer file that is a symbolic link to nothing is an error naming the
/// link and its target (reading it would only say "not found").
fn refuse_dangling_link(path: &Path) -> Result<(), RegistryError> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link && !path.exists() {
        let target = std::fs::read_link(path).unwrap_or_default();
        return Err(RegistryError::DanglingLink {
            path: path.to_path_buf(),
            target,
        });
    }
    Ok(())
}

/// The snapshot's entries that are in neither layer (the merge adopts them).
fn snapshot_only_entries(
    file: &mut LayerFile,
    names: &[String],
    curated: &LazyLayer,
    discovered: &LazyLayer,
) -> Result<Vec<Value>, RegistryError> {
    let known: HashSet<&str> = (0..curated.len())
        .map(|i| curated.name(i))
        .chain((0..discovered.len()).map(|i| discovered.name(i)))
        .collect();
    if names
        .iter()
        .all(|n| n.is_empty() || known.contains(n.as_str()))
    {
        return Ok(Vec::new());
    }
    if !matches!(file.seen, Seen::Text(_)) {
        *file = LayerFile::read(file.path.clone())?;
    }
    let text = match &file.seen {
        Seen::Text(text) => Arc::clone(text),
        _ => return Ok(Vec::new()),
    };
    // Items that are no object ImageWorks skips; so do we.
    let raws: Vec<&RawValue> = serde_json::from_str(&text).unwrap_or_default();
    let objects: Vec<&str> = raws
        .iter()
        .map(|r| r.get())
        .filter(|r| r.starts_with('{'))
        .collect();
    let text = format!("[{}]", objects.join(","));
    let mut entries = parse_entries(&file.path, &text)?;
    entries.retain(|e| !known.contains(e.get("name").and_then(Value::as_str).unwrap_or("")));
    Ok(entries)
}

/// Only the `name` of each entry; every other field is skipped unparsed.
#[derive(serde::Deserialize)]
struct NameOnly {
    #[serde(default)]
    name: Option<Value>,
}

/// The names of the snapshot's entries ("" for an item that is no object or
/// has no string name, which ImageWorks skips), or why ImageWorks' parse
/// of it fails.
fn skim_names(path: &Path, text: &str) -> Result<Vec<String>, String> {
    let _ = path;
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        let e = json_text::JsonTextError::from(e);
        match e.message.starts_with("invalid type") {
            true => "it is not a JSON list".to_owned(),
            false => format!("line {}, column {}: {}", e.line, e.column, e.message),
        }
    })?;
    Ok(items
        .into_iter()
        .map(|raw| {
            serde_json::from_str::<NameOnly>(raw.get())
                .ok()
                .and_then(|i| i.name)
                .and_then(|n| n.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect())
}

/// The entry names of a snapshot in the layout ImageWorks (and this crate)
/// writes, `json.dumps(indent=2)`, found from the lines that open an entry
/// (`  {`) and hold its `name` (`    "name": "..."`) as the file streams
/// past: an order of magnitude faster than tokenising, and nothing is held.
/// Raw newlines only ever come from the indentation (strings escape them),
/// so these lines are exactly the entries and their top-level `name`s.
/// `finish` gives `None` when the text is not in that layout or an entry
/// has no string name; the caller then parses it (and reports where it is
/// malformed). A file in that layout is not otherwise checked here: the
/// snapshot is derived, and is rewritten from the two layers on the next save.
#[derive(Default)]
struct NameScanner {
    /// The unfinished last line of the chunks so far.
    partial: Vec<u8>,
    lines: usize,
    entries: usize,
    names: Vec<String>,
    /// The last line ended with `}`.
    after_brace: bool,
    /// The last non-blank line was `]`, right after a line ending in `}`.
    closed: bool,
    failed: bool,
}

impl NameScanner {
    const ENTRY: &[u8] = b"  {";
    const NAME: &[u8] = b"    \"name\": \"";

    fn feed(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            if self.partial.is_empty() {
                self.line(&rest[..nl]);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..nl]);
                self.line(&line);
                line.clear();
                self.partial = line;
            }
            rest = &rest[nl + 1..];
        }
        self.partial.extend_from_slice(rest);
    }

    fn line(&mut self, line: &[u8]) {
        if self.failed {
            return;
        }
        self.lines += 1;
        let first_lines_ok = match self.lines {
            1 => line == b"[",
            2 => line.starts_with(Self::ENTRY),
            _ => true,
        };
        if !first_lines_ok {
            self.failed = true;
            return;
        }
        if let Some(after) = line.strip_prefix(Self::ENTRY) {
            // `{` alone, or `{}`: anything else is another layout.
            self.failed |= !(after.is_empty() || after.starts_with(b"}"));
            self.entries += 1;
        } else if let Some(body) = line.strip_prefix(Self::NAME) {
            match name_in(body) {
                Some(name) => self.names.push(name),
                None => self.failed = true,
            }
        }
        let trimmed = line.trim_ascii_end();
        if trimmed == b"]" {
            self.closed = self.after_brace;
        } else if !trimmed.is_empty() {
            self.closed = false;
        }
        self.after_brace = line.ends_with(b"}");
    }

    fn finish(mut self) -> Option<Vec<String>> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
        (!self.failed && self.closed && self.names.len() == self.entries).then_some(self.names)
    }
}

/// The string that starts `body` (just after its opening quote), decoded.
fn name_in(body: &[u8]) -> Option<String> {
    let end = find_string_end(body)?;
    let raw = &body[..end];
    if raw.contains(&b'\\') {
        let mut quoted = Vec::with_capacity(raw.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(raw);
        quoted.push(b'"');
        serde_json::from_slice(&quoted).ok()
    } else {
        String::from_utf8(raw.to_vec()).ok()
    }
}

/// Byte offset of the closing quote of a JSON string body.
fn find_string_end(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some(i),
            b'\\' => i += 2,
            b'\n' => return None,
            _ => i += 1,
        }
    }
    None
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
    curated_file: LayerFile,
    discovered_file: LayerFile,
    snapshot_file: LayerFile,
    // The layers and the merge are shared, so that a copy of the store
    // (to save on a worker thread while the page keeps showing this one)
    // costs a few reference counts; an edit copies the curated layer only
    // if such a copy still shares it.
    curated: Arc<LazyLayer>,
    discovered: Arc<LazyLayer>,
    /// Entries found only in `model_registry.json` (adopted as discovered).
    snapshot_only: Vec<Value>,
    merged: Arc<Merged>,
    /// The snapshot-only entries as the snapshot on disk holds them: when
    /// `snapshot_only` differs (a maintenance action removed one), that is
    /// an edit, and the snapshot is not re-read before a save, which would
    /// adopt the entry again.
    snapshot_only_on_disk: Vec<Value>,
    /// Why the snapshot as read does not parse (see `skim_snapshot`).
    snapshot_problem: Option<String>,
    /// The findings, built on first use and kept up to date by edits.
    checks: OnceLock<Checks>,
}

impl RegistryStore {
    /// Read the three files of `dir` and merge them.
    pub fn load(dir: &Path) -> Result<Self, RegistryError> {
        // The three files are independent until the merge: read and parse
        // them in parallel.
        let (curated, discovered, skimmed) = thread::scope(|scope| {
            let curated = scope.spawn(|| load_layer(dir.join(CURATED_FILE)));
            let skimmed = scope.spawn(|| skim_snapshot(dir.join(SNAPSHOT_FILE)));
            let discovered = load_layer(dir.join(DISCOVERED_FILE));
            (join(curated), discovered, join(skimmed))
        });
        let ((curated_file, curated), (discovered_file, discovered)) = (curated?, discovered?);
        let (snapshot_file, names, snapshot_problem) = skimmed?;
        let mut snapshot_file = snapshot_file;
        let snapshot_only =
            snapshot_only_entries(&mut snapshot_file, &names, &curated, &discovered)?;
        let merged = merge_layers(&curated, &discovered, &snapshot_only);
        Ok(Self {
            dir: dir.to_path_buf(),
            curated_file,
            discovered_file,
            snapshot_file,
            curated: Arc::new(curated),
            discovered: Arc::new(discovered),
            snapshot_only_on_disk: snapshot_only.clone(),
            snapshot_only,
            merged: Arc::new(merged),
            snapshot_problem,
            checks: OnceLock::new(),
        })
    }

    /// The text `layer`'s file would hold with `entries` (a layer of it,
    /// edited): its BOM and newlines kept, untouched entries byte for byte.
    pub fn file_text(&self, layer: Layer, entries: &LazyLayer) -> String {
        let file = self.file(layer);
        file.with_bom(entries.file_text(file.style.crlf))
    }

    /// Whether `layer`'s file starts with a UTF-8 BOM.
    pub fn has_bom(&self, layer: Layer) -> bool {
        self.file(layer).style.bom
    }

    /// Why ImageWorks cannot parse `model_registry.json` as it was read
    /// (it then ignores the file and rewrites it), if it cannot.
    pub fn snapshot_problem(&self) -> Option<&str> {
        self.snapshot_problem.as_deref()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn curated(&self) -> &LazyLayer {
        &self.curated
    }

    pub fn discovered(&self) -> &LazyLayer {
        &self.discovered
    }

    /// Entries found only in `model_registry.json` (adopted as discovered).
    pub fn snapshot_only(&self) -> &[Value] {
        &self.snapshot_only
    }

    pub fn merged(&self) -> &Merged {
        &self.merged
    }

    /// The whole merged entry `name` (built on first use, then kept).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.merged.position(name).map(|i| self.value_at(i))
    }

    /// The whole merged entry at `index` of `merged().entries`.
    pub fn value_at(&self, index: usize) -> &Value {
        self.merged.entries[index].value(&*self.curated, &*self.discovered, &self.snapshot_only)
    }

    /// Field provenance of the merged entry `name`.
    pub fn provenance(&self, name: &str) -> Option<Vec<(String, FieldSource)>> {
        let entry = self.merged.get(name)?;
        Some(super::merge::provenance(
            entry,
            &*self.curated,
            &*self.discovered,
            &self.snapshot_only,
        ))
    }

    /// Replace the curated layer (used by edit commands) and re-merge.
    pub(crate) fn curated_entries_mut(&mut self) -> &mut LazyLayer {
        Arc::make_mut(&mut self.curated)
    }

    pub(crate) fn remerge(&mut self) {
        self.merged = Arc::new(merge_layers(
            &*self.curated,
            &*self.discovered,
            &self.snapshot_only,
        ));
        self.checks = OnceLock::new();
    }

    /// Re-merge after the curated entry at `curated_index`, named `name`,
    /// was replaced by one of the same name: only that merged entry and its
    /// findings change (an edit at typing speed on a large registry).
    pub(crate) fn remerge_entry(&mut self, curated_index: usize, name: &str) {
        let Some(position) = self.merged.position(name) else {
            return self.remerge();
        };
        let before = SharedFields::of(&self.merged.entries[position]);
        let merged = Arc::make_mut(&mut self.merged);
        merged.rebuild_entry(
            position,
            &*self.curated,
            &*self.discovered,
            &self.snapshot_only,
        );
        if let Some(checks) = self.checks.get_mut() {
            checks.entry_changed(
                position,
                Some(curated_index),
                (&*self.curated, &*self.discovered),
                &self.merged,
                &before,
                &self.dir,
            );
        }
    }

    /// The registry's findings (`validate::validate_parts`), kept up to date.
    pub fn checks(&self) -> &Checks {
        self.checks.get_or_init(|| {
            Checks::build(&*self.curated, &*self.discovered, &self.merged, &self.dir)
        })
    }

    /// Index of the curated copy of `name` that counts: the last one when a
    /// name is repeated (the merge applies the copies in order, so the last
    /// one's fields win). Edits go there, so that they take effect.
    pub fn curated_position(&self, name: &str) -> Option<usize> {
        (0..self.curated.len())
            .rev()
            .find(|&i| self.curated.name(i) == name)
    }

    /// The layers as they are now (cheap: shared), for undoing a change
    /// that replaces several of them at once (`maintenance`).
    pub fn layers(&self) -> Layers {
        Layers {
            curated: Arc::clone(&self.curated),
            discovered: Arc::clone(&self.discovered),
            snapshot_only: self.snapshot_only.clone(),
        }
    }

    /// Put these layers in place and re-merge.
    pub fn set_layers(&mut self, layers: Layers) {
        let Layers {
            curated,
            discovered,
            snapshot_only,
        } = layers;
        self.curated = curated;
        self.discovered = discovered;
        self.snapshot_only = snapshot_only;
        self.remerge();
    }

    fn snapshot_only_edited(&self) -> bool {
        self.snapshot_only != self.snapshot_only_on_disk
    }

    /// The curated file's new text, when saving would change it.
    fn curated_changed_text(&self) -> Option<String> {
        changed_text(&self.curated, &self.curated_file)
    }

    /// The discovered file's new text, when saving would change it (only a
    /// maintenance action changes that layer).
    fn discovered_changed_text(&self) -> Option<String> {
        changed_text(&self.discovered, &self.discovered_file)
    }

    /// Whether a layer differs from its file as read or last saved.
    /// Compares only edited entries, but call it after an edit rather than
    /// on every frame.
    pub fn has_pending_edits(&self) -> bool {
        !self.curated.matches_text()
            || !self.discovered.matches_text()
            || self.snapshot_only_edited()
    }

    /// `text` (as the writer lays it out) in the style of `layer`'s file.
    pub fn styled(&self, layer: Layer, text: &str) -> String {
        self.file(layer).styled(text)
    }

    /// The snapshot the merge of the layers gives, as the writer lays it
    /// out (before the file's own style is applied).
    pub fn merged_text(&self) -> String {
        let (merged, curated, discovered) = (&*self.merged, &*self.curated, &*self.discovered);
        json_text::list_in_parallel(merged.entries.len(), |i| {
            merged.entries[i].value_cow(curated, discovered, &self.snapshot_only)
        })
    }

    /// Whether `model_registry.json` on disk is the merge of the layers in
    /// memory: call it right after `load`, before any edit, to learn
    /// whether the file ImageWorks reads is stale (a save that wrote a layer
    /// but not the snapshot). The snapshot a save would write is compared
    /// piece by piece with the file as read (its text, or its fingerprint),
    /// never built whole; each merged entry's text is merged from its
    /// layers' text when they are laid out as the writer writes them
    /// (`snapshot_text`: what ImageWorks and this editor write), else built
    /// from the merged value. Byte for byte what a save would write either way.
    pub fn snapshot_state(&self) -> SnapshotState {
        if self.snapshot_problem.is_some() && !matches!(self.snapshot_file.seen, Seen::Absent) {
            return SnapshotState::Unreadable;
        }
        let file = &self.snapshot_file;
        let mut same = match &file.seen {
            Seen::Absent => return SnapshotState::Missing,
            Seen::Text(seen) => SameAs::Text(seen.as_bytes()),
            Seen::Hashed(fingerprint) => {
                let mut hasher = FingerprintHasher::default();
                if file.style.bom {
                    hasher.update("\u{feff}".as_bytes());
                }
                SameAs::Hash(hasher, *fingerprint)
            }
        };
        let (merged, curated, discovered) = (&*self.merged, &*self.curated, &*self.discovered);
        json_text::list_in_pieces(
            merged.entries.len(),
            |i, out| {
                let entry = &merged.entries[i];
                if entry.text_from_layers(curated, discovered, out).is_none() {
                    let value = entry.value_cow(curated, discovered, &self.snapshot_only);
                    json_text::write_list_item(out, &value);
                }
            },
            |piece| match file.style.crlf {
                true => same.feed(piece.replace('\n', "\r\n").as_bytes()),
                false => same.feed(piece.as_bytes()),
            },
        );
        match same.matched() {
            true => SnapshotState::Current,
            false => SnapshotState::Stale,
        }
    }

    /// Write every layer that changed and the regenerated snapshot, as one
    /// transaction (see `safe_save::transaction`). The outcome goes to the
    /// activity log.
    pub fn save(&mut self) -> Result<SaveReport, RegistryError> {
        self.save_with(&Disk)
    }

    /// `save` through `steps`: the seam that lets tests fail one step.
    pub fn save_with(&mut self, steps: &dyn Steps) -> Result<SaveReport, RegistryError> {
        let result = self.save_layers(steps);
        match &result {
            Ok(report) if report.written.is_empty() => {
                tracing::info!(target: "activity", "registry in {}: nothing to write", self.dir.display());
            }
            Ok(report) => {
                for path in &report.written {
                    tracing::info!(target: "activity", "saved {}", path.display());
                }
            }
            Err(e) => {
                tracing::warn!(target: "activity", "registry save refused in {}: {e}", self.dir.display());
            }
        }
        result
    }

    fn save_layers(&mut self, steps: &dyn Steps) -> Result<SaveReport, RegistryError> {
        let mut report = SaveReport::default();
        let curated_text = self.curated_changed_text();
        let discovered_text = self.discovered_changed_text();
        if curated_text.is_some() && self.curated_file.changed_on_disk()? {
            return Err(RegistryError::CuratedConflict {
                path: self.curated_file.path.clone(),
            });
        }
        if self.discovered_file.changed_on_disk()? {
            if discovered_text.is_some() {
                return Err(RegistryError::DiscoveredConflict {
                    path: self.discovered_file.path.clone(),
                });
            }
            self.reload_discovered_and_snapshot()?;
            report.discovered_reloaded = true;
        } else if !self.snapshot_only_edited() && self.snapshot_file.changed_on_disk()? {
            // The snapshot is derived; a newer one only matters for the
            // snapshot-only entries it may carry, which we re-adopt.
            self.reload_snapshot()?;
        }
        let snapshot_text = self.snapshot_file.styled(&self.merged_text());
        let snapshot_text = self
            .snapshot_file
            .differs_from(&snapshot_text)
            .then_some(snapshot_text);
        let texts = [
            (Layer::Curated, curated_text),
            (Layer::Discovered, discovered_text),
            (Layer::Snapshot, snapshot_text),
        ];
        let writes: Vec<(Layer, &str)> = texts
            .iter()
            .filter_map(|(layer, text)| Some((*layer, text.as_deref()?)))
            .collect();
        let files: Vec<FileWrite<'_>> = writes
            .iter()
            .map(|(layer, text)| {
                let file = self.file(*layer);
                FileWrite {
                    path: &file.path,
                    bytes: text.as_bytes(),
                    expect: file.expectation(),
                }
            })
            .collect();
        let outcomes = transaction::save_all(&files, steps).map_err(|e| self.save_error(e))?;
        for ((layer, text), outcome) in writes.iter().zip(&outcomes) {
            let file = self.file_mut(*layer);
            file.seen = Seen::Hashed(outcome.fingerprint());
            note_written(&mut report, &file.path, outcome);
            self.written(*layer, text);
        }
        self.snapshot_only_on_disk = self.snapshot_only.clone();
        Ok(report)
    }

    fn file(&self, layer: Layer) -> &LayerFile {
        match layer {
            Layer::Curated => &self.curated_file,
            Layer::Discovered => &self.discovered_file,
            Layer::Snapshot => &self.snapshot_file,
        }
    }

    fn file_mut(&mut self, layer: Layer) -> &mut LayerFile {
        match layer {
            Layer::Curated => &mut self.curated_file,
            Layer::Discovered => &mut self.discovered_file,
            Layer::Snapshot => &mut self.snapshot_file,
        }
    }

    /// A failed transaction, named for the layer it concerns.
    fn save_error(&self, e: SaveError) -> RegistryError {
        match e {
            SaveError::Conflict { path, .. } | SaveError::Deleted { path }
                if path == self.curated_file.path =>
            {
                RegistryError::CuratedConflict { path }
            }
            SaveError::Conflict { path, .. } | SaveError::Deleted { path }
                if path == self.discovered_file.path =>
            {
                RegistryError::DiscoveredConflict { path }
            }
            other => RegistryError::Io(other),
        }
    }

    /// After `layer` was written with `text`: a layer is re-read from what
    /// was written, so that it matches its file again (same entries, same
    /// order: the merge stays valid); should that fail, the layer as edited
    /// is still right, only slower. The snapshot now holds only what the
    /// merge kept: a snapshot-only entry shadowed by a curated one of the
    /// same name is gone from disk.
    fn written(&mut self, layer: Layer, text: &str) {
        let text = Arc::new(TextStyle::without_bom(text).to_owned());
        match layer {
            Layer::Curated => {
                if let Ok(parsed) = LazyLayer::parse(&self.curated_file.path, text) {
                    self.curated = Arc::new(parsed);
                }
            }
            Layer::Discovered => {
                if let Ok(parsed) = LazyLayer::parse(&self.discovered_file.path, text) {
                    self.discovered = Arc::new(parsed);
                }
            }
            Layer::Snapshot => {
                self.snapshot_problem = None;
                let before = self.snapshot_only.len();
                let merged = &self.merged;
                self.snapshot_only.retain(|e| {
                    let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                    merged
                        .get(name)
                        .is_some_and(|m| m.layer == EntryLayer::SnapshotOnly)
                });
                if self.snapshot_only.len() != before {
                    self.remerge();
                }
            }
        }
    }

    /// Take ImageWorks' new discovered layer (and the snapshot it wrote with
    /// it) and re-merge our curated edits over it.
    fn reload_discovered_and_snapshot(&mut self) -> Result<(), RegistryError> {
        let (file, layer) = load_layer(self.discovered_file.path.clone())?;
        (self.discovered_file, self.discovered) = (file, Arc::new(layer));
        if self.snapshot_only_edited() {
            // Re-reading the snapshot would adopt the removed entries again.
            self.remerge();
            return Ok(());
        }
        self.reload_snapshot()
    }

    fn reload_snapshot(&mut self) -> Result<(), RegistryError> {
        let (mut file, names, problem) = skim_snapshot(self.snapshot_file.path.clone())?;
        self.snapshot_problem = problem;
        self.snapshot_only =
            snapshot_only_entries(&mut file, &names, &self.curated, &self.discovered)?;
        self.snapshot_only_on_disk = self.snapshot_only.clone();
        self.snapshot_file = file;
        self.remerge();
        Ok(())
    }
}

/// `layer`'s text as `file` would hold it, when that is not what it holds.
fn changed_text(layer: &LazyLayer, file: &LayerFile) -> Option<String> {
    if layer.matches_text() {
        return None;
    }
    let text = file.with_bom(layer.file_text(file.style.crlf));
    file.differs_from(&text).then_some(text)
}

/// The three files of a registry folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Curated,
    Discovered,
    Snapshot,
}

impl Layer {
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Curated => CURATED_FILE,
            Self::Discovered => DISCOVERED_FILE,
            Self::Snapshot => SNAPSHOT_FILE,
        }
    }
}

/// The layers of a store, shared (see `RegistryStore::layers`).
#[derive(Clone, Debug)]
pub struct Layers {
    pub curated: Arc<LazyLayer>,
    pub discovered: Arc<LazyLayer>,
    pub snapshot_only: Vec<Value>,
}

/// How `model_registry.json` compares with the merge of the layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotState {
    Current,
    /// It differs: ImageWorks' readers of the single file see old entries.
    Stale,
    Missing,
    /// ImageWorks cannot parse it (`RegistryStore::snapshot_problem`).
    Unreadable,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The scanner fed `text` in chunks of `size` bytes.
    fn scan_in_chunks(text: &str, size: usize) -> Option<Vec<String>> {
        let mut scanner = NameScanner::default();
        text.as_bytes().chunks(size).for_each(|c| scanner.feed(c));
        scanner.finish()
    }

    fn scan_names(text: &str) -> Option<Vec<String>> {
        let whole = scan_in_chunks(text, text.len().max(1));
        for size in [1, 2, 3, 7, 64] {
            assert_eq!(scan_in_chunks(text, size), whole, "chunks of {size}");
        }
        whole
    }

    /// The stale check compares the snapshot a save would write with the
    /// file piece by piece (several pieces here): by fingerprint for a
    /// plain file, by text for one with a BOM or CRLF newlines.
    #[test]
    fn snapshot_state_in_pieces_in_every_style() -> Result<(), Box<dyn std::error::Error>> {
        let entries: Vec<Value> = (0..2500)
            .map(|i| serde_json::json!({"name": format!("m{i}"), "port": i}))
            .collect();
        let text = json_text::list_to_python_json(entries.iter());
        let changed = text.replacen("\"port\": 2499", "\"port\": 2498", 1);
        let shorter = json_text::list_to_python_json(entries[..2499].iter());
        let dir = tempfile::tempdir()?;
        for (bom, crlf) in [(false, false), (true, false), (false, true), (true, true)] {
            let style = TextStyle { bom, crlf };
            std::fs::write(dir.path().join(CURATED_FILE), style.apply("[]\n"))?;
            std::fs::write(dir.path().join(DISCOVERED_FILE), style.apply(&text))?;
            let state =
                |snapshot: Option<&str>| -> Result<SnapshotState, Box<dyn std::error::Error>> {
                    let path = dir.path().join(SNAPSHOT_FILE);
                    match snapshot {
                        Some(t) => std::fs::write(&path, style.apply(t))?,
                        None => std::fs::remove_file(&path)?,
                    }
                    Ok(RegistryStore::load(dir.path())?.snapshot_state())
                };
            let case = format!("bom {bom}, crlf {crlf}");
            if bom {
                // ImageWorks' `json.loads(read_text())` fails on a BOM: a
                // snapshot with one is unreadable, whatever it holds.
                assert_eq!(state(Some(&text))?, SnapshotState::Unreadable, "{case}");
                assert_eq!(state(None)?, SnapshotState::Missing, "{case}");
                continue;
            }
            assert_eq!(state(Some(&text))?, SnapshotState::Current, "{case}");
            assert_eq!(state(Some(&changed))?, SnapshotState::Stale, "{case}");
            assert_eq!(
                state(Some(&format!("{text}\n")))?,
                SnapshotState::Stale,
                "{case}"
            );
            assert_eq!(state(Some(&shorter))?, SnapshotState::Stale, "{case}");
            assert_eq!(state(None)?, SnapshotState::Missing, "{case}");
        }
        Ok(())
    }

    #[test]
    fn scanned_names_match_parsed_names() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_configs/registry/model_registry.json");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(scan_names(&text), skim_names(&path, &text).ok());
        let odd = "[\n  {\n    \"name\": \"a\\\"b\\u00e9\"\n  },\n  {}\n]\n";
        assert_eq!(scan_names(odd), None, "an entry without a name");
        let escaped = "[\n  {\n    \"name\": \"a\\\"b\\u00e9\",\n    \"o\": {\n      \"name\": \"inner\"\n    }\n  }\n]\n";
        assert_eq!(scan_names(escaped), Some(vec!["a\"b\u{e9}".to_owned()]));
        assert_eq!(scan_names("[{\"name\": \"x\"}]"), None, "compact layout");
        assert_eq!(
            scan_names("[\n  {\n    \"name\": \"x\"\n  }\n\n]"),
            None,
            "blank line"
        );
        assert_eq!(
            scan_names("[\n  {\n    \"name\": \"x\"\n  }\n]  \n\n"),
            Some(vec!["x".to_owned()])
        );
    }
}
