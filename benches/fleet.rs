//! Fleet figures: drift over 50 stand-in proxies on loopback and a fleet
//! push to 50, wall time, against 50 sequential single-proxy runs of the
//! same work. Prints a table (`cargo bench --bench fleet`); no assertions.
//! `IW_FLEET_N` changes the fleet size, `IW_FLEET_PARALLEL` the bound.

#[path = "../tests/support/test_proxy.rs"]
mod test_proxy;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use iw_studio::core::document::ConfigDocument;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::fleet::{
    DEFAULT_PARALLEL, FleetMember, FleetStatus, apply_fleet, drift, plan_fleet,
};
use iw_studio::core::proxy::{ConnectionProfile, PushMode};
use test_proxy::TestProxy;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

struct Rig {
    _dir: tempfile::TempDir,
    _proxies: Vec<TestProxy>,
    members: Vec<FleetMember>,
}

fn rig(n: usize) -> Res<Rig> {
    let dir = tempfile::tempdir()?;
    let mut proxies = Vec::new();
    let mut members = Vec::new();
    for i in 0..n {
        let file = dir.path().join(format!("p{i}")).join("chat_proxy.toml");
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, "[server]\nport = 8100\n")?;
        let proxy = TestProxy::start(&file, BTreeMap::new())?;
        members.push(FleetMember::http(ConnectionProfile::new(
            &format!("p{i}"),
            &proxy.url(),
        ))?);
        proxies.push(proxy);
    }
    Ok(Rig {
        _dir: dir,
        _proxies: proxies,
        members,
    })
}

fn main() -> Res<()> {
    // `cargo test --benches` runs this too; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let n = env_usize("IW_FLEET_N", 50);
    let parallel = env_usize("IW_FLEET_PARALLEL", DEFAULT_PARALLEL);
    let layouts = LayoutSet::builtin()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rig = rig(n)?;
    let same = ConfigDocument::parse("[server]\nport = 8100\n")?;

    let time = |f: &mut dyn FnMut() -> Res<()>| -> Res<Duration> {
        let start = Instant::now();
        f()?;
        Ok(start.elapsed())
    };

    // Drift: one fleet call against one call per proxy, one after another.
    let fleet_drift = time(&mut || {
        let report = rt.block_on(drift(&same, &layouts, &rig.members, parallel));
        if report.iter().any(|p| !p.reachable) {
            return Err("a stand-in proxy did not answer".into());
        }
        Ok(())
    })?;
    let seq_drift = time(&mut || {
        for m in &rig.members {
            rt.block_on(drift(&same, &layouts, std::slice::from_ref(m), 1));
        }
        Ok(())
    })?;

    // Push: the fleet push (plan, preflight, write, read back) to all, then
    // the same to each proxy alone, one after another (each a fleet of one).
    let mut port = 8100;
    let mut push_all = |members: &[FleetMember], parallel: usize| -> Res<()> {
        port += 1;
        let draft = ConfigDocument::parse(&format!("[server]\nport = {port}\n"))?;
        let plan = rt.block_on(plan_fleet(
            &draft,
            &layouts,
            members,
            PushMode::Api,
            parallel,
        ))?;
        let outcome = rt.block_on(apply_fleet(&plan, &layouts, true, parallel, None, &|_| {}));
        if outcome.status != FleetStatus::Pushed {
            return Err(outcome.headline.into());
        }
        Ok(())
    };
    let fleet_push = time(&mut || push_all(&rig.members, parallel))?;
    let seq_push = time(&mut || {
        for m in &rig.members {
            push_all(std::slice::from_ref(m), 1)?;
        }
        Ok(())
    })?;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("fleet of {n} stand-in proxies on loopback, --parallel {parallel}");
    println!("| what | fleet (ms) | {n} sequential single-proxy runs (ms) | ratio |");
    println!("|---|---|---|---|");
    for (what, fleet, seq) in [
        ("drift", fleet_drift, seq_drift),
        ("push (API, read back)", fleet_push, seq_push),
    ] {
        println!(
            "| {what} | {:.1} | {:.1} | {:.2} |",
            ms(fleet),
            ms(seq),
            ms(fleet) / ms(seq)
        );
    }
    Ok(())
}
