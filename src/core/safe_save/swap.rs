//! Putting a finished temporary file in place of the target without a window
//! in which another writer's file could be replaced unseen.
//!
//! On Linux the temp file and the target are exchanged atomically
//! (`renameat2(RENAME_EXCHANGE)`); what comes out at the temp path is the
//! file that was replaced, and it is verified to be the one the save checked.
//! If it is not, another writer got in first: the exchange is undone and the
//! save reports a conflict, leaving the other writer's file in place. Where
//! the exchange is unavailable the disk is re-checked right before a rename.

use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempPath};

use super::{Fingerprint, SaveError, current_fingerprint, sync_folder};

/// Replace `target` with `tmp`, only if `target` still holds `expected`.
pub(super) fn swap_in_checked(
    tmp: NamedTempFile,
    target: &Path,
    expected: Fingerprint,
) -> Result<(), SaveError> {
    swap_in_checked_with(tmp, target, expected, &mut exchange)
}

/// `swap_in_checked` with the exchange given (the seam tests race).
fn swap_in_checked_with(
    tmp: NamedTempFile,
    target: &Path,
    expected: Fingerprint,
    exchange: &mut dyn FnMut(&Path, &Path) -> Exchange,
) -> Result<(), SaveError> {
    let tmp = tmp.into_temp_path();
    // What a swap back must find at `tmp` again: our new bytes.
    let ours = current_fingerprint(&tmp)?;
    match exchange(&tmp, target) {
        Exchange::Done => {}
        Exchange::Unsupported => return recheck_then_rename(tmp, target, expected),
        Exchange::Failed(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SaveError::Deleted {
                path: target.to_path_buf(),
            });
        }
        Exchange::Failed(e) => return Err(SaveError::io(target, "replace the file", e)),
    }
    // `tmp` now names the file that was at `target`.
    let swapped_out = current_fingerprint(&tmp);
    if matches!(swapped_out, Ok(Some(found)) if found == expected) {
        drop(tmp); // the checked version (its copy is the backup)
        sync_folder(target);
        return Ok(());
    }
    let found = match &swapped_out {
        Ok(Some(found)) => found.short(),
        Ok(None) => "no file".to_owned(),
        Err(e) => e.to_string(),
    };
    match swap_back(tmp, target, ours, exchange) {
        SwapBack::Undone => Err(SaveError::Conflict {
            path: target.to_path_buf(),
            expected: expected.short(),
            found,
        }),
        SwapBack::Kept { now, other } => Err(SaveError::ConflictNotUndone {
            path: target.to_path_buf(),
            expected: expected.short(),
            found,
            now,
            other,
        }),
    }
}

/// How a swap back ended.
enum SwapBack {
    /// Our bytes are out of the file again (and gone): it holds another
    /// writer's version, as the conflict message says.
    Undone,
    /// Writes kept landing: the file holds `now`, and the version the
    /// exchange took out is kept, visibly, at `other`.
    Kept { now: String, other: PathBuf },
}

/// A later write can land between the two exchanges of a conflict; each
/// exchange back hands that write to `target` again. Past this many, give up
/// and keep the file at the temp path.
const MAX_SWAP_BACKS: usize = 8;

/// Undo an exchange: the other writer's file goes back to `target`.
fn swap_back(
    tmp: TempPath,
    target: &Path,
    ours: Option<Fingerprint>,
    exchange: &mut dyn FnMut(&Path, &Path) -> Exchange,
) -> SwapBack {
    for _ in 0..MAX_SWAP_BACKS {
        match exchange(&tmp, target) {
            Exchange::Done => {}
            // It worked a moment ago; if it fails now keep both files.
            Exchange::Unsupported | Exchange::Failed(_) => break,
        }
        // `tmp` should hold our new bytes again. If a third write replaced
        // the target between the two exchanges, `tmp` holds that write and
        // `target` ours: exchange again so the third write is in place.
        let back = current_fingerprint(&tmp).ok().flatten();
        if back.is_some() && back == ours {
            drop(tmp);
            sync_folder(target);
            return SwapBack::Undone;
        }
    }
    settle(tmp, target, ours)
}

/// The swap back gave up: say exactly what the file holds, and keep the
/// version at `tmp` beside it under a visible name (never a hidden temp
/// file) unless it is our own bytes, which the caller still has.
fn settle(tmp: TempPath, target: &Path, ours: Option<Fingerprint>) -> SwapBack {
    let in_tmp = current_fingerprint(&tmp).ok().flatten();
    let Some(kept) = in_tmp.filter(|fp| Some(*fp) != ours) else {
        drop(tmp);
        sync_folder(target);
        return SwapBack::Undone;
    };
    let now = match current_fingerprint(target) {
        Ok(Some(fp)) if Some(fp) == ours => format!("your version ({})", fp.short()),
        Ok(Some(fp)) => format!("another writer's version ({})", fp.short()),
        Ok(None) => "nothing (the file is gone)".to_owned(),
        Err(e) => format!("something that cannot be read ({e})"),
    };
    let other = conflict_path(target, kept);
    let other = match tmp.persist_noclobber(&other) {
        Ok(()) => other,
        // The same bytes are kept there already (the name is their hash).
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => other,
        Err(e) => match e.path.keep() {
            Ok(hidden) => hidden,
            Err(_) => other,
        },
    };
    tracing::warn!(
        "could not undo the exchange with {}; it holds {now}, the other version is kept as {}",
        target.display(),
        other.display()
    );
    sync_folder(target);
    SwapBack::Kept { now, other }
}

