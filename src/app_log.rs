//! The activity log: what was saved, pushed or refused, and every error shown
//! to the user, written through `tracing` to a daily-rotated file in the
//! app's data folder (the last `KEEP_FILES` days are kept). People read it
//! when a push or a save went wrong, so each line names the file or proxy.
//!
//! Activity lines use the target `activity`; they go to the file only, so a
//! CLI's stderr carries its own messages (and JSON errors) alone. Other
//! messages at `warn` and above also go to stderr (`RUST_LOG` overrides).

use std::path::PathBuf;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// The app's name for its data folder (shared with eframe's persistence).
pub const APP_NAME: &str = "ImageWorks Config Studio";
/// Overrides the log folder (tests, portable installs).
pub const LOG_DIR_ENV: &str = "IW_STUDIO_LOG_DIR";
const KEEP_FILES: usize = 14;
const FILE_PREFIX: &str = "iw-studio";

/// Where the log files are: `$IW_STUDIO_LOG_DIR`, else `<data folder>/logs`.
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(LOG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    eframe::storage_dir(APP_NAME).map(|d| d.join("logs"))
}

/// Set up logging for the process. A log folder that cannot be made is not
/// fatal: the tool still works, and says once on stderr why nothing is logged.
pub fn init() {
    let colour = crate::core::terminal_text::colour_allowed(
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let stderr = fmt::layer()
        .with_ansi(colour)
        .with_writer(Masked(std::io::stderr))
        .with_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("warn,activity=off")),
        );
    let (file, problem) = match log_dir().map(|dir| file_appender(&dir)) {
        Some(Ok(appender)) => {
            let layer = fmt::layer()
                .with_ansi(false)
                .with_writer(Masked(appender))
                .with_filter(
                    Targets::new()
                        .with_target("activity", LevelFilter::INFO)
                        .with_target("iw_studio", LevelFilter::INFO),
                );
            (Some(layer), None)
        }
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    if let Some(problem) = problem {
        tracing::warn!("no activity log: {problem}");
    }
}

/// Every log line through the one masking rule (`core::redact`): a URL
/// with a password or a token in a message is logged masked. Each event is
/// one write of its whole line.
struct Masked<M>(M);

struct MaskedWriter<W: std::io::Write>(W);

impl<W: std::io::Write> std::io::Write for MaskedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let masked = crate::core::redact::mask_text(&text);
        self.0.write_all(masked.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<'a, M: fmt::MakeWriter<'a>> fmt::MakeWriter<'a> for Masked<M> {
    type Writer = MaskedWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedWriter(self.0.make_writer())
    }
}

fn file_appender(dir: &std::path::Path) -> Result<RollingFileAppender, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| format!("cannot write logs in {}: {e}", dir.display()))
}

/// The profiles file (connection profiles and fleets) both fronts read:
/// `<data folder>/profiles.toml`, the folder of the app's other data.
pub fn profiles_path() -> Option<PathBuf> {
    eframe::storage_dir(APP_NAME).map(|d| d.join(crate::core::proxy::profiles_file::PROFILES_FILE))
}
