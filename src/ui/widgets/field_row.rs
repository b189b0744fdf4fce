//! One setting as a form row: label (help on hover) and badges, the editor
//! for its type, its default and env var, its findings, and "reset".

use egui::{RichText, Ui};
use toml_edit::{Array, Value};

use super::typed_input::{TypedInput, typed_input};
use super::{badge, list_editor, toggle};
use crate::core::document::DocPath;
use crate::core::layout::{Field, FieldType, check_value};
use crate::core::session::Command;
use crate::core::validate::Severity;
use crate::core::value_input;
use crate::ui::actions::Action;
use crate::ui::page_ctx::PageCtx;
use crate::ui::theme;

/// A field at a concrete place in the document.
pub struct FieldPlace<'a> {
    pub field: &'a Field,
    pub path: DocPath,
}

impl<'a> FieldPlace<'a> {
    /// Each field at its key below `table` (a section, a map instance, an array entry).
    pub fn under(table: &DocPath, fields: impl IntoIterator<Item = &'a Field>) -> Vec<Self> {
        fields
            .into_iter()
            .map(|field| Self {
                field,
                path: table.child(&field.key),
            })
            .collect()
    }
}

/// Rows for several fields, aligned in a grid.
pub fn field_rows(ui: &mut Ui, ctx: &mut PageCtx<'_>, id: &str, places: &[FieldPlace<'_>]) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([16.0, theme::ROW_GAP])
        .min_col_width(theme::LABEL_WIDTH)
        .show(ui, |ui| {
            for place in places {
                field_row(ui, ctx, place);
                ui.end_row();
            }
        });
}

fn field_row(ui: &mut Ui, ctx: &mut PageCtx<'_>, place: &FieldPlace<'_>) {
    let field = place.field;
    let focused = ctx.is_focused(&place.path);
    let label = ui
        .horizontal(|ui| {
            let label = ui
                .label(RichText::new(&field.label).strong())
                .on_hover_text(hover_help(field));
            row_badges(ui, field);
            label
        })
        .inner;
    let frame = if focused {
        egui::Frame::new()
            .fill(theme::focus_fill(ui.visuals()))
            .corner_radius(4)
            .inner_margin(2)
    } else {
        egui::Frame::new()
    };
    let response = frame
        .show(ui, |ui| {
            ui.vertical(|ui| {
                // One line for the editor and its problem, so an error coming
                // or going never moves the rows below.
                ui.horizontal(|ui| {
                    let problem = ui
                        .add_enabled_ui(!ctx.read_only, |ui| {
                            let problem = editor(ui, ctx, place, label.id);
                            reset_button(ui, ctx, place);
                            problem
                        })
                        .inner;
                    problem_slot(ui, ctx, &place.path, problem);
                });
                details_line(ui, ctx, place);
            });
        })
        .response;
    if focused && !ctx.view.focus_scrolled {
        response.scroll_to_me(Some(egui::Align::Center));
        ctx.view.focus_scrolled = true;
    }
}

fn hover_help(field: &Field) -> String {
    let mut text = field.help.clone();
    text.push_str(&format!("\n\nKey: {}", field.path));
    text
}

fn row_badges(ui: &mut Ui, field: &Field) {
    let v = ui.visuals().clone();
    if field.required {
        badge(
            ui,
            "required",
            theme::accent(&v),
            "This setting must be in the file: a table without it is an error.",
        );
    }
    if !field.read_by_proxy {
        badge(
            ui,
            "not read by the proxy",
            theme::warning(&v),
            "The stock proxy never reads this key from the file; only its env var or the default apply.",
        );
    }
    if field.needs_restart {
        badge(
            ui,
            "restart",
            theme::muted(&v),
            "Takes effect after the proxy restarts: it reads its file only at start-up.",
        );
    }
}

