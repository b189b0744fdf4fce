//! Crash-safe, conflict-checked file writes shared by every editor in the app.
//!
//! A save never leaves a half-written file: the new bytes go to a temporary
//! file in the target's folder (so the final rename stays on one filesystem),
//! with the original's owner, group and mode, are fsynced, and only then put
//! in place of the target. The version that was on disk is kept as
//! `<file>.bak` next to it, with the same owner and mode. A save is refused
//! when the file changed on disk since it was read, so a tool writing the
//! same file (the proxy's PUT, ImageWorks' discovery scan) is never silently
//! overwritten; on Linux that check and the replacement are one atomic
//! exchange (see `swap`). A symlink is written through (the link stays), a
//! hard-linked file is written in place (every name sees the new bytes), and
//! a read-only file is refused unless the overwrite was confirmed.
//!
//! Reads open only regular files and stop at a size limit (`bounded_read`).

mod bounded_read;
mod identity;
mod swap;
pub mod transaction;

use std::fs;
use std::io::{ErrorKind, Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use bounded_read::{CONFIG_TEXT_LIMIT, REGISTRY_LAYER_LIMIT, ReadLimit};
use bounded_read::{human_size, open_nonblocking, open_regular, read_bounded};
use identity::{Identity, resolve_symlinks};

/// Content hash of a file as it was read; the conflict check compares these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Short hex form for messages and logs.
    pub fn short(&self) -> String {
        self.0[..6].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A [`Fingerprint`] fed piece by piece: the fingerprint of text too large
/// to build whole (the fingerprint of the pieces joined).
#[derive(Default)]
pub struct FingerprintHasher(Sha256);

impl FingerprintHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(self) -> Fingerprint {
        Fingerprint(self.0.finalize().into())
    }
}

/// Text read from disk together with the fingerprint a later save checks against.
#[derive(Clone, Debug)]
pub struct LoadedText {
    pub path: PathBuf,
    pub text: String,
    pub fingerprint: Fingerprint,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{path}: cannot {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: is not UTF-8 text (byte {valid_up_to} is invalid)")]
    NotUtf8 { path: PathBuf, valid_up_to: usize },
    #[error(
        "{path}: changed on disk since it was opened (read {expected}, now {found}); \
         reload it or save again explicitly to overwrite"
    )]
    Conflict {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error(
        "{path}: changed on disk while it was being saved (read {expected}, found {found}), \
         and other writers kept replacing it, so the exchange could not be undone: the file \
         now holds {now}; the version it held is kept as {}; compare the two and keep the \
         one you want",
        other.display()
    )]
    ConflictNotUndone {
        path: PathBuf,
        expected: String,
        found: String,
        /// What the file holds now, said exactly ("your version (…)" or
        /// "another version (…)").
        now: String,
        /// Where the version this save took out of place is kept (beside
        /// the file, never hidden).
        other: PathBuf,
    },
    #[error(
        "{path}: was deleted on disk since it was opened; save again explicitly to recreate it"
    )]
    Deleted { path: PathBuf },
    #[error(
        "{path}: not enough free space to write it in place ({needed} bytes: {source}); \
         the file is unchanged{}; free some space and save again",
        if *restored { " (its original bytes were written back)" } else { " (nothing was written)" }
    )]
    NoSpace {
        path: PathBuf,
        needed: u64,
        /// The original bytes were written back after a failed write.
        restored: bool,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the write in place failed ({source}) and the original bytes could not be \
         put back ({restore}); the previous version is in {}",
        backup.display()
    )]
    InPlaceLost {
        path: PathBuf,
        source: std::io::Error,
        restore: std::io::Error,
        backup: PathBuf,
    },
    #[error("{path}: is {kind}, not a regular file; only regular files are read or written")]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path}: is {}, too large for {limit}; this is not {}", human_size(*size), limit.what)]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: ReadLimit,
    },
    #[error(
        "{path}: is read-only (mode {mode}); not overwritten: make it writable \
         (chmod u+w) or confirm the overwrite"
    )]
    ReadOnly { path: PathBuf, mode: String },
    #[error(
        "{source}; and these files, already replaced, could not be put back: {}",
        not_restored.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    PartlyWritten {
        source: Box<SaveError>,
        not_restored: Vec<PathBuf>,
    },
}

impl SaveError {
    fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Self::Conflict { .. } | Self::ConflictNotUndone { .. } | Self::Deleted { .. }
        )
    }
}

