//! A snapshot image of every page (egui_kittest + wgpu; lavapipe in CI).
//! Update with `UPDATE_SNAPSHOTS=1 cargo test --test snapshots`.

use crate::support::app as common;

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
    let layouts = iw_studio::core::layout::LayoutSet::builtin().unwrap();
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
fn discovery_page() {
    shoot(
        open("full_example.toml"),
        PageId::Discovery,
        "page_discovery",
    );
}

#[test]
fn diff_page() {
    let mut app = open("chat_proxy.toml");
    let ctx = egui::Context::default();
    for (path, value) in [
        ("server.port", "9001"),
        ("limits.max_image_bytes", "12000000"),
    ] {
        let path = DocPath::parse(path).unwrap();
        let value = value.parse().unwrap();
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

/// Hide text that holds the wall-clock time of the last refresh.
fn mask_clock(h: &mut egui_kittest::Harness<'_, iw_studio::ui::StudioApp>) {
    use egui_kittest::kittest::Queryable;
    let rects: Vec<egui::Rect> = h
        .query_all_by(|n| n.value().is_some_and(|v| v.contains("refreshed")))
        .map(|n| n.rect())
        .collect();
    for r in rects {
        h.mask(r);
    }
}

#[test]
fn preview_page_offline_and_connected_and_push_dialog() {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    // A relative path (never written here) keeps the images independent of temp names.
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new("sample_configs/full_example.toml");
    let (mut app, _fake) =
        common::app_with_fake_proxy(path, &[("CHAT_PROXY_PORT", "18100")], &dir.path().join("h"));
    app.handle(&egui::Context::default(), Action::Navigate(PageId::Preview));
    let mut h = snapshot_harness(app);
    h.run();
    h.snapshot("page_preview_offline");
    h.get_by_role_and_label(Role::Button, "⟲ Refresh").click();
    common::run_until(&mut h, |app| {
        app.live().config().value().is_some() && app.live().models().value().is_some()
    });
    mask_clock(&mut h);
    h.snapshot("page_preview_connected");
    h.get_by_role_and_label(Role::Button, "⬆ Push via API…")
        .click();
    h.run();
    mask_clock(&mut h);
    h.snapshot("push_dialog");
}

/// Every page of the navigation in the light theme (the dark ones are above).
#[test]
fn every_page_in_the_light_theme() {
    use iw_studio::ui::theme::ThemeChoice;
    let layouts = iw_studio::core::layout::LayoutSet::builtin().unwrap();
    let mut app = open("full_example.toml");
    app.handle(
        &egui::Context::default(),
        Action::SetTheme(ThemeChoice::Light),
    );
    let mut h = snapshot_harness(app);
    h.run();
    for page in iw_studio::ui::nav::page_order(&layouts) {
        let name = match &page {
            PageId::Layout(id) => id.clone(),
            PageId::RawToml => "raw_toml".into(),
            PageId::Diff => "diff".into(),
            PageId::Preview => "preview_offline".into(),
            PageId::Registry => "registry".into(),
            PageId::Discovery => "discovery".into(),
        };
        h.state_mut()
            .handle(&egui::Context::default(), Action::Navigate(page));
        h.run();
        h.snapshot(format!("light_page_{name}"));
    }
}

/// The command palette, the shortcut sheet and About over a page.
#[test]
fn palette_shortcut_sheet_and_about() {
    use iw_studio::ui::actions::Overlay;
    let mut h = snapshot_harness(open("chat_proxy.toml"));
    h.run();
    let ctx = h.ctx.clone();
    h.state_mut().handle(&ctx, Action::Show(Overlay::Palette));
    h.run();
    h.run();
    h.snapshot("command_palette");
    h.key_press(egui::Key::Escape);
    h.run();
    for (overlay, name) in [
        (Overlay::Shortcuts, "shortcut_sheet"),
        (Overlay::About, "about"),
    ] {
        h.state_mut().handle(&ctx, Action::Show(overlay));
        h.run();
        h.run();
        // The log folder and profiles file depend on the machine's home.
        let paths: Vec<egui::Rect> = {
            use egui_kittest::kittest::Queryable;
            h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with('/')))
                .map(|n| n.rect())
                .collect()
        };
        for rect in paths {
            h.mask(rect);
        }
        h.snapshot(name);
        h.state_mut().handle(&ctx, Action::Show(Overlay::None));
        h.run();
    }
}
