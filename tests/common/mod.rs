//! Shared helpers for the GUI tests: one harness size and one way to open files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui_kittest::Harness;
use iw_studio::core::layout::LayoutSet;
use iw_studio::ui::StudioApp;
use iw_studio::ui::app::AppSettings;

pub const SIZE: [f32; 2] = [1280.0, 860.0];

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_configs")
        .join(name)
}

/// A copy of a sample in a temp folder (tests write to it).
pub fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("chat_proxy.toml");
    std::fs::copy(sample(name), &path).unwrap_or_else(|e| panic!("copy {name}: {e}"));
    (dir, path)
}

pub fn app_with(path: Option<&Path>) -> StudioApp {
    let layouts = Arc::new(LayoutSet::builtin().unwrap_or_else(|e| panic!("{e}")));
    let mut app = StudioApp::new(layouts, AppSettings::default());
    if let Some(path) = path {
        app.open(&egui::Context::default(), path);
        assert!(app.session().is_some(), "{:?}", app.status());
    }
    app
}

pub fn harness(app: StudioApp) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut StudioApp| app.frame(ui), app)
}

pub fn snapshot_harness(app: StudioApp) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(SIZE)
        .wgpu()
        .build_ui_state(|ui, app: &mut StudioApp| app.frame(ui), app)
}

/// Lines that differ between two texts of equal line count.
pub fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(
        before.lines().count(),
        after.lines().count(),
        "line count changed:\n{after}"
    );
    before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}
