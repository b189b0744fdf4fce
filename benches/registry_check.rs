//! `registry check` (and `registry list`, for reference) on the generated 10,000-entry registry
//! (`support::write_large_registry`): wall time and peak resident memory of
//! the whole command, each run in a fresh process, and ImageWorks' own
//! `load_registry` on the same folder when Python and the ImageWorks sources
//! are at hand. `cargo bench --bench registry_check`; no assertions.
//!
//! Each run is this bench binary started again as a child that parses
//! `iw-studio registry check DIR` with the CLI's own parser and runs it as
//! `src/main.rs` does (same allocator, same log setup), then reads its own
//! peak RSS (`VmHWM` in `/proc/self/status`) just before exiting: the
//! kernel's high-water mark of the whole process, not a sample.
//! `IW_CHECK_RUNS` sets the number of runs (5); `IW_IMAGEWORKS_REPO` the
//! ImageWorks git directory (default: the fetched mirror). `--write-registry
//! DIR` only writes the generated registry to DIR (to profile a release
//! `iw-studio registry check DIR` on it, e.g. under `perf record`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use iw_studio::cli::{self, Cli};

mod support;

// The allocator the app uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const CHILD: &str = "--registry-check-child";
const DEFAULT_REPO: &str = "/work/.mirror/mrpid12org+imageworks/repo";

/// In the child: `iw-studio registry SUBCOMMAND DIR`, then the peak RSS on stderr.
fn child(subcommand: &str, dir: &str) -> Res<()> {
    iw_studio::app_log::init();
    let cli = Cli::try_parse_from(["iw-studio", "registry", subcommand, dir])?;
    let Some(command) = &cli.command else {
        return Err("no command parsed".into());
    };
    let code = cli::run(&cli, command);
    let status = std::fs::read_to_string("/proc/self/status")?;
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    eprintln!("exit {code}; VmHWM: {}", hwm.trim());
    Ok(())
}

/// One child run of `registry SUBCOMMAND DIR`: wall time, exit code and peak RSS in kB.
fn run_child(subcommand: &str, dir: &Path, logs: &Path) -> Res<(Duration, u8, u64)> {
    let start = Instant::now();
    let out = Command::new(std::env::current_exe()?)
        .arg(CHILD)
        .arg(subcommand)
        .arg(dir)
        .env("IW_STUDIO_LOG_DIR", logs)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    let wall = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("VmHWM:"))
        .ok_or_else(|| format!("the child reported no peak: {err}"))?;
    let code = line
        .strip_prefix("exit ")
        .and_then(|r| r.split(';').next())
        .and_then(|c| c.parse().ok())
        .ok_or("no exit code")?;
    let kb = line
        .rsplit("VmHWM:")
        .next()
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmHWM figure")?;
    Ok((wall, code, kb))
}

/// ImageWorks' `load_registry(force=True)` on `dir`, timed inside Python
/// (interpreter start and imports left out); `None` with the reason when
/// Python or the sources are missing.
fn imageworks_load(dir: &Path, work: &Path) -> Result<Duration, String> {
    let repo = std::env::var("IW_IMAGEWORKS_REPO").unwrap_or_else(|_| DEFAULT_REPO.to_owned());
    if !Path::new(&repo).exists() {
        return Err(format!("no ImageWorks git directory at {repo}"));
    }
    let src = work.join("imageworks");
    std::fs::create_dir_all(&src).map_err(|e| e.to_string())?;
    // `git archive | tar -x`: the sources of the model loader at HEAD.
    let extracted = Command::new("sh")
        .arg("-c")
        .arg(
            "git -C \"$0\" archive HEAD src/imageworks/__init__.py src/imageworks/model_loader \
             | tar -x -C \"$1\"",
        )
        .arg(&repo)
        .arg(&src)
        .status()
        .map_err(|e| format!("git/tar: {e}"))?;
    if !extracted.success() {
        return Err(format!("git archive of {repo} failed"));
    }
    let script = "import sys, time\n\
                  from imageworks.model_loader.registry import load_registry\n\
                  t = time.perf_counter()\n\
                  entries = load_registry(force=True)\n\
                  print(time.perf_counter() - t, len(entries))\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .env("PYTHONPATH", src.join("src"))
        .env("IMAGEWORKS_REGISTRY_DIR", dir)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "load_registry failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let seconds: f64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no time printed")?;
    let entries: usize = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no count printed")?;
    if entries != support::ENTRIES {
        return Err(format!(
            "load_registry gave {entries} entries, not {}",
            support::ENTRIES
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD) {
        let (Some(subcommand), Some(dir)) = (args.get(i + 1), args.get(i + 2)) else {
            return Err("no subcommand or folder".into());
        };
        return child(subcommand, dir);
    }
    if let Some(i) = args.iter().position(|a| a == "--write-registry") {
        let dir = args.get(i + 1).ok_or("--write-registry needs a folder")?;
        std::fs::create_dir_all(dir)?;
        support::write_large_registry(Path::new(dir));
        println!("wrote {} entries to {dir}", support::ENTRIES);
        return Ok(());
    }
    // `cargo test --benches` runs this too; only measure under `cargo bench`.
    if !args.iter().any(|a| a == "--bench") {
        return Ok(());
    }
    let work = tempfile::tempdir()?;
    let dir: PathBuf = work.path().join("registry");
    std::fs::create_dir_all(&dir)?;
    support::write_large_registry(&dir);
    let logs = work.path().join("logs");
    let runs = std::env::var("IW_CHECK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(5);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mb = |kb: u64| kb as f64 * 1024.0 / 1e6;
    println!(
        "registry check and list on {} entries, {runs} runs each, each a fresh process",
        support::ENTRIES
    );
    let mut check_median = Duration::ZERO;
    // `list` is the reference for memory: the check should need about what it needs.
    for subcommand in ["check", "list"] {
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..runs {
            let (wall, code, kb) = run_child(subcommand, &dir, &logs)?;
            if code > 1 {
                return Err(format!("registry {subcommand} exited {code}").into());
            }
            walls.push(wall);
            peaks.push(kb);
        }
        walls.sort();
        peaks.sort_unstable();
        if subcommand == "check" {
            check_median = walls[walls.len() / 2];
        }
        println!(
            "registry {subcommand}: wall min {:.0} / median {:.0} / max {:.0} ms; \
             peak RSS (VmHWM) min {:.0} / median {:.0} / max {:.0} MB",
            ms(walls[0]),
            ms(walls[walls.len() / 2]),
            ms(walls[walls.len() - 1]),
            mb(peaks[0]),
            mb(peaks[peaks.len() / 2]),
            mb(peaks[peaks.len() - 1])
        );
    }
    match imageworks_load(&dir, work.path()) {
        Ok(python) => println!(
            "ImageWorks load_registry (Python, in-process time): {:.0} ms, {:.1}x the median check",
            ms(python),
            ms(python) / ms(check_median)
        ),
        Err(why) => println!("ImageWorks load_registry not timed: {why}"),
    }
    Ok(())
}