/// What a successful save did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The bytes on disk already were the new bytes: nothing was touched.
    Unchanged { fingerprint: Fingerprint },
    /// The file was replaced; `backup` holds the previous version when there was one.
    Written {
        fingerprint: Fingerprint,
        backup: Option<PathBuf>,
    },
}

impl SaveOutcome {
    pub fn fingerprint(&self) -> Fingerprint {
        match self {
            Self::Unchanged { fingerprint } | Self::Written { fingerprint, .. } => *fingerprint,
        }
    }
}

/// How a save treats what is on disk now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The file must still have this content (the normal case after opening it).
    Unchanged(Fingerprint),
    /// The file must not exist yet ("Save as" to a new name, "New from defaults").
    Absent,
    /// Overwrite whatever is there, a read-only file included (only after
    /// the user confirmed it).
    Anything,
}

/// Read a `chat_proxy.toml`-sized text (refused past `CONFIG_TEXT_LIMIT`).
pub fn read_text(path: &Path) -> Result<LoadedText, SaveError> {
    let text = read_text_unhashed(path, CONFIG_TEXT_LIMIT)?;
    Ok(LoadedText {
        path: path.to_path_buf(),
        fingerprint: Fingerprint::of(text.as_bytes()),
        text,
    })
}

/// The file's text without its fingerprint, for callers that keep the
/// text and fingerprint it only when needed (`Fingerprint::of(text)` is the
/// fingerprint `read_text` gives). Only a regular file of at most `limit`
/// bytes is read.
pub fn read_text_unhashed(path: &Path, limit: ReadLimit) -> Result<String, SaveError> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|e| SaveError::NotUtf8 {
        path: path.to_path_buf(),
        valid_up_to: e.utf8_error().valid_up_to(),
    })
}

/// Whether a file name is a backup or a temporary file: the `.bak` this
/// module keeps, its `.NAME.XXXX.tmp` temp files, and editors' `NAME~`,
/// `.NAME.swp`. File pickers leave them out of their lists.
pub fn is_backup_or_temp(name: &str) -> bool {
    name.ends_with(".bak")
        || name
            .rsplit_once(".conflict-")
            .is_some_and(|(_, hex)| hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        || name.ends_with('~')
        || (name.starts_with('.') && (name.ends_with(".tmp") || name.ends_with(".swp")))
}

/// The path of the single backup kept beside `path`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

/// Fingerprint of what is on disk now, `None` when the file does not exist.
pub fn current_fingerprint(path: &Path) -> Result<Option<Fingerprint>, SaveError> {
    fingerprint_in_chunks(path, |_| {})
}

/// The fingerprint of the file at `path` (`None`: there is none), read in
/// chunks that are also handed to `each_chunk`: a large file is hashed (and
/// scanned) without being held in memory.
pub fn fingerprint_in_chunks(
    path: &Path,
    each_chunk: impl FnMut(&[u8]),
) -> Result<Option<Fingerprint>, SaveError> {
    match open_regular(path)? {
        Some((mut file, _)) => hash_reader(path, &mut file, each_chunk).map(Some),
        None => Ok(None),
    }
}

fn hash_reader(
    path: &Path,
    reader: &mut impl Read,
    mut each_chunk: impl FnMut(&[u8]),
) -> Result<Fingerprint, SaveError> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buffer[..n]);
                each_chunk(&buffer[..n]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(SaveError::io(path, "read", e)),
        }
    }
    Ok(Fingerprint(hasher.finalize().into()))
}

/// Atomically replace `path` with `bytes`, keeping the previous version as
/// `<file>.bak`. `Expect::Anything` is the confirmed overwrite: it also
/// writes a read-only file.
pub fn save_atomically(
    path: &Path,
    bytes: &[u8],
    expect: Expect,
) -> Result<SaveOutcome, SaveError> {
    let target =
        resolve_symlinks(path).map_err(|e| SaveError::io(path, "follow the symbolic link", e))?;
    let target = target.as_path();
    let on_disk = read_for_save(target)?;
    check_expectation(
        target,
        on_disk.as_ref().map(|(old, _)| old.as_slice()),
        expect,
    )?;
    let fingerprint = Fingerprint::of(bytes);
    let Some((old, identity)) = on_disk else {
        create(target, bytes, expect)?;
        return Ok(SaveOutcome::Written {
            fingerprint,
            backup: None,
        });
    };
    if old == bytes {
        return Ok(SaveOutcome::Unchanged { fingerprint });
    }
    if identity.is_read_only() && expect != Expect::Anything {
        return Err(SaveError::ReadOnly {
            path: target.to_path_buf(),
            mode: identity.mode_text(),
        });
    }
    let backup = backup_path(target);
    let (tmp, _) = temp_beside(&backup, &old, Some(&identity))?;
    tmp.persist(&backup)
        .map_err(|e| SaveError::io(&backup, "replace the file", e.error))?;
    let checked = match expect {
        Expect::Unchanged(fp) => Some(fp),
        Expect::Absent | Expect::Anything => None,
    };
    replace(target, &old, bytes, &identity, checked)?;
    Ok(SaveOutcome::Written {
        fingerprint,
        backup: Some(backup),
    })
}

