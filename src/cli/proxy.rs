//! `iw-studio status|preview|diff|push|history`: talk to a live proxy.
//! These are top-level subcommands (flattened into `cli::Command`);
//! `run_proxy_with` dispatches them and returns the process exit code.
//!
//! Exit codes: 0 ok (also "nothing to push" and `--dry-run`); 1 findings or
//! refused (validation errors, unconfirmed losses, stale guard, file push
//! impossible, a value that did not read back, a proxy that disagrees with
//! the preview model); 2 unreadable file or not TOML, bad usage (bad URL),
//! proxy unreachable or answering with an error or bad JSON.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::args::{
    ConnectOpts, DiffArgs, PlanArgs, PreviewArgs, PushArgs, RestartOpts, StatusArgs,
};
use super::output::{CliError, Out, pretty};
use super::push_common::{ask, load_draft, print_plan, push_fail, runtime};
use super::{OutputFormat, exit, live_state};
use crate::core::layout::LayoutSet;
use crate::core::proxy::history;
use crate::core::proxy::{
    ConflictChoice, ConnectionProfile, EnvOutcome, HttpProxyClient, Preview, PreviewRow, ProxyApi,
    ProxyConfigView, ProxyError, PushOutcome, PushPlan, PushStatus, PushTarget, RestartRequest,
    RestartState, Source, local_proxy_env, plan_push, preview, restart, split_env, workflow,
};

/// `iw-studio proxy <command>`: the lead adds one variant
/// `Proxy { #[command(subcommand)] command: ProxyCommand }` to the top-level enum.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum ProxyCommand {
    /// Is the proxy up, where is its file, which env overrides and models does it have.
    Status(StatusArgs),
    /// What the proxy would run with under a draft: default | file | env | effective, per setting.
    Preview(PreviewArgs),
    /// The changes a push would make, the resulting file as a diff, and what it would lose.
    Diff(DiffArgs),
    /// Push a draft to the proxy (API or file), with stale guard and read-back.
    Push(PushArgs),
    /// List the pushes recorded in a history folder, oldest first.
    History(HistoryArgs),
}

#[derive(clap::Args, Clone, Debug)]
pub struct HistoryArgs {
    /// The folder given to `push --history-dir`.
    #[arg(long, value_name = "DIR")]
    pub history_dir: PathBuf,
    #[command(subcommand)]
    pub action: Option<HistoryAction>,
}

#[derive(clap::Subcommand, Clone, Debug)]
pub enum HistoryAction {
    /// Put back what one recorded push changed, on every proxy it changed
    /// (a fleet push: every target), planned for all before any is written.
    Revert(super::fleet::RevertArgs),
}

/// Run a proxy command writing to `o`; `interactive` says whether stdin
/// may be asked for confirmation. Fleets come from the default profiles file.
pub fn run_proxy_with(
    layouts: &LayoutSet,
    command: &ProxyCommand,
    interactive: bool,
    o: &mut Out<'_>,
) -> u8 {
    let profiles = crate::app_log::profiles_path();
    run_proxy_in(layouts, command, profiles.as_deref(), interactive, o)
}

/// As [`run_proxy_with`], with fleets from the profiles file at `profiles`.
pub fn run_proxy_in(
    layouts: &LayoutSet,
    command: &ProxyCommand,
    profiles: Option<&std::path::Path>,
    interactive: bool,
    o: &mut Out<'_>,
) -> u8 {
    match command {
        ProxyCommand::Status(args) => run_status_with(layouts, args, o),
        ProxyCommand::Preview(args) => run_preview_with(layouts, args, o),
        ProxyCommand::Diff(args) if args.target.is_fleet() => super::fleet::run_drift(
            &super::fleet::FleetCtx::new(layouts, profiles, &args.target),
            o,
        ),
        ProxyCommand::Diff(args) => run_diff_with(layouts, args, o),
        ProxyCommand::Push(args) if args.target.is_fleet() => super::fleet::run_push(
            &super::fleet::FleetCtx::new(layouts, profiles, &args.target),
            args,
            interactive,
            o,
        ),
        ProxyCommand::Push(args) => run_push_with(layouts, args, interactive, o),
        ProxyCommand::History(HistoryArgs {
            history_dir,
            action: Some(HistoryAction::Revert(revert)),
        }) => super::fleet::run_revert(layouts, profiles, history_dir, revert, interactive, o),
        ProxyCommand::History(args) => run_history_with(args, o),
    }
}