/// Default, env var, and whether that variable is set here.
fn details_line(ui: &mut Ui, ctx: &PageCtx<'_>, place: &FieldPlace<'_>) {
    let field = place.field;
    let set = ctx.value(&place.path).is_some();
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        let muted = theme::muted(ui.visuals());
        let state = if set {
            "set in file"
        } else {
            "unset: default applies"
        };
        ui.label(RichText::new(format!("default {} · {state}", shown_default(field))).color(muted));
        if let Some(env) = &field.env {
            env_badge(ui, env);
        }
    });
}

/// The default as the picker shows it: an enum's label, else its TOML text.
fn shown_default(field: &Field) -> String {
    match field.default.as_ref().and_then(Value::as_str) {
        Some(v) if field.ty == FieldType::Enum => field.value_label(v).to_owned(),
        _ => field.default_text(),
    }
}

fn env_badge(ui: &mut Ui, env: &str) {
    let v = ui.visuals().clone();
    match std::env::var(env) {
        Ok(value) => badge(
            ui,
            &format!("env {env} is set here"),
            theme::warning(&v),
            &format!("{env}={value} in this environment overrides the file value."),
        ),
        Err(_) => {
            ui.label(
                RichText::new(format!("env {env}"))
                    .monospace()
                    .color(theme::muted(&v)),
            )
            .on_hover_text(format!(
                "The proxy takes {env} over the file value when it is set."
            ));
        }
    }
}

/// The field's problem on the editor's line: what is wrong with the text
/// being typed, else its findings (all of them on hover), with the first
/// quick fix. Long text is cut to the line and shown whole on hover.
fn problem_slot(ui: &mut Ui, ctx: &mut PageCtx<'_>, path: &DocPath, typed: Option<String>) {
    let session = ctx.session;
    let findings: Vec<_> = session
        .findings()
        .iter()
        .filter(|f| f.path == *path)
        .collect();
    let (text, error) = match (&typed, findings.first()) {
        (Some(problem), _) => (problem.clone(), true),
        (None, Some(first)) => {
            let more = findings.len() - 1;
            let text = if more > 0 {
                format!("{} (+{more} more)", first.message)
            } else {
                first.message.clone()
            };
            (text, first.is_error())
        }
        (None, None) => return,
    };
    let tone = if error || findings.iter().any(|f| f.severity == Severity::Error) {
        theme::error(ui.visuals())
    } else {
        theme::warning(ui.visuals())
    };
    let icon = if error { "⛔" } else { "⚠" };
    let all: Vec<&str> = typed
        .iter()
        .map(String::as_str)
        .chain(findings.iter().map(|f| f.message.as_str()))
        .collect();
    if typed.is_none()
        && !ctx.read_only
        && let Some(fixable) = findings.iter().find(|f| f.fix.is_some())
    {
        super::quick_fix_button(ui, fixable, ctx.actions);
    }
    super::cut_label(
        ui,
        RichText::new(format!("{icon} {text}")).color(tone),
        all.join("\n"),
    );
}

fn reset_button(ui: &mut Ui, ctx: &mut PageCtx<'_>, place: &FieldPlace<'_>) {
    let set = ctx.value(&place.path).is_some();
    let tip = format!(
        "Reset to default: removes “{}” from the file, so the proxy uses its built-in default ({}). \
         The default is not written, so a later change of the built-in default applies too.",
        place.field.key,
        place.field.default_text()
    );
    let button = ui
        .add_enabled(set, egui::Button::new("↺").small())
        .on_hover_text(tip);
    button.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Button,
            set,
            format!("Reset {}", place.field.label),
        )
    });
    if button.clicked() {
        ctx.edit(Command::Remove {
            path: place.path.clone(),
        });
    }
}

