//! Which pushed keys the running proxy does not run with yet.
//!
//! The proxy never hot-reloads (contract §2) and its `runtime` is recomputed
//! from disk on every GET (§7), so after a push `runtime` already shows the
//! pushed values while the process still runs the old ones. The only signal
//! of a restart is `/v1/health` `uptime_seconds`: a push is applied once the
//! proxy has been up for less time than has passed since the push.

use std::collections::BTreeMap;

use serde::Serialize;

use super::history::{HistoryChange, HistoryEntry};

/// A key pushed since the proxy last started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingKey {
    pub key: String,
    /// `server.port`.
    pub path: String,
    /// When the newest push of this key was recorded (UTC text and Unix seconds).
    pub pushed_at: String,
    pub pushed_unix_s: u64,
}

/// The restart state of one proxy at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RestartState {
    /// The newest successful push to this proxy, if any (Unix seconds).
    pub last_push_unix_s: Option<u64>,
    /// The proxy's `uptime_seconds` this state was computed from.
    pub uptime_seconds: f64,
    /// Keys pushed after the proxy started, in key order.
    pub pending: Vec<PendingKey>,
}

impl RestartState {
    pub fn is_pending(&self, key: &str) -> bool {
        self.pending.iter().any(|p| p.key == key)
    }
}

/// The restart state of the proxy at `base_url`, from its push `history`,
/// the moment `now_unix_s` the health answer was read and the `uptime_s` it
/// reported. A push counts as running once the uptime is shorter than the
/// time since the push. History times are whole seconds (rounded down), so a
/// push looks at most a second older than it is: only a restart in the same
/// second just before a push can be taken for one after it.
pub fn restart_state(
    history: &[HistoryEntry],
    base_url: &str,
    now_unix_s: f64,
    uptime_s: f64,
) -> RestartState {
    let ours: Vec<Pushed<'_>> = pushes(history)
        .filter(|e| e.changed && same_proxy(e.base_url, base_url))
        .collect();
    let mut pending: BTreeMap<&str, PendingKey> = BTreeMap::new();
    for entry in ours.iter().filter(|e| {
        // u64 seconds to f64 is exact for any date this side of the year 10^8.
        let since_push = now_unix_s - e.time_unix_s as f64;
        uptime_s >= since_push
    }) {
        for change in entry.changes {
            // Entries are oldest first: a later push of the same key wins.
            pending.insert(
                &change.key,
                PendingKey {
                    key: change.key.clone(),
                    path: change.path.clone(),
                    pushed_at: entry.time.to_owned(),
                    pushed_unix_s: entry.time_unix_s,
                },
            );
        }
    }
    RestartState {
        last_push_unix_s: ours.iter().map(|e| e.time_unix_s).max(),
        uptime_seconds: uptime_s,
        pending: pending.into_values().collect(),
    }
}

/// One push to one proxy: a single push, or one target of a fleet push.
struct Pushed<'a> {
    time_unix_s: u64,
    time: &'a str,
    base_url: &'a str,
    changes: &'a [HistoryChange],
    /// It may have changed the proxy's file (and was not rolled back).
    changed: bool,
}

/// Every push per proxy, oldest first.
fn pushes(history: &[HistoryEntry]) -> impl Iterator<Item = Pushed<'_>> {
    history.iter().flat_map(|e| {
        let single = e.targets.is_empty().then(|| Pushed {
            time_unix_s: e.time_unix_s,
            time: &e.time,
            base_url: &e.base_url,
            changes: &e.changes,
            changed: e.may_have_changed_file(),
        });
        single.into_iter().chain(e.targets.iter().map(|t| Pushed {
            time_unix_s: e.time_unix_s,
            time: &e.time,
            base_url: &t.base_url,
            changes: &t.changes,
            changed: t.may_have_changed_file(),
        }))
    })
}

/// The time of the last push to `base_url` that may have changed its file
/// (a fleet push's target included).
pub fn last_push(history: &[HistoryEntry], base_url: &str) -> Option<u64> {
    pushes(history)
        .filter(|e| e.changed && same_proxy(e.base_url, base_url))
        .map(|e| e.time_unix_s)
        .max()
}

