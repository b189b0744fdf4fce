//! `iw-studio`: the GUI with no subcommand (or a file path), the CLI otherwise.

use std::process::ExitCode;

use clap::Parser;
use iw_studio::cli::{self, Cli, exit};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::UNREADABLE
            } else {
                exit::OK
            });
        }
    };
    match &cli.command {
        Some(command) => ExitCode::from(cli::run(&cli, command)),
        None => ExitCode::from(iw_studio::ui::run_gui(
            cli.file.clone(),
            cli.layouts.clone(),
        )),
    }
}
