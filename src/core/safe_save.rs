//! Crash-safe, conflict-checked file writes shared by every editor in the app.
//!
//! A save never leaves a half-written file: the new bytes go to a temporary
//! file in the same folder (so the final rename stays on one filesystem), are
//! fsynced, and only then renamed over the target. The version that was on
//! disk is kept as `<file>.bak` next to it. A save is refused when the file
//! changed on disk since it was read, so a tool writing the same file (the
//! proxy's PUT, ImageWorks' discovery scan) is never silently overwritten.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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
        "{path}: was deleted on disk since it was opened; save again explicitly to recreate it"
    )]
    Deleted { path: PathBuf },
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
        matches!(self, Self::Conflict { .. } | Self::Deleted { .. })
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
    /// Overwrite whatever is there (only after the user confirmed it).
    Anything,
}

pub fn read_text(path: &Path) -> Result<LoadedText, SaveError> {
    let text = read_text_unhashed(path)?;
    Ok(LoadedText {
        path: path.to_path_buf(),
        fingerprint: Fingerprint::of(text.as_bytes()),
        text,
    })
}

/// The file's text without its fingerprint, for callers that keep the
/// text and fingerprint it only when needed (`Fingerprint::of(text)` is the
/// fingerprint `read_text` gives).
pub fn read_text_unhashed(path: &Path) -> Result<String, SaveError> {
    let bytes = fs::read(path).map_err(|e| SaveError::io(path, "read", e))?;
    String::from_utf8(bytes).map_err(|e| SaveError::NotUtf8 {
        path: path.to_path_buf(),
        valid_up_to: e.utf8_error().valid_up_to(),
    })
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
    mut each_chunk: impl FnMut(&[u8]),
) -> Result<Option<Fingerprint>, SaveError> {
    let mut file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SaveError::io(path, "read", e)),
    };
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buffer[..n]);
                each_chunk(&buffer[..n]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(SaveError::io(path, "read", e)),
        }
    }
    Ok(Some(Fingerprint(hasher.finalize().into())))
}

/// Atomically replace `path` with `bytes`, keeping the previous version as `<file>.bak`.
pub fn save_atomically(
    path: &Path,
    bytes: &[u8],
    expect: Expect,
) -> Result<SaveOutcome, SaveError> {
    let on_disk = match fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(SaveError::io(path, "read", e)),
    };
    check_expectation(path, on_disk.as_deref(), expect)?;
    let fingerprint = Fingerprint::of(bytes);
    if on_disk.as_deref() == Some(bytes) {
        return Ok(SaveOutcome::Unchanged { fingerprint });
    }
    let backup = match &on_disk {
        Some(old) => {
            let backup = backup_path(path);
            write_replace(&backup, old)?;
            Some(backup)
        }
        None => None,
    };
    write_replace(path, bytes)?;
    Ok(SaveOutcome::Written {
        fingerprint,
        backup,
    })
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

/// Temp file in the same folder, fsync, rename over, fsync the folder.
fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let prefix = format!(
        ".{}.",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| SaveError::io(path, "create a temporary file in its folder", e))?;
    tmp.write_all(bytes)
        .map_err(|e| SaveError::io(path, "write the temporary file", e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| SaveError::io(path, "flush the temporary file to disk", e))?;
    if let Ok(meta) = fs::metadata(path) {
        // Keep the original's permissions (a 0600 config stays 0600).
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path)
        .map_err(|e| SaveError::io(path, "replace the file", e.error))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