/// Base URLs name the same proxy regardless of a trailing slash or case of
/// the scheme and host.
fn same_proxy(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::proxy::PushMode;
    use crate::core::proxy::history::{HistoryChange, HistoryResult};

    const URL: &str = "http://127.0.0.1:8100";
    /// 2026-11-24T11:44:20Z.
    const T: u64 = 1_795_520_660;

    fn entry(at: u64, url: &str, keys: &[&str], ok: bool) -> HistoryEntry {
        HistoryEntry {
            id: format!("push-{at}"),
            time_unix_s: at,
            time: format!("t{at}"),
            profile: "p".into(),
            base_url: url.into(),
            mode: PushMode::Api,
            changes: keys
                .iter()
                .map(|k| HistoryChange {
                    key: (*k).into(),
                    path: format!("server.{k}"),
                    before: json!(1),
                    after: json!(2),
                })
                .collect(),
            result: if ok {
                HistoryResult::Pushed {
                    verified: true,
                    restart_required: true,
                    backup: None,
                    concurrent: Vec::new(),
                }
            } else {
                HistoryResult::Failed {
                    error: "refused".into(),
                }
            },
            restart: None,
            targets: Vec::new(),
            file: Default::default(),
            file_changes: Vec::new(),
        }
    }

    fn keys(state: &RestartState) -> Vec<&str> {
        state.pending.iter().map(|p| p.key.as_str()).collect()
    }

    #[test]
    fn a_push_is_pending_until_the_proxy_restarts() {
        let history = [entry(T, URL, &["port"], true)];
        // Up for an hour, pushed 10 s ago: still the old process.
        let before = restart_state(&history, URL, (T + 10) as f64, 3600.0);
        assert_eq!(keys(&before), ["port"]);
        assert!(before.is_pending("port") && !before.is_pending("host"));
        assert_eq!(before.last_push_unix_s, Some(T));
        // Restarted 5 s ago, 10 s after the push: applied.
        let after = restart_state(&history, URL, (T + 15) as f64, 5.0);
        assert!(after.pending.is_empty(), "{after:?}");
        assert_eq!(after.last_push_unix_s, Some(T));
    }

    #[test]
    fn every_push_since_the_start_counts_and_the_newest_time_wins() {
        let history = [
            entry(T - 100, URL, &["host"], true),
            entry(T, URL, &["port", "host"], true),
            entry(T + 5, URL, &["log_path"], false),
        ];
        // Started 50 s before T: the push at T - 100 ran before the restart.
        let state = restart_state(&history, URL, (T + 10) as f64, 60.0);
        assert_eq!(
            keys(&state),
            ["host", "port"],
            "failed pushes change nothing"
        );
        assert!(state.pending.iter().all(|p| p.pushed_unix_s == T));
        // Up long before every push: all of them wait.
        let state = restart_state(&history, URL, (T + 10) as f64, 1000.0);
        assert_eq!(keys(&state), ["host", "port"]);
        assert_eq!(state.pending[0].pushed_unix_s, T, "the later push of host");
    }

    #[test]
    fn pushes_to_other_proxies_do_not_count() {
        let history = [
            entry(T, "http://10.0.0.2:8100", &["port"], true),
            entry(T, "HTTP://127.0.0.1:8100/", &["host"], true),
        ];
        let state = restart_state(&history, URL, (T + 1) as f64, 3600.0);
        assert_eq!(keys(&state), ["host"]);
        let none = restart_state(&[], URL, (T + 1) as f64, 3600.0);
        assert_eq!(
            none,
            RestartState {
                last_push_unix_s: None,
                uptime_seconds: 3600.0,
                pending: Vec::new()
            }
        );
    }

    #[test]
    fn the_boundary_is_the_uptime_equal_to_the_time_since_the_push() {
        let history = [entry(T, URL, &["port"], true)];
        assert!(restart_state(&history, URL, (T + 30) as f64, 30.0).is_pending("port"));
        assert!(!restart_state(&history, URL, (T + 30) as f64, 29.9).is_pending("port"));
    }
}
