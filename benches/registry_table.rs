//! The Registry table drawn headless over the generated 10,000-entry
//! registry while scrolling: CPU time per frame (mean, p99) over 1,000
//! frames, re-filtering on a keystroke, and resident memory after loading.
//!
//! `cargo bench --bench registry_table`

use std::time::{Duration, Instant};

use iw_studio::core::registry::{RegistryStore, merge_layers};
use iw_studio::ui::actions::Action;
use iw_studio::ui::pages::registry::{RegistryState, table};

mod support;
use support::{ENTRIES, write_large_registry};

// The allocator the app uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FRAMES: usize = 1_000;
const WARM_UP: usize = 50;
const GENERATE_ENV: &str = "IW_BENCH_GENERATE_REGISTRY";

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// User + system CPU time of this process so far (all threads).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) end with ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of /proc/pid/stat (1-based), in 1/100 s.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Wall and CPU time of `run`, `n` times: minimum and median wall, mean CPU.
fn timed<T>(label: &str, n: usize, mut run: impl FnMut() -> T) {
    let mut walls = Vec::with_capacity(n);
    let mut cpu = Duration::ZERO;
    for _ in 0..n {
        let (wall0, cpu0) = (Instant::now(), cpu_time());
        let out = run();
        walls.push(wall0.elapsed());
        cpu += cpu_time() - cpu0;
        // Dropping a loaded registry is not part of loading it.
        drop(out);
    }
    walls.sort_unstable();
    println!(
        "{label}: wall min {:.0} ms, median {:.0} ms; CPU {:.0} ms per run ({n} runs)",
        walls[0].as_secs_f64() * 1e3,
        walls[n / 2].as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3 / n as f64,
    );
}

fn stats(label: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    let max = times[times.len() - 1];
    println!(
        "{label}: mean {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} samples)",
        mean.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that excludes us ends the run.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && !"registry_table".contains(&a))
    {
        return;
    }
    // Generate the registry in a child process, so the memory the
    // generator used is not counted as the app's.
    if let Some(dir) = std::env::var_os(GENERATE_ENV) {
        write_large_registry(std::path::Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("bench executable");
    let generated = std::process::Command::new(exe)
        .env(GENERATE_ENV, dir.path())
        .status()
        .expect("run the generator");
    assert!(generated.success(), "generator failed");
    if std::env::args().any(|a| a == "--load-only") {
        timed("RegistryStore::load (read + parse + merge)", 7, || {
            RegistryStore::load(dir.path()).expect("load")
        });
        let store = RegistryStore::load(dir.path()).expect("load");
        timed("merge_layers", 7, || {
            merge_layers(store.curated(), store.discovered(), store.snapshot_only())
        });
        return;
    }
    let rss_before = rss_mb();
    let mut state = RegistryState::new();
    let started = Instant::now();
    let count = state.load(dir.path()).expect("load");
    let load = started.elapsed();
    assert_eq!(count, ENTRIES);
    println!(
        "load + merge + validate (RegistryState::load): {:.0} ms",
        load.as_secs_f64() * 1e3
    );
    println!(
        "resident memory: {:.0} MB before loading, {:.0} MB with the registry loaded",
        rss_before,
        rss_mb()
    );

    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 860.0),
        )),
        ..Default::default()
    };
    let mut actions: Vec<Action> = Vec::new();
    let mut ui_times = Vec::with_capacity(FRAMES);
    let mut full_times = Vec::with_capacity(FRAMES);
    let total_height = ENTRIES as f32 * table::ROW_HEIGHT;
    for frame in 0..WARM_UP + FRAMES {
        // Three rows per frame, like a fast wheel scroll, wrapping at the end.
        state.scroll_table_to((frame as f32 * 3.0 * table::ROW_HEIGHT) % total_height);
        let started = Instant::now();
        let output = ctx.run_ui(input(), |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                table::show(ui, &mut state, false, &mut actions);
            });
        });
        let ui_done = started.elapsed();
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        let full = started.elapsed();
        std::hint::black_box(primitives);
        if frame >= WARM_UP {
            ui_times.push(ui_done);
            full_times.push(full);
        }
        actions.clear();
    }
    stats("table frame while scrolling (ui pass)", ui_times);
    stats(
        "table frame while scrolling (ui pass + tessellation)",
        full_times,
    );

    // A keystroke in the filter: filter + sort of the rows the table shows.
    let mut times = Vec::new();
    for query in [
        "q",
        "qw",
        "qwe",
        "qwen",
        "qwen3",
        "qwen3 ",
        "qwen3 f",
        "qwen3 fp",
        "qwen3 fp8",
    ]
    .iter()
    .cycle()
    .take(90)
    {
        let started = Instant::now();
        state.set_filter_text(query);
        std::hint::black_box(state.rows().len());
        times.push(started.elapsed());
    }
    stats("re-filter + sort on a keystroke", times);
}