/// The bytes and identity of the file a save replaces, `None` when there is none.
#[allow(
    clippy::verbose_file_reads,
    reason = "read through the handle whose type was checked, not again by path"
)]
fn read_for_save(target: &Path) -> Result<Option<(Vec<u8>, Identity)>, SaveError> {
    let Some((mut file, meta)) = open_regular(target)? else {
        return Ok(None);
    };
    let mut old = Vec::new();
    file.read_to_end(&mut old)
        .map_err(|e| SaveError::io(target, "read", e))?;
    Ok(Some((old, Identity::of(&meta))))
}

/// A file that did not exist: `Absent` must still find none when it lands.
fn create(target: &Path, bytes: &[u8], expect: Expect) -> Result<(), SaveError> {
    let (tmp, _) = temp_beside(target, bytes, None)?;
    if expect == Expect::Absent {
        tmp.persist_noclobber(target).map_err(|e| {
            if e.error.kind() == ErrorKind::AlreadyExists {
                SaveError::Conflict {
                    path: target.to_path_buf(),
                    expected: "no file".into(),
                    found: "a file created meanwhile".into(),
                }
            } else {
                SaveError::io(target, "create the file", e.error)
            }
        })?;
    } else {
        tmp.persist(target)
            .map_err(|e| SaveError::io(target, "replace the file", e.error))?;
    }
    sync_folder(target);
    Ok(())
}

/// Put `bytes` at `target`, keeping its identity; `checked`: the content the
/// target must still have at that moment.
fn replace(
    target: &Path,
    old: &[u8],
    bytes: &[u8],
    identity: &Identity,
    checked: Option<Fingerprint>,
) -> Result<(), SaveError> {
    if identity.has_other_links() {
        return write_in_place(target, old, bytes, checked);
    }
    let (tmp, owner_kept) = temp_beside(target, bytes, Some(identity))?;
    if !owner_kept {
        // A new file would be ours, not the original owner's (not root):
        // write in place so the owner stays, as editors do.
        drop(tmp);
        return write_in_place(target, old, bytes, checked);
    }
    match checked {
        Some(expected) => swap::swap_in_checked(tmp, target, expected),
        None => {
            tmp.persist(target)
                .map_err(|e| SaveError::io(target, "replace the file", e.error))?;
            sync_folder(target);
            Ok(())
        }
    }
}

/// Overwrite the file's own bytes (same inode): for hard links and for files
/// whose owner a new file could not get. The backup is written before, and
/// the content is re-checked through the open handle right before writing.
/// `old` is what the file holds (checked): it is written back if the new
/// bytes cannot all be written.
fn write_in_place(
    target: &Path,
    old: &[u8],
    bytes: &[u8],
    checked: Option<Fingerprint>,
) -> Result<(), SaveError> {
    let mut file =
        open_nonblocking(target, true).map_err(|e| SaveError::io(target, "open for writing", e))?;
    let meta = file
        .metadata()
        .map_err(|e| SaveError::io(target, "open for writing", e))?;
    bounded_read::ensure_regular(target, &meta)?;
    if let Some(expected) = checked {
        let found = hash_reader(target, &mut file, |_| {})?;
        if found != expected {
            return Err(SaveError::Conflict {
                path: target.to_path_buf(),
                expected: expected.short(),
                found: found.short(),
            });
        }
    }
    overwrite(target, &mut file, old, bytes, &mut |f, b| f.write_all(b))
}