impl From<ProxyError> for CliError {
    fn from(e: ProxyError) -> Self {
        if e.is_refusal() {
            Self::refused(e.to_string())
        } else {
            Self::unreadable(e.to_string())
        }
    }
}

fn client(url: &str, c: &ConnectOpts) -> Result<HttpProxyClient, CliError> {
    Ok(c.profile(url).client()?)
}

// ---- status ----

pub fn run_status_with(layouts: &LayoutSet, args: &StatusArgs, o: &mut Out<'_>) -> u8 {
    match status(args) {
        Ok(data) => {
            print_status(layouts, args, &data, o);
            exit::OK
        }
        Err(f) => o.fail(f),
    }
}

struct StatusData {
    health: crate::core::proxy::Health,
    view: ProxyConfigView,
    models: crate::core::proxy::ModelList,
    restart: Option<RestartState>,
}

fn status(args: &StatusArgs) -> Result<StatusData, CliError> {
    let api = client(&args.proxy, &args.connect)?;
    // Asked at once (one round trip, not three); an error is reported in
    // the order health, config, models, as when they were asked in turn.
    let (health, view, models) = runtime()?.block_on(futures_util::future::join3(
        api.health(),
        api.config(),
        api.models(),
    ));
    let (health, view, models) = (health?, view?, models?);
    let restart = live_state::restart_of(args.history_dir.as_deref(), api.base_url(), &health)?;
    Ok(StatusData {
        health,
        view,
        models,
        restart,
    })
}

fn print_status(layouts: &LayoutSet, args: &StatusArgs, d: &StatusData, o: &mut Out<'_>) {
    let ids: Vec<&str> = d.models.data.iter().map(|m| m.id.as_str()).collect();
    // The proxy lists every CHAT_PROXY_* var; only settings' vars override anything.
    let env = split_env(layouts, &d.view.env_overrides);
    match o.format {
        OutputFormat::Json => {
            let body = json!({
                "proxy": args.proxy,
                "health": d.health,
                "config_file_path": d.view.config_file_path,
                "env_overrides": env.settings,
                "other_proxy_env": env.other,
                "models": ids,
                "restart": live_state::restart_json(d.restart.as_ref()),
            });
            let _ = writeln!(o.out, "{}", pretty(&body));
        }
        OutputFormat::Human => {
            let _ = writeln!(
                o.out,
                "{}: {} (up {:.0} s)\nconfig file: {}\nenv overrides: {}\nother proxy environment (not settings): {}\nmodels: {}\n{}",
                args.proxy,
                d.health.status,
                d.health.uptime_seconds,
                d.view.config_file_path,
                live_state::names(&env.settings),
                live_state::names(&env.other),
                if ids.is_empty() {
                    "none".to_owned()
                } else {
                    ids.join(", ")
                },
                live_state::restart_line(d.restart.as_ref()),
            );
        }
    }
}

// ---- preview ----

pub fn run_preview_with(layouts: &LayoutSet, args: &PreviewArgs, o: &mut Out<'_>) -> u8 {
    match preview_command(layouts, args) {
        Ok((p, restart)) => {
            print_preview(args, &p, restart.as_ref(), o);
            if p.mismatches.is_empty() && p.env_errors().is_empty() {
                exit::OK
            } else {
                exit::FINDINGS
            }
        }
        Err(f) => o.fail(f),
    }
}

