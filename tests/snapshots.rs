//! A snapshot image of every page (egui_kittest + wgpu; lavapipe in CI).
//! Update with `UPDATE_SNAPSHOTS=1 cargo test --test snapshots`.

mod common;

use std::path::Path;

use common::{app_with, snapshot_harness};
use iw_studio::core::document::DocPath;
use iw_studio::core::session::Command;
use iw_studio::ui::actions::Action;
use iw_studio::ui::nav::PageId;

/// Relative paths, so the images do not depend on where the repository is.
fn open(name: &str) -> iw_studio::ui::StudioApp {
    app_with(Some(&Path::new("sample_configs").join(name)))
}

fn shoot(mut app: iw_studio::ui::StudioApp, page: PageId, name: &str) {
    app.handle(&egui::Context::default(), Action::Navigate(page));
    let mut h = snapshot_harness(app);
    h.run();
    h.snapshot(name);
}

#[test]
fn every_layout_page() {
    let layouts = iw_studio::core::layout::LayoutSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    // One harness for all pages: its snapshot results are checked together.
    let mut h = snapshot_harness(open("full_example.toml"));
    for page in &layouts.pages {
        h.state_mut().handle(
            &egui::Context::default(),
            Action::Navigate(PageId::Layout(page.id.clone())),
        );
        h.run();
        h.snapshot(format!("page_{}", page.id));
    }
}

#[test]
fn raw_toml_page() {
    shoot(open("chat_proxy.toml"), PageId::RawToml, "page_raw_toml");
}

#[test]
fn raw_toml_page_with_syntax_error() {
    let mut app = open("chat_proxy.toml");
    let text = app
        .session()
        .map(|s| s.raw_text().replace("port = 8100", "port = = 8100"))
        .unwrap_or_default();
    app.handle(
        &egui::Context::default(),
        Action::Edit(Command::ReplaceText(text)),
    );
    shoot(app, PageId::RawToml, "page_raw_toml_error");
}

#[test]
fn diff_page() {
    let mut app = open("chat_proxy.toml");
    let ctx = egui::Context::default();
    for (path, value) in [
        ("server.port", "9001"),
        ("limits.max_image_bytes", "12000000"),
    ] {
        let path = DocPath::parse(path).unwrap_or_else(|e| panic!("{e}"));
        let value = value.parse().unwrap_or_else(|e| panic!("{e}"));
        app.handle(&ctx, Action::Edit(Command::SetValue { path, value }));
    }
    shoot(app, PageId::Diff, "page_diff");
}

#[test]
fn problems_panel_on_a_broken_file() {
    let mut app = open("broken/wrong_types.toml");
    app.handle(&egui::Context::default(), Action::ShowProblems);
    shoot(
        app,
        PageId::Layout("server".into()),
        "page_server_with_problems",
    );
}

#[test]
fn welcome_screen() {
    let mut h = snapshot_harness(app_with(None));
    h.run();
    h.snapshot("welcome");
}
