//! Several files saved as one change (the registry's layers and snapshot).
//!
//! Saving them one after the other left, on a nearly full disk, the curated
//! layer written and the snapshot not. Here every new version (and every
//! backup) is first written to a temporary file beside its target and
//! flushed; only when all of them are on disk is the first target replaced.
//! Should replacing a later one fail, the targets already replaced get their
//! previous bytes back, so the files are all new or all as they were.
//!
//! Each file gets what `save_atomically` gives one file: the conflict check
//! (atomic on Linux), the `.bak`, the owner and mode, writing in place for
//! hard links, refusing a read-only file unless the overwrite was confirmed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::identity::{Identity, resolve_symlinks};
use super::{
    Expect, Fingerprint, SaveError, SaveOutcome, backup_path, check_expectation, read_for_save,
    swap, sync_folder, temp_written, write_in_place,
};

/// One file of a transaction: its new bytes and what must be on disk now.
#[derive(Clone, Copy, Debug)]
pub struct FileWrite<'a> {
    pub path: &'a Path,
    pub bytes: &'a [u8],
    pub expect: Expect,
}

/// The two steps of a transaction that touch the disk, as a seam: tests
/// make one of them fail for one file (a full disk, a vanished folder) and
/// check that every file is as it was.
pub trait Steps: Sync {
    /// Write the bytes of a temporary file made for `target`.
    fn write_temp(&self, target: &Path, file: &mut fs::File, bytes: &[u8]) -> std::io::Result<()> {
        let _ = target;
        file.write_all(bytes)
    }

    /// Called right before `target` is replaced by its new version.
    fn before_replace(&self, target: &Path) -> std::io::Result<()> {
        let _ = target;
        Ok(())
    }
}

/// The real disk: no faults.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl Steps for Disk {}

/// A file whose new version is flushed to its temporary file, ready to be
/// put in place.
struct Staged {
    target: PathBuf,
    expect: Expect,
    fingerprint: Fingerprint,
    /// The bytes and identity of the version it replaces; `None`: a new file.
    old: Option<(Vec<u8>, Identity)>,
    new: NamedTempFile,
    /// Whether `new` got the original's owner (else it is written in place).
    owner_kept: bool,
    /// The old version, to become `<file>.bak`.
    backup: Option<NamedTempFile>,
}

/// What was put in place, for putting it back.
struct Replaced {
    target: PathBuf,
    old: Option<(Vec<u8>, Identity)>,
}