/// The in-place write: the space for the new bytes is reserved first
/// (`fallocate` without changing the size), so a full disk refuses before
/// a byte changes; the new bytes then go over the old ones from the start
/// and only then is the file cut to their length. If anything fails on the
/// way (a filesystem without reservation that runs out of space), `old` is
/// written back: the file never stays cut or half-new. `write` is the seam
/// tests fail.
fn overwrite(
    target: &Path,
    file: &mut fs::File,
    old: &[u8],
    bytes: &[u8],
    write: &mut dyn FnMut(&mut fs::File, &[u8]) -> std::io::Result<()>,
) -> Result<(), SaveError> {
    let needed = bytes.len() as u64;
    if bytes.len() > old.len()
        && let Err(e) = reserve(file, needed)
        && e.raw_os_error() == Some(NO_SPACE)
    {
        return Err(SaveError::NoSpace {
            path: target.to_path_buf(),
            needed,
            restored: false,
            source: e,
        });
    }
    let mut put = |file: &mut fs::File, text: &[u8]| -> std::io::Result<()> {
        file.rewind()?;
        write(file, text)?;
        file.set_len(text.len() as u64)?;
        file.sync_all()
    };
    let Err(failed) = put(file, bytes) else {
        return Ok(());
    };
    match put(file, old) {
        Ok(()) if failed.raw_os_error() == Some(NO_SPACE) => Err(SaveError::NoSpace {
            path: target.to_path_buf(),
            needed,
            restored: true,
            source: failed,
        }),
        Ok(()) => Err(SaveError::io(
            target,
            "write the file in place (the original bytes are back)",
            failed,
        )),
        Err(restore) => Err(SaveError::InPlaceLost {
            path: target.to_path_buf(),
            source: failed,
            restore,
            backup: backup_path(target),
        }),
    }
}

/// ENOSPC: no space left on the device.
const NO_SPACE: i32 = 28;

