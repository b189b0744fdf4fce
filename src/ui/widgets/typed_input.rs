//! A text field for a typed value (a number): what was typed stays, with the
//! reason it is refused, until it is fixed or Escape drops it. Each text
//! that parses is written at once (the session merges the keystrokes of one
//! field into one undo step), so the file and the field never disagree
//! without saying so.

use std::collections::HashMap;

use egui::Ui;
use toml_edit::Value;

use crate::ui::theme;

/// How the field looks and where its typed text is kept.
pub struct TypedInput<'a> {
    /// Key of the typed text in the buffers (the field's path).
    pub key: &'a str,
    /// What the file (or the default) says, shown while nothing is typed.
    pub shown: &'a str,
    /// `shown` is the default, not a value in the file: drawn muted.
    pub is_default: bool,
    pub hint: &'a str,
    pub label: egui::Id,
}

/// What the field asks for after this frame.
pub struct TypedOutcome {
    /// A parsed value to write (the text changed and parses).
    pub commit: Option<Value>,
    /// Why the typed text is refused, while it is.
    pub problem: Option<String>,
}

pub fn typed_input(
    ui: &mut Ui,
    buffers: &mut HashMap<String, String>,
    input: &TypedInput<'_>,
    parse: impl Fn(&str) -> Result<Value, String>,
) -> TypedOutcome {
    let typed = buffers.get(input.key).cloned();
    let mut text = typed.clone().unwrap_or_else(|| input.shown.to_owned());
    let mut edit = egui::TextEdit::singleline(&mut text)
        .desired_width(theme::NUMBER_WIDTH)
        .hint_text(input.hint);
    if input.is_default && typed.is_none() {
        edit = edit.text_color(theme::muted(ui.visuals()));
    }
    let response = ui.add(edit).labelled_by(input.label);
    let escaped = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Escape));
    if escaped {
        buffers.remove(input.key);
        return TypedOutcome {
            commit: None,
            problem: None,
        };
    }
    let mut commit = None;
    if response.changed() {
        if let Ok(value) = parse(&text) {
            commit = Some(value);
        }
        buffers.insert(input.key.to_owned(), text);
    }
    let Some(current) = buffers.get(input.key) else {
        return TypedOutcome {
            commit,
            problem: None,
        };
    };
    let parsed = parse(current);
    // Text that parses is the file's value now: once the field is left,
    // show the file's spelling again.
    if parsed.is_ok() && !response.has_focus() {
        buffers.remove(input.key);
    }
    TypedOutcome {
        commit,
        problem: parsed.err(),
    }
}
