//! The headless front end: clap commands over `crate::core`.

pub mod args;
mod config;
pub mod discovery;
pub mod endpoints;
mod fix;
pub mod fleet;
mod install;
mod live_state;
pub mod output;
pub mod proxy;
mod push_common;
pub mod registry;
pub mod rescue;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use std::io::IsTerminal;

use crate::core::terminal_text::EscapingWriter;

pub use output::{CliError, Out, OutputFormat};

/// Exit codes shared by every command.
pub mod exit {
    /// Everything fine.
    pub const OK: u8 = 0;
    /// Findings with an error, a refused write, a value that is not set.
    pub const FINDINGS: u8 = 1;
    /// Unreadable file, not TOML/JSON, bad usage, an unreachable proxy.
    pub const UNREADABLE: u8 = 2;
    /// A push whose write may or may not have happened (see its re-read).
    pub const UNKNOWN: u8 = 3;
}

/// ImageWorks Config Studio: edit chat_proxy.toml and the model registry
/// losslessly, preview what the proxy will run with, push safely.
#[derive(Debug, Parser)]
#[command(name = "iw-studio", version)]
pub struct Cli {
    /// Open this chat_proxy.toml in the GUI (default: the last file, or the sample).
    pub file: Option<PathBuf>,
    /// Read layouts from this folder instead of the built-in ui_layouts/.
    #[arg(long, global = true, value_name = "DIR")]
    pub layouts: Option<PathBuf>,
    /// The profiles file (connection profiles and fleets); default: `iw-studio profiles path`.
    #[arg(long, global = true, value_name = "FILE")]
    pub profiles: Option<PathBuf>,
    /// Output format of every command.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a chat_proxy.toml (exit 1 on an error, 0 with only warnings).
    Check { file: PathBuf },
    /// Print the value a file sets, as a TOML literal (exit 1 when it is not set).
    Get { file: PathBuf, path: String },
    /// Set a value (read as TOML; a bare word counts as a string for string fields).
    Set {
        file: PathBuf,
        path: String,
        value: String,
        /// Save even when the result has validation errors.
        #[arg(long)]
        force: bool,
    },
    /// Apply every quick fix as a one-line edit: a string that is exactly the
    /// number or boolean its field expects (`port = "8100"`), a BOM. Saved
    /// like `set` (errors the fixes would add refuse it, unless --force;
    /// errors no fix repairs are named and do not block); exit 0 when no
    /// error remains, 1 when one does.
    Fix {
        file: PathBuf,
        /// Print the diff of the fixes and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Save the fixes even when other errors remain.
        #[arg(long)]
        force: bool,
    },
    /// Remove a key so the proxy uses its default.
    Unset {
        file: PathBuf,
        path: String,
        #[arg(long)]
        force: bool,
    },
    /// Print a JSON Schema (draft 2020-12) of chat_proxy.toml for Taplo / VS Code.
    Schema {
        /// Save it as DIR/chat_proxy.schema.json instead (the file a `#:schema` line names).
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
    },
    /// Print a complete chat_proxy.toml with every setting at its default.
    Defaults,
    /// What the ImageWorks app will offer under a draft: pages, modules, storage, endpoints, models, features.
    Discovery(discovery::DiscoveryArgs),
    /// Ask each [[endpoints]] entry what it serves; warn for default models it does not serve.
    Endpoints(endpoints::EndpointsArgs),
    /// The layered model registry (curated / discovered / merged JSON).
    #[command(subcommand)]
    Registry(registry::RegistryCmd),
    /// The profiles file: where it is, what it holds.
    #[command(subcommand)]
    Profiles(fleet::ProfilesCmd),
    /// Print a shell completion script (bash: `source <(iw-studio completions bash)`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, iw-studio(1), in roff (`iw-studio manpage | man -l -`).
    Manpage,
    /// Bring back a proxy that cannot start or answer: say why (tomllib's
    /// line:column, an env value it cannot encode), mend the file (repairs,
    /// quick fixes, or the last version it could read), show the diff, save,
    /// restart with --restart-command and verify. Exit 0 only when the
    /// proxy answers healthy with the rescued values.
    Rescue(rescue::RescueArgs),
    /// Talk to a running chat proxy: status, preview, diff, push, history.
    #[command(flatten)]
    Proxy(proxy::ProxyCommand),
}

/// Run a headless command; returns the process exit code.
pub fn run(cli: &Cli, command: &Command) -> u8 {
    // Every byte printed passes the one escaping rule: text from a file or
    // a proxy cannot reach the terminal as control characters.
    let json = cli.format == OutputFormat::Json;
    let mut stdout = EscapingWriter::new(std::io::stdout().lock(), json);
    let mut stderr = EscapingWriter::new(std::io::stderr().lock(), json);
    let mut o = Out {
        out: &mut stdout,
        err: &mut stderr,
        format: cli.format,
    };
    run_with(cli, command, &mut o)
}

/// `run` writing to `o` (tests and embedding).
pub fn run_with(cli: &Cli, command: &Command, o: &mut Out<'_>) -> u8 {
    let layouts = match output::load_layouts(cli.layouts.as_deref()) {
        Ok(l) => std::sync::Arc::new(l),
        Err(e) => return o.fail(CliError::unreadable(e)),
    };
    match command {
        Command::Check { file } => config::check(&layouts, file, o),
        Command::Get { file, path } => config::get(&layouts, file, path, o),
        Command::Set {
            file,
            path,
            value,
            force,
        } => config::set(&layouts, file, path, Some(value), *force, o),
        Command::Fix {
            file,
            dry_run,
            force,
        } => {
            let opts = fix::FixOptions {
                dry_run: *dry_run,
                force: *force,
            };
            fix::fix(&layouts, file, opts, o)
        }
        Command::Unset { file, path, force } => config::set(&layouts, file, path, None, *force, o),
        Command::Schema { write: None } => config::schema(&layouts, o),
        Command::Schema { write: Some(dir) } => install::write_schema(&layouts, dir, o),
        Command::Completions { shell } => install::completions(*shell, o),
        Command::Manpage => install::manpage(o),
        Command::Defaults => config::defaults(&layouts, o),
        Command::Discovery(args) => discovery::run_with(&layouts, args, o),
        Command::Endpoints(args) => endpoints::run_with(&layouts, args, o),
        Command::Rescue(args) => rescue::run_with(&layouts, args, o),
        Command::Registry(cmd) => registry::run_with(cmd, o),
        Command::Profiles(cmd) => fleet::run_profiles(cmd, profiles_path(cli).as_deref(), o),
        Command::Proxy(command) => {
            let interactive = std::io::stdin().is_terminal();
            let profiles = profiles_path(cli);
            proxy::run_proxy_in(&layouts, command, profiles.as_deref(), interactive, o)
        }
    }
}

/// `--profiles FILE`, else the app's own profiles file.
fn profiles_path(cli: &Cli) -> Option<PathBuf> {
    cli.profiles.clone().or_else(crate::app_log::profiles_path)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_file_alone_opens_the_gui_and_flags_precede_subcommands() -> Result<(), clap::Error> {
        let gui = Cli::try_parse_from(["iw-studio", "my.toml"])?;
        assert!(gui.command.is_none() && gui.file.is_some());
        let check = Cli::try_parse_from(["iw-studio", "--format", "json", "check", "f.toml"])?;
        assert_eq!(check.format, OutputFormat::Json);
        assert!(matches!(check.command, Some(Command::Check { .. })));
        Ok(())
    }
}
