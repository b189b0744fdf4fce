//! The entry editor, generated from `ui_layouts/registry_entry.toml`: one
//! row per field with its provenance badge; edits go to the curated layer.

use egui::{RichText, Ui};
use serde_json::Value;

use std::collections::HashMap;

use super::{RegistryAction, RegistryState, table::layer_tone};
use crate::core::layout::{Field, FieldType, LayoutSet, Widget};
use crate::core::registry::field_input::parse_field_text;
use crate::core::registry::masking::{Masked, entry_masked_fields, masked_message};
use crate::core::registry::merge::{EntryLayer, FieldSource};
use crate::core::registry::model::get_path;
use crate::core::registry::{MergedEntry, RegistryCommand, RegistrySession, json_text};
use crate::ui::actions::Action;
use crate::ui::theme;
use crate::ui::widgets::{
    TextLook, badge, committed_text, flag_editor, list_editor, multi_select, toggle,
};

/// Where a field's merged value comes from, as its badge says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provenance {
    Unset,
    One(FieldSource),
    /// An object whose fields come from different layers.
    Mixed,
}

impl Provenance {
    pub fn text(self) -> &'static str {
        match self {
            Self::Unset => "unset",
            Self::One(FieldSource::Curated) => "curated",
            Self::One(FieldSource::Discovered) => "discovered",
            Self::One(FieldSource::CuratedOverDiscovered) => "curated over discovered",
            Self::One(FieldSource::SnapshotOnly) => "snapshot only",
            Self::Mixed => "mixed layers",
        }
    }

    fn curated(self) -> bool {
        matches!(
            self,
            Self::One(FieldSource::Curated | FieldSource::CuratedOverDiscovered) | Self::Mixed
        )
    }

    fn tone(self, v: &egui::Visuals) -> egui::Color32 {
        match self {
            Self::Unset => theme::muted(v),
            Self::One(FieldSource::Curated) => theme::ok(v),
            Self::One(FieldSource::Discovered) => theme::muted(v),
            Self::One(FieldSource::CuratedOverDiscovered) | Self::Mixed => theme::accent(v),
            Self::One(FieldSource::SnapshotOnly) => theme::warning(v),
        }
    }
}

/// Whether `path` is `field` or a path inside it.
fn is_within(path: &str, field: &str) -> bool {
    path == field
        || path
            .strip_prefix(field)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The provenance of `path` (a leaf, or an object: all its leaves).
pub fn provenance_of(prov: &[(String, FieldSource)], path: &str) -> Provenance {
    let mut found = None;
    for (p, source) in prov {
        if is_within(p, path) {
            match found {
                None => found = Some(*source),
                Some(s) if s == *source => {}
                Some(_) => return Provenance::Mixed,
            }
        }
    }
    found.map_or(Provenance::Unset, Provenance::One)
}

pub fn show(ui: &mut Ui, state: &mut RegistryState, actions: &mut Vec<Action>) {
    let Some(store) = state.session.as_ref().map(RegistrySession::store) else {
        return;
    };
    let Some(entry) = state
        .selected
        .as_deref()
        .and_then(|n| store.merged().get(n))
    else {
        ui.label(
            RichText::new("Select an entry in the table to edit it.")
                .color(theme::muted(ui.visuals())),
        );
        return;
    };
    let layout = match &state.layout {
        Ok(l) => l,
        Err(e) => {
            ui.label(RichText::new(format!("⛔ {e}")).color(theme::error(ui.visuals())));
            return;
        }
    };
    let name = entry.name().to_owned();
    let whole = store.value(&name).unwrap_or(&Value::Null);
    let prov = store.provenance(&name).unwrap_or_default();
    let masked = entry_masked_fields(entry, store.curated(), store.discovered());
    header(ui, entry, &state.view.new_name, actions);
    let mut row = RowCtx {
        name: &name,
        whole,
        masked: &masked,
        buffers: &mut state.view.edit_buffers,
        actions,
    };
    egui::ScrollArea::vertical()
        .id_salt("registry_editor_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            unshown_masked(ui, layout, &mut row);
            for page in &layout.pages {
                for section in &page.sections {
                    ui.add_space(theme::ROW_GAP);
                    ui.label(RichText::new(&section.title).strong().size(15.0));
                    egui::Grid::new(("registry_section", &section.id))
                        .num_columns(3)
                        .spacing([12.0, theme::ROW_GAP])
                        .min_col_width(140.0)
                        .show(ui, |ui| {
                            for field in &section.fields {
                                let source = provenance_of(&prov, &field.path);
                                field_row(ui, field, source, &mut row);
                                ui.end_row();
                            }
                        });
                }
            }
            ui.add_space(theme::SECTION_GAP);
            egui::CollapsingHeader::new("Raw JSON (merged entry, read-only)")
                .id_salt("registry_raw_json")
                .show(ui, |ui| {
                    // Read-only, so shown through the one masking rule.
                    let mut shown = whole.clone();
                    crate::core::redact::mask_json(&mut shown);
                    let mut text = json_text::to_python_json(&shown);
                    ui.add(
                        egui::TextEdit::multiline(&mut text)
                            .font(egui::TextStyle::Monospace)
                            .desired_width(f32::INFINITY)
                            .interactive(false),
                    );
                });
        });
}