/// `<file>.conflict-<hash>` beside `target`: where a version a save could
/// not put back is kept.
fn conflict_path(target: &Path, fp: Fingerprint) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".conflict-{}", fp.short()));
    target.with_file_name(name)
}

/// Where no exchange exists: re-check as late as possible, then rename.
fn recheck_then_rename(
    tmp: TempPath,
    target: &Path,
    expected: Fingerprint,
) -> Result<(), SaveError> {
    match current_fingerprint(target)? {
        Some(found) if found == expected => {}
        Some(found) => {
            return Err(SaveError::Conflict {
                path: target.to_path_buf(),
                expected: expected.short(),
                found: found.short(),
            });
        }
        None => {
            return Err(SaveError::Deleted {
                path: target.to_path_buf(),
            });
        }
    }
    tmp.persist(target)
        .map_err(|e| SaveError::io(target, "replace the file", e.error))?;
    sync_folder(target);
    Ok(())
}

enum Exchange {
    Done,
    /// The OS or filesystem has no atomic exchange.
    Unsupported,
    Failed(std::io::Error),
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> Exchange {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Exchange::Done,
        Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::NOTSUP => {
            Exchange::Unsupported
        }
        Err(e) => Exchange::Failed(e.into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> Exchange {
    Exchange::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn temp_with(dir: &Path, bytes: &[u8]) -> Result<NamedTempFile, std::io::Error> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".chat_proxy.toml.")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        Ok(tmp)
    }

    fn names(dir: &Path) -> Result<Vec<String>, std::io::Error> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    /// Another writer replaces the file before each exchange of ours: the
    /// swap back never sees our bytes come back and gives up. The message
    /// says what the file holds and where the displaced version is; no
    /// hidden temp file is left.
    #[test]
    fn a_swap_back_that_gives_up_says_what_is_where() -> TestResult {
        if !matches!(
            exchange(Path::new("/nonexistent-a"), Path::new("/nonexistent-b")),
            Exchange::Failed(_)
        ) {
            return Ok(()); // no atomic exchange on this system
        }
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("chat_proxy.toml");
        std::fs::write(&target, "other = 1\n")?;
        let tmp = temp_with(dir.path(), b"ours = 1\n")?;
        let expected = Fingerprint::of(b"read = 1\n");
        let mut round = 0;
        let mut racing = |a: &Path, b: &Path| {
            if round > 0 {
                // A racing writer lands between our exchanges.
                let _ = std::fs::write(b, format!("racer = {round}\n"));
            }
            round += 1;
            exchange(a, b)
        };
        let err =
            swap_in_checked_with(tmp, &target, expected, &mut racing).expect_err("a conflict");
        let SaveError::ConflictNotUndone { now, other, .. } = &err else {
            panic!("not the exact conflict: {err}");
        };
        let on_disk = std::fs::read(&target)?;
        assert!(now.contains(&Fingerprint::of(&on_disk).short()), "{err}");
        assert!(other.exists(), "{err}");
        let kept = std::fs::read(other)?;
        assert_ne!(kept, on_disk);
        assert!(err.to_string().contains(&other.display().to_string()));
        let left = names(dir.path())?;
        assert!(
            !left.iter().any(|n| n.ends_with(".tmp")),
            "a hidden temp file is left: {left:?}"
        );
        assert!(
            left.iter()
                .all(|n| n == "chat_proxy.toml" || crate::core::safe_save::is_backup_or_temp(n))
        );
        Ok(())
    }

    /// Without a racer the exchange is undone: the other writer's bytes are
    /// back and nothing else is left.
    #[test]
    fn a_conflict_puts_the_other_version_back() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("chat_proxy.toml");
        std::fs::write(&target, "other = 1\n")?;
        let tmp = temp_with(dir.path(), b"ours = 1\n")?;
        let err =
            swap_in_checked(tmp, &target, Fingerprint::of(b"read = 1\n")).expect_err("a conflict");
        assert!(matches!(err, SaveError::Conflict { .. }), "{err}");
        assert_eq!(std::fs::read(&target)?, b"other = 1\n");
        assert_eq!(names(dir.path())?, vec!["chat_proxy.toml".to_owned()]);
        Ok(())
    }
}
