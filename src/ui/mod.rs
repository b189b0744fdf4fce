//! The eframe desktop app. Thin: every rule lives in `crate::core`.

pub mod actions;
pub mod app;
pub mod commands;
mod file_dialog;
mod file_watch;
pub mod live;
pub mod nav;
pub mod page_ctx;
pub mod pages;
pub mod panels;
pub mod theme;
mod undo_order;
pub mod widgets;

use std::path::PathBuf;
use std::sync::Arc;

use crate::core::layout::{LayoutSet, Target};

pub use app::StudioApp;

/// The file `cargo run` opens: the repository's sample config.
fn cargo_run_sample() -> Option<PathBuf> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let path = PathBuf::from(dir).join("sample_configs/chat_proxy.toml");
    path.is_file().then_some(path)
}

/// Open the window; returns the process exit code.
pub fn run_gui(file: Option<PathBuf>, layouts_dir: Option<PathBuf>) -> u8 {
    let layouts = match layouts_dir {
        Some(dir) => LayoutSet::load_dir(&dir, Target::ChatProxy),
        None => LayoutSet::builtin(),
    };
    let layouts = match layouts {
        Ok(l) => Arc::new(l),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let file = file.or_else(cargo_run_sample);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 820.0])
            .with_min_inner_size([720.0, 480.0])
            .with_title("Config Studio"),
        ..Default::default()
    };
    let result = eframe::run_native(
        "ImageWorks Config Studio",
        options,
        Box::new(move |cc| {
            Ok(Box::new(StudioApp::from_creation_context(
                cc, layouts, file,
            )))
        }),
    );
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot open a window: {e}");
            2
        }
    }
}