/// The editor for the field's type, labelled by `label_id` for AccessKit;
/// returns why the text being typed is refused, while it is.
fn editor(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    place: &FieldPlace<'_>,
    label_id: egui::Id,
) -> Option<String> {
    let field = place.field;
    let current = ctx.value(&place.path).cloned();
    if let Some(value) = &current
        && !fits_editor(field, value)
    {
        return raw_editor(ui, ctx, place, value, label_id);
    }
    let effective = current.clone().or_else(|| field.default.clone());
    match field.ty {
        FieldType::Bool => {
            let mut on = effective.as_ref().and_then(Value::as_bool).unwrap_or(false);
            if toggle(ui, &mut on, &field.label)
                .labelled_by(label_id)
                .changed()
            {
                ctx.set(&place.path, on);
            }
        }
        FieldType::Int | FieldType::OptionalInt | FieldType::Float => {
            return number_editor(ui, ctx, place, current.as_ref(), label_id);
        }
        FieldType::Enum => enum_editor(ui, ctx, place, effective.as_ref(), label_id),
        FieldType::StringList => {
            let mut items: Vec<String> = effective
                .as_ref()
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let id = ui.scope_id().with(place.path.to_string());
            if list_editor(ui, id, &field.label, &mut items) {
                let array: Array = items.iter().map(String::as_str).collect();
                ctx.set(&place.path, Value::Array(array));
            }
        }
        FieldType::Json => {
            let text = current.map(|v| v.to_string()).unwrap_or_default();
            ui.label(RichText::new(text.trim()).monospace())
                .labelled_by(label_id);
        }
        FieldType::String
        | FieldType::OptionalString
        | FieldType::Path
        | FieldType::Url
        | FieldType::EnvVar => {
            return text_editor(ui, ctx, place, current.as_ref(), label_id);
        }
    }
    None
}

/// Whether the typed editor can show this value (else the raw literal editor).
fn fits_editor(field: &Field, value: &Value) -> bool {
    match field.ty {
        FieldType::Bool => value.is_bool(),
        FieldType::Int => value.is_integer(),
        FieldType::OptionalInt => value.is_integer() || value.as_str() == Some(""),
        FieldType::Float => value.is_float() || value.is_integer(),
        FieldType::StringList => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_str)),
        _ => value.is_str(),
    }
}

/// Ints and floats as text: what was typed stays, with why it is refused
/// ("not an integer", "above the maximum 65535"), until fixed or Escape.
/// The file's value is never clamped: an out-of-range value stays visible.
fn number_editor(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    place: &FieldPlace<'_>,
    current: Option<&Value>,
    label_id: egui::Id,
) -> Option<String> {
    let field = place.field;
    if field.ty == FieldType::OptionalInt && !optional_switch(ui, ctx, place, current) {
        unset_value_box(ui, label_id);
        return None;
    }
    let key = place.path.to_string();
    let shown = current
        .or(field.default.as_ref())
        .map(|v| v.to_string().trim().to_owned())
        .unwrap_or_default();
    let hint = if field.ty == FieldType::OptionalInt {
        "empty: none"
    } else {
        ""
    };
    let input = TypedInput {
        key: &key,
        shown: &shown,
        is_default: current.is_none(),
        hint,
        label: label_id,
    };
    let outcome = typed_input(ui, &mut ctx.view.raw_buffers, &input, |text| {
        value_input::parse_number(field, text)
    });
    if let Some(unit) = &field.unit {
        let n = current
            .or(field.default.as_ref())
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
        ui.label(unit_text(unit, n));
    }
    if let Some(value) = outcome.commit {
        ctx.set(&place.path, value);
    }
    let typed = outcome
        .problem
        .as_ref()
        .and_then(|_| ctx.view.raw_buffers.get(&key).cloned());
    report_field_text(ctx, &place.path, typed);
    outcome.problem
}

/// Tell the session what a field shows that the file does not hold (or
/// that it shows the file again): a save must not leave it out silently.
/// Sent only when it changes, not every frame.
fn report_field_text(ctx: &mut PageCtx<'_>, path: &DocPath, typed: Option<String>) {
    let known = ctx.session.unwritten_at(path).map(|u| u.text.as_str());
    if known != typed.as_deref() {
        ctx.actions.push(Action::FieldText {
            path: path.clone(),
            text: typed,
        });
    }
}