fn preview_command(
    layouts: &LayoutSet,
    args: &PreviewArgs,
) -> Result<(Preview, Option<RestartState>), CliError> {
    let draft = load_draft(&args.file)?;
    let Some(url) = &args.proxy else {
        return Ok((preview(&draft, layouts, None, &local_proxy_env()), None));
    };
    let api = client(url, &args.connect)?;
    let rt = runtime()?;
    let (view, restart) = match &args.history_dir {
        Some(dir) => {
            // Both at once: one round trip, not two.
            let (view, health) =
                rt.block_on(futures_util::future::join(api.config(), api.health()));
            let (view, health) = (view?, health?);
            (
                view,
                live_state::restart_of(Some(dir), api.base_url(), &health)?,
            )
        }
        None => (rt.block_on(api.config())?, None),
    };
    Ok((
        preview(&draft, layouts, Some(&view), &view.env_overrides),
        restart,
    ))
}

fn shown_rows<'p>(args: &PreviewArgs, p: &'p Preview) -> Vec<&'p PreviewRow> {
    p.rows
        .iter()
        .filter(|r| {
            !args.only_diff
                || match args.proxy {
                    Some(_) => r.flags.changed,
                    None => r.source != Source::Default,
                }
        })
        .collect()
}

/// One row in the documented JSON shape, and whether its key waits for a restart.
pub fn row_json(r: &PreviewRow, restart: Option<&RestartState>) -> Value {
    json!({
        "path": r.path,
        "default": r.default,
        "file": r.file,
        "draft": r.draft,
        "env": r.env.as_ref().map(|e| json!({"var": e.var, "raw": e.raw})),
        "effective": r.effective,
        "source": r.source,
        // The proxy's `runtime`: what a restart would run with, not what runs now.
        "runtime": r.runtime,
        "restart_pending": restart.is_some_and(|s| s.is_pending(&r.key)),
        "flags": r.flags.names(),
    })
}

fn print_preview(args: &PreviewArgs, p: &Preview, restart: Option<&RestartState>, o: &mut Out<'_>) {
    let rows = shown_rows(args, p);
    match o.format {
        OutputFormat::Json => {
            let body = json!({
                "proxy": args.proxy,
                "settings": rows.iter().map(|r| row_json(r, restart)).collect::<Vec<_>>(),
                "other_proxy_env": p.other_env,
                // Settings of a newer proxy: shown, never dropped.
                "unknown_to_this_studio": p.unknown_to_studio,
                "env_errors": p.env_errors(),
                "restart": live_state::restart_json(restart),
            });
            let _ = writeln!(o.out, "{}", pretty(&body));
        }
        OutputFormat::Human => {
            let label = match &args.proxy {
                Some(url) => format!(
                    "preview against {url} (env from the proxy; \"after restart\" is the proxy's runtime, what a restart would run with)"
                ),
                None => "offline preview (env from this machine's CHAT_PROXY_* vars)".to_owned(),
            };
            let _ = writeln!(o.out, "{label}");
            for r in rows {
                let mut line = human_row(r);
                if restart.is_some_and(|s| s.is_pending(&r.key)) {
                    line.push_str("  [restart pending]");
                }
                let _ = writeln!(o.out, "{line}");
            }
            for u in &p.unknown_to_studio {
                let _ = writeln!(
                    o.out,
                    "{:<46} {:<24} (unknown to this studio: a setting of a newer ImageWorks no layout has)",
                    u.key, u.value
                );
            }
            if !p.other_env.is_empty() {
                let _ = writeln!(
                    o.out,
                    "other proxy environment (not settings, overrides nothing): {}",
                    live_state::names(&p.other_env)
                );
            }
            if args.proxy.is_some() {
                let _ = writeln!(o.out, "{}", live_state::restart_line(restart));
            }
        }
    }
    for e in p.env_errors() {
        let _ = writeln!(o.err, "error: {e}");
    }
    for m in &p.mismatches {
        let _ = writeln!(
            o.err,
            "warning: the proxy reports {} = {} but its own file and env give {}; it does not behave like the stock proxy",
            m.key,
            m.runtime
                .as_ref()
                .map_or("nothing".to_owned(), Value::to_string),
            m.expected
        );
    }
}

