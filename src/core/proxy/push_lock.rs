//! One push at a time per proxy from this machine. The proxy has no ETag
//! and no compare-and-swap: between the stale guard's re-read and the write
//! another client's write can land unseen, and with the same key neither
//! side could tell afterwards. Pushes from this machine (the CLI, the GUI,
//! a cron job) take an advisory lock per proxy URL from the re-read to the
//! read-back, so the second one re-reads after the first has written and
//! is refused as stale instead of silently undoing it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// How long a push waits for another push to the same proxy.
pub const WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(25);

/// Held while a push writes; released on drop (the OS releases it if the
/// process dies, so a crash never leaves a proxy locked).
#[derive(Debug)]
pub struct PushLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another push to {url} from this machine has not finished after {}s (lock {}); try again when it ends",
        waited.as_secs(), path.display()
    )]
    Busy {
        url: String,
        path: PathBuf,
        waited: Duration,
    },
    #[error("cannot open the push lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The lock file for `base_url`: in the system temp folder, so every user
/// and every copy of the studio on this machine shares it.
pub fn lock_path(base_url: &str) -> PathBuf {
    let digest = Sha256::digest(base_url.trim_end_matches('/').as_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("iw-studio-push-{name}.lock"))
}

/// Wait (up to `wait`) for the lock of `base_url`.
pub async fn acquire(base_url: &str, wait: Duration) -> Result<PushLock, LockError> {
    let path = lock_path(base_url);
    let file = open(&path)?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(PushLock { _file: file }),
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                tokio::time::sleep(POLL).await;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    url: base_url.to_owned(),
                    path,
                    waited: started.elapsed(),
                });
            }
            Err(TryLockError::Error(source)) => return Err(LockError::Io { path, source }),
        }
    }
}

/// Another user's lock file may not be writable by us; a lock needs only an
/// open file, so read access will do.
fn open(path: &std::path::Path) -> Result<File, LockError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .or_else(|_| File::open(path))
        .map_err(|source| LockError::Io {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_push_waits_for_the_first_and_times_out_clearly() {
        let url = format!("http://lock-test-{}:1", std::process::id());
        let first = acquire(&url, WAIT).await.unwrap();
        let err = acquire(&url, Duration::from_millis(100)).await.unwrap_err();
        assert!(err.to_string().contains("another push to"), "{err}");
        drop(first);
        let again = acquire(&url, Duration::from_millis(500)).await;
        assert!(again.is_ok());
        assert_eq!(lock_path(&url), lock_path(&format!("{url}/")));
    }
}
