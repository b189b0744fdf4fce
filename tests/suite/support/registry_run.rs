//! Running `registry` commands in-process (`cli::registry::run_with`, parsed
//! by the real clap definitions) on copies of the sample registry. Included
//! by `#[path]`.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use clap::Parser;
use iw_studio::cli::registry::{RegistryCmd, run_with};
use iw_studio::cli::{Out, OutputFormat};
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_configs/registry");
pub const FILES: [&str; 3] = [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE];

/// A stand-in for the binary's argument parser, so tests exercise the clap definitions.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: RegistryCmd,
}

pub fn sample_copy() -> Result<tempfile::TempDir, std::io::Error> {
    let dir = tempfile::tempdir()?;
    for f in FILES {
        fs::copy(Path::new(SAMPLE).join(f), dir.path().join(f))?;
    }
    Ok(dir)
}

pub struct Run {
    pub code: u8,
    pub out: String,
    pub err: String,
}

pub fn run(args: &[&str], format: OutputFormat) -> Result<Run, Box<dyn std::error::Error>> {
    let cli = Cli::try_parse_from(std::iter::once("registry").chain(args.iter().copied()))?;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with(
        &cli.cmd,
        &mut Out {
            out: &mut out,
            err: &mut err,
            format,
        },
    );
    Ok(Run {
        code,
        out: String::from_utf8(out)?,
        err: String::from_utf8(err)?,
    })
}

pub fn dir_arg(dir: &Path) -> Result<String, &'static str> {
    dir.to_str().map(String::from).ok_or("non-UTF-8 temp path")
}

/// The bytes and modification time of each of the three files.
pub fn snapshot_of(dir: &Path) -> Result<Vec<(Vec<u8>, SystemTime)>, std::io::Error> {
    FILES
        .iter()
        .map(|f| {
            Ok((
                fs::read(dir.join(f))?,
                fs::metadata(dir.join(f))?.modified()?,
            ))
        })
        .collect()
}
