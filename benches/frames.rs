//! Headless frame benchmark: every page drawn 1,000 times on the largest
//! sample config, CPU time per frame (mean and p99), no rendering. Also the
//! resident memory after opening the config.
//!
//!     cargo bench --bench frames

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use iw_studio::core::layout::LayoutSet;
use iw_studio::ui::StudioApp;
use iw_studio::ui::actions::Action;
use iw_studio::ui::app::AppSettings;
use iw_studio::ui::nav::PageId;

const FRAMES: usize = 1_000;

fn raw_input(frame: usize) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 860.0),
        )),
        time: Some(frame as f64 / 60.0),
        ..Default::default()
    }
}

fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_configs/full_example.toml");
    let layouts = match LayoutSet::builtin() {
        Ok(l) => Arc::new(l),
        Err(e) => return eprintln!("layouts: {e}"),
    };
    let ctx = egui::Context::default();
    let mut app = StudioApp::new(Arc::clone(&layouts), AppSettings::default());
    app.open(&ctx, &sample);
    // One frame lays out fonts and caches; then measure memory as a user would see it.
    let _ = ctx.run_ui(raw_input(0), |ui| app.step(ui));
    println!(
        "resident memory after opening {}: {:.1} MB (headless, no GPU context)",
        sample.display(),
        resident_mb().unwrap_or(f64::NAN)
    );
    let mut pages: Vec<PageId> = layouts
        .pages
        .iter()
        .map(|p| PageId::Layout(p.id.clone()))
        .collect();
    pages.extend([PageId::RawToml, PageId::Diff]);
    println!("{:<22} {:>10} {:>10} {:>10}", "page", "mean", "p99", "max");
    let mut worst_p99 = Duration::ZERO;
    for page in pages {
        app.handle(&ctx, Action::Navigate(page.clone()));
        for warm in 0..20 {
            let _ = ctx.run_ui(raw_input(warm), |ui| app.step(ui));
        }
        let mut times = Vec::with_capacity(FRAMES);
        for frame in 0..FRAMES {
            let started = Instant::now();
            let _ = std::hint::black_box(ctx.run_ui(raw_input(frame), |ui| app.step(ui)));
            times.push(started.elapsed());
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / FRAMES as u32;
        let p99 = percentile(&times, 0.99);
        worst_p99 = worst_p99.max(p99);
        let name = match &page {
            PageId::Layout(id) => id.clone(),
            other => format!("{other:?}"),
        };
        println!(
            "{name:<22} {:>8.3}ms {:>8.3}ms {:>8.3}ms",
            ms(mean),
            ms(p99),
            ms(times[FRAMES - 1])
        );
    }
    println!(
        "worst p99 over all pages: {:.3} ms (target <= 2 ms)",
        ms(worst_p99)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