/// The unit after a value, singular for exactly one (`1 turn`, `2 turns`).
fn unit_text(unit: &str, n: Option<f64>) -> String {
    let plural_word =
        unit.len() > 2 && unit.ends_with('s') && unit.chars().all(char::is_alphabetic);
    if plural_word && n == Some(1.0) {
        unit[..unit.len() - 1].to_owned()
    } else {
        unit.to_owned()
    }
}

/// The one switch every optional setting has: on, the key is in the file
/// and the editor beside it edits it; off, the key is absent ("none").
/// Returns whether the key is set after this frame.
fn optional_switch(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    place: &FieldPlace<'_>,
    current: Option<&Value>,
) -> bool {
    let field = place.field;
    let mut is_set = current.is_some();
    let response = ui
        .checkbox(&mut is_set, "Set")
        .on_hover_text("Off: the key is not in the file, which means none. On: edit its value.");
    response.widget_info(|| {
        egui::WidgetInfo::selected(
            egui::Role::CheckBox,
            true,
            is_set,
            format!("Set {}", field.label),
        )
    });
    if response.changed() {
        if is_set {
            let start: Value = match field.ty {
                FieldType::OptionalInt => Value::from(field.min.map_or(0, |m| m as i64)),
                _ => Value::from(""),
            };
            ctx.set(&place.path, start);
        } else {
            ctx.view.raw_buffers.remove(&place.path.to_string());
            ctx.edit(Command::Remove {
                path: place.path.clone(),
            });
        }
    }
    is_set
}

/// What an optional setting that is off shows: "none", where its editor goes.
fn unset_value_box(ui: &mut Ui, label_id: egui::Id) {
    ui.add_enabled(
        false,
        egui::TextEdit::singleline(&mut String::new())
            .hint_text("none")
            .desired_width(theme::NUMBER_WIDTH),
    )
    .labelled_by(label_id);
}

fn enum_editor(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    place: &FieldPlace<'_>,
    effective: Option<&Value>,
    label_id: egui::Id,
) {
    let field = place.field;
    let selected = effective.and_then(Value::as_str).unwrap_or("").to_owned();
    let mut choice = selected.clone();
    egui::ComboBox::from_id_salt(("enum", place.path.to_string()))
        .selected_text(if selected.is_empty() {
            "(unset)".to_owned()
        } else {
            field.value_label(&selected).to_owned()
        })
        .width(theme::EDITOR_WIDTH)
        .show_ui(ui, |ui| {
            for v in field.values.iter().filter(|v| offered(ctx, field, v)) {
                ui.selectable_value(&mut choice, v.clone(), field.value_label(v))
                    .on_hover_text(format!("\"{v}\" in the file"));
            }
        })
        .response
        .labelled_by(label_id)
        .on_hover_text(format!("\"{selected}\" in the file"));
    if choice != selected {
        ctx.set(&place.path, choice);
    }
}

/// An enum value is offered unless it names something switched off
/// (`default_page` lists only pages that are on).
fn offered(ctx: &PageCtx<'_>, field: &Field, value: &str) -> bool {
    let Some(table) = &field.enabled_in else {
        return true;
    };
    let path = format!("{table}.{value}");
    let in_file = DocPath::parse(&path)
        .ok()
        .and_then(|p| ctx.value(&p).and_then(Value::as_bool));
    let default = || {
        ctx.session
            .layouts()
            .field(&path)?
            .default
            .as_ref()?
            .as_bool()
    };
    in_file.or_else(default).unwrap_or(true)
}