fn human_row(r: &PreviewRow) -> String {
    let mut line = format!(
        "{:<46} {:<24} ({:?})",
        r.path,
        r.effective.to_string(),
        r.source
    );
    if let Some(env) = &r.env {
        let verdict = match &env.outcome {
            EnvOutcome::Applied(_) => "applied",
            EnvOutcome::Ignored { .. } => "ignored",
            EnvOutcome::NotJson { .. } => "applied, BREAKS the proxy's config endpoint",
        };
        line.push_str(&format!("  env {}={:?} {verdict}", env.var, env.raw));
    }
    if r.flags.changed
        && let Some(file) = &r.file
    {
        line.push_str(&format!("  proxy file {file} -> draft {}", r.draft));
    }
    if let Some(runtime) = r.runtime.as_ref().filter(|v| **v != r.effective) {
        line.push_str(&format!("  after restart without this push {runtime}"));
    }
    let flags = r.flags.names();
    if !flags.is_empty() {
        line.push_str(&format!("  [{}]", flags.join(", ")));
    }
    if !r.ignored_at.is_empty() {
        line.push_str(&format!("  ignored at {}", r.ignored_at.join(", ")));
    }
    if let Some(note) = Preview::version_note(r) {
        line.push_str(&format!("  {note}"));
    }
    line
}

// ---- diff and push ----

/// The proxy, the plan and what it is based on.
struct Planned {
    api: HttpProxyClient,
    plan: PushPlan,
}

/// The draft's base from the push history in `history`, if any.
struct BaseFrom<'a> {
    history: Option<&'a std::path::Path>,
    choice: ConflictChoice,
}

fn make_plan(
    layouts: &LayoutSet,
    req: &PlanArgs,
    base: &BaseFrom<'_>,
    rt: &tokio::runtime::Runtime,
) -> Result<Planned, CliError> {
    let draft = load_draft(&req.file)?;
    let api = client(req.single_proxy(), &req.connect)?;
    let view = rt.block_on(api.config())?;
    let draft_path = std::path::absolute(&req.file).ok();
    let draft_base = match base.history {
        Some(dir) => history::draft_base_in(dir, api.base_url(), &req.file)
            .map_err(|e| CliError::unreadable(e.to_string()))?,
        None => None,
    };
    let target = PushTarget::new(api.base_url())
        .with_path_maps(req.paths.path_maps.clone())
        .with_draft(draft_path, draft_base)
        .with_conflict_choice(base.choice);
    let plan = plan_push(&draft, layouts, &view, &target, req.mode.into()).map_err(push_fail)?;
    Ok(Planned { api, plan })
}

pub fn run_diff_with(layouts: &LayoutSet, args: &DiffArgs, o: &mut Out<'_>) -> u8 {
    let base = BaseFrom {
        history: None,
        choice: ConflictChoice::Ask,
    };
    let planned = runtime().and_then(|rt| make_plan(layouts, &args.target, &base, &rt));
    match planned {
        Ok(p) => {
            print_plan(args.target.single_proxy(), &p.plan, None, o);
            // The fleet's rule (`drift_exit_code`): a proxy that differs
            // from the draft is a finding, so cron and CI see drift.
            if p.plan.is_empty() {
                exit::OK
            } else {
                exit::FINDINGS
            }
        }
        Err(f) => o.fail(f),
    }
}

pub fn run_push_with(
    layouts: &LayoutSet,
    args: &PushArgs,
    interactive: bool,
    o: &mut Out<'_>,
) -> u8 {
    match push_command(layouts, args, interactive, o) {
        Ok(code) => code,
        Err(f) => o.fail(f),
    }
}

