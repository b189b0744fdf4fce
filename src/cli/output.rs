//! Output and shared plumbing for every command.

use std::path::Path;

use serde_json::Value as Json;

use crate::core::layout::{LayoutError, LayoutSet, Target};

/// Print to stdout; a reader that went away (`| head`) is not an error.
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `--format` on every command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Human,
    Json,
}

impl OutputFormat {
    /// Print the human text or the JSON document, as asked.
    pub fn emit(self, human: impl FnOnce() -> String, json: impl FnOnce() -> Json) {
        match self {
            Self::Human => {
                let text = human();
                if !text.is_empty() {
                    print_out(&format!("{}\n", text.trim_end()));
                }
            }
            Self::Json => print_out(&format!(
                "{}
",
                serde_json::to_string_pretty(&json()).unwrap_or_default()
            )),
        }
    }

    /// Print an error on stderr: `error: …` for people, and for JSON
    /// `{"error": {"kind", "message", "path"?, …}}` with `extra`'s fields.
    pub fn error(self, kind: &str, message: &str, extra: Json) {
        match self {
            Self::Human => eprintln!("error: {message}"),
            Self::Json => eprintln!(
                "{}",
                serde_json::to_string_pretty(&error_json(kind, message, extra)).unwrap_or_default()
            ),
        }
    }
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
