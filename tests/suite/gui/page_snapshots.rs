//! Every page of the navigation at the two window sizes issue 25 names
//! (1024×640 and 1280×800), dark and light: what a small window loses shows
//! in review. Update with `UPDATE_SNAPSHOTS=1 cargo test --test wfit_snapshots`.

use crate::support::app as common;

use std::path::Path;

use common::app_with;
use egui_kittest::Harness;
use iw_studio::core::layout::LayoutSet;
use iw_studio::ui::StudioApp;
use iw_studio::ui::actions::Action;
use iw_studio::ui::nav::{PageId, page_order};
use iw_studio::ui::pages::registry::RegistryAction;
use iw_studio::ui::theme::ThemeChoice;

/// The file name part of a page.
fn page_name(page: &PageId) -> String {
    match page {
        PageId::Layout(id) => id.clone(),
        PageId::RawToml => "raw_toml".into(),
        PageId::Diff => "diff".into(),
        PageId::Preview => "preview".into(),
        PageId::Registry => "registry".into(),
        PageId::Discovery => "discovery".into(),
    }
}

/// One harness per size and theme; every page shot in it, the results
/// checked together at the end (one failing page does not hide the others).
fn every_page(size: [f32; 2], theme: ThemeChoice) {
    let layouts = LayoutSet::builtin().expect("the built-in layouts load");
    // A relative path: the images do not depend on where the repository is.
    let mut app = app_with(Some(&Path::new("sample_configs").join("full_example.toml")));
    app.handle(&egui::Context::default(), Action::SetTheme(theme));
    let mut h = Harness::builder()
        .with_size(size)
        .wgpu()
        .build_ui_state(|ui, app: &mut StudioApp| app.step(ui), app);
    h.run();
    let tag = format!(
        "fit_{}x{}_{}",
        size[0],
        size[1],
        match theme {
            ThemeChoice::Light => "light",
            _ => "dark",
        }
    );
    for page in page_order(&layouts) {
        let name = format!("{tag}_{}", page_name(&page));
        let registry = page == PageId::Registry;
        h.state_mut()
            .handle(&egui::Context::default(), Action::Navigate(page));
        h.run_steps(2);
        if registry {
            // The sample registry, by a relative path (the folder is shown);
            // it opens on a worker thread.
            h.state_mut().handle(
                &egui::Context::default(),
                Action::Registry(RegistryAction::Load(
                    Path::new("sample_configs").join("registry"),
                )),
            );
            h.run_steps(2);
            common::run_until(&mut h, |app| {
                !app.registry().is_busy() && app.registry().store().is_some()
            });
        }
        h.run();
        h.snapshot(name);
    }
}

#[test]
fn every_page_at_1024x640_dark() {
    every_page([1024.0, 640.0], ThemeChoice::Dark);
}

#[test]
fn every_page_at_1024x640_light() {
    every_page([1024.0, 640.0], ThemeChoice::Light);
}

#[test]
fn every_page_at_1280x800_dark() {
    every_page([1280.0, 800.0], ThemeChoice::Dark);
}

#[test]
fn every_page_at_1280x800_light() {
    every_page([1280.0, 800.0], ThemeChoice::Light);
}
