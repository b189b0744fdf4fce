//! Putting a finished temporary file in place of the target without a window
//! in which another writer's file could be replaced unseen.
//!
//! On Linux the temp file and the target are exchanged atomically
//! (`renameat2(RENAME_EXCHANGE)`); what comes out at the temp path is the
//! file that was replaced, and it is verified to be the one the save checked.
//! If it is not, another writer got in first: the exchange is undone and the
//! save reports a conflict, leaving the other writer's file in place. Where
//! the exchange is unavailable the disk is re-checked right before a rename.

use std::path::Path;

use tempfile::{NamedTempFile, TempPath};

use super::{Fingerprint, SaveError, current_fingerprint, sync_folder};

/// Replace `target` with `tmp`, only if `target` still holds `expected`.
pub(super) fn swap_in_checked(
    tmp: NamedTempFile,
    target: &Path,
    expected: Fingerprint,
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
    swap_back(tmp, target, ours);
    Err(SaveError::Conflict {
        path: target.to_path_buf(),
        expected: expected.short(),
        found,
    })
}

/// A later write can land between the two exchanges of a conflict; each
/// exchange back hands that write to `target` again. Past this many, give up
/// and keep the file at the temp path.
const MAX_SWAP_BACKS: usize = 8;

/// Undo an exchange: the other writer's file goes back to `target`.
fn swap_back(tmp: TempPath, target: &Path, ours: Option<Fingerprint>) {
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
            return;
        }
    }
    if let Ok(kept) = tmp.keep() {
        tracing::warn!(
            "could not undo the exchange with {}; the other version is kept as {}",
            target.display(),
            kept.display()
        );
    }
    sync_folder(target);
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
