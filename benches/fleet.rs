//! Fleet figures: drift over N stand-in proxies and a fleet push to N, wall
//! time with the default flags, against N sequential single-proxy runs of
//! the same work, for N = 10 and 50. The stand-ins are `TestProxy` behind a
//! loopback front that holds every request 50 ms before passing it on (a
//! LAN round trip; `IW_FLEET_LATENCY_MS` changes it, 0 is plain loopback).
//! Prints a table (`cargo bench --bench fleet`); no assertions.
//! `IW_FLEET_N` measures one fleet size instead, `IW_FLEET_PARALLEL` sets
//! `--parallel` instead of its default.

// A bench uses part of the stand-in the tests share.
#[allow(dead_code)]
#[path = "../tests/suite/support/test_proxy.rs"]
mod test_proxy;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use iw_studio::core::document::ConfigDocument;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::client::http_clients_built;
use iw_studio::core::proxy::fleet::{
    FleetMember, FleetStatus, apply_fleet, default_parallel, drift, plan_fleet,
};
use iw_studio::core::proxy::{ConnectionProfile, PushMode};
use test_proxy::TestProxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Accept on `listener` and pass every connection on to `target`, each
/// chunk a client sends arriving `delay` after it was sent (chunks keep
/// their order and do not wait for each other: a one-way latency, not a
/// slow link). Answers come back at once.
async fn delayed_front(listener: TcpListener, target: SocketAddr, delay: Duration) {
    while let Ok((client, _)) = listener.accept().await {
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(target).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
            let read_up = async move {
                let mut buf = vec![0; 64 * 1024];
                while let Ok(n) = client_read.read(&mut buf).await {
                    if n == 0
                        || tx
                            .send((Instant::now() + delay, buf[..n].to_vec()))
                            .is_err()
                    {
                        break;
                    }
                }
            };
            let write_up = async move {
                while let Some((due, bytes)) = rx.recv().await {
                    tokio::time::sleep_until(due.into()).await;
                    if server_write.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                let _ = server_write.shutdown().await;
            };
            let down = tokio::io::copy(&mut server_read, &mut client_write);
            let _ = tokio::join!(read_up, write_up, down);
        });
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    _proxies: Vec<TestProxy>,
    members: Vec<FleetMember>,
}

/// `n` stand-ins, each behind a front with `delay`, on the `fronts` runtime.
fn rig(n: usize, delay: Duration, fronts: &tokio::runtime::Runtime) -> Res<Rig> {
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
        let url = if delay.is_zero() {
            proxy.url()
        } else {
            let target: SocketAddr = proxy
                .url()
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .parse()?;
            let listener = fronts.block_on(TcpListener::bind("127.0.0.1:0"))?;
            let front = listener.local_addr()?;
            fronts.spawn(delayed_front(listener, target, delay));
            format!("http://{front}")
        };
        members.push(FleetMember::http(ConnectionProfile::new(
            &format!("p{i}"),
            &url,
        ))?);
        proxies.push(proxy);
    }
    Ok(Rig {
        _dir: dir,
        _proxies: proxies,
        members,
    })
}

struct Figures {
    n: usize,
    parallel: usize,
    drift: (Duration, Duration),
    push: (Duration, Duration),
}

fn time(f: &mut dyn FnMut() -> Res<()>) -> Res<Duration> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed())
}

fn measure(n: usize, delay: Duration, fronts: &tokio::runtime::Runtime) -> Res<Figures> {
    let layouts = LayoutSet::builtin()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rig = rig(n, delay, fronts)?;
    let same = ConfigDocument::parse("[server]\nport = 8100\n")?;
    // The flag when given, else what the CLI and the app use for this fleet.
    let parallel_for = |members: usize| {
        env_usize("IW_FLEET_PARALLEL")
            .filter(|p| *p > 0)
            .unwrap_or_else(|| default_parallel(members))
    };
    let parallel = parallel_for(n);

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
            let report = rt.block_on(drift(&same, &layouts, std::slice::from_ref(m), 1));
            if report.iter().any(|p| !p.reachable) {
                return Err("a stand-in proxy did not answer".into());
            }
        }
        Ok(())
    })?;

    // Push: the fleet push (plan, preflight, write, read back) to all, then
    // the same to each proxy alone, one after another (each a fleet of one).
    let mut port = 8100;
    let mut push_all = |members: &[FleetMember]| -> Res<()> {
        port += 1;
        let parallel = parallel_for(members.len());
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
    let fleet_push = time(&mut || push_all(&rig.members))?;
    let seq_push = time(&mut || {
        for m in &rig.members {
            push_all(std::slice::from_ref(m))?;
        }
        Ok(())
    })?;
    Ok(Figures {
        n,
        parallel,
        drift: (fleet_drift, seq_drift),
        push: (fleet_push, seq_push),
    })
}

fn main() -> Res<()> {
    // `cargo test --benches` runs this too; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let delay = Duration::from_millis(
        env_usize("IW_FLEET_LATENCY_MS")
            .and_then(|ms| u64::try_from(ms).ok())
            .unwrap_or(50),
    );
    let sizes = match env_usize("IW_FLEET_N").filter(|n| *n > 0) {
        Some(n) => vec![n],
        None => vec![10, 50],
    };
    let fronts = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let figures = sizes
        .iter()
        .map(|&n| measure(n, delay, &fronts))
        .collect::<Res<Vec<_>>>()?;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "stand-in proxies behind a {} ms front on loopback, default flags unless IW_FLEET_PARALLEL",
        delay.as_millis()
    );
    println!(
        "| what | N | --parallel | fleet (ms) | N sequential single-proxy runs (ms) | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    for f in &figures {
        for (what, (fleet, seq)) in [("drift", f.drift), ("push (API, read back)", f.push)] {
            println!(
                "| {what} | {} | {} | {:.1} | {:.1} | {:.3} |",
                f.n,
                f.parallel,
                ms(fleet),
                ms(seq),
                ms(fleet) / ms(seq)
            );
        }
    }
    println!(
        "HTTP clients built for {} proxies: {}",
        sizes.iter().sum::<usize>(),
        http_clients_built()
    );
    Ok(())
}
