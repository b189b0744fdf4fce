//! Endpoints: a list of `[[endpoints]]` with add / duplicate / remove /
//! reorder; each entry's fields as form rows.

use egui::{RichText, Ui};
use toml_edit::Value;

use crate::core::document::DocPath;
use crate::core::layout::Section;
use crate::core::session::Command;
use crate::ui::page_ctx::PageCtx;
use crate::ui::pages::layout_page::section_title;
use crate::ui::theme;
use crate::ui::widgets::{FieldPlace, field_rows};

pub fn show(ui: &mut Ui, ctx: &mut PageCtx<'_>, section: &Section) {
    section_title(ui, section);
    let count = ctx
        .session
        .doc()
        .array(&section.table)
        .map_or(0, |a| a.len());
    if count == 0 {
        ui.label(RichText::new("No endpoints yet.").italics());
    }
    for index in 0..count {
        entry_card(ui, ctx, section, index, count);
        ui.add_space(theme::ROW_GAP);
    }
    ui.add_enabled_ui(!ctx.read_only, |ui| {
        if ui.button("➕ Add endpoint").clicked() {
            ctx.edit(Command::PushArrayEntry {
                table: section.table.clone(),
                entry: new_entry(ctx, section, count),
            });
        }
    });
}

/// A new entry named `endpoint-N` (the first N not taken) with the layout's defaults.
fn new_entry(ctx: &PageCtx<'_>, section: &Section, count: usize) -> toml_edit::Table {
    let mut entry = toml_edit::Table::new();
    let taken: Vec<String> = (0..count)
        .filter_map(|i| entry_name(ctx, section, i))
        .collect();
    let name = (count + 1..)
        .map(|n| format!("endpoint-{n}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_default();
    for field in &section.fields {
        if field.key == "name" {
            entry.insert("name", toml_edit::value(name.clone()));
        } else if let (true, Some(default)) = (field.required, &field.default) {
            entry.insert(&field.key, toml_edit::Item::Value(default.clone()));
        }
    }
    entry
}

fn entry_name(ctx: &PageCtx<'_>, section: &Section, index: usize) -> Option<String> {
    let path = DocPath::keys(&section.table_path())
        .index(index)
        .child("name");
    ctx.value(&path).and_then(Value::as_str).map(str::to_owned)
}

fn entry_card(ui: &mut Ui, ctx: &mut PageCtx<'_>, section: &Section, index: usize, count: usize) {
    let base = DocPath::keys(&section.table_path()).index(index);
    let name = entry_name(ctx, section, index).unwrap_or_else(|| format!("entry {}", index + 1));
    let has_error = ctx
        .session
        .findings()
        .iter()
        .any(|f| f.is_error() && f.path.starts_with(&base) && f.path != base);
    let focused_inside = ctx
        .view
        .focus_path
        .as_ref()
        .is_some_and(|p| p.starts_with(&base) && *p != base);
    theme::card(ui.visuals()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let key = base.to_string();
        let mut open = *ctx.view.expanded.get(&key).unwrap_or(&(count <= 3)) || focused_inside;
        ui.horizontal(|ui| {
            let arrow = if open { "⏷" } else { "⏵" };
            if ui
                .button(format!("{arrow} {name}"))
                .on_hover_text("Show or hide this endpoint's settings")
                .clicked()
            {
                open = !open;
            }
            if has_error {
                ui.colored_label(theme::error(ui.visuals()), "⛔ has errors");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.add_enabled_ui(!ctx.read_only, |ui| {
                    entry_buttons(ui, ctx, section, index, count, &name)
                });
            });
        });
        ctx.view.expanded.insert(key, open);
        if open {
            let places = FieldPlace::under(&base, &section.fields);
            field_rows(ui, ctx, &format!("endpoint-{index}"), &places);
        }
    });
}

fn entry_buttons(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    section: &Section,
    index: usize,
    count: usize,
    name: &str,
) {
    let table = section.table.clone();
    if labelled_button(ui, "🗑", &format!("Remove endpoint {name}"), true).clicked() {
        ctx.edit(Command::RemoveArrayEntry {
            table: table.clone(),
            index,
        });
    }
    if labelled_button(ui, "📋", &format!("Duplicate endpoint {name}"), true).clicked() {
        // A copy under the same name would clash at once: give it a new one.
        let copy_name = DocPath::keys(&section.table_path())
            .index(index + 1)
            .child("name");
        ctx.edit(Command::Batch(vec![
            Command::DuplicateArrayEntry {
                table: table.clone(),
                index,
            },
            Command::SetValue {
                path: copy_name,
                value: Value::from(format!("{name}-copy")),
            },
        ]));
    }
    if labelled_button(
        ui,
        "⏷",
        &format!("Move endpoint {name} down"),
        index + 1 < count,
    )
    .clicked()
    {
        ctx.edit(Command::MoveArrayEntry {
            table: table.clone(),
            from: index,
            to: index + 1,
        });
    }
    if labelled_button(ui, "⏶", &format!("Move endpoint {name} up"), index > 0).clicked() {
        ctx.edit(Command::MoveArrayEntry {
            table,
            from: index,
            to: index - 1,
        });
    }
}

fn labelled_button(ui: &mut Ui, icon: &str, label: &str, enabled: bool) -> egui::Response {
    let response = ui
        .add_enabled(enabled, egui::Button::new(icon))
        .on_hover_text(label);
    let label = label.to_owned();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
    response
}
