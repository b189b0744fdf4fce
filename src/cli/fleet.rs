//! Fleets on the command line: `diff FILE --fleet NAME | --proxy URL...`
//! (drift), `push FILE --fleet NAME ...` (one planned, verified,
//! rolled-back-on-failure step), `history revert`, and `profiles path`.
//!
//! Exit codes: drift 0 every proxy matches, 1 drift, 2 a proxy unreachable;
//! push 0 pushed (or nothing to push), 1 refused, rolled back, or a restart
//! failed, 2 a target unreachable at planning or bad usage, 3 a rollback
//! whose outcome is unknown.

use std::path::Path;

use serde_json::{Value, json};

use super::args::{ConnectOpts, PathOpts, PlanArgs, PushArgs};
use super::output::{CliError, Out, pretty};
use super::push_common::{ask, load_draft, plan_json, print_plan, runtime};
use super::{OutputFormat, exit};
use crate::core::layout::LayoutSet;
use crate::core::proxy::fleet::apply::RestartAsk;
use crate::core::proxy::fleet::revert::{
    history_entry, plan_revert, revert_members, revert_targets,
};
use crate::core::proxy::fleet::{
    FleetMember, FleetOutcome, FleetPlan, FleetPlanError, FleetStatus, ProxyDrift, RollbackResult,
    TargetPush, default_parallel, drift, drift_exit_code, plan_fleet,
};
use crate::core::proxy::history;
use crate::core::proxy::profiles_file::ProfilesFile;
use crate::core::proxy::{ConnectionProfile, PushError, PushStatus, restart};

/// `iw-studio profiles ...`.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum ProfilesCmd {
    /// Print where the profiles file is (`--profiles FILE` overrides it).
    Path,
    /// List the profiles and fleets in the profiles file.
    List,
}

/// `history --history-dir DIR revert N`.
#[derive(clap::Args, Clone, Debug)]
pub struct RevertArgs {
    /// The entry's number as `history` lists it (`#0` is the oldest).
    pub entry: usize,
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// For targets whose profile is not in the profiles file and which were
    /// recorded without path maps.
    #[command(flatten)]
    pub paths: PathOpts,
    /// Accept the losses of an API push without asking.
    #[arg(long)]
    pub yes: bool,
    /// Show the revert's plan; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Put the proxy's file back byte for byte as this push found it (a
    /// file push of the text the push recorded), e.g. after an API push left
    /// a file the proxy cannot read.
    #[arg(long, conflicts_with = "dry_run")]
    pub restore_file: bool,
    /// How many proxies are contacted at once [default: every target, up to 32].
    #[arg(long, value_name = "N", value_parser = super::args::parse_parallel)]
    pub parallel: Option<usize>,
}

/// What a fleet command needs besides its own arguments.
pub struct FleetCtx<'a> {
    pub layouts: &'a LayoutSet,
    pub profiles: Option<&'a Path>,
    pub args: &'a PlanArgs,
}

impl<'a> FleetCtx<'a> {
    pub fn new(layouts: &'a LayoutSet, profiles: Option<&'a Path>, args: &'a PlanArgs) -> Self {
        Self {
            layouts,
            profiles,
            args,
        }
    }

    /// The fleet's name (or `--proxy` for a list given on the command
    /// line) and its members. `restart_command` applies to `--proxy` members.
    fn members(
        &self,
        restart_command: Option<&str>,
    ) -> Result<(String, Vec<FleetMember>), CliError> {
        let profiles = match &self.args.fleet {
            Some(name) => {
                let file = load_profiles(self.profiles)?;
                let path = self.profiles.unwrap_or(Path::new(""));
                let members = file
                    .fleet(name, path)
                    .map_err(|e| CliError::unreadable(e.to_string()))?;
                return Ok((name.clone(), http_members(members)?));
            }
            None => self.args.proxy.iter().map(|url| {
                let mut p = self.args.connect.profile(url);
                p.name = url.clone();
                p.path_maps = self.args.paths.path_maps.clone();
                p
            }),
        };
        let command = restart_command
            .map(restart::parse_command)
            .transpose()
            .map_err(|e| CliError::unreadable(e.to_string()))?
            .unwrap_or_default();
        let profiles = profiles
            .map(|mut p| {
                p.restart_command = command.clone();
                p
            })
            .collect();
        Ok(("--proxy".to_owned(), http_members(profiles)?))
    }
}

