//! After a push: restart the proxy and verify what runs. The proxy has no
//! reload endpoint and its `runtime` is recomputed from disk on every GET,
//! so "the new values are live" needs three facts: the restart command
//! succeeded, `/v1/health` shows an uptime younger than the command, and
//! the `runtime` the restarted process reports equals what the push
//! expected. Every stage is reported, in order, so the history can say
//! exactly how far it got.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::{ProxyApi, ProxyError};
use super::effective::runtime_from;
use super::masked::{MaskedKey, masked_keys};
use super::proxy_text::shown;
use crate::core::layout::LayoutSet;

/// How a restart runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RestartRequest {
    /// The command, as an argv (`docker restart imageworks-chat-proxy`).
    pub argv: Vec<String>,
    /// How long the proxy may take to answer again with a fresh uptime.
    pub timeout: Duration,
    /// Restart although a job holds the GPU lease (the admin confirmed).
    pub interrupt_gpu_job: bool,
    /// Env vars the command runs without (a rescue drops an env value the
    /// proxy cannot encode; a proxy started by the command inherits the rest).
    pub unset_env: Vec<String>,
}

/// One step of a restart, as it happened. Externally tagged: serde_json's
/// `arbitrary_precision` cannot read an `f64` back from an internally
/// tagged enum, and the history must read what it wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartStage {
    /// `GET /v1/gpu/status` before restarting.
    GpuLease {
        leased: bool,
        /// Who holds it and why, when it is held.
        holder: Option<String>,
        /// The proxy has no GPU endpoint or it failed; the restart went on.
        note: Option<String>,
    },
    Command {
        argv: Vec<String>,
        exit_code: Option<i32>,
        /// The start of its stderr, cleaned.
        stderr: String,
        ok: bool,
    },
    /// Waiting for `/v1/health` with an uptime younger than the command.
    Health {
        waited_s: f64,
        uptime_s: Option<f64>,
        back: bool,
    },
    /// The restarted proxy's `runtime` against what the proxy must run
    /// after the push: its file under its env.
    Verify {
        differs: Vec<RuntimeDiff>,
        /// Pushed keys the runtime has as pushed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        live: Vec<String>,
        /// Pushed keys an env var masks: the runtime has the env's value.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        masked: Vec<MaskedKey>,
    },
}

