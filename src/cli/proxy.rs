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

use super::output::{CliError, Out, pretty};
use super::{OutputFormat, exit, live_state};
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::proxy::history;
use crate::core::proxy::{
    ConflictChoice, ConnectionProfile, EnvOutcome, HttpProxyClient, PathMap, Preview, PreviewRow,
    ProxyApi, ProxyConfigView, ProxyError, PushError, PushMode, PushOutcome, PushPlan, PushStatus,
    PushTarget, RestartRequest, RestartState, Source, local_proxy_env, plan_push, preview, restart,
    split_env, workflow,
};
use crate::core::safe_save::read_text;

/// How to reach the proxy (besides its URL).
#[derive(clap::Args, Clone, Debug)]
pub struct ConnectOpts {
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Env var holding a bearer token (the token is read at request time, never printed).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Extra CA certificate (PEM) to trust for https.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}

/// Where the proxy's folders are on this machine.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct PathOpts {
    /// Map a folder as the proxy reports it to this machine's, e.g.
    /// /app/configs=/home/me/imageworks/configs (Docker) or .=/srv/imageworks
    /// (the proxy's working folder, for a relative config_file_path). Repeatable.
    #[arg(long = "path-map", value_name = "PROXY=LOCAL")]
    pub path_maps: Vec<PathMap>,
}

#[derive(clap::Args, Clone, Debug)]
pub struct StatusArgs {
    /// Base URL of the proxy, e.g. http://127.0.0.1:8100.
    #[arg(long, value_name = "URL")]
    pub proxy: String,
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// Tell which pushed keys wait for a restart, from the pushes recorded in this folder (as given to `push --history-dir`).
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
}

#[derive(clap::Args, Clone, Debug)]
pub struct PreviewArgs {
    /// The draft `chat_proxy.toml`.
    pub file: PathBuf,
    /// Compare with this proxy (its env and file); without it, this machine's CHAT_PROXY_* vars are used.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// Only settings that differ: from the proxy's file when connected, from the default offline.
    #[arg(long)]
    pub only_diff: bool,
    /// With --proxy: tell which pushed keys wait for a restart, from the pushes recorded in this folder.
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
}

/// A draft and the proxy it goes to: what `diff` and `push` plan from.
#[derive(clap::Args, Clone, Debug)]
pub struct PlanArgs {
    /// The draft `chat_proxy.toml`.
    pub file: PathBuf,
    /// The proxy's base URL; repeat it for several proxies (a fleet made on the spot).
    #[arg(long, value_name = "URL", required_unless_present = "fleet")]
    pub proxy: Vec<String>,
    /// A fleet from the profiles file (`iw-studio profiles path`): every proxy in it.
    #[arg(long, value_name = "NAME", conflicts_with = "proxy")]
    pub fleet: Option<String>,
    /// With several proxies: how many are contacted at once [default: every proxy, up to 32].
    #[arg(long, value_name = "N", value_parser = parse_parallel)]
    pub parallel: Option<usize>,
    #[command(flatten)]
    pub connect: ConnectOpts,
    #[command(flatten)]
    pub paths: PathOpts,
    /// api: PUT the changed keys (the proxy rewrites its file, lossy); file: write the draft to the proxy's file (lossless; the file must be reachable from here).
    #[arg(long, value_enum, default_value_t)]
    pub mode: CliPushMode,
}

/// `--parallel N`: a whole number of at least 1.
pub fn parse_parallel(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("“{raw}” is not a number of proxies of at least 1")),
    }
}

impl PlanArgs {
    /// `--parallel`, or its default for `members` proxies.
    pub fn parallel_for(&self, members: usize) -> usize {
        self.parallel
            .unwrap_or_else(|| crate::core::proxy::fleet::default_parallel(members))
    }

    /// A fleet (`--fleet`, or `--proxy` more than once) rather than one proxy.
    pub fn is_fleet(&self) -> bool {
        self.fleet.is_some() || self.proxy.len() > 1
    }

