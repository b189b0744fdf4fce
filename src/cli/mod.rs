//! The headless front end: clap commands over `crate::core`.

pub mod proxy;

/// `--format` on every command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Human,
    Json,
}

/// Exit codes shared by every command.
pub mod exit {
    /// Everything fine.
    pub const OK: u8 = 0;
    /// Findings with an error, a refused write, a value that is not set.
    pub const FINDINGS: u8 = 1;
    /// Unreadable file, not TOML/JSON, bad usage.
    pub const UNREADABLE: u8 = 2;
}
