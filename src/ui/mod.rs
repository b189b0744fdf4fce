//! The eframe desktop app. Thin: every rule lives in `crate::core`.

pub mod actions;
pub mod app;
pub mod commands;
mod file_dialog;
mod file_watch;
pub mod focus_regions;
pub mod live;
pub mod nav;
pub mod page_ctx;
pub mod pages;
pub mod panels;
pub mod registry_action;
pub mod status;
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

/// The window icon: `assets/iw-studio.png`, the image the `.desktop` file names.
fn app_icon() -> Arc<egui::IconData> {
    const PNG: &[u8] = include_bytes!("../../assets/iw-studio.png");
    // The PNG is built in and decoded by a test (`the_app_icon_decodes`),
    // so a failure here is a broken build, not a user's input.
    Arc::new(eframe::icon_data::from_png_bytes(PNG).unwrap_or_default())
}

/// Open the window; returns the process exit code. `profiles` is the
/// `--profiles FILE` both fronts take (else the app's own profiles file).
pub fn run_gui(
    file: Option<PathBuf>,
    layouts_dir: Option<PathBuf>,
    profiles: Option<PathBuf>,
) -> u8 {
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
            .with_title("Config Studio")
            // The `.desktop` file's StartupWMClass, so the desktop groups the window under it.
            .with_app_id("iw-studio")
            .with_icon(app_icon()),
        ..Default::default()
    };
    let result = eframe::run_native(
        "ImageWorks Config Studio",
        options,
        Box::new(move |cc| {
            Ok(Box::new(StudioApp::from_creation_context(
                cc, layouts, file, profiles,
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_app_icon_decodes() {
        let icon = super::app_icon();
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }
}
