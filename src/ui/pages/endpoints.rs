//! Endpoints: a list of `[[endpoints]]` with add / duplicate / remove /
//! reorder; each entry's fields as form rows.

use crate::core::array_entry::{duplicate_entry, entry_name, push_new_entry};
use crate::core::document::DocPath;
use crate::core::layout::Section;
use crate::core::session::Command;
use crate::ui::page_ctx::PageCtx;
use crate::ui::pages::layout_page::section_title;
use crate::ui::theme;
use crate::ui::widgets::{FieldPlace, field_rows};
use egui::{RichText, Ui};

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
            ctx.edit(push_new_entry(ctx.session.doc(), section));
        }
    });
}

fn entry_card(ui: &mut Ui, ctx: &mut PageCtx<'_>, section: &Section, index: usize, count: usize) {
    let base = DocPath::keys(&section.table_path()).index(index);
    let name = entry_name(ctx.session.doc(), section, index)
        .unwrap_or_else(|| format!("entry {}", index + 1));
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
                    entry_buttons(ui, ctx, section, index, count, &name);
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
        ctx.edit(duplicate_entry(section, index, name));
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
