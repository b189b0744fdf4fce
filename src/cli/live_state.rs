//! What `status` and `preview` say about the running proxy besides its
//! config: which pushed keys wait for a restart (from the push history and
//! `/v1/health`), and which `CHAT_PROXY_*` variables are no setting.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::output::CliError;
use crate::core::proxy::history;
use crate::core::proxy::{Health, RestartState, restart_state};

/// The restart state of the proxy at `base_url`, from the push history in
/// `dir` and the `health` just read; `None` without a history folder.
pub fn restart_of(
    dir: Option<&Path>,
    base_url: &str,
    health: &Health,
) -> Result<Option<RestartState>, CliError> {
    let Some(dir) = dir else { return Ok(None) };
    let listed = history::list(dir).map_err(|e| CliError::unreadable(e.to_string()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    Ok(Some(restart_state(
        &listed.entries,
        base_url,
        now,
        health.uptime_seconds,
    )))
}

/// `"restart"` in JSON output: `null` when no history folder was given.
pub fn restart_json(state: Option<&RestartState>) -> Value {
    state.map_or(Value::Null, |s| {
        json!({
            "uptime_seconds": s.uptime_seconds,
            "last_push_unix_s": s.last_push_unix_s,
            "pending": s.pending,
        })
    })
}

/// One line for people: which keys wait for a restart, if anything was pushed.
pub fn restart_line(state: Option<&RestartState>) -> String {
    let Some(s) = state else {
        return "restart pending: unknown (give --history-dir to compare with the pushes recorded there)"
            .to_owned();
    };
    match (s.pending.is_empty(), s.last_push_unix_s) {
        (_, None) => "restart pending: none (no push to this proxy recorded)".to_owned(),
        (true, Some(_)) => {
            "restart pending: none (the proxy restarted after the last push)".to_owned()
        }
        (false, Some(_)) => {
            let keys: Vec<String> = s
                .pending
                .iter()
                .map(|p| format!("{} (pushed {})", p.path, p.pushed_at))
                .collect();
            format!(
                "restart pending: {}; the proxy (up {:.0} s) still runs the old values",
                keys.join(", "),
                s.uptime_seconds
            )
        }
    }
}

/// Variable names as a comma list, or "none".
pub fn names(env: &BTreeMap<String, String>) -> String {
    if env.is_empty() {
        "none".to_owned()
    } else {
        env.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}