fn push_command(
    layouts: &LayoutSet,
    args: &PushArgs,
    interactive: bool,
    o: &mut Out<'_>,
) -> Result<u8, CliError> {
    let rt = runtime()?;
    let restart = restart_request(&args.restart)?;
    let base = BaseFrom {
        history: args.history_dir.as_deref(),
        choice: args.on_conflict.into(),
    };
    let Planned { api, plan } = make_plan(layouts, &args.target, &base, &rt)?;
    if args.dry_run || (plan.is_empty() && restart.is_none()) {
        print_plan(args.target.single_proxy(), &plan, None, o);
        return Ok(exit::OK);
    }
    if o.format == OutputFormat::Human {
        print_plan(args.target.single_proxy(), &plan, None, o);
    }
    let confirmed = args.yes || (plan.needs_confirmation() && interactive && ask(o));
    let human = o.format == OutputFormat::Human;
    if human && let Some(request) = &restart {
        let _ = writeln!(
            o.out,
            "Restarting after the push: {}",
            request.argv.join(" ")
        );
    }
    let mut stages = Vec::new();
    let mut progress = |stage: &restart::RestartStage| stages.push(stage.describe());
    let run = rt.block_on(workflow::push_and_restart(
        &api,
        &plan,
        layouts,
        confirmed,
        restart.as_ref(),
        &mut progress,
    ));
    if human {
        for line in stages {
            let _ = writeln!(o.out, "  {line}");
        }
    }
    if let Some(why) = &run.restart_skipped {
        let _ = writeln!(o.err, "{why}");
    }
    if let (Some(dir), Some(entry)) = (&args.history_dir, run.history_entry(&args.profile, &plan))
        && let Err(e) = history::record(dir, &entry)
    {
        let _ = writeln!(o.err, "warning: {e}");
    }
    let verdict = run.verdict();
    let outcome = run.result.map_err(push_fail)?;
    report_outcome(args, &plan, &outcome, run.restart.as_ref(), o);
    Ok(match verdict {
        workflow::Verdict::Ok => exit::OK,
        workflow::Verdict::NotOk => exit::FINDINGS,
        workflow::Verdict::Unknown => exit::UNKNOWN,
    })
}

/// `--restart --restart-command "CMD ARGS"` is a one-off profile's restart
/// command: the same request a GUI profile makes.
pub(super) fn restart_request(opts: &RestartOpts) -> Result<Option<RestartRequest>, CliError> {
    if !opts.restart {
        return Ok(None);
    }
    let Some(raw) = opts.restart_command.as_deref() else {
        return Err(CliError::unreadable(
            "--restart needs --restart-command \"CMD ARGS\" for a single proxy (a fleet push uses each profile's restart command)",
        ));
    };
    let profile = ConnectionProfile {
        restart_command: restart::parse_command(raw)
            .map_err(|e| CliError::unreadable(e.to_string()))?,
        restart_timeout_s: opts.restart_timeout,
        ..ConnectionProfile::new("cli", "")
    };
    profile
        .restart_request(opts.interrupt_gpu_job)
        .transpose()
        .map_err(|e| CliError::unreadable(format!("--restart-timeout: {e}")))
}

fn report_outcome(
    args: &PushArgs,
    plan: &PushPlan,
    outcome: &PushOutcome,
    restarted: Option<&restart::RestartReport>,
    o: &mut Out<'_>,
) {
    if o.format == OutputFormat::Json {
        let mut result = json!(outcome);
        if let (Some(r), Value::Object(map)) = (restarted, &mut result) {
            map.insert("restart".to_owned(), json!(r));
        }
        print_plan(args.target.single_proxy(), plan, Some(result), o);
        return;
    }
    let _ = writeln!(o.out, "{}", outcome.headline);
    if let Some(problem) = &outcome.problem {
        let _ = writeln!(o.out, "  {problem}");
    }
    if !outcome.message.is_empty() {
        let _ = writeln!(o.out, "The proxy said: {}", outcome.message);
    }
    for k in &outcome.pushed {
        let verdict = match (outcome.status, k.ok) {
            (PushStatus::Unknown, _) if outcome.reread_failed => "not re-read",
            (PushStatus::Unknown, true) => "there",
            (PushStatus::Unknown, false) => "NOT there",
            (_, true) => "ok",
            (_, false) => "DID NOT READ BACK",
        };
        let _ = writeln!(
            o.out,
            "  {}: {} -> {} (reads back {}: {verdict})",
            k.key, k.before, k.after, k.read_back
        );
    }
    for c in &outcome.concurrent {
        let _ = writeln!(
            o.out,
            "  {}: changed elsewhere meanwhile (expected {}, found {})",
            c.key, c.expected, c.found
        );
    }
    if let Some(b) = &outcome.backup {
        let _ = writeln!(o.out, "Previous file kept as {}", b.display());
    }
    if outcome.broken.as_ref().is_some_and(|b| b.restorable)
        && let Some(dir) = &args.history_dir
    {
        let _ = writeln!(
            o.out,
            "Restore the file as it was before this push: iw-studio history --history-dir {} revert N --restore-file (N: this push's number in “history”)",
            dir.display()
        );
    }
    match restarted {
        Some(r) => {
            let _ = writeln!(o.out, "{}", r.headline);
            for s in &r.stages {
                if let restart::RestartStage::Verify { differs, .. } = s {
                    for d in differs {
                        let _ = writeln!(
                            o.out,
                            "  {}: expected {}, runs {}",
                            d.key, d.expected, d.found
                        );
                    }
                }
            }
        }
        None if outcome.restart_required => {
            let _ = writeln!(
                o.out,
                "Restart required: the proxy applies the new values only after a restart."
            );
        }
        None => {}
    }
}