/// Reserve the blocks for `len` bytes without changing the file's size or
/// content. A filesystem without reservation is not an error here: the
/// write that follows puts the original back if it runs out of space.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn reserve(file: &fs::File, len: u64) -> std::io::Result<()> {
    use rustix::fs::{FallocateFlags, fallocate};
    match fallocate(file, FallocateFlags::KEEP_SIZE, 0, len) {
        Ok(()) => Ok(()),
        Err(e) if e == rustix::io::Errno::NOSPC || e == rustix::io::Errno::DQUOT => {
            Err(std::io::Error::from_raw_os_error(NO_SPACE))
        }
        Err(_) => Ok(()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn reserve(_file: &fs::File, _len: u64) -> std::io::Result<()> {
    Ok(())
}

/// A temporary file beside `target` holding `bytes`, with `identity`'s owner
/// and mode when given; the flag says whether the owner could be given. It
/// is removed when dropped, so every error path cleans it up.
fn temp_beside(
    target: &Path,
    bytes: &[u8],
    identity: Option<&Identity>,
) -> Result<(tempfile::NamedTempFile, bool), SaveError> {
    temp_written(target, identity, |file| file.write_all(bytes))
}

/// `temp_beside` with its content written by `write` (the seam
/// `transaction::Steps` uses).
fn temp_written(
    target: &Path,
    identity: Option<&Identity>,
    write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
) -> Result<(tempfile::NamedTempFile, bool), SaveError> {
    let prefix = format!(
        ".{}.",
        target.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(folder_of(target))
        .map_err(|e| SaveError::io(target, "create a temporary file in its folder", e))?;
    let owner_kept = match identity {
        Some(identity) => identity.apply_to(tmp.as_file()).map_err(|e| {
            SaveError::io(
                target,
                "give the temporary file the original's owner and mode",
                e,
            )
        })?,
        None => true,
    };
    write(tmp.as_file_mut()).map_err(|e| SaveError::io(target, "write the temporary file", e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| SaveError::io(target, "flush the temporary file to disk", e))?;
    Ok((tmp, owner_kept))
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Make a rename durable (best effort: not every filesystem syncs folders).
fn sync_folder(path: &Path) {
    if let Ok(d) = fs::File::open(folder_of(path)) {
        let _ = d.sync_all();
    }
}

fn check_expectation(path: &Path, on_disk: Option<&[u8]>, expect: Expect) -> Result<(), SaveError> {
    match (expect, on_disk) {
        (Expect::Anything, _) | (Expect::Absent, None) => Ok(()),
        (Expect::Absent, Some(now)) => Err(SaveError::Conflict {
            path: path.to_path_buf(),
            expected: "no file".into(),
            found: Fingerprint::of(now).short(),
        }),
        (Expect::Unchanged(_), None) => Err(SaveError::Deleted {
            path: path.to_path_buf(),
        }),
        (Expect::Unchanged(expected), Some(now)) => {
            let found = Fingerprint::of(now);
            if found == expected {
                Ok(())
            } else {
                Err(SaveError::Conflict {
                    path: path.to_path_buf(),
                    expected: expected.short(),
                    found: found.short(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_and_temp_files_are_told_apart_from_configs() {
        for name in [
            "chat_proxy.toml.bak",
            "chat_proxy.toml~",
            ".chat_proxy.toml.a1B2.tmp",
            ".chat_proxy.toml.swp",
            "chat_proxy.toml.conflict-0123456789ab",
        ] {
            assert!(is_backup_or_temp(name), "{name}");
        }
        for name in [
            "chat_proxy.toml",
            "staging.toml",
            ".chat_proxy.toml",
            "bak.toml",
        ] {
            assert!(!is_backup_or_temp(name), "{name}");
        }
    }

    #[test]
    fn save_keeps_backup_and_detects_conflicts() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.toml");
        fs::write(&path, "one\n")?;
        let loaded = read_text(&path)?;
        let out = save_atomically(&path, b"two\n", Expect::Unchanged(loaded.fingerprint))?;
        assert_eq!(fs::read_to_string(&path)?, "two\n");
        assert_eq!(fs::read_to_string(backup_path(&path))?, "one\n");
        assert!(matches!(
            out,
            SaveOutcome::Written {
                backup: Some(_),
                ..
            }
        ));
        // The loaded fingerprint is stale now: a second save must be refused.
        let err = save_atomically(&path, b"three\n", Expect::Unchanged(loaded.fingerprint))
            .err()
            .ok_or("expected a conflict")?;
        assert!(err.is_conflict(), "{err}");
        assert!(err.to_string().contains("changed on disk"), "{err}");
        assert_eq!(fs::read_to_string(&path)?, "two\n");
        Ok(())
    }

    #[test]
    fn identical_bytes_touch_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.toml");
        fs::write(&path, "same")?;
        let out = save_atomically(&path, b"same", Expect::Anything)?;
        assert!(matches!(out, SaveOutcome::Unchanged { .. }));
        assert!(!backup_path(&path).exists());
        Ok(())
    }

    #[test]
    fn absent_expectation_refuses_existing_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("new.toml");
        save_atomically(&path, b"x", Expect::Absent)?;
        assert!(save_atomically(&path, b"y", Expect::Absent).is_err());
        assert_eq!(fs::read_to_string(&path)?, "x");
        Ok(())
    }

    #[test]
    fn failed_save_leaves_original_intact() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.toml");
        fs::write(&path, "keep")?;
        // A folder where the backup should go makes the save fail even for root.
        fs::create_dir(backup_path(&path))?;
        let err = save_atomically(&path, b"lost", Expect::Anything)
            .err()
            .ok_or("expected the save to fail")?;
        assert!(err.to_string().contains("a.toml.bak"), "{err}");
        assert_eq!(fs::read_to_string(&path)?, "keep");
        let leftovers = fs::read_dir(dir.path())?.count();
        assert_eq!(leftovers, 2, "no temporary file may be left behind");
        Ok(())
    }

    /// A disk that fills up in the middle of the in-place write (a
    /// filesystem without reservation): the write stops after 4,096 bytes
    /// with ENOSPC. The file gets its original bytes back, and the error
    /// says the file is unchanged.
    #[test]
    fn a_full_disk_in_the_middle_of_an_in_place_write_leaves_the_original()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("chat_proxy.toml");
        let old = "[server]\nport = 8100\n".repeat(100);
        fs::write(&path, &old)?;
        let new = "[server]\nport = 8200  # a longer line\n".repeat(300);
        let mut file = fs::OpenOptions::new().read(true).write(true).open(&path)?;
        let mut full_disk = |f: &mut fs::File, b: &[u8]| -> std::io::Result<()> {
            if b.len() > old.len() {
                f.write_all(&b[..4096])?;
                return Err(std::io::Error::from_raw_os_error(NO_SPACE));
            }
            f.write_all(b)
        };
        let err = overwrite(
            &path,
            &mut file,
            old.as_bytes(),
            new.as_bytes(),
            &mut full_disk,
        )
        .expect_err("the disk is full");
        assert!(
            matches!(err, SaveError::NoSpace { restored: true, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("unchanged"), "{err}");
        assert_eq!(fs::read_to_string(&path)?, old);
        Ok(())
    }

    /// A shorter text written in place leaves no tail of the old one.
    #[test]
    fn an_in_place_write_is_cut_to_the_new_length() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.toml");
        fs::write(&path, "long = \"old old old\"\n")?;
        let link = dir.path().join("b.toml");
        fs::hard_link(&path, &link)?;
        let loaded = read_text(&path)?;
        save_atomically(&path, b"x = 1\n", Expect::Unchanged(loaded.fingerprint))?;
        assert_eq!(fs::read_to_string(&link)?, "x = 1\n");
        assert_eq!(fs::read_to_string(&path)?, "x = 1\n");
        Ok(())
    }
}