impl RestartStage {
    /// One line for people: the CLI prints it, the GUI lists it.
    pub fn describe(&self) -> String {
        match self {
            Self::GpuLease {
                leased: true,
                holder,
                ..
            } => format!(
                "GPU lease: HELD by {}",
                holder.as_deref().unwrap_or("an unnamed job")
            ),
            Self::GpuLease { note: Some(n), .. } => format!("GPU lease: {n}"),
            Self::GpuLease { .. } => "GPU lease: free".to_owned(),
            Self::Command {
                argv,
                exit_code,
                stderr,
                ok,
            } => {
                let verdict = match (ok, exit_code) {
                    (true, _) => "ok".to_owned(),
                    (false, Some(c)) => format!("FAILED (exit code {c})"),
                    (false, None) => "FAILED".to_owned(),
                };
                let stderr = if stderr.is_empty() {
                    String::new()
                } else {
                    format!("; stderr: {stderr}")
                };
                format!("command “{}”: {verdict}{stderr}", argv.join(" "))
            }
            Self::Health {
                waited_s,
                uptime_s,
                back: true,
            } => format!(
                "health: back after {waited_s:.1} s (uptime {:.1} s)",
                uptime_s.unwrap_or_default()
            ),
            Self::Health { waited_s, .. } => {
                format!("health: NOT back with a fresh uptime after {waited_s:.1} s")
            }
            Self::Verify {
                differs,
                live,
                masked,
            } if differs.is_empty() => {
                let mut line = format!(
                    "runtime: as expected; pushed and live: {}",
                    if live.is_empty() {
                        "none".to_owned()
                    } else {
                        live.join(", ")
                    }
                );
                if !masked.is_empty() {
                    line.push_str(&format!(
                        "; masked by env: {}",
                        masked
                            .iter()
                            .map(MaskedKey::describe)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                line
            }
            Self::Verify { differs, .. } => format!(
                "runtime: {} differ from what the proxy should run",
                crate::core::plural::count(differs.len(), "value", "values")
            ),
        }
    }

    /// Whether this stage went as hoped (the GUI colours it by this).
    pub fn ok(&self) -> bool {
        match self {
            Self::GpuLease { leased, .. } => !leased,
            Self::Command { ok, .. } => *ok,
            Self::Health { back, .. } => *back,
            Self::Verify {
                differs, masked, ..
            } => differs.is_empty() && masked.is_empty(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuntimeDiff {
    pub key: String,
    pub expected: Value,
    pub found: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartResult {
    /// Restarted, and it runs with the expected values, every pushed one included.
    Verified,
    /// Restarted and runs as expected, but an env var masks some pushed
    /// values: the proxy runs the env's values for them, not the pushed ones.
    Masked,
    /// Restarted, but some values differ (env overrides, a concurrent edit).
    Differs,
    /// Not restarted: a job holds the GPU lease.
    LeaseHeld,
    /// The command failed or could not run; the proxy may or may not have restarted.
    CommandFailed,
    /// The command ran but the proxy did not answer with a fresh uptime in time.
    NotBack,
    /// Restarted, but its config could not be read back.
    NotVerified,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestartReport {
    pub result: RestartResult,
    pub headline: String,
    pub stages: Vec<RestartStage>,
}

/// What a restarted proxy must run with: its file as the push left it,
/// under the env the restarted process reports, and which keys the push
/// wrote (each reported live or masked by env).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expected {
    pub file: Map<String, Value>,
    pub pushed: Vec<String>,
}

impl Expected {
    /// After a push: the file view it expected, its keys.
    pub fn after(outcome: &super::push_run::PushOutcome) -> Self {
        Self {
            file: outcome.expected_file.clone(),
            pushed: outcome.pushed.iter().map(|p| p.key.clone()).collect(),
        }
    }

    /// No push: the proxy's file as it reads now.
    pub fn now(file: &Map<String, Value>) -> Self {
        Self {
            file: file.clone(),
            pushed: Vec::new(),
        }
    }
}

/// Restart the proxy with `request.argv` and verify that it runs with
/// `expected`. `progress` sees each stage as it finishes (the CLI prints
/// it, the GUI shows it).
pub async fn restart_and_verify(
    api: &dyn ProxyApi,
    layouts: &LayoutSet,
    request: &RestartRequest,
    expected: &Expected,
    progress: &mut (dyn FnMut(&RestartStage) + Send),
) -> RestartReport {
    let (expected_file, pushed) = (&expected.file, expected.pushed.as_slice());
    let mut stages = Vec::new();
    let mut record = |stage: RestartStage, stages: &mut Vec<RestartStage>| {
        progress(&stage);
        stages.push(stage);
    };
    let lease = lease_stage(api).await;
    let held = matches!(&lease, RestartStage::GpuLease { leased: true, .. });
    record(lease, &mut stages);
    if held && !request.interrupt_gpu_job {
        return report(RestartResult::LeaseHeld, stages);
    }
    let started = Instant::now();
    let command = run_command(&request.argv, &request.unset_env, request.timeout).await;
    let command_ok = matches!(command, RestartStage::Command { ok: true, .. });
    record(command, &mut stages);
    if !command_ok {
        return report(RestartResult::CommandFailed, stages);
    }
    let health = wait_for_fresh_health(api, started, request.timeout).await;
    let back = matches!(health, RestartStage::Health { back: true, .. });
    record(health, &mut stages);
    if !back {
        return report(RestartResult::NotBack, stages);
    }
    match api.config().await {
        Ok(view) => {
            let expected = runtime_from(layouts, expected_file, &view.env_overrides);
            let differs = runtime_differences(&expected, &view.runtime);
            let written = pushed
                .iter()
                .filter_map(|k| Some((k.as_str(), expected_file.get(k)?)));
            let masked = masked_keys(layouts, written, &view.env_overrides);
            let live: Vec<String> = pushed
                .iter()
                .filter(|k| !masked.iter().any(|m| &&m.key == k))
                .filter(|k| {
                    expected_file
                        .get(*k)
                        .is_some_and(|want| view.runtime.get(*k) == Some(want))
                })
                .cloned()
                .collect();
            let result = match (differs.is_empty(), masked.is_empty()) {
                (false, _) => RestartResult::Differs,
                (true, false) => RestartResult::Masked,
                (true, true) => RestartResult::Verified,
            };
            record(
                RestartStage::Verify {
                    differs,
                    live,
                    masked,
                },
                &mut stages,
            );
            report(result, stages)
        }
        Err(e) => {
            let mut r = report(RestartResult::NotVerified, stages);
            r.headline = format!("{} ({e})", r.headline);
            r
        }
    }
}

async fn lease_stage(api: &dyn ProxyApi) -> RestartStage {
    match api.gpu_status().await {
        Ok(status) => RestartStage::GpuLease {
            leased: status.leased,
            holder: status.holder(),
            note: None,
        },
        Err(e) => RestartStage::GpuLease {
            leased: false,
            holder: None,
            note: Some(format!("GPU lease unknown ({e}); restarting anyway")),
        },
    }
}

/// How much of each of the command's output streams is kept (the rest is
/// read and dropped, so the command never blocks on a full pipe).
const OUTPUT_KEPT: usize = 8 * 1024;
/// After the command exits, how long its output may take to end. A command
/// that starts the proxy in the background leaves it holding the pipes; the
/// exit status decides, and the rest is drained in the background.
const OUTPUT_AFTER_EXIT: Duration = Duration::from_millis(500);
/// Between asking what is left of a timed-out command to stop and killing it.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Run `argv` (no shell), bounded by `timeout`. Its exit status decides;
/// its output goes to the activity log. It runs in a process group of its
/// own, and when it outlives `timeout` the whole group is stopped, children
/// included (TERM, then KILL after [`STOP_GRACE`]).
async fn run_command(argv: &[String], unset_env: &[String], timeout: Duration) -> RestartStage {
    let failed = |stderr: String| RestartStage::Command {
        argv: argv.to_vec(),
        exit_code: None,
        stderr,
        ok: false,
    };
    let Some((program, args)) = argv.split_first() else {
        return failed("the restart command is empty".to_owned());
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for var in unset_env {
        command.env_remove(var);
    }
    #[cfg(unix)]
    command.process_group(0);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot run “{program}”: {e}")),
    };
    let mut stdout = OutputTail::drain(child.stdout.take());
    let mut stderr = OutputTail::drain(child.stderr.take());
    let status = tokio::time::timeout(timeout, child.wait()).await;
    let stage = match status {
        Err(_) => {
            stop_the_rest(&mut child).await;
            failed(format!(
                "“{program}” did not finish within {} s; it and every process it started were stopped",
                timeout.as_secs_f64()
            ))
        }
        Ok(Err(e)) => failed(format!("“{program}” failed: {e}")),
        Ok(Ok(status)) => {
            stdout.settle().await;
            stderr.settle().await;
            RestartStage::Command {
                argv: argv.to_vec(),
                exit_code: status.code(),
                stderr: shown(&stderr.text(), 500),
                ok: status.success(),
            }
        }
    };
    tracing::info!(
        target: "activity",
        "restart command “{}”: {}; stdout: {:?}; stderr: {:?}",
        argv.join(" "),
        stage.describe(),
        stdout.text(),
        stderr.text()
    );
    stage
}

/// The kept start of one output stream of the restart command, read by a
/// task of its own until the stream ends, which may be long after the
/// command exits (a proxy started in the background inherits it): the task
/// keeps reading then, so that process never writes into a closed pipe
/// while this process lives.
struct OutputTail {
    kept: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl OutputTail {
    fn drain(stream: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>) -> Self {
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let done = stream.map(|mut stream| {
            let kept = std::sync::Arc::clone(&kept);
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt as _;
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if let Ok(mut kept) = kept.lock() {
                        let room = OUTPUT_KEPT.saturating_sub(kept.len()).min(n);
                        kept.extend_from_slice(&buf[..room]);
                    }
                }
            })
        });
        Self { kept, done }
    }

    /// Wait [`OUTPUT_AFTER_EXIT`] at most for the stream to end; the reading
    /// goes on in the background if it does not.
    async fn settle(&mut self) {
        if let Some(done) = &mut self.done {
            // Awaiting through `&mut` leaves the task running when the time is up.
            let _ = tokio::time::timeout(OUTPUT_AFTER_EXIT, done).await;
        }
    }

    fn text(&self) -> String {
        self.kept
            .lock()
            .map(|k| String::from_utf8_lossy(&k).into_owned())
            .unwrap_or_default()
    }
}

/// Stop a timed-out command and whatever of its process group is left:
/// TERM to the group, KILL after [`STOP_GRACE`] if any of it remains.
async fn stop_the_rest(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(group) = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        use rustix::process::{Signal, kill_process_group, test_kill_process_group};
        let _ = kill_process_group(group, Signal::TERM);
        let deadline = Instant::now() + STOP_GRACE;
        loop {
            // Reap the command itself, so that only live members keep the group.
            let _ = child.try_wait();
            if test_kill_process_group(group).is_err() {
                break;
            }
            if Instant::now() >= deadline {
                let _ = kill_process_group(group, Signal::KILL);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let _ = child.kill().await;
}

const POLL: Duration = Duration::from_millis(200);

/// Poll `/v1/health` until the proxy answers with an uptime shorter than
/// the time since the command started: a process that started after it.
async fn wait_for_fresh_health(
    api: &dyn ProxyApi,
    since: Instant,
    timeout: Duration,
) -> RestartStage {
    let mut last_uptime = None;
    loop {
        if let Ok(h) = api.health().await {
            last_uptime = Some(h.uptime_seconds);
            if h.uptime_seconds <= since.elapsed().as_secs_f64() {
                return RestartStage::Health {
                    waited_s: since.elapsed().as_secs_f64(),
                    uptime_s: Some(h.uptime_seconds),
                    back: true,
                };
            }
        }
        if since.elapsed() >= timeout {
            return RestartStage::Health {
                waited_s: since.elapsed().as_secs_f64(),
                uptime_s: last_uptime,
                back: false,
            };
        }
        tokio::time::sleep(POLL).await;
    }
}

fn runtime_differences(
    expected: &Map<String, Value>,
    found: &Map<String, Value>,
) -> Vec<RuntimeDiff> {
    expected
        .iter()
        .filter_map(|(key, want)| {
            let got = found.get(key).cloned().unwrap_or(Value::Null);
            (&got != want).then(|| RuntimeDiff {
                key: key.clone(),
                expected: want.clone(),
                found: got,
            })
        })
        .collect()
}

fn report(result: RestartResult, stages: Vec<RestartStage>) -> RestartReport {
    RestartReport {
        headline: headline(result, &stages),
        result,
        stages,
    }
}

fn headline(result: RestartResult, stages: &[RestartStage]) -> String {
    let holder = stages.iter().find_map(|s| match s {
        RestartStage::GpuLease { holder, .. } => holder.clone(),
        _ => None,
    });
    let verify = stages.iter().find_map(|s| match s {
        RestartStage::Verify { live, masked, .. } => Some((live.clone(), masked.clone())),
        _ => None,
    });
    let (live, masked) = verify.unwrap_or_default();
    match result {
        RestartResult::Verified if live.is_empty() => {
            "live: verified (the restarted proxy runs as its file and env say)".to_owned()
        }
        RestartResult::Verified => format!(
            "live: verified (the restarted proxy runs with the pushed {}: {})",
            if live.len() == 1 { "value" } else { "values" },
            live.join(", ")
        ),
        RestartResult::Masked => format!(
            "live: restarted; it runs as its file and env say, but NOT every pushed value: masked by env: {}{}",
            masked.iter().map(MaskedKey::describe).collect::<Vec<_>>().join("; "),
            if live.is_empty() {
                String::new()
            } else {
                format!("; live as pushed: {}", live.join(", "))
            }
        ),
        RestartResult::Differs => {
            let keys: Vec<String> = stages
                .iter()
                .flat_map(|s| match s {
                    RestartStage::Verify { differs, .. } => differs
                        .iter()
                        .map(|d| format!("{} (expected {}, runs {})", d.key, d.expected, d.found))
                        .collect(),
                    _ => Vec::new(),
                })
                .collect();
            format!("live: restarted, but it does not run what was pushed: {}", keys.join(", "))
        }
        RestartResult::LeaseHeld => format!(
            "not restarted: a job holds the GPU lease ({}); a restart would interrupt it. Confirm to restart anyway (--interrupt-gpu-job)",
            holder.unwrap_or_else(|| "holder unknown".to_owned())
        ),
        RestartResult::CommandFailed => {
            let why = stages.iter().find_map(|s| match s {
                RestartStage::Command { exit_code, stderr, .. } => Some(match exit_code {
                    Some(code) => format!("exit code {code}: {stderr}"),
                    None => stderr.clone(),
                }),
                _ => None,
            });
            format!(
                "restart command failed ({}); the proxy may or may not have restarted: check it",
                why.unwrap_or_default()
            )
        }
        RestartResult::NotBack => "restart not verified: the proxy did not answer with a fresh uptime in time; it may still be starting, or the command did not restart it".to_owned(),
        RestartResult::NotVerified => "restarted, but its config could not be read back: live values not verified".to_owned(),
    }
}

/// `GET /v1/gpu/status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuStatus {
    #[serde(default)]
    pub leased: bool,
    #[serde(default)]
    pub lease: Option<Map<String, Value>>,
}

impl GpuStatus {
    /// "owner (reason)", cleaned, when a lease is held.
    pub fn holder(&self) -> Option<String> {
        let lease = self.lease.as_ref().filter(|_| self.leased)?;
        let field = |k: &str| lease.get(k).and_then(Value::as_str).map(|s| shown(s, 80));
        Some(match (field("owner"), field("reason")) {
            (Some(o), Some(r)) => format!("{o}: {r}"),
            (Some(o), None) => o,
            (None, Some(r)) => r,
            (None, None) => "unnamed".to_owned(),
        })
    }
}

/// A restart error that is the caller's, not the proxy's.
pub fn parse_command(raw: &str) -> Result<Vec<String>, ProxyError> {
    let argv = shlex::split(raw).ok_or_else(|| ProxyError::Client {
        reason: format!("restart command “{raw}”: unbalanced quotes"),
    })?;
    if argv.is_empty() {
        return Err(ProxyError::Client {
            reason: "the restart command is empty".to_owned(),
        });
    }
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell_without_one() {
        assert_eq!(
            parse_command("docker restart 'imageworks chat-proxy'").unwrap(),
            ["docker", "restart", "imageworks chat-proxy"]
        );
        assert!(parse_command("  ").is_err());
        assert!(parse_command("echo 'open").is_err());
    }

    #[test]
    fn the_holder_is_named_and_cleaned() {
        let status: GpuStatus = serde_json::from_value(serde_json::json!({
            "leased": true, "lease": {"owner": "tagger\u{1b}[2J", "reason": "batch run", "token": "t"}
        }))
        .unwrap();
        assert_eq!(status.holder().unwrap(), "tagger [2J: batch run");
        assert_eq!(GpuStatus::default().holder(), None);
    }

    #[test]
    fn a_report_reads_back_as_written() {
        let r = report(
            RestartResult::NotBack,
            vec![RestartStage::Health {
                waited_s: 1.5,
                uptime_s: Some(30.25),
                back: false,
            }],
        );
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<RestartReport>(&text).unwrap(), r);
    }

    #[test]
    fn differences_name_each_key() {
        let expected = serde_json::json!({"port": 9002, "host": "a"});
        let found = serde_json::json!({"port": 18100, "host": "a"});
        let d = runtime_differences(expected.as_object().unwrap(), found.as_object().unwrap());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].key, "port");
        let h = headline(
            RestartResult::Differs,
            &[RestartStage::Verify {
                differs: d,
                live: Vec::new(),
                masked: Vec::new(),
            }],
        );
        assert!(h.contains("port (expected 9002, runs 18100)"), "{h}");
    }
}