// ---- history ----

pub fn run_history_with(args: &HistoryArgs, o: &mut Out<'_>) -> u8 {
    let listed = match history::list(&args.history_dir) {
        Ok(l) => l,
        Err(e) => return o.fail(CliError::unreadable(e.to_string())),
    };
    if o.format == OutputFormat::Json {
        let body = json!({"entries": listed.entries, "unreadable_lines": listed.unreadable_lines});
        let _ = writeln!(o.out, "{}", pretty(&body));
        return exit::OK;
    }
    if listed.entries.is_empty() {
        let _ = writeln!(
            o.out,
            "No pushes recorded in {}.",
            args.history_dir.display()
        );
    }
    for (i, e) in listed.entries.iter().enumerate() {
        let result = result_text(&e.result);
        let _ = writeln!(
            o.out,
            "#{i} {} {} {:?} via profile {}: {result}",
            e.time, e.base_url, e.mode, e.profile
        );
        // The API's keys, then the rest of the file the push changed.
        for c in e.changes.iter().chain(&e.file_changes) {
            let _ = writeln!(o.out, "    {}: {} -> {}", c.path, c.before, c.after);
        }
        if let Some(r) = &e.restart {
            let _ = writeln!(o.out, "    restart: {}", r.headline);
        }
        for t in &e.targets {
            let rollback = match &t.rollback {
                Some(history::HistoryRollback::RolledBack) => "; rolled back".to_owned(),
                Some(history::HistoryRollback::Incomplete { problem }) => {
                    format!("; rollback INCOMPLETE: {problem}")
                }
                None => String::new(),
            };
            let _ = writeln!(
                o.out,
                "    {} {}: {}{rollback}",
                t.name,
                t.base_url,
                result_text(&t.result)
            );
            for c in &t.changes {
                let _ = writeln!(o.out, "        {}: {} -> {}", c.path, c.before, c.after);
            }
        }
    }
    for line in &listed.unreadable_lines {
        let _ = writeln!(
            o.err,
            "warning: history line {line} is not a valid entry and was skipped"
        );
    }
    exit::OK
}

fn result_text(result: &history::HistoryResult) -> String {
    match result {
        history::HistoryResult::Pushed { verified: true, .. } => "pushed".to_owned(),
        history::HistoryResult::Pushed { concurrent, .. } if !concurrent.is_empty() => {
            format!(
                "pushed; changed elsewhere meanwhile: {}",
                concurrent.join(", ")
            )
        }
        history::HistoryResult::Pushed {
            verified: false, ..
        } => "pushed, NOT read back".to_owned(),
        history::HistoryResult::OutcomeUnknown {
            present,
            absent,
            reread,
            ..
        } if *reread => format!(
            "OUTCOME UNKNOWN; re-read: there: [{}], not there: [{}]",
            present.join(", "),
            absent.join(", ")
        ),
        history::HistoryResult::OutcomeUnknown { .. } => {
            "OUTCOME UNKNOWN; the proxy could not be re-read".to_owned()
        }
        history::HistoryResult::Failed { error } => format!("failed: {error}"),
        history::HistoryResult::BrokeFile { where_ } => format!("BROKE THE PROXY'S FILE: {where_}"),
    }
}
