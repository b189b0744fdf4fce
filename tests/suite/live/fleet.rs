//! Fleets against three stand-in proxies on loopback: a clean push, a
//! PUT answering 500 (the others rolled back, their files byte-identical),
//! a stale target (nothing written anywhere), drift after a hand edit, and
//! the revert of a fleet push. CLI through `run_proxy_in` (the binary's
//! code), core where a fault must land between two phases.

use crate::support::test_proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iw_studio::cli::args::{
    CliPushMode, ConnectOpts, DiffArgs, PathOpts, PlanArgs, PushArgs, RestartOpts,
};
use iw_studio::cli::fleet::RevertArgs;
use iw_studio::cli::proxy::{HistoryAction, HistoryArgs, ProxyCommand, run_proxy_in};
use iw_studio::cli::{Out, OutputFormat};
use iw_studio::core::document::ConfigDocument;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::fleet::apply::FleetEvent;
use iw_studio::core::proxy::fleet::{
    FleetMember, FleetStatus, RollbackResult, TargetPush, apply_fleet, plan_fleet,
};
use iw_studio::core::proxy::{ConnectionProfile, PathMap, PushMode};
use serde_json::Value;
use test_proxy::{Fault, TestProxy};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NAMES: [&str; 3] = ["gpu", "laptop", "staging"];

/// Three proxies, each with its own folder and file, and a profiles file
/// with fleet `lab` of all three (each mapped to its folder).
struct Lab {
    dir: tempfile::TempDir,
    proxies: Vec<TestProxy>,
    files: Vec<PathBuf>,
    profiles: PathBuf,
}

