//! Output and shared plumbing for every command.

use std::io::{self, Write};
use std::path::Path;

use serde_json::Value as Json;

use crate::core::layout::{LayoutError, LayoutSet, Target};

/// `--format` on every command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Human,
    Json,
}

/// Where every command's output goes (stdout and stderr in the binary,
/// buffers in tests) and in which format. The one output type of the CLI.
pub struct Out<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub format: OutputFormat,
}

impl Out<'_> {
    /// Print the human text or the JSON document, as asked. A reader that
    /// went away (`| head`) is not an error.
    pub fn emit(&mut self, human: impl FnOnce() -> String, json: impl FnOnce() -> Json) {
        let text = match self.format {
            OutputFormat::Human => {
                let text = human();
                if text.is_empty() {
                    return;
                }
                format!("{}\n", text.trim_end())
            }
            OutputFormat::Json => format!("{}\n", pretty(&json())),
        };
        self.text(&text);
    }

    /// Print text as it is to stdout (schema, defaults); a reader that went
    /// away is not an error.
    pub fn text(&mut self, text: &str) {
        let _ = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush());
    }

    /// A note for people on stderr (human format only).
    pub fn note(&mut self, text: &str) {
        if self.format == OutputFormat::Human {
            let _ = writeln!(self.err, "{text}");
        }
    }

    /// Print an error on stderr: `error: …` for people, and for JSON
    /// `{"error": {"kind", "message", "path"?, …}}` with `extra`'s fields.
    pub fn error(&mut self, kind: &str, message: &str, extra: Json) {
        let _ = match self.format {
            OutputFormat::Human => writeln!(self.err, "error: {message}"),
            OutputFormat::Json => {
                writeln!(self.err, "{}", pretty(&error_json(kind, message, extra)))
            }
        };
    }

    /// Report a failure that ends a command; returns its exit code.
    pub fn fail(&mut self, failure: CliError) -> u8 {
        if failure.quiet {
            return failure.code;
        }
        let kind = failure.kind();
        let extra = match failure.details {
            Json::Null => Json::Null,
            details => serde_json::json!({ "details": details }),
        };
        self.error(kind, &failure.message, extra);
        failure.code
    }
}

/// A failure that ends a command: its exit code, message and JSON details.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
    pub details: Json,
    /// Nothing to say (the reader of the output went away).
    pub quiet: bool,
}

impl CliError {
    pub fn new(code: u8, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
            details: Json::Null,
            quiet: false,
        }
    }

    /// Unreadable input, an unreachable proxy, bad usage (exit 2).
    pub fn unreadable(message: impl std::fmt::Display) -> Self {
        Self::new(super::exit::UNREADABLE, message)
    }

    /// A refused change or findings with an error (exit 1).
    pub fn refused(message: impl std::fmt::Display) -> Self {
        Self::new(super::exit::FINDINGS, message)
    }

    /// Writing the output failed; a closed pipe ends the command quietly.
    pub fn write_failed(e: &io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Self {
                quiet: true,
                ..Self::new(super::exit::OK, "")
            };
        }
        Self::unreadable(format!("cannot write output: {e}"))
    }

    fn kind(&self) -> &'static str {
        if self.code == super::exit::UNREADABLE {
            "unreadable"
        } else {
            "refused"
        }
    }
}

pub fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot encode output: {e}\"}}"))
}

/// The JSON shape of every CLI error.
pub fn error_json(kind: &str, message: &str, extra: Json) -> Json {
    let mut error = serde_json::json!({"kind": kind, "message": message});
    if let (Some(e), Some(more)) = (error.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            e.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    serde_json::json!({ "error": error })
}

pub(super) fn load_layouts(dir: Option<&Path>) -> Result<LayoutSet, LayoutError> {
    match dir {
        Some(dir) => LayoutSet::load_dir(dir, Target::ChatProxy),
        None => LayoutSet::builtin(),
    }
}
