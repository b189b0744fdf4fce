//! A text field whose value is committed when it loses focus (Enter or a
//! click elsewhere). Until then the typed text lives in a buffer the page
//! keeps, so a half-typed number is neither lost nor written.

use std::collections::HashMap;

use egui::{RichText, Ui};

use crate::ui::theme;

/// How a committed text field looks.
#[derive(Clone, Copy, Debug)]
pub struct TextLook<'a> {
    pub hint: &'a str,
    pub monospace: bool,
    pub multiline: bool,
    pub width: f32,
}

impl Default for TextLook<'_> {
    fn default() -> Self {
        Self {
            hint: "",
            monospace: false,
            multiline: false,
            width: theme::EDITOR_WIDTH,
        }
    }
}

/// Draw the field for `key` showing `shown` (or the text being typed);
/// `parse` turns text into a value or says why not. Returns the value when
/// the field lost focus with text that parses and differs from `shown`.
pub fn committed_text<T>(
    ui: &mut Ui,
    buffers: &mut HashMap<String, String>,
    key: &str,
    shown: &str,
    label: egui::Id,
    look: TextLook<'_>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let mut text = buffers
        .get(key)
        .cloned()
        .unwrap_or_else(|| shown.to_owned());
    let mut edit = if look.multiline {
        egui::TextEdit::multiline(&mut text).desired_rows(3)
    } else {
        egui::TextEdit::singleline(&mut text)
    }
    .desired_width(look.width)
    .hint_text(look.hint);
    if look.monospace {
        edit = edit.font(egui::TextStyle::Monospace);
    }
    let response = ui.add(edit).labelled_by(label);
    if response.changed() {
        buffers.insert(key.to_owned(), text);
    }
    let typed = buffers.get(key)?;
    let parsed = parse(typed);
    if response.lost_focus() {
        // An unparsable text stays in its buffer (and shows its error).
        if parsed.is_ok() {
            let changed = typed != shown;
            buffers.remove(key);
            return parsed.ok().filter(|_| changed);
        }
    } else if let Err(problem) = parsed {
        ui.label(RichText::new(format!("⛔ {problem}")).color(theme::error(ui.visuals())));
    }
    None
}
