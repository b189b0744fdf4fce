//! Text from a file or a proxy as the app shows it: through the one
//! masking rule (`core::redact`), as the CLI's output and the activity log
//! are. Editors (form fields, Raw TOML) show the text they edit as it is.

use std::fmt::Display;

use crate::core::redact::{mask_text, mask_value};

/// Any text with its secrets masked.
pub fn shown(text: &str) -> String {
    mask_text(text).into_owned()
}

/// A value shown under `key`: all of it masked when the key names a secret.
pub fn shown_value(key: &str, value: &impl Display) -> String {
    let text = value.to_string();
    mask_value(key, &text).into_owned()
}
