//! The entry editor, generated from `ui_layouts/registry_entry.toml`: one
//! row per field with its provenance badge; edits go to the curated layer.

use egui::{RichText, Ui};
use serde_json::Value;

use super::{RegistryAction, RegistryState, table::layer_tone};
use crate::core::layout::{Field, FieldType};
use crate::core::registry::merge::{EntryLayer, FieldSource};
use crate::core::registry::model::get_path;
use crate::core::registry::{MergedEntry, RegistryCommand, json_text};
use crate::ui::actions::Action;
use crate::ui::theme;
use crate::ui::widgets::{badge, list_editor, toggle};

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

/// The provenance of `path` (a leaf, or an object: all its leaves).
pub fn provenance_of(prov: &[(String, FieldSource)], path: &str) -> Provenance {
    let mut found = None;
    for (p, source) in prov {
        let inside = p == path
            || p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.'));
        if inside {
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
    let Some(store) = state.store.as_ref() else {
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
    header(ui, entry, &state.view.new_name, actions);
    egui::ScrollArea::vertical()
        .id_salt("registry_editor_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
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
                                field_row(
                                    ui,
                                    &name,
                                    whole,
                                    field,
                                    source,
                                    &mut state.view.edit_buffers,
                                    actions,
                                );
                                ui.end_row();
                            }
                        });
                }
            }
            ui.add_space(theme::SECTION_GAP);
            egui::CollapsingHeader::new("Raw JSON (merged entry, read-only)")
                .id_salt("registry_raw_json")
                .show(ui, |ui| {
                    let mut text = json_text::to_python_json(whole);
                    ui.add(
                        egui::TextEdit::multiline(&mut text)
                            .font(egui::TextStyle::Monospace)
                            .desired_width(f32::INFINITY)
                            .interactive(false),
                    );
                });
        });
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
            .button("📋 Duplicate")
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

fn field_row(
    ui: &mut Ui,
    name: &str,
    whole: &Value,
    field: &Field,
    source: Provenance,
    buffers: &mut std::collections::HashMap<String, String>,
    actions: &mut Vec<Action>,
) {
    let value = get_path(whole, &field.path);
    let mut hover = field.help.clone();
    if !hover.is_empty() {
        hover.push_str("\n\n");
    }
    hover.push_str(&format!("Field: {}", field.path));
    let label = ui
        .label(RichText::new(&field.label).strong())
        .on_hover_text(hover);
    badge(
        ui,
        source.text(),
        source.tone(ui.visuals()),
        "Where the merged value comes from; edits go to the curated layer",
    );
    let set = |value: Value| {
        Action::Registry(RegistryAction::Apply(RegistryCommand::SetField {
            name: name.to_owned(),
            path: field.path.clone(),
            value,
        }))
    };
    ui.horizontal(|ui| {
        match field.ty {
            FieldType::Bool if value.is_none_or(Value::is_boolean) => {
                let mut on = value.and_then(Value::as_bool).unwrap_or(false);
                if toggle(ui, &mut on, &field.label)
                    .labelled_by(label.id)
                    .changed()
                {
                    actions.push(set(Value::Bool(on)));
                }
            }
            FieldType::Enum if value.is_none_or(Value::is_string) => {
                if let Some(choice) = enum_combo(ui, field, value, label.id) {
                    actions.push(set(choice));
                }
            }
            FieldType::StringList
                if value.is_none_or(|v| {
                    v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                }) =>
            {
                if let Some(list) = string_list(ui, field, value) {
                    actions.push(set(list));
                }
            }
            FieldType::Int
            | FieldType::Float
            | FieldType::String
            | FieldType::OptionalString
            | FieldType::Path
            | FieldType::Url
            | FieldType::EnvVar
            | FieldType::OptionalInt
                if value.is_none_or(|v| !v.is_object() && !v.is_array() && !v.is_boolean()) =>
            {
                text_field(ui, field, value, label.id, buffers, actions, &set);
            }
            _ => {
                let text = value.map_or_else(|| "(unset)".into(), Value::to_string);
                ui.label(RichText::new(text).monospace())
                    .labelled_by(label.id);
            }
        }
        if source.curated() {
            let reset = ui.small_button("↺").on_hover_text(
                "Remove the curated value (the discovered one, if any, shows again)",
            );
            reset.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Button,
                    true,
                    format!("Reset {}", field.label),
                )
            });
            if reset.clicked() {
                actions.push(Action::Registry(RegistryAction::Apply(
                    RegistryCommand::RemoveField {
                        name: name.to_owned(),
                        path: field.path.clone(),
                    },
                )));
            }
        }
    });
}

