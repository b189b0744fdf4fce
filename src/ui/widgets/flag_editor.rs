//! `backend_config.extra_args` as a form: the known load flags of the
//! entry's backend as typed fields, the other arguments as they are, and the
//! whole raw list one click away. Parsing and rebuilding are core
//! (`core::registry::extra_args`); this only draws and reports the new list.

use std::collections::HashMap;

use egui::{RichText, Ui};

use super::committed_text::{TextLook, committed_text};
use super::list_editor;
use crate::core::registry::extra_args::{ExtraArgs, FlagKind, KNOWN_FLAGS, KnownFlag};
use crate::ui::theme;

/// Draw the editor for `args` of an entry whose backend is `backend`; the
/// new argument list when the user changed it.
pub fn flag_editor(
    ui: &mut Ui,
    label: &str,
    args: &[String],
    backend: Option<&str>,
    buffers: &mut HashMap<String, String>,
) -> Option<Vec<String>> {
    let parsed = ExtraArgs::parse(args);
    let mut edited: Option<ExtraArgs> = None;
    ui.vertical(|ui| {
        egui::Grid::new(("flag_editor", label))
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                for flag in flags_for(backend, &parsed) {
                    if let Some(value) = flag_row(ui, flag, &parsed, buffers) {
                        let next = edited.get_or_insert_with(|| parsed.clone());
                        next.set(flag, value.as_deref());
                    }
                    ui.end_row();
                }
            });
        let raw: Vec<&str> = parsed.raw().collect();
        if !raw.is_empty() {
            ui.label(
                RichText::new(format!("Other arguments: {}", raw.join(" ")))
                    .monospace()
                    .color(theme::muted(ui.visuals())),
            );
        }
        let mut items = args.to_vec();
        egui::CollapsingHeader::new(format!("Raw list ({} items)", args.len()))
            .id_salt(("flag_editor_raw", label))
            .show(ui, |ui| {
                let id = ui.scope_id().with("raw");
                if list_editor(ui, id, label, &mut items) {
                    edited = Some(ExtraArgs::parse(&items));
                }
            });
    });
    edited.map(|e| e.to_args()).filter(|next| next != args)
}

/// The backend's known flags, plus any other known flag the list has.
fn flags_for<'a>(
    backend: Option<&'a str>,
    args: &'a ExtraArgs,
) -> impl Iterator<Item = &'static KnownFlag> + 'a {
    let known_backend = KNOWN_FLAGS.iter().any(|f| f.backend.serves(backend));
    KNOWN_FLAGS
        .iter()
        .filter(move |f| !known_backend || f.backend.serves(backend) || args.value(f).is_some())
}

/// One flag's row; `Some(new)` when it changed (`None` inside: remove it).
fn flag_row(
    ui: &mut Ui,
    flag: &'static KnownFlag,
    args: &ExtraArgs,
    buffers: &mut HashMap<String, String>,
) -> Option<Option<String>> {
    let name = ui
        .label(RichText::new(flag.label).monospace())
        .on_hover_text(format!("{}\n\nWritten as {}", flag.help, flag.flag));
    let current = args.value(flag);
    if flag.kind == FlagKind::Switch {
        let mut on = current.is_some();
        let response = ui.checkbox(&mut on, "").labelled_by(name.id);
        let state = on;
        response.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::CheckBox, true, state, flag.label)
        });
        return response.changed().then(|| on.then(String::new));
    }
    let hint = match flag.kind {
        FlagKind::Choice { choices } => choices.join(" | "),
        _ => "unset".to_owned(),
    };
    let look = TextLook {
        hint: &hint,
        monospace: true,
        width: 140.0,
        ..TextLook::default()
    };
    let key = format!("extra_args:{}", flag.flag);
    committed_text(
        ui,
        buffers,
        &key,
        current.unwrap_or(""),
        name.id,
        look,
        |text| {
            if text.trim().is_empty() {
                return Ok(None);
            }
            flag.check(text).map(|()| Some(text.trim().to_owned()))
        },
    )
}