fn load_profiles(path: Option<&Path>) -> Result<ProfilesFile, CliError> {
    let path = path.ok_or_else(|| {
        CliError::unreadable(
            "this machine has no folder for the app's data, so there is no default profiles file; pass --profiles FILE",
        )
    })?;
    if !path.exists() {
        return Err(CliError::unreadable(format!(
            "the profiles file {} does not exist; write one (GUIDE.md, \"Fleets\") or pass --profiles FILE",
            path.display()
        )));
    }
    ProfilesFile::load(path).map_err(|e| CliError::unreadable(e.to_string()))
}

fn http_members(profiles: Vec<ConnectionProfile>) -> Result<Vec<FleetMember>, CliError> {
    profiles
        .into_iter()
        .map(|p| {
            let name = p.name.clone();
            FleetMember::http(p).map_err(|e| CliError::unreadable(format!("profile “{name}”: {e}")))
        })
        .collect()
}

// ---- profiles ----

pub fn run_profiles(cmd: &ProfilesCmd, profiles: Option<&Path>, o: &mut Out<'_>) -> u8 {
    match cmd {
        ProfilesCmd::Path => {
            let Some(path) = profiles else {
                return o.fail(CliError::unreadable(
                    "this machine has no folder for the app's data; pass --profiles FILE",
                ));
            };
            o.emit(
                || path.display().to_string(),
                || json!({"path": path, "exists": path.exists()}),
            );
            exit::OK
        }
        ProfilesCmd::List => {
            let file = match load_profiles(profiles) {
                Ok(f) => f,
                Err(e) => return o.fail(e),
            };
            o.emit(
                || {
                    let mut text = String::new();
                    for p in &file.profiles {
                        text.push_str(&format!("{}  {}\n", p.name, p.base_url));
                    }
                    for (name, members) in &file.fleets {
                        text.push_str(&format!("fleet {name}: {}\n", members.join(", ")));
                    }
                    text
                },
                || {
                    json!({
                        "profiles": file.profiles,
                        "fleets": file.fleets,
                        "active": file.active,
                    })
                },
            );
            exit::OK
        }
    }
}

// ---- drift ----

fn drift_report(ctx: &FleetCtx<'_>) -> Result<Vec<ProxyDrift>, CliError> {
    let rt = runtime()?;
    let draft = load_draft(&ctx.args.file)?;
    let (_, members) = ctx.members(None)?;
    let parallel = ctx.args.parallel_for(members.len());
    Ok(rt.block_on(drift(&draft, ctx.layouts, &members, parallel)))
}

pub fn run_drift(ctx: &FleetCtx<'_>, o: &mut Out<'_>) -> u8 {
    let report = match drift_report(ctx) {
        Ok(r) => r,
        Err(e) => return o.fail(e),
    };
    o.emit(
        || {
            let mut text = String::new();
            for p in &report {
                let line = if !p.reachable {
                    format!(
                        "{} ({}): UNREACHABLE: {}",
                        p.name,
                        p.url,
                        p.error.as_deref().unwrap_or("")
                    )
                } else if p.drift.is_empty() && p.not_checked.is_none() {
                    format!("{} ({}): matches the draft", p.name, p.url)
                } else if p.drift.is_empty() {
                    format!(
                        "{} ({}): the proxy's settings match the draft; its app tables are unknown",
                        p.name, p.url
                    )
                } else {
                    format!(
                        "{} ({}): {} differ from the draft: {}",
                        p.name,
                        p.url,
                        crate::core::plural::count(p.drift.len(), "setting", "settings"),
                        p.drift.join(", ")
                    )
                };
                text.push_str(&line);
                text.push('\n');
                if let Some(why) = &p.not_checked {
                    text.push_str(&format!(
                        "  [ui], [storage], [[endpoints]] and other app tables: {why}\n"
                    ));
                }
                if !p.runtime_only.is_empty() {
                    text.push_str(&format!(
                        "  only at runtime (an env override there): {}\n",
                        p.runtime_only.join(", ")
                    ));
                }
                if !p.known_keys.is_empty() {
                    text.push_str(&format!(
                        "  another ImageWorks version than the other members: {}\n",
                        p.known_keys.describe()
                    ));
                }
            }
            text
        },
        || json!({ "proxies": report }),
    );
    drift_exit_code(&report)
}