fn text_editor(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    place: &FieldPlace<'_>,
    current: Option<&Value>,
    label_id: egui::Id,
) -> Option<String> {
    let field = place.field;
    let optional = field.ty == FieldType::OptionalString;
    if optional && !optional_switch(ui, ctx, place, current) {
        unset_value_box(ui, label_id);
        return None;
    }
    let default = field.default.as_ref().and_then(Value::as_str).unwrap_or("");
    let mut text = current
        .and_then(Value::as_str)
        .unwrap_or(default)
        .to_owned();
    let hint = if optional && field.empty_means_none {
        "empty means none"
    } else {
        default
    };
    let edit = egui::TextEdit::singleline(&mut text)
        .desired_width(text_width(ui))
        .hint_text(hint);
    let edit = if field.ty == FieldType::EnvVar
        || field.ty == FieldType::Path
        || field.ty == FieldType::Url
    {
        edit.font(egui::TextStyle::Monospace)
    } else {
        edit
    };
    let response = ui.add(edit).labelled_by(label_id);
    // A value longer than the field (an S3 URL, a model name): all of it on hover.
    let response = if text.chars().count() > 30 {
        response.on_hover_text(text.clone())
    } else {
        response
    };
    if response.changed() {
        ctx.set(&place.path, text.clone());
    }
    if field.ty == FieldType::EnvVar && !text.is_empty() {
        env_var_state(ui, &text);
    }
    // The text is in the file as typed; what is wrong with it shows at once,
    // before the findings catch up.
    current.and_then(|_| check_value(field, &Value::from(text.as_str())).err())
}

/// A text field as wide as the row allows, keeping room for the reset button
/// and a problem beside it: a long URL or path is not cut beside empty space.
fn text_width(ui: &Ui) -> f32 {
    const BESIDE: f32 = 240.0;
    const MOST: f32 = 560.0;
    (ui.available_width() - BESIDE).clamp(theme::EDITOR_WIDTH, MOST)
}

/// Whether the named variable is set here: never its value (it is a secret).
fn env_var_state(ui: &mut Ui, name: &str) {
    let v = ui.visuals().clone();
    if std::env::var_os(name).is_some() {
        badge(
            ui,
            "set here",
            theme::ok(&v),
            &format!("{name} is set in this environment (its value is never shown)."),
        );
    } else {
        badge(
            ui,
            "not set here",
            theme::warning(&v),
            &format!("{name} is not set in this environment."),
        );
    }
}

/// A value of the wrong type: edit its TOML literal until it parses.
fn raw_editor(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    place: &FieldPlace<'_>,
    value: &Value,
    label_id: egui::Id,
) -> Option<String> {
    let key = place.path.to_string();
    let mut text = ctx
        .view
        .raw_buffers
        .get(&key)
        .cloned()
        .unwrap_or_else(|| value.to_string().trim().to_owned());
    let edit = egui::TextEdit::singleline(&mut text)
        .desired_width(theme::EDITOR_WIDTH)
        .font(egui::TextStyle::Monospace);
    let response = ui.add(edit).labelled_by(label_id);
    let mut problem = None;
    if response.changed() {
        // Written as TOML 1.0, the proxy's dialect (`07:32` gets its seconds).
        if let Ok(parsed) = value_input::parse_literal(&text) {
            ctx.set(&place.path, parsed);
        }
        ctx.view.raw_buffers.insert(key.clone(), text);
    }
    if response.lost_focus() {
        ctx.view.raw_buffers.remove(&key);
    }
    if let Some(typed) = ctx.view.raw_buffers.get(&key) {
        problem = value_input::parse_literal(typed).err();
    }
    let typed = problem
        .as_ref()
        .and_then(|_| ctx.view.raw_buffers.get(&key).cloned());
    report_field_text(ctx, &place.path, typed);
    ui.label(RichText::new("TOML literal").color(theme::muted(ui.visuals())))
        .on_hover_text(format!(
            "The file holds {} here, which is not {}; type a TOML value or reset it.",
            value.to_string().trim(),
            place.field.ty.describe()
        ));
    problem
}
