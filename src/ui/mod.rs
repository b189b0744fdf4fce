//! The eframe desktop app. Thin: every rule lives in `crate::core`.
pub fn run_gui(_file: Option<std::path::PathBuf>, _layouts: Option<std::path::PathBuf>) -> u8 {
    0
}