// ---- push ----

/// The runtime, the fleet's label and its plan.
type Planned = (tokio::runtime::Runtime, String, FleetPlan);

fn plan_push_command(ctx: &FleetCtx<'_>, args: &PushArgs) -> Result<Planned, CliError> {
    let rt = runtime()?;
    let draft = load_draft(&ctx.args.file)?;
    let (label, members) = ctx.members(args.restart.restart_command.as_deref())?;
    let plan = rt
        .block_on(plan_fleet(
            &draft,
            ctx.layouts,
            &members,
            ctx.args.mode.into(),
            ctx.args.parallel_for(members.len()),
        ))
        .map_err(plan_fail)?;
    Ok((rt, label, plan))
}

pub fn run_push(ctx: &FleetCtx<'_>, args: &PushArgs, interactive: bool, o: &mut Out<'_>) -> u8 {
    let (rt, label, plan) = match plan_push_command(ctx, args) {
        Ok(p) => p,
        Err(e) => return o.fail(e),
    };
    let run = RunOpts {
        yes: args.yes,
        dry_run: args.dry_run,
        history_dir: args.history_dir.as_deref(),
        restart: args.restart.restart.then_some(RestartAsk {
            interrupt_gpu_job: args.restart.interrupt_gpu_job,
        }),
        parallel: ctx.args.parallel_for(plan.targets.len()),
        interactive,
    };
    apply_and_report(ctx.layouts, &rt, &label, &plan, &run, o)
}

fn plan_fail(e: FleetPlanError) -> CliError {
    let (code, details) = match &e {
        FleetPlanError::Invalid { findings } => (exit::FINDINGS, json!(findings)),
        FleetPlanError::Targets { failed, .. } => {
            let unreachable = failed
                .iter()
                .any(|f| matches!(&f.error, PushError::Proxy(p) if p.is_unreachable()));
            (
                if unreachable {
                    exit::UNREADABLE
                } else {
                    exit::FINDINGS
                },
                json!({ "targets": failed }),
            )
        }
        FleetPlanError::NoTargets | FleetPlanError::Duplicate { .. } => {
            (exit::UNREADABLE, Value::Null)
        }
    };
    CliError {
        code,
        message: e.to_string(),
        details,
        quiet: false,
    }
}

struct RunOpts<'a> {
    yes: bool,
    dry_run: bool,
    history_dir: Option<&'a Path>,
    restart: Option<RestartAsk>,
    parallel: usize,
    interactive: bool,
}

fn apply_and_report(
    layouts: &LayoutSet,
    rt: &tokio::runtime::Runtime,
    label: &str,
    plan: &FleetPlan,
    run: &RunOpts<'_>,
    o: &mut Out<'_>,
) -> u8 {
    if run.dry_run || (plan.is_empty() && run.restart.is_none()) {
        print_fleet(label, plan, None, o);
        return exit::OK;
    }
    if o.format == OutputFormat::Human {
        print_fleet(label, plan, None, o);
    }
    let confirmed = run.yes || (plan.needs_confirmation() && run.interactive && ask(o));
    let outcome = rt.block_on(crate::core::proxy::fleet::apply_fleet(
        plan,
        layouts,
        confirmed,
        run.parallel,
        run.restart,
        &|_| {},
    ));
    let unconfirmed = plan.needs_confirmation() && !confirmed;
    if let Some(dir) = run.history_dir
        && !unconfirmed
        && let Err(e) = history::record(dir, &history_entry(label, plan, &outcome))
    {
        let _ = writeln!(o.err, "warning: {e}");
    }
    print_fleet(label, plan, Some(&outcome), o);
    fleet_exit_code(&outcome)
}