/// Save every file or none. Returns each file's outcome, in order.
pub fn save_all(files: &[FileWrite<'_>], steps: &dyn Steps) -> Result<Vec<SaveOutcome>, SaveError> {
    let mut outcomes = Vec::with_capacity(files.len());
    let mut staged = Vec::new();
    for file in files {
        match stage(file, steps)? {
            Ok(ready) => {
                outcomes.push(SaveOutcome::Written {
                    fingerprint: ready.fingerprint,
                    backup: ready.old.as_ref().map(|_| backup_path(&ready.target)),
                });
                staged.push(ready);
            }
            Err(unchanged) => outcomes.push(unchanged),
        }
    }
    let mut replaced: Vec<Replaced> = Vec::with_capacity(staged.len());
    for ready in staged {
        let target = ready.target.clone();
        let old = ready.old.clone();
        if let Err(error) = commit(ready, steps) {
            let not_restored = roll_back(replaced);
            return Err(match not_restored.is_empty() {
                true => error,
                false => SaveError::PartlyWritten {
                    source: Box::new(error),
                    not_restored,
                },
            });
        }
        replaced.push(Replaced { target, old });
    }
    Ok(outcomes)
}

/// Check a file and write its temporary files; `Err(outcome)` when the
/// bytes on disk already are the new ones.
fn stage(
    file: &FileWrite<'_>,
    steps: &dyn Steps,
) -> Result<Result<Staged, SaveOutcome>, SaveError> {
    let target = resolve_symlinks(file.path)
        .map_err(|e| SaveError::io(file.path, "follow the symbolic link", e))?;
    let old = read_for_save(&target)?;
    check_expectation(
        &target,
        old.as_ref().map(|(b, _)| b.as_slice()),
        file.expect,
    )?;
    let fingerprint = Fingerprint::of(file.bytes);
    if old.as_ref().is_some_and(|(b, _)| b == file.bytes) {
        return Ok(Err(SaveOutcome::Unchanged { fingerprint }));
    }
    if let Some((_, identity)) = &old
        && identity.is_read_only()
        && file.expect != Expect::Anything
    {
        return Err(SaveError::ReadOnly {
            path: target,
            mode: identity.mode_text(),
        });
    }
    let identity = old.as_ref().map(|(_, i)| i);
    let (new, owner_kept) = temp_for(&target, &target, file.bytes, identity, steps)?;
    let backup = match &old {
        Some((bytes, identity)) => {
            let backup = backup_path(&target);
            Some(temp_for(&backup, &target, bytes, Some(identity), steps)?.0)
        }
        None => None,
    };
    Ok(Ok(Staged {
        target,
        expect: file.expect,
        fingerprint,
        old,
        new,
        owner_kept,
        backup,
    }))
}

/// A flushed temporary file beside `beside` holding `bytes`, written
/// through `steps` as the new version of `target`.
fn temp_for(
    beside: &Path,
    target: &Path,
    bytes: &[u8],
    identity: Option<&Identity>,
    steps: &dyn Steps,
) -> Result<(NamedTempFile, bool), SaveError> {
    temp_written(beside, identity, |file| {
        steps.write_temp(target, file, bytes)
    })
}

/// Keep the backup, then put the new version in place.
fn commit(ready: Staged, steps: &dyn Steps) -> Result<(), SaveError> {
    let Staged {
        target,
        expect,
        fingerprint: _,
        old,
        new,
        owner_kept,
        backup,
    } = ready;
    steps
        .before_replace(&target)
        .map_err(|e| SaveError::io(&target, "replace the file", e))?;
    if let Some(backup) = backup {
        let path = backup_path(&target);
        backup
            .persist(&path)
            .map_err(|e| SaveError::io(&path, "replace the file", e.error))?;
    }
    let checked = match expect {
        Expect::Unchanged(fp) => Some(fp),
        Expect::Absent | Expect::Anything => None,
    };
    let Some((old_bytes, identity)) = old else {
        let persisted = match expect {
            Expect::Absent => new.persist_noclobber(&target),
            _ => new.persist(&target),
        };
        persisted.map_err(|e| SaveError::io(&target, "create the file", e.error))?;
        sync_folder(&target);
        return Ok(());
    };
    if identity.has_other_links() || !owner_kept {
        // Written in place (see `replace` in the parent module): the bytes
        // come from the flushed temp file, which is then dropped.
        let bytes = fs::read(new.path())
            .map_err(|e| SaveError::io(&target, "read the temporary file back", e))?;
        drop(new);
        return write_in_place(&target, &old_bytes, &bytes, checked);
    }
    match checked {
        Some(expected) => swap::swap_in_checked(new, &target, expected),
        None => {
            new.persist(&target)
                .map_err(|e| SaveError::io(&target, "replace the file", e.error))?;
            sync_folder(&target);
            Ok(())
        }
    }
}

/// Give each replaced file its previous bytes back (a new file is
/// removed). Returns the files that could not be put back.
fn roll_back(replaced: Vec<Replaced>) -> Vec<PathBuf> {
    let mut not_restored = Vec::new();
    for done in replaced.into_iter().rev() {
        let result = match &done.old {
            Some((bytes, identity)) => put_back(&done.target, bytes, identity),
            None => fs::remove_file(&done.target)
                .map_err(|e| SaveError::io(&done.target, "remove the new file", e)),
        };
        if let Err(e) = result {
            tracing::warn!("could not put back {}: {e}", done.target.display());
            not_restored.push(done.target);
        }
    }
    not_restored
}

fn put_back(target: &Path, bytes: &[u8], identity: &Identity) -> Result<(), SaveError> {
    if identity.has_other_links() {
        // What a failed write in place puts back: the file as it is now.
        let now = fs::read(target).map_err(|e| SaveError::io(target, "read", e))?;
        return write_in_place(target, &now, bytes, None);
    }
    let (tmp, _) = super::temp_beside(target, bytes, Some(identity))?;
    tmp.persist(target)
        .map_err(|e| SaveError::io(target, "put the previous version back", e.error))?;
    sync_folder(target);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails the replacement of the file named `name`.
    struct FailReplace(&'static str);

    impl Steps for FailReplace {
        fn before_replace(&self, target: &Path) -> std::io::Result<()> {
            match target.ends_with(self.0) {
                true => Err(std::io::Error::other("disk gone")),
                false => Ok(()),
            }
        }
    }

    #[test]
    fn all_files_or_none() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        fs::write(&a, "a1")?;
        fs::write(&b, "same")?;
        let files = [
            FileWrite {
                path: &a,
                bytes: b"a2",
                expect: Expect::Unchanged(Fingerprint::of(b"a1")),
            },
            FileWrite {
                path: &b,
                bytes: b"same",
                expect: Expect::Anything,
            },
            FileWrite {
                path: &c,
                bytes: b"new",
                expect: Expect::Absent,
            },
        ];
        // `c` is new and fails last: `a` gets its bytes back, `c` is not created.
        let err = save_all(&files, &FailReplace("c"))
            .err()
            .ok_or("must fail")?;
        assert!(err.to_string().contains("disk gone"), "{err}");
        assert_eq!(fs::read(&a)?, b"a1");
        assert!(!c.exists());
        let outcomes = save_all(&files, &Disk)?;
        assert!(matches!(
            outcomes[0],
            SaveOutcome::Written {
                backup: Some(_),
                ..
            }
        ));
        assert!(matches!(outcomes[1], SaveOutcome::Unchanged { .. }));
        assert!(matches!(
            outcomes[2],
            SaveOutcome::Written { backup: None, .. }
        ));
        assert_eq!(
            (fs::read(&a)?, fs::read(&c)?),
            (b"a2".to_vec(), b"new".to_vec())
        );
        assert_eq!(fs::read(backup_path(&a))?, b"a1");
        Ok(())
    }

    #[test]
    fn a_conflict_on_any_file_writes_none() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::write(&a, "a1")?;
        fs::write(&b, "changed by someone else")?;
        let files = [
            FileWrite {
                path: &a,
                bytes: b"a2",
                expect: Expect::Unchanged(Fingerprint::of(b"a1")),
            },
            FileWrite {
                path: &b,
                bytes: b"b2",
                expect: Expect::Unchanged(Fingerprint::of(b"b1")),
            },
        ];
        let err = save_all(&files, &Disk).err().ok_or("must fail")?;
        assert!(err.is_conflict(), "{err}");
        assert_eq!(fs::read(&a)?, b"a1");
        assert_eq!(fs::read(&b)?, b"changed by someone else");
        Ok(())
    }
}
