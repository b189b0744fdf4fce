//! `iw-studio rescue FILE [--proxy URL] [--restart-command CMD] [--dry-run]`:
//! bring back a proxy that cannot start or answer (`core::rescue`). Says
//! why, shows the diff of the mended file, saves, restarts when a restart
//! command is given, waits for health and verifies; each step is printed as
//! it happens.
//!
//! Exit codes: 0 the proxy answers healthy with the rescued file's values
//! (`--dry-run`: the file can be mended); 1 not rescued (nothing mends the
//! file, the save was refused, the proxy still fails or was not checked);
//! 2 an unreadable file or bad usage.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use super::args::{ConnectOpts, RestartOpts};
use super::exit;
use super::output::{CliError, Out};
use super::proxy::restart_request;
use super::push_common::runtime;
use crate::core::layout::LayoutSet;
use crate::core::proxy::{ProxyApi, local_proxy_env, workflow::Verdict};
use crate::core::rescue::{self, ProxyState, RescuePlan, run::RescueStep};
use crate::core::terminal_text::escape_line;

#[derive(clap::Args, Clone, Debug)]
pub struct RescueArgs {
    /// The proxy's `chat_proxy.toml` on this machine.
    pub file: PathBuf,
    /// The proxy's base URL: asked before (why it fails) and after (verify).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The restart command, split like a shell would (no shell runs it),
    /// e.g. "docker restart imageworks-chat-proxy". It runs without the
    /// env vars the proxy cannot encode.
    #[arg(long, value_name = "CMD ARGS")]
    pub restart_command: Option<String>,
    /// Seconds to wait for the command and for the proxy to come back.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub restart_timeout: f64,
    /// Restart even when a job holds the GPU lease (it will be interrupted).
    #[arg(long)]
    pub interrupt_gpu_job: bool,
    /// The push history folder (as given to `push --history-dir`): the
    /// file before a recorded push is restored when no repair exists.
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
    /// Say why and print the diff; write and restart nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run_with(layouts: &Arc<LayoutSet>, args: &RescueArgs, o: &mut Out<'_>) -> u8 {
    match rescue(layouts, args, o) {
        Ok(code) => code,
        Err(e) => o.fail(e),
    }
}

fn rescue(layouts: &Arc<LayoutSet>, args: &RescueArgs, o: &mut Out<'_>) -> Result<u8, CliError> {
    let restart = restart_request(&RestartOpts {
        restart: args.restart_command.is_some(),
        restart_command: args.restart_command.clone(),
        restart_timeout: args.restart_timeout,
        interrupt_gpu_job: args.interrupt_gpu_job,
    })?;
    let api = match &args.proxy {
        Some(url) => Some(args.connect.profile(url).client()?),
        None => None,
    };
    let rt = runtime()?;
    let state = api.as_ref().map(|api| rt.block_on(rescue::probe(api)));
    let plan = rescue::plan_rescue(
        &args.file,
        layouts,
        &local_proxy_env(),
        args.history_dir.as_deref(),
    )
    .map_err(|e| CliError::unreadable(e.to_string()))?;
    let name = args.file.display().to_string();
    let human = o.format == super::OutputFormat::Human;
    if human {
        o.text(&format!(
            "{}\n",
            diagnosis(&name, &plan, state.as_ref(), args)
        ));
    }
    if args.dry_run {
        let code = if plan.file_mended() {
            exit::OK
        } else {
            exit::FINDINGS
        };
        if !human {
            o.emit(String::new, || plan_json(&plan, state.as_ref(), None));
        } else if !plan.file_mended() {
            o.text("dry run: nothing would mend the file\n");
        } else {
            o.text("dry run: nothing written, nothing restarted\n");
        }
        return Ok(code);
    }
    let api_ref = api.as_ref().map(|a| a as &dyn ProxyApi);
    let report = rt.block_on(rescue::run::run_rescue(
        &plan,
        layouts,
        api_ref,
        restart.as_ref(),
        &mut |s: &RescueStep| {
            if human {
                // On stderr as it happens (a restart can take a minute),
                // through the same escaping as every other line.
                eprintln!("{}", escape_line(&step_line(s)));
            }
        },
    ));
    if human {
        o.text(&format!("{}\n", report.headline));
    } else {
        o.emit(String::new, || {
            plan_json(&plan, state.as_ref(), Some(&report))
        });
    }
    Ok(match report.verdict {
        Verdict::Ok => exit::OK,
        _ => exit::FINDINGS,
    })
}

fn step_line(s: &RescueStep) -> String {
    format!("  {} {}", if s.ok { "ok  " } else { "FAIL" }, s.text)
}

fn diagnosis(
    name: &str,
    plan: &RescuePlan,
    state: Option<&ProxyState>,
    args: &RescueArgs,
) -> String {
    let mut lines = Vec::new();
    if let (Some(state), Some(url)) = (state, &args.proxy) {
        lines.push(format!("proxy {url}: {}", state.describe()));
    }
    let causes = plan.causes();
    if causes.is_empty() {
        lines.push(format!(
            "{name}: tomllib reads it, and no CHAT_PROXY_* value here is one the proxy cannot encode"
        ));
    }
    lines.extend(causes.iter().map(|c| format!("{name}: {c}")));
    let steps = plan.steps();
    if !steps.is_empty() {
        lines.push("rescue:".to_owned());
        lines.extend(steps.iter().map(|s| format!("  {s}")));
    }
    if let Some(left) = &plan.remaining {
        lines.push(format!(
            "{name}: no repair for {left}, and no earlier version the proxy can read (push history: {}; .bak)",
            args.history_dir
                .as_ref()
                .map_or_else(|| "not given".to_owned(), |d| d.display().to_string())
        ));
    }
    if !plan.diff.is_empty() {
        lines.push(plan.diff.trim_end().to_owned());
    }
    lines.join("\n")
}

fn plan_json(
    plan: &RescuePlan,
    state: Option<&ProxyState>,
    report: Option<&rescue::run::RescueReport>,
) -> serde_json::Value {
    json!({
        "file": plan.path,
        "proxy": state,
        "error": plan.error,
        "env": plan.env,
        "causes": plan.causes(),
        "repairs": plan.repairs,
        "quick_fixes": plan.quick_fixes,
        "restored": plan.restored,
        "remaining": plan.remaining,
        "diff": plan.diff,
        "result": report,
    })
}