/// 0 pushed; 1 refused, rolled back, a concurrent edit or a failed restart; 3 an unknown outcome left.
pub fn fleet_exit_code(outcome: &FleetOutcome) -> u8 {
    match outcome.status {
        FleetStatus::Nothing | FleetStatus::Pushed => {
            let concurrent = outcome.targets.iter().any(|t| {
                t.push
                    .outcome()
                    .is_some_and(|o| o.status == PushStatus::ConcurrentEdit)
            });
            if concurrent || outcome.restart_failed {
                exit::FINDINGS
            } else {
                exit::OK
            }
        }
        FleetStatus::Refused | FleetStatus::RolledBack => exit::FINDINGS,
        FleetStatus::RollbackIncomplete if outcome.any_unknown() => exit::UNKNOWN,
        FleetStatus::RollbackIncomplete => exit::FINDINGS,
    }
}

fn print_fleet(label: &str, plan: &FleetPlan, outcome: Option<&FleetOutcome>, o: &mut Out<'_>) {
    if o.format == OutputFormat::Json {
        let targets: Vec<Value> = plan
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut v = json!({
                    "name": t.member.name(),
                    "url": t.member.url(),
                    "plan": plan_json(&t.plan),
                });
                if let (Some(r), Value::Object(map)) =
                    (outcome.and_then(|o| o.targets.get(i)), &mut v)
                {
                    map.insert("push".to_owned(), json!(r.push));
                    map.insert("rollback".to_owned(), json!(r.rollback));
                    map.insert("restart".to_owned(), json!(r.restart));
                    if let Some(skip) = &r.restart_skipped {
                        map.insert("restart_skipped".to_owned(), json!(skip));
                    }
                }
                v
            })
            .collect();
        let mut body = json!({
            "fleet": label,
            "mode": plan.mode,
            "targets": targets,
        });
        if let (Some(out), Value::Object(map)) = (outcome, &mut body) {
            map.insert("status".to_owned(), json!(out.status));
            map.insert("headline".to_owned(), json!(out.headline));
            map.insert("restart_failed".to_owned(), json!(out.restart_failed));
        }
        let _ = writeln!(o.out, "{}", pretty(&body));
        return;
    }
    let Some(outcome) = outcome else {
        let _ = writeln!(
            o.out,
            "Fleet {label}: {} proxies, {:?} push",
            plan.targets.len(),
            plan.mode
        );
        for t in &plan.targets {
            let _ = writeln!(o.out, "== {} ({})", t.member.name(), t.member.url());
            print_plan(t.member.url(), &t.plan, None, o);
        }
        return;
    };
    let _ = writeln!(o.out, "{}", outcome.headline);
    for r in &outcome.targets {
        let push = match &r.push {
            TargetPush::NotWritten { reason } => format!("not written: {reason}"),
            TargetPush::Nothing => "nothing to push".to_owned(),
            TargetPush::Pushed { outcome } => outcome.headline.clone(),
            TargetPush::Failed { error } => format!("FAILED: {error}"),
        };
        let _ = writeln!(o.out, "  {} ({}): {push}", r.name, r.url);
        if let Some(rb) = &r.rollback {
            let line = match rb {
                RollbackResult::RolledBack { message } => format!("rolled back: {message}"),
                RollbackResult::NotVerified { problem } => {
                    format!("rollback NOT verified: {problem}")
                }
                RollbackResult::Failed { error } => format!("rollback FAILED: {error}"),
                RollbackResult::Unknown { problem } => {
                    format!("rollback OUTCOME UNKNOWN: {problem}")
                }
            };
            let _ = writeln!(o.out, "    {line}");
        }
        if let Some(report) = &r.restart {
            let _ = writeln!(o.out, "    restart: {}", report.headline);
        }
        if let Some(skip) = &r.restart_skipped {
            let _ = writeln!(o.out, "    {skip}");
        }
    }
}