/// Masked fields that no form field shows (the rest are marked in their row).
fn unshown_masked(ui: &mut Ui, layout: &LayoutSet, row: &mut RowCtx<'_>) {
    let shown = |path: &str| {
        layout
            .pages
            .iter()
            .flat_map(|p| &p.sections)
            .flat_map(|s| &s.fields)
            .any(|f| is_within(path, &f.path))
    };
    let unshown: Vec<Masked> = row
        .masked
        .iter()
        .filter(|m| !shown(&m.path))
        .cloned()
        .collect();
    if unshown.is_empty() {
        return;
    }
    ui.add_space(theme::ROW_GAP);
    ui.label(RichText::new("Curated values that hide discovered ones").strong());
    for m in &unshown {
        ui.horizontal(|ui| {
            ui.label(RichText::new(&m.path).monospace());
            masked_marker(ui, m, row);
        });
    }
}

fn header(ui: &mut Ui, entry: &MergedEntry, new_name: &str, actions: &mut Vec<Action>) {
    let name = entry.name();
    let apply = |actions: &mut Vec<Action>, command| {
        actions.push(Action::Registry(RegistryAction::Apply(command)));
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(name).heading().monospace());
        let tone = layer_tone(ui.visuals(), entry.layer);
        badge(
            ui,
            entry.layer.as_str(),
            tone,
            "Layers this entry comes from",
        );
        ui.separator();
        let copy_name = if new_name.trim().is_empty() {
            format!("{name}-copy")
        } else {
            new_name.trim().to_owned()
        };
        if ui
            .button("🗐 Duplicate")
            .on_hover_text(format!("Copy as a curated entry named {copy_name}"))
            .clicked()
        {
            apply(
                actions,
                RegistryCommand::Duplicate {
                    name: name.to_owned(),
                    new_name: copy_name,
                },
            );
        }
        let curated = entry.curated_index.is_some();
        if ui
            .add_enabled(curated, egui::Button::new("🗑 Delete"))
            .on_hover_text("Delete the curated entry (a discovered part stays)")
            .on_disabled_hover_text("Only curated entries can be deleted; deprecate it instead")
            .clicked()
        {
            apply(
                actions,
                RegistryCommand::Delete {
                    name: name.to_owned(),
                },
            );
        }
        if ui
            .add_enabled(!entry.view().deprecated(), egui::Button::new("⚠ Deprecate"))
            .on_hover_text("Set deprecated: true in the curated layer")
            .clicked()
        {
            apply(
                actions,
                RegistryCommand::Deprecate {
                    name: name.to_owned(),
                },
            );
        }
        let promotable = entry.layer == EntryLayer::DiscoveredOnly;
        if ui
            .add_enabled(promotable, egui::Button::new("🚀 Promote to curated"))
            .on_hover_text(
                "Copy the discovered entry into the curated layer, without its dynamic fields",
            )
            .on_disabled_hover_text("Only discovered-only entries can be promoted")
            .clicked()
        {
            apply(
                actions,
                RegistryCommand::Promote {
                    name: name.to_owned(),
                },
            );
        }
    });
}

/// What every row of one entry's editor shares.
struct RowCtx<'a> {
    name: &'a str,
    whole: &'a Value,
    masked: &'a [Masked],
    buffers: &'a mut HashMap<String, String>,
    actions: &'a mut Vec<Action>,
}

impl RowCtx<'_> {
    fn set(&mut self, path: &str, value: Value) {
        self.actions.push(Action::Registry(RegistryAction::Apply(
            RegistryCommand::SetField {
                name: self.name.to_owned(),
                path: path.to_owned(),
                value,
            },
        )));
    }

    fn remove(&mut self, path: &str) {
        self.actions.push(Action::Registry(RegistryAction::Apply(
            RegistryCommand::RemoveField {
                name: self.name.to_owned(),
                path: path.to_owned(),
            },
        )));
    }
}

