//! `iw-studio`: the GUI with no subcommand (or a file path), the CLI otherwise.

use std::process::ExitCode;

use clap::Parser;
use iw_studio::cli::{self, Cli, exit};

/// mimalloc: loading a large model registry builds millions of small JSON
/// values; with it, load + merge of 10,000 entries takes about a third less
/// time than with the system allocator (README, "Registry" figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    iw_studio::app_log::init();
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