    /// The one proxy of a single-proxy command.
    pub fn single_proxy(&self) -> &str {
        self.proxy.first().map_or("", String::as_str)
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub target: PlanArgs,
}

#[derive(clap::Args, Clone, Debug)]
pub struct PushArgs {
    #[command(flatten)]
    pub target: PlanArgs,
    /// Accept the losses of an API push without asking.
    #[arg(long)]
    pub yes: bool,
    /// Show what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Record the push in this folder's push history.
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
    /// Profile name recorded in the history.
    #[arg(long, default_value = "cli")]
    pub profile: String,
    /// A key changed both on the proxy and in the draft since the draft's
    /// base (known from --history-dir): ask (refuse and show base, proxy and
    /// draft), mine (push the draft's value) or theirs (keep the proxy's).
    #[arg(long, value_enum, default_value_t)]
    pub on_conflict: CliConflictChoice,
    #[command(flatten)]
    pub restart: RestartOpts,
}

/// Restart the proxy after the push and verify what it runs.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RestartOpts {
    /// After pushing, run the restart command, wait for the proxy to come
    /// back with a fresh uptime, and compare its runtime with the push.
    /// (One proxy: needs --restart-command. A fleet: each profile's restart command.)
    #[arg(long)]
    pub restart: bool,
    /// The restart command, split like a shell would (no shell runs it),
    /// e.g. "docker restart imageworks-chat-proxy".
    #[arg(long, value_name = "CMD ARGS")]
    pub restart_command: Option<String>,
    /// Seconds to wait for the command and for the proxy to come back.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub restart_timeout: f64,
    /// Restart even when a job holds the GPU lease (it will be interrupted).
    #[arg(long)]
    pub interrupt_gpu_job: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CliConflictChoice {
    #[default]
    Ask,
    Mine,
    Theirs,
}

impl From<CliConflictChoice> for ConflictChoice {
    fn from(c: CliConflictChoice) -> Self {
        match c {
            CliConflictChoice::Ask => ConflictChoice::Ask,
            CliConflictChoice::Mine => ConflictChoice::Mine,
            CliConflictChoice::Theirs => ConflictChoice::Theirs,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CliPushMode {
    #[default]
    Api,
    File,
}

impl From<CliPushMode> for PushMode {
    fn from(m: CliPushMode) -> Self {
        match m {
            CliPushMode::Api => PushMode::Api,
            CliPushMode::File => PushMode::File,
        }
    }
}

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

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::unreadable(format!("cannot start the async runtime: {e}")))
}

impl ConnectOpts {
    /// The one-off profile these flags describe, for `url`.
    pub fn profile(&self, url: &str) -> ConnectionProfile {
        ConnectionProfile {
            token_env: self.token_env.clone(),
            timeout_s: self.timeout,
            ca_file: self.ca_file.clone(),
            ..ConnectionProfile::new("cli", url)
        }
    }
}

fn client(url: &str, c: &ConnectOpts) -> Result<HttpProxyClient, CliError> {
    Ok(c.profile(url).client()?)
}

pub(super) fn load_draft(path: &std::path::Path) -> Result<ConfigDocument, CliError> {
    let loaded = read_text(path).map_err(|e| CliError::unreadable(e.to_string()))?;
    ConfigDocument::parse(&loaded.text)
        .map_err(|e| CliError::unreadable(format!("{}: {e}", path.display())))
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

pub(super) fn push_fail(e: PushError) -> CliError {
    let (code, details) = match &e {
        PushError::Invalid { findings } => (exit::FINDINGS, json!(findings)),
        PushError::NeedsConfirmation {
            losses,
            draft_losses,
        } => (
            exit::FINDINGS,
            json!({"losses": losses, "draft_losses": draft_losses}),
        ),
        PushError::CannotCarry { draft_losses } => {
            (exit::FINDINGS, json!({"draft_losses": draft_losses}))
        }
        PushError::Stale { conflicts } => (exit::FINDINGS, json!(conflicts)),
        PushError::WouldMangle { mangled } => (exit::FINDINGS, json!({"mangled": mangled})),
        PushError::Conflicts { conflicts } => (exit::FINDINGS, json!({"conflicts": conflicts})),
        PushError::ProxyCouldNotWrite { failure } => (exit::FINDINGS, json!(failure)),
        PushError::FileNotReachable { .. }
        | PushError::Path(_)
        | PushError::Lock(_)
        | PushError::FileChanged { .. }
        | PushError::NotTheProxysFile { .. }
        | PushError::Draft { .. } => (exit::FINDINGS, Value::Null),
        PushError::Save(s) if s.is_conflict() => (exit::FINDINGS, Value::Null),
        PushError::Proxy(p) if p.is_refusal() => (exit::FINDINGS, Value::Null),
        PushError::Save(_) | PushError::Proxy(_) => (exit::UNREADABLE, Value::Null),
    };
    let mut message = e.to_string();
    if let PushError::Stale { conflicts } = &e {
        for c in conflicts {
            message.push_str(&format!(
                "\n  {}: base {} | theirs {} | mine {}",
                c.key,
                c.base,
                c.theirs,
                c.mine
                    .as_ref()
                    .map_or("(unchanged)".to_owned(), Value::to_string)
            ));
        }
    }
    CliError {
        code,
        message,
        details,
        quiet: false,
    }
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

pub(super) fn plan_json(plan: &PushPlan) -> Value {
    json!({
        "mode": plan.mode,
        "config_file_path": plan.config_file_path,
        "local_path": plan.local_path,
        "local_path_problem": plan.local_path_problem,
        "compared_with": plan.current,
        "changes": plan.changes,
        "diff": plan.diff,
        "losses": plan.losses,
        "loss_basis": plan.loss_basis,
        "draft_losses": plan.draft_losses,
        "restart_required": plan.restart_required,
        "masked": plan.masked,
        "mangled": plan.mangled,
        "file_mode": plan.file_mode,
        "base": plan.base_from,
        "kept": plan.three_way.kept,
        "conflicts": plan.three_way.conflicts,
        "warnings": plan.warnings,
    })
}

pub(super) fn print_plan(url: &str, plan: &PushPlan, result: Option<Value>, o: &mut Out<'_>) {
    if o.format == OutputFormat::Json {
        let mut body = json!({"proxy": url, "plan": plan_json(plan)});
        if let (Some(r), Value::Object(map)) = (result, &mut body) {
            map.insert("result".to_owned(), r);
        }
        let _ = writeln!(o.out, "{}", pretty(&body));
        return;
    }
    if plan.is_empty() {
        let _ = writeln!(
            o.out,
            "No changes: the proxy's file already has the draft's values."
        );
        for w in &plan.warnings {
            let _ = writeln!(o.out, "{w}");
        }
        return;
    }
    if plan.only_uncarriable() {
        let _ = writeln!(
            o.out,
            "The draft differs from the proxy's file only in what the API cannot carry:"
        );
        print_draft_losses(plan, o);
        return;
    }
    let _ = writeln!(
        o.out,
        "{} for {url} ({:?} push):",
        crate::core::plural::count(plan.changes.len(), "change", "changes"),
        plan.mode
    );
    for c in &plan.changes {
        let _ = writeln!(o.out, "  {}: {} -> {}", c.path, c.before, c.after);
    }
    if matches!(plan.current, crate::core::proxy::CurrentText::Regenerated) {
        let _ = writeln!(
            o.out,
            "(the proxy's file is not on this machine; the diff starts from its values as the proxy would write them)"
        );
    }
    let _ = write!(o.out, "{}", plan.diff);
    if !plan.losses.is_empty() {
        let _ = writeln!(
            o.out,
            "An API push loses {}:",
            crate::core::plural::count(plan.losses.len(), "thing", "things")
        );
        for l in &plan.losses {
            let _ = writeln!(o.out, "  - {}", l.describe());
        }
        let _ = writeln!(
            o.out,
            "Use --mode file to keep them (the proxy's file must be on this machine)."
        );
    }
    if !plan.draft_losses.is_empty() {
        let _ = writeln!(
            o.out,
            "{} of the draft cannot go over the API and would not reach the file:",
            crate::core::plural::count(plan.draft_losses.len(), "part", "parts")
        );
        print_draft_losses(plan, o);
    }
    print_plan_warnings(plan, o);
    if plan.restart_required {
        let _ = writeln!(
            o.out,
            "Restart chat-proxy after pushing: it does not reload its config."
        );
    }
}

/// What the plan says beyond its changes: masked keys, values the API would
/// corrupt, the file's mode, and the three-way result against the base.
fn print_plan_warnings(plan: &PushPlan, o: &mut Out<'_>) {
    for w in &plan.warnings {
        let _ = writeln!(o.out, "{w}");
    }
    for m in &plan.masked {
        let _ = writeln!(o.out, "masked by env: {}", m.describe());
    }
    if !plan.mangled.is_empty() {
        let _ = writeln!(
            o.out,
            "An API push is refused: the proxy's writer escapes only `\"`, so it would write {} wrongly:",
            crate::core::plural::count(plan.mangled.len(), "value", "values")
        );
        for m in &plan.mangled {
            let _ = writeln!(o.out, "  - {}", m.describe());
        }
        let _ = writeln!(o.out, "Push with --mode file (lossless) instead.");
    }
    if let Some(mode) = &plan.file_mode {
        let _ = writeln!(o.out, "file mode: {}", mode.describe());
    }
    if let Some(from) = &plan.base_from {
        let _ = writeln!(o.out, "draft's base: {from}");
    }
    for k in &plan.three_way.kept {
        let _ = writeln!(o.out, "kept: {}", k.describe());
    }
    if !plan.three_way.conflicts.is_empty() {
        let _ = writeln!(
            o.out,
            "{} changed on the proxy and in the draft since the draft's base (choose with --on-conflict mine|theirs):",
            crate::core::plural::count(plan.three_way.conflicts.len(), "key", "keys")
        );
        for c in &plan.three_way.conflicts {
            let _ = writeln!(o.out, "  - {}", c.describe());
        }
    }
}

fn print_draft_losses(plan: &PushPlan, o: &mut Out<'_>) {
    for l in &plan.draft_losses {
        let _ = writeln!(o.out, "  - {}", l.describe());
    }
    let hint = match &plan.local_path_problem {
        Some(problem) => format!("A file push (--mode file) carries them, once {problem}"),
        None => "A file push (--mode file) carries them losslessly.".to_owned(),
    };
    let _ = writeln!(o.out, "{hint}");
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

pub(super) fn ask(o: &mut Out<'_>) -> bool {
    let _ = write!(o.err, "Push anyway and lose the above? [y/N] ");
    let _ = o.err.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
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