impl Lab {
    /// `text` for each proxy's file, or `None`: the proxy writes its own.
    fn start(text: Option<&str>) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut proxies = Vec::new();
        let mut files = Vec::new();
        let mut profiles = String::new();
        for name in NAMES {
            let folder = dir.path().join(name);
            std::fs::create_dir_all(&folder)?;
            let file = folder.join("chat_proxy.toml");
            if let Some(t) = text {
                std::fs::write(&file, t)?;
            }
            let proxy = TestProxy::start(&file, BTreeMap::new())?;
            profiles.push_str(&format!(
                "[[profile]]\nname = \"{name}\"\nbase_url = \"{}\"\n\n",
                proxy.url()
            ));
            proxies.push(proxy);
            files.push(file);
        }
        profiles.push_str("[fleets]\nlab = [\"gpu\", \"laptop\", \"staging\"]\n");
        let profiles_path = dir.path().join("profiles.toml");
        std::fs::write(&profiles_path, profiles)?;
        let lab = Self {
            dir,
            proxies,
            files,
            profiles: profiles_path,
        };
        // The first read makes a missing file the proxy's own.
        let (code, _, err) = lab.run(
            ProxyCommand::Diff(DiffArgs {
                target: Lab::plan_args(&lab.draft("")?, CliPushMode::Api),
            }),
            OutputFormat::Json,
        );
        assert!(code <= 1, "{err}");
        Ok(lab)
    }

    fn draft(&self, text: &str) -> std::io::Result<PathBuf> {
        let path = self.dir.path().join("draft.toml");
        std::fs::write(&path, text)?;
        Ok(path)
    }

    fn bytes(&self) -> std::io::Result<Vec<Vec<u8>>> {
        self.files.iter().map(std::fs::read).collect()
    }

    fn plan_args(draft: &Path, mode: CliPushMode) -> PlanArgs {
        PlanArgs {
            file: draft.to_path_buf(),
            proxy: Vec::new(),
            fleet: Some("lab".to_owned()),
            parallel: None,
            connect: connect(),
            paths: PathOpts::default(),
            mode,
        }
    }

    fn push(draft: &Path, history: Option<&Path>) -> PushArgs {
        PushArgs {
            target: Self::plan_args(draft, CliPushMode::Api),
            yes: true,
            dry_run: false,
            history_dir: history.map(Path::to_path_buf),
            profile: "cli".to_owned(),
            on_conflict: iw_studio::cli::args::CliConflictChoice::Ask,
            restart: RestartOpts::default(),
        }
    }

    fn run(&self, command: ProxyCommand, format: OutputFormat) -> (u8, String, String) {
        let Ok(layouts) = LayoutSet::builtin() else {
            return (u8::MAX, String::new(), "layouts".to_owned());
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_proxy_in(
            &layouts,
            &command,
            Some(&self.profiles),
            false,
            &mut Out {
                out: &mut out,
                err: &mut err,
                format,
            },
        );
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    /// Core members, each with its folder mapped (for file pushes).
    fn members(&self) -> Result<Vec<FleetMember>, Box<dyn std::error::Error>> {
        let mut out = Vec::new();
        for ((name, proxy), file) in NAMES.iter().zip(&self.proxies).zip(&self.files) {
            let folder = file.parent().ok_or("no folder")?;
            let mut profile = ConnectionProfile::new(name, &proxy.url());
            profile.path_maps = vec![PathMap {
                proxy: folder.display().to_string(),
                local: folder.to_path_buf(),
            }];
            out.push(FleetMember::http(profile)?);
        }
        Ok(out)
    }
}

fn connect() -> ConnectOpts {
    ConnectOpts {
        timeout: 5.0,
        token_env: None,
        ca_file: None,
    }
}

fn port_in(file: &Path) -> Result<i64, Box<dyn std::error::Error>> {
    let value: toml::Table = toml::from_str(&std::fs::read_to_string(file)?)?;
    value
        .get("server")
        .and_then(|s| s.get("port"))
        .and_then(toml::Value::as_integer)
        .ok_or_else(|| format!("no server.port in {}", file.display()).into())
}

const DRAFT: &str = "[server]\nport = 8123\n";

#[test]
fn a_clean_fleet_push_reaches_all_three_and_then_nothing_drifts() -> TestResult {
    let lab = Lab::start(None)?;
    let draft = lab.draft(DRAFT)?;
    let (code, out, err) = lab.run(
        ProxyCommand::Push(Lab::push(&draft, None)),
        OutputFormat::Json,
    );
    assert_eq!(code, 0, "{out}{err}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(body["status"], "pushed");
    let targets = body["targets"].as_array().ok_or("no targets")?;
    assert_eq!(targets.len(), 3);
    for (t, name) in targets.iter().zip(NAMES) {
        assert_eq!(t["name"], name);
        assert_eq!(t["push"]["status"], "pushed");
        assert_eq!(t["push"]["outcome"]["status"], "verified");
        assert_eq!(t["rollback"], Value::Null);
    }
    for f in &lab.files {
        assert_eq!(port_in(f)?, 8123);
    }
    let (code, out, err) = lab.run(
        ProxyCommand::Diff(DiffArgs {
            target: Lab::plan_args(&draft, CliPushMode::Api),
        }),
        OutputFormat::Json,
    );
    assert_eq!(code, 0, "{out}{err}");
    Ok(())
}

#[test]
fn a_put_answering_500_rolls_the_other_two_back_byte_for_byte() -> TestResult {
    let lab = Lab::start(None)?;
    let before = lab.bytes()?;
    lab.proxies[1].set_fault(Fault::PutServerError);
    let draft = lab.draft(DRAFT)?;
    let (code, out, err) = lab.run(
        ProxyCommand::Push(Lab::push(&draft, None)),
        OutputFormat::Json,
    );
    assert_eq!(code, 1, "{out}{err}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(body["status"], "rolled_back", "{out}");
    let targets = body["targets"].as_array().ok_or("no targets")?;
    // The 500 itself: the re-read shows the file as before, so the proxy
    // failed before writing (said as such); nothing to roll back there.
    assert_eq!(targets[1]["push"]["status"], "failed", "{out}");
    let error = targets[1]["push"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("could not write its file") && error.contains("unchanged"),
        "{error}"
    );
    assert_eq!(targets[1]["rollback"], Value::Null);
    for i in [0, 2] {
        assert_eq!(targets[i]["push"]["outcome"]["status"], "verified");
        assert_eq!(targets[i]["rollback"]["status"], "rolled_back", "{out}");
    }
    assert_eq!(lab.bytes()?, before, "every file as it was");
    assert_eq!(lab.proxies[1].puts(), 0);
    assert_eq!(lab.proxies[0].puts(), 2, "the push and its rollback");
    Ok(())
}

const HAND_WRITTEN: &str =
    "# the GPU box: keep this comment\n[server]\nport = 8100 # hand-set\n\n# a note at the end\n";

#[test]
fn a_file_push_failing_on_one_target_puts_the_previous_bytes_back() -> TestResult {
    let lab = Lab::start(Some(HAND_WRITTEN))?;
    let before = lab.bytes()?;
    let layouts = LayoutSet::builtin()?;
    let draft = ConfigDocument::parse(&HAND_WRITTEN.replace("port = 8100", "port = 8123"))?;
    let members = lab.members()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let plan = rt.block_on(plan_fleet(&draft, &layouts, &members, PushMode::File, 1))?;
    // Every target passes the preflight; then `laptop` starts failing, so
    // its write is refused while the others are written.
    let failing = &lab.proxies[1];
    let checked = std::sync::atomic::AtomicUsize::new(0);
    let outcome = rt.block_on(apply_fleet(&plan, &layouts, true, 1, None, &|e| {
        if let FleetEvent::Checked { .. } = e
            && checked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2
        {
            failing.set_fault(Fault::ServerError);
        }
    }));
    failing.set_fault(Fault::None);
    assert_eq!(
        outcome.status,
        FleetStatus::RolledBack,
        "{}",
        outcome.headline
    );
    assert!(matches!(outcome.targets[1].push, TargetPush::Failed { .. }));
    for i in [0, 2] {
        assert!(
            matches!(
                outcome.targets[i].rollback,
                Some(RollbackResult::RolledBack { .. })
            ),
            "{:?}",
            outcome.targets[i]
        );
    }
    assert_eq!(lab.bytes()?, before, "comments included");
    Ok(())
}

#[test]
fn a_target_changed_after_planning_means_nothing_is_written_anywhere() -> TestResult {
    let lab = Lab::start(Some(HAND_WRITTEN))?;
    let layouts = LayoutSet::builtin()?;
    let members = lab.members()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for mode in [PushMode::Api, PushMode::File] {
        let draft = ConfigDocument::parse(&HAND_WRITTEN.replace("port = 8100", "port = 8123"))?;
        let plan = rt.block_on(plan_fleet(&draft, &layouts, &members, mode, 4))?;
        // Someone edits the staging box by hand: a value (API) or only a comment (file).
        let edited = match mode {
            PushMode::Api => HAND_WRITTEN.replace("# hand-set", "# hand-set\nhost = \"0.0.0.0\""),
            PushMode::File => HAND_WRITTEN.replace("keep this comment", "edited by hand"),
        };
        std::fs::write(&lab.files[2], &edited)?;
        let before = lab.bytes()?;
        let outcome = rt.block_on(apply_fleet(&plan, &layouts, true, 4, None, &|_| {}));
        assert_eq!(
            outcome.status,
            FleetStatus::Refused,
            "{mode:?}: {}",
            outcome.headline
        );
        assert!(outcome.headline.contains("staging"), "{}", outcome.headline);
        assert!(
            outcome
                .targets
                .iter()
                .all(|t| matches!(t.push, TargetPush::NotWritten { .. }))
        );
        assert_eq!(lab.bytes()?, before, "{mode:?}");
        assert!(lab.proxies.iter().all(|p| p.puts() == 0));
        std::fs::write(&lab.files[2], HAND_WRITTEN)?;
    }
    Ok(())
}

/// One exit rule for drift (GUIDE.md, "Exit codes"): a `diff` against one
/// proxy and against the fleet both exit 1 when a proxy differs from the
/// draft, 0 when it matches.
#[test]
fn a_single_diff_and_the_fleet_drift_exit_alike() -> TestResult {
    let lab = Lab::start(Some(HAND_WRITTEN))?;
    let draft = lab.draft(HAND_WRITTEN)?;
    std::fs::write(
        &lab.files[1],
        HAND_WRITTEN.replace("port = 8100", "port = 9100"),
    )?;
    let single = |i: usize| {
        let mut args = Lab::plan_args(&draft, CliPushMode::Api);
        args.fleet = None;
        args.proxy = vec![lab.proxies[i].url()];
        ProxyCommand::Diff(DiffArgs { target: args })
    };
    let fleet = ProxyCommand::Diff(DiffArgs {
        target: Lab::plan_args(&draft, CliPushMode::Api),
    });
    for format in [OutputFormat::Human, OutputFormat::Json] {
        let (code, out, err) = lab.run(fleet.clone(), format);
        assert_eq!(code, 1, "fleet drift: {out}{err}");
        let (code, out, err) = lab.run(single(1), format);
        assert_eq!(code, 1, "the proxy that differs alone: {out}{err}");
        let (code, out, err) = lab.run(single(0), format);
        assert_eq!(code, 0, "a proxy that matches alone: {out}{err}");
    }
    Ok(())
}

#[test]
fn drift_after_a_hand_edit_names_the_proxy_and_the_key() -> TestResult {
    let mut lab = Lab::start(Some(HAND_WRITTEN))?;
    let draft = lab.draft(HAND_WRITTEN)?;
    let args = Lab::plan_args(&draft, CliPushMode::Api);
    let diff = || {
        ProxyCommand::Diff(DiffArgs {
            target: args.clone(),
        })
    };
    let (code, out, err) = lab.run(diff(), OutputFormat::Json);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(
        &lab.files[1],
        HAND_WRITTEN.replace("port = 8100", "port = 9100"),
    )?;
    let (code, out, err) = lab.run(diff(), OutputFormat::Json);
    assert_eq!(code, 1, "{out}{err}");
    let body: Value = serde_json::from_str(&out)?;
    let proxies = body["proxies"].as_array().ok_or("no proxies")?;
    assert_eq!(proxies.len(), 3);
    for p in proxies {
        let keys: Vec<&String> = p.as_object().ok_or("object")?.keys().collect();
        for k in ["url", "name", "reachable", "drift"] {
            assert!(keys.iter().any(|x| *x == k), "{k} in {p}");
        }
    }
    assert_eq!(proxies[1]["name"], "laptop");
    assert_eq!(proxies[1]["url"], lab.proxies[1].url());
    assert_eq!(proxies[1]["drift"], serde_json::json!(["server.port"]));
    assert_eq!(proxies[0]["drift"], serde_json::json!([]));
    let (_, human, _) = lab.run(diff(), OutputFormat::Human);
    assert!(
        human.contains("laptop") && human.contains("server.port"),
        "{human}"
    );
    // A proxy that is gone: exit 2, and it is named as unreachable.
    drop(lab.proxies.remove(2));
    let (code, out, _) = lab.run(diff(), OutputFormat::Json);
    assert_eq!(code, 2, "{out}");
    let body: Value = serde_json::from_str(&out)?;
    assert_eq!(body["proxies"][2]["reachable"], false);
    assert_eq!(body["proxies"][2]["name"], "staging");
    Ok(())
}

#[test]
fn reverting_a_fleet_push_restores_all_three() -> TestResult {
    let lab = Lab::start(None)?;
    let before = lab.bytes()?;
    let history = lab.dir.path().join("history");
    let draft = lab.draft(DRAFT)?;
    let (code, out, err) = lab.run(
        ProxyCommand::Push(Lab::push(&draft, Some(&history))),
        OutputFormat::Json,
    );
    assert_eq!(code, 0, "{out}{err}");
    let (_, listed, _) = lab.run(
        ProxyCommand::History(HistoryArgs {
            history_dir: history.clone(),
            action: None,
        }),
        OutputFormat::Human,
    );
    assert!(
        listed.contains("fleet lab") && listed.contains("laptop"),
        "{listed}"
    );
    let revert = |dry_run| {
        ProxyCommand::History(HistoryArgs {
            history_dir: history.clone(),
            action: Some(HistoryAction::Revert(RevertArgs {
                entry: 0,
                connect: connect(),
                paths: PathOpts::default(),
                yes: true,
                dry_run,
                restore_file: false,
                parallel: Some(2),
            })),
        })
    };
    let (code, out, err) = lab.run(revert(true), OutputFormat::Json);
    assert_eq!(code, 0, "{out}{err}");
    let plan: Value = serde_json::from_str(&out)?;
    for t in plan["targets"].as_array().ok_or("targets")? {
        let changes = t["plan"]["changes"].as_array().ok_or("changes")?;
        assert_eq!(changes.len(), 1, "only the port: {t}");
        assert_eq!(changes[0]["after"], 8100);
    }
    assert!(lab.files.iter().all(|f| port_in(f).ok() == Some(8123)));
    let (code, out, err) = lab.run(revert(false), OutputFormat::Json);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(lab.bytes()?, before, "all three as before the push");
    // The revert is recorded as one fleet entry of its own.
    let listed = iw_studio::core::proxy::history::list(&history)?;
    assert_eq!(listed.entries.len(), 2);
    assert_eq!(listed.entries[1].targets.len(), 3);
    Ok(())
}

#[test]
fn profiles_path_and_bad_fleets_are_reported() -> TestResult {
    let lab = Lab::start(None)?;
    let draft = lab.draft(DRAFT)?;
    let mut args = Lab::plan_args(&draft, CliPushMode::Api);
    args.fleet = Some("labs".to_owned());
    let (code, _, err) = lab.run(
        ProxyCommand::Diff(DiffArgs { target: args }),
        OutputFormat::Human,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no fleet named “labs”") && err.contains("lab"),
        "{err}"
    );
    std::fs::write(&lab.profiles, "[fleets]\nlab = [\"gpu\"]\n")?;
    let (code, _, err) = lab.run(
        ProxyCommand::Diff(DiffArgs {
            target: Lab::plan_args(&draft, CliPushMode::Api),
        }),
        OutputFormat::Human,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("profiles.toml:2:8:") && err.contains("gpu"),
        "{err}"
    );
    Ok(())
}
