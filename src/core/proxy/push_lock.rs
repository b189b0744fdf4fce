//! One push at a time per proxy from this machine. The proxy has no ETag
//! and no compare-and-swap: between the stale guard's re-read and the write
//! another client's write can land unseen, and with the same key neither
//! side could tell afterwards. Pushes from this machine (the CLI, the GUI,
//! a cron job) take an advisory lock per proxy from the re-read to the
//! read-back, so the second one re-reads after the first has written and
//! is refused as stale instead of silently undoing it.
//!
//! The lock is per proxy however it is addressed: `http://localhost:8100`,
//! `http://127.0.0.1:8100/` and `HTTP://[::1]:8100` are one proxy
//! ([`proxy_key`]). And it lives in one fixed folder, not `$TMPDIR`, so two
//! processes with different temp folders (a cron job, a sudo shell) still
//! meet there.

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

/// The folder every process of every user on this machine takes its push
/// locks in, whatever its `TMPDIR` says.
pub fn lock_dir() -> PathBuf {
    #[cfg(unix)]
    let root = PathBuf::from("/tmp");
    #[cfg(not(unix))]
    let root = std::env::temp_dir();
    root.join("iw-studio-push-locks")
}

/// One name per proxy however its URL is spelled: host lowercased, every
/// loopback name (`localhost`, `127.x.y.z`, `::1`) as `loopback`, the port
/// made explicit from the scheme when omitted, path and trailing `/` dropped.
pub fn proxy_key(base_url: &str) -> String {
    let Ok(url) = url::Url::parse(base_url.trim()) else {
        return base_url.trim().trim_end_matches('/').to_ascii_lowercase();
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => "loopback".to_owned(),
        Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => "loopback".to_owned(),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => "loopback".to_owned(),
        Some(url::Host::Ipv6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) if v4.is_loopback() => "loopback".to_owned(),
            Some(v4) => v4.to_string(),
            None => format!("[{ip}]"),
        },
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        None => String::new(),
    };
    let port = url.port_or_known_default().unwrap_or(0);
    format!("{host}:{port}")
}

/// The lock file for the proxy at `base_url`.
pub fn lock_path(base_url: &str) -> PathBuf {
    let digest = Sha256::digest(proxy_key(base_url).as_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    lock_dir().join(format!("iw-studio-push-{name}.lock"))
}

/// Wait (up to `wait`) for the lock of `base_url`.
pub async fn acquire(base_url: &str, wait: Duration) -> Result<PushLock, LockError> {
    let path = lock_path(base_url);
    make_lock_dir(&path)?;
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

/// The shared folder, open to every user (sticky, like `/tmp` itself).
fn make_lock_dir(path: &std::path::Path) -> Result<(), LockError> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    let io = |source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    };
    match std::fs::create_dir_all(dir) {
        Ok(()) => {}
        // Another process made it first.
        Err(_) if dir.is_dir() => return Ok(()),
        Err(e) => return Err(io(e)),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777)).map_err(io)?;
    }
    Ok(())
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

    #[test]
    fn one_proxy_is_one_lock_however_it_is_addressed() {
        let same = [
            "http://127.0.0.1:8100",
            "http://localhost:8100/",
            "HTTP://LOCALHOST:8100",
            "http://[::1]:8100",
            "http://127.0.0.2:8100/v1",
        ];
        for url in same {
            assert_eq!(proxy_key(url), "loopback:8100", "{url}");
            assert_eq!(lock_path(url), lock_path(same[0]), "{url}");
        }
        assert_eq!(proxy_key("http://Proxy.LAN"), "proxy.lan:80");
        assert_eq!(proxy_key("https://proxy.lan"), "proxy.lan:443");
        assert_ne!(lock_path("http://127.0.0.1:8101"), lock_path(same[0]));
        assert_ne!(lock_path("http://10.0.0.2:8100"), lock_path(same[0]));
    }

    /// Two processes with different `TMPDIR` must meet in the same folder.
    #[cfg(unix)]
    #[test]
    fn the_lock_folder_does_not_follow_tmpdir() {
        assert_eq!(lock_dir(), PathBuf::from("/tmp/iw-studio-push-locks"));
    }
}