/// The text a scalar shows in its editor.
fn scalar_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Parse typed text for a field; `Err` says why not.
pub fn parse_scalar(field: &Field, text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    match field.ty {
        FieldType::Int | FieldType::OptionalInt => {
            if trimmed.is_empty() {
                return Ok(Value::Null);
            }
            let n: i64 = trimmed.parse().map_err(|_| "not an integer".to_owned())?;
            check_range(field, n as f64)?;
            Ok(Value::from(n))
        }
        FieldType::Float => {
            if trimmed.is_empty() {
                return Ok(Value::Null);
            }
            let n: f64 = trimmed.parse().map_err(|_| "not a number".to_owned())?;
            check_range(field, n)?;
            json_text::python_float(n).ok_or_else(|| "not a finite number".to_owned())
        }
        FieldType::OptionalString if text.is_empty() => Ok(Value::Null),
        _ => Ok(Value::String(text.to_owned())),
    }
}

fn check_range(field: &Field, n: f64) -> Result<(), String> {
    if field.min.is_some_and(|m| n < m) || field.max.is_some_and(|m| n > m) {
        let min = field.min.map_or("…".to_owned(), |m| m.to_string());
        let max = field.max.map_or("…".to_owned(), |m| m.to_string());
        return Err(format!("outside {min}–{max}"));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn text_field(
    ui: &mut Ui,
    field: &Field,
    value: Option<&Value>,
    label_id: egui::Id,
    buffers: &mut std::collections::HashMap<String, String>,
    actions: &mut Vec<Action>,
    set: &dyn Fn(Value) -> Action,
) {
    let mut text = buffers
        .get(&field.path)
        .cloned()
        .unwrap_or_else(|| scalar_text(value));
    let numeric = matches!(
        field.ty,
        FieldType::Int | FieldType::OptionalInt | FieldType::Float
    );
    let mut edit = egui::TextEdit::singleline(&mut text).desired_width(theme::EDITOR_WIDTH);
    if numeric {
        edit = edit.font(egui::TextStyle::Monospace);
    }
    if matches!(value, None | Some(Value::Null)) {
        edit = edit.hint_text("null");
    }
    let response = ui.add(edit).labelled_by(label_id);
    if response.changed() {
        buffers.insert(field.path.clone(), text.clone());
    }
    let parsed = buffers.get(&field.path).map(|t| parse_scalar(field, t));
    if response.lost_focus() {
        // An unparsable text stays in its buffer (and shows its error).
        if let Some(Ok(new)) = parsed {
            buffers.remove(&field.path);
            if value.unwrap_or(&Value::Null) != &new {
                actions.push(set(new));
            }
        }
    } else if let Some(Err(problem)) = parsed {
        ui.label(RichText::new(format!("⛔ {problem}")).color(theme::error(ui.visuals())));
    }
    if let Some(unit) = &field.unit {
        ui.label(
            RichText::new(unit)
                .small()
                .color(theme::muted(ui.visuals())),
        );
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
            &current
        })
        .width(theme::EDITOR_WIDTH)
        .show_ui(ui, |ui| {
            for v in &field.values {
                ui.selectable_value(&mut choice, v.clone(), v);
            }
        })
        .response
        .labelled_by(label);
    (choice != current).then_some(Value::String(choice))
}

/// A list-of-strings field's editor; the new list when the user changed it.
fn string_list(ui: &mut Ui, field: &Field, value: Option<&Value>) -> Option<Value> {
    let mut items: Vec<String> = value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let id = ui.scope_id().with(("registry_list", &field.path));
    list_editor(ui, id, &field.label, &mut items)
        .then(|| Value::Array(items.into_iter().map(Value::String).collect()))
}
