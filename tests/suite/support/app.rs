//! Shared helpers for the GUI tests: one harness size and one way to open files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui_kittest::Harness;
use iw_studio::core::layout::LayoutSet;
use iw_studio::ui::StudioApp;
use iw_studio::ui::app::AppSettings;
use iw_studio::ui::live::LiveProxy;

pub const SIZE: [f32; 2] = [1280.0, 860.0];

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_configs")
        .join(name)
}

/// A copy of a sample in a temp folder (tests write to it).
pub fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chat_proxy.toml");
    std::fs::copy(sample(name), &path).expect("copy a sample config");
    (dir, path)
}

pub fn app_with(path: Option<&Path>) -> StudioApp {
    let layouts = Arc::new(LayoutSet::builtin().expect("the built-in layouts load"));
    // No history folder: tests never read or write the machine's app data.
    let live = LiveProxy::new(Default::default(), None);
    let mut app = StudioApp::with_live(layouts, AppSettings::default(), live);
    if let Some(path) = path {
        app.open(&egui::Context::default(), path);
        assert!(app.session().is_some(), "{:?}", app.status());
    }
    app
}

/// Frames run `logic` then `ui`, as under eframe (`StudioApp::step`).
pub fn harness(app: StudioApp) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut StudioApp| app.step(ui), app)
}

/// The app run through its `eframe::App` impl, window events included.
pub fn eframe_harness(app: StudioApp) -> Harness<'static, StudioApp> {
    Harness::builder().with_size(SIZE).build_eframe(|_cc| app)
}

pub fn snapshot_harness(app: StudioApp) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(SIZE)
        .wgpu()
        .build_ui_state(|ui, app: &mut StudioApp| app.step(ui), app)
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

/// The app on `name`, talking to an in-memory proxy whose file is the shipped
/// chat_proxy.toml and whose env sets `env`; pushes are recorded in `history`.
pub fn app_with_fake_proxy(
    path: &Path,
    env: &[(&str, &str)],
    history: &Path,
) -> (StudioApp, Arc<iw_studio::core::proxy::FakeProxy>) {
    let layouts = Arc::new(LayoutSet::builtin().expect("the built-in layouts load"));
    let shipped = std::fs::read_to_string(sample("chat_proxy.toml")).unwrap_or_default();
    let doc = iw_studio::core::document::ConfigDocument::parse(&shipped)
        .expect("the shipped file parses");
    let env = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let fake = Arc::new(iw_studio::core::proxy::FakeProxy::from_document(
        &doc,
        &layouts,
        env,
        "/srv/imageworks/configs/chat_proxy.toml",
    ));
    let live =
        LiveProxy::new(Default::default(), Some(history.to_path_buf())).with_api(fake.clone());
    let mut app = StudioApp::with_live(layouts, AppSettings::default(), live);
    app.open(&egui::Context::default(), path);
    (app, fake)
}

/// Draw frames until `done` holds (answers arrive from the worker thread).
pub fn run_until(h: &mut Harness<'_, StudioApp>, done: impl Fn(&StudioApp) -> bool) {
    for _ in 0..200 {
        // Spinners repaint on their own while a request runs: step, do not settle.
        h.run_steps(3);
        if done(h.state()) {
            let _ = h.try_run();
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!(
        "timed out waiting for the proxy; status: {:?}",
        h.state().status()
    );
}
