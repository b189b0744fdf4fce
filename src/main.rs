//! `iw-studio`: the GUI with no subcommand (or a file path), the CLI otherwise.

use std::process::ExitCode;

use clap::Parser;
use iw_studio::cli::{self, Cli, exit};

/// mimalloc: loading a large model registry builds millions of small JSON
/// values; with it, load + merge of 10,000 entries takes about a third less
/// time than with the system allocator (BENCHMARKS.md, "Registry").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    iw_studio::app_log::init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && wants_json() => {
            // Usage errors are JSON too when JSON was asked for.
            let message = e.kind().as_str().unwrap_or("bad usage").to_owned();
            let detail = e.to_string();
            let doc = cli::output::error_json(
                "usage",
                &message,
                serde_json::json!({ "details": detail.trim_end() }),
            );
            eprintln!("{}", cli::output::pretty(&doc));
            return ExitCode::from(exit::UNREADABLE);
        }
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
            cli.profiles.clone(),
        )),
    }
}

/// `--format json` (or `--format=json`) anywhere on the command line.
fn wants_json() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json")
}