// ---- history revert ----

pub fn run_revert(
    layouts: &LayoutSet,
    profiles: Option<&Path>,
    history_dir: &Path,
    args: &RevertArgs,
    interactive: bool,
    o: &mut Out<'_>,
) -> u8 {
    if args.restore_file {
        return match restore_file(history_dir, args, o) {
            Ok(code) => code,
            Err(e) => o.fail(e),
        };
    }
    let (rt, label, plan) = match plan_revert_command(layouts, profiles, history_dir, args) {
        Ok(p) => p,
        Err(e) => return o.fail(e),
    };
    let run = RunOpts {
        yes: args.yes,
        dry_run: args.dry_run,
        history_dir: Some(history_dir),
        restart: None,
        parallel: args
            .parallel
            .unwrap_or_else(|| default_parallel(plan.targets.len())),
        interactive,
    };
    apply_and_report(layouts, &rt, &label, &plan, &run, o)
}

/// `revert N --restore-file`: the recorded text back, then read back.
fn restore_file(history_dir: &Path, args: &RevertArgs, o: &mut Out<'_>) -> Result<u8, CliError> {
    let entry = history_entry_at(history_dir, args.entry)?;
    let api = args.connect.profile(&entry.base_url).client()?;
    let restored = runtime()?
        .block_on(crate::core::proxy::workflow::restore_file_before(
            &api, &entry,
        ))
        .map_err(super::push_common::push_fail)?;
    match o.format {
        OutputFormat::Json => {
            let _ = writeln!(o.out, "{}", pretty(&json!({"restored": restored})));
        }
        OutputFormat::Human => {
            let _ = writeln!(o.out, "{}", restored.headline);
        }
    }
    Ok(if restored.verified {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

/// Entry `n` of the history in `dir`, or an error naming how many there are.
fn history_entry_at(dir: &Path, n: usize) -> Result<history::HistoryEntry, CliError> {
    let listed = history::list(dir).map_err(|e| CliError::unreadable(e.to_string()))?;
    let count = listed.entries.len();
    listed.entries.into_iter().nth(n).ok_or_else(|| {
        CliError::new(
            exit::FINDINGS,
            format!(
                "{}: there is no entry #{n}; the history has {count} (see “history --history-dir {}”)",
                history::history_path(dir).display(),
                dir.display()
            ),
        )
    })
}

fn plan_revert_command(
    layouts: &LayoutSet,
    profiles: Option<&Path>,
    history_dir: &Path,
    args: &RevertArgs,
) -> Result<Planned, CliError> {
    let entry = history_entry_at(history_dir, args.entry)?;
    let targets = revert_targets(&entry).map_err(|e| CliError::new(exit::FINDINGS, e))?;
    // A profile from the file when one has that name and URL; else the flags.
    let file = profiles
        .filter(|p| p.exists())
        .map(ProfilesFile::load)
        .transpose()
        .map_err(|e| CliError::unreadable(e.to_string()))?
        .unwrap_or_default();
    let pairs = revert_members(targets, &file.profiles, &args.paths.path_maps, |t| {
        args.connect.profile(&t.base_url)
    })
    .map_err(CliError::unreadable)?;
    let rt = runtime()?;
    let parallel = args
        .parallel
        .unwrap_or_else(|| default_parallel(pairs.len()));
    let plan = rt
        .block_on(plan_revert(layouts, &pairs, entry.mode, parallel))
        .map_err(plan_fail)?;
    let label = format!("revert of #{} ({})", args.entry, entry.profile);
    Ok((rt, label, plan))
}