fn field_row(ui: &mut Ui, field: &Field, source: Provenance, row: &mut RowCtx<'_>) {
    let value = get_path(row.whole, &field.path);
    let mut hover = field.help.clone();
    if !hover.is_empty() {
        hover.push_str("\n\n");
    }
    hover.push_str(&format!("Field: {}", field.path));
    let label = ui
        .label(RichText::new(&field.label).strong())
        .on_hover_text(hover);
    // Top-aligned: in a grid cell beside a tall editor (roles, flags) the
    // badge would otherwise stretch to the row's height.
    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
        badge(
            ui,
            source.text(),
            source.tone(ui.visuals()),
            "Where the merged value comes from; edits go to the curated layer",
        );
    });
    ui.vertical(|ui| {
        ui.horizontal(|ui| {
            field_editor(ui, field, value, label.id, row);
            if source.curated() {
                reset_button(ui, field, row);
            }
        });
        let masked: Vec<Masked> = row
            .masked
            .iter()
            .filter(|m| is_within(&m.path, &field.path))
            .cloned()
            .collect();
        for m in &masked {
            masked_marker(ui, m, row);
        }
    });
}

/// The editor for one field: its widget, else the one its type gets.
fn field_editor(
    ui: &mut Ui,
    field: &Field,
    value: Option<&Value>,
    label: egui::Id,
    row: &mut RowCtx<'_>,
) {
    let strings = value.is_none_or(|v| {
        v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    });
    let scalar = value.is_none_or(|v| !v.is_object() && !v.is_array() && !v.is_boolean());
    match (field.widget, field.ty) {
        (Some(Widget::Multiline), _) if value.is_none_or(|v| v.is_null() || v.is_string()) => {
            text_field(ui, field, value, label, true, row);
        }
        (Some(Widget::MultiSelect), _) if strings => {
            let items = string_items(value);
            if let Some(next) = multi_select(ui, &field.label, &field.values, &items) {
                row.set(&field.path, string_array(next));
            }
        }
        (Some(Widget::PriorityMap), _) if value.is_none_or(|v| v.is_null() || v.is_object()) => {
            priority_map(ui, field, value, row);
        }
        (Some(Widget::Flags), _) if strings => {
            let args = string_items(value);
            let backend = get_path(row.whole, "backend").and_then(Value::as_str);
            if let Some(next) = flag_editor(ui, &field.label, &args, backend, row.buffers) {
                row.set(&field.path, string_array(next));
            }
        }
        (_, FieldType::Bool) if value.is_none_or(Value::is_boolean) => {
            let mut on = value.and_then(Value::as_bool).unwrap_or(false);
            if toggle(ui, &mut on, &field.label)
                .labelled_by(label)
                .changed()
            {
                row.set(&field.path, Value::Bool(on));
            }
        }
        (_, FieldType::Enum) if value.is_none_or(Value::is_string) => {
            if let Some(choice) = enum_combo(ui, field, value, label) {
                row.set(&field.path, choice);
            }
        }
        (_, FieldType::StringList) if strings => {
            if let Some(list) = string_list(ui, field, value) {
                row.set(&field.path, list);
            }
        }
        (
            _,
            FieldType::Int
            | FieldType::Float
            | FieldType::String
            | FieldType::OptionalString
            | FieldType::Path
            | FieldType::Url
            | FieldType::EnvVar
            | FieldType::OptionalInt,
        ) if scalar => text_field(ui, field, value, label, false, row),
        _ => {
            let text = value.map_or_else(|| "(unset)".into(), Value::to_string);
            ui.label(RichText::new(text).monospace()).labelled_by(label);
        }
    }
}

fn reset_button(ui: &mut Ui, field: &Field, row: &mut RowCtx<'_>) {
    let reset = ui
        .small_button("↺")
        .on_hover_text("Remove the curated value (the discovered one, if any, shows again)");
    reset.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Reset {}", field.label))
    });
    if reset.clicked() {
        row.remove(&field.path);
    }
}

/// "curated hides discovered: X" and the button that lets X show again.
fn masked_marker(ui: &mut Ui, masked: &Masked, row: &mut RowCtx<'_>) {
    ui.horizontal_wrapped(|ui| {
        let text = masked_message(&masked.discovered);
        ui.label(RichText::new(text).color(theme::accent(ui.visuals())))
            .on_hover_text(format!(
                "{}: the curated value wins in the merge, so the discovered value \
                 (where ImageWorks' own Models page saves its edits) is not used",
                masked.path
            ));
        let use_it = ui
            .small_button("Use the discovered value")
            .on_hover_text(format!("Remove {} from the curated entry", masked.path));
        use_it.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::Role::Button,
                true,
                format!("Use the discovered value for {}", masked.path),
            )
        });
        if use_it.clicked() {
            row.remove(&masked.path);
        }
    });
}

