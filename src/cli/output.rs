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

    /// Print an error: to stderr for people, as `{"error": ...}` on stdout for JSON.
    pub fn error(self, message: &str, extra: Json) {
        match self {
            Self::Human => eprintln!("error: {message}"),
            Self::Json => {
                let mut doc = serde_json::json!({"error": message});
                if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
                    d.extend(e.clone());
                }
                print_out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                ));
            }
        }
    }
}

pub(super) fn load_layouts(dir: Option<&Path>) -> Result<LayoutSet, LayoutError> {
    match dir {
        Some(dir) => LayoutSet::load_dir(dir, Target::ChatProxy),
        None => LayoutSet::builtin(),
    }
}