/// An object of integers per role: the entry's roles (and any key already
/// set), each with its score; an empty field removes the curated score.
fn priority_map(ui: &mut Ui, field: &Field, value: Option<&Value>, row: &mut RowCtx<'_>) {
    let scores = value.and_then(Value::as_object);
    let listed = field
        .keys_from
        .as_deref()
        .map(|p| string_items(get_path(row.whole, p)))
        .unwrap_or_default();
    let mut keys: Vec<String> = listed;
    for key in scores.into_iter().flat_map(|m| m.keys()) {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    // A key with a dot would read as a nested path.
    keys.retain(|k| !k.contains('.') && !k.is_empty());
    if keys.is_empty() {
        ui.label(
            RichText::new("No roles: tick a role above to give it a priority")
                .color(theme::muted(ui.visuals())),
        );
        return;
    }
    let mut number = field.clone();
    number.ty = FieldType::Int;
    egui::Grid::new(("priority_map", &field.path))
        .num_columns(2)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            for key in keys {
                let key_label = ui.label(RichText::new(&key).monospace());
                number.path = format!("{}.{key}", field.path);
                number.label = format!("{} {key}", field.label);
                let current = scores.and_then(|m| m.get(&key));
                let look = TextLook {
                    hint: "unset",
                    monospace: true,
                    width: 60.0,
                    ..TextLook::default()
                };
                let shown = scalar_text(current);
                let committed = committed_text(
                    ui,
                    row.buffers,
                    &number.path,
                    &shown,
                    key_label.id,
                    look,
                    |t| parse_scalar(&number, t),
                );
                match committed {
                    Some(Value::Null) => row.remove(&number.path),
                    Some(v) => row.set(&number.path, v),
                    None => {}
                }
                ui.end_row();
            }
        });
}

fn string_items(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn string_array(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

/// The text a scalar shows in its editor.
fn scalar_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Parse typed text for a field by the entry layout's rule (core
/// `registry::field_input`, as `registry set` does); `Err` says why not.
pub fn parse_scalar(field: &Field, text: &str) -> Result<Value, String> {
    parse_field_text(field, text).map_err(|e| e.to_string())
}

fn text_field(
    ui: &mut Ui,
    field: &Field,
    value: Option<&Value>,
    label: egui::Id,
    multiline: bool,
    row: &mut RowCtx<'_>,
) {
    let numeric = matches!(
        field.ty,
        FieldType::Int | FieldType::OptionalInt | FieldType::Float
    );
    let look = TextLook {
        hint: if matches!(value, None | Some(Value::Null)) {
            "not set"
        } else {
            ""
        },
        monospace: numeric,
        multiline,
        width: if multiline {
            theme::EDITOR_WIDTH * 2.0
        } else {
            theme::EDITOR_WIDTH
        },
    };
    let shown = scalar_text(value);
    let committed = committed_text(ui, row.buffers, &field.path, &shown, label, look, |t| {
        parse_scalar(field, t)
    });
    if let Some(new) = committed
        && value.unwrap_or(&Value::Null) != &new
    {
        row.set(&field.path, new);
    }
    if let Some(unit) = &field.unit {
        ui.label(RichText::new(unit).color(theme::muted(ui.visuals())));
    }
}

/// An enum field's combo box; the new value when the user picked one.
fn enum_combo(ui: &mut Ui, field: &Field, value: Option<&Value>, label: egui::Id) -> Option<Value> {
    let current = value.and_then(Value::as_str).unwrap_or("").to_owned();
    let mut choice = current.clone();
    egui::ComboBox::from_id_salt(("registry_enum", &field.path))
        .selected_text(if current.is_empty() {
            "(unset)"
        } else {
            field.value_label(&current)
        })
        .width(theme::EDITOR_WIDTH)
        .show_ui(ui, |ui| {
            for v in &field.values {
                ui.selectable_value(&mut choice, v.clone(), field.value_label(v))
                    .on_hover_text(format!("\"{v}\" in the entry"));
            }
        })
        .response
        .labelled_by(label)
        .on_hover_text(format!("\"{current}\" in the entry"));
    (choice != current).then_some(Value::String(choice))
}

/// A list-of-strings field's editor; the new list when the user changed it.
fn string_list(ui: &mut Ui, field: &Field, value: Option<&Value>) -> Option<Value> {
    let mut items = string_items(value);
    let id = ui.scope_id().with(("registry_list", &field.path));
    list_editor(ui, id, &field.label, &mut items).then(|| string_array(items))
}
