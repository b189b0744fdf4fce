//! Endpoints: a list of `[[endpoints]]` with add / duplicate / remove /
//! reorder; each entry's fields as form rows, a test of what it serves and
//! a default-model picker fed by that answer and by the registry.

use crate::core::array_entry::{duplicate_entry, entry_name, push_new_entry};
use crate::core::document::DocPath;
use crate::core::endpoint_check;
use crate::core::layout::Section;
use crate::core::session::Command;
use crate::ui::actions::Action;
use crate::ui::live::{EndpointTest, LiveAction};
use crate::ui::page_ctx::PageCtx;
use crate::ui::pages::registry::RegistryAction;
use crate::ui::theme;
use crate::ui::widgets::section_title;
use crate::ui::widgets::{FieldPlace, field_rows};
use egui::{RichText, Ui};
use toml_edit::Array;

pub fn show(ui: &mut Ui, ctx: &mut PageCtx<'_>, section: &Section) {
    section_title(ui, section);
    // The default-model picker offers the registry's models: find it once,
    // as the Registry page would.
    if ctx.view.registry_models_of.is_none() && !ctx.view.registry_asked {
        ctx.view.registry_asked = true;
        ctx.actions.push(Action::Registry(RegistryAction::Resolve));
    }
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
            ui.separator();
            live_row(ui, ctx, &base, index, &name);
        }
    });
}

/// Test the endpoint and pick default models from what it serves and
/// from the registry.
fn live_row(ui: &mut Ui, ctx: &mut PageCtx<'_>, base: &DocPath, index: usize, name: &str) {
    let spec = endpoint_check::specs(ctx.session.doc(), ctx.session.layouts())
        .into_iter()
        .nth(index)
        .flatten();
    let test = spec.as_ref().and_then(|s| ctx.live.endpoint_test(s));
    let served: &[String] = match test {
        Some(EndpointTest::Done(Ok(report))) => &report.models,
        _ => &[],
    };
    ui.horizontal(|ui| {
        let why = match &spec {
            None => "Give it a base URL first".to_owned(),
            Some(s) => format!(
                "Ask {} what it serves{}",
                crate::ui::widgets::shown(&s.base_url),
                s.api_key_env
                    .as_deref()
                    .map_or(String::new(), |v| format!(" (key from {v}, never shown)"))
            ),
        };
        let pending = matches!(test, Some(EndpointTest::Pending(_)));
        let enabled = spec.is_some() && !pending;
        let response = ui
            .add_enabled(enabled, egui::Button::new("⚡ Test endpoint"))
            .on_hover_text(&why)
            .on_disabled_hover_text(&why);
        // Each card's button says which endpoint it tests (screen readers, tests).
        let label = format!("Test endpoint {name}");
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
        if response.clicked()
            && let Some(s) = &spec
        {
            ctx.actions
                .push(Action::Live(LiveAction::TestEndpoint(Box::new(s.clone()))));
        }
        let current: Vec<String> = spec
            .as_ref()
            .map_or_else(Vec::new, |s| s.default_models.clone());
        model_picker(
            ui,
            ctx,
            &base.child("default_models"),
            name,
            &current,
            served,
        );
    });
    let v = ui.visuals().clone();
    match (test, &spec) {
        (None, _) => {
            ui.label(
                RichText::new(
                    "Not tested yet: test it to pick default models from what it serves.",
                )
                .color(theme::muted(&v)),
            );
        }
        (Some(EndpointTest::Pending(_)), _) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Asking the endpoint for its models…");
            });
        }
        (Some(EndpointTest::Done(Err(e))), _) => {
            ui.label(RichText::new(format!("✖ {e}")).color(theme::error(&v)));
        }
        (Some(EndpointTest::Done(Ok(report))), Some(spec)) => {
            ui.label(
                RichText::new(format!(
                    "✔ {} serves {}: {}",
                    crate::ui::widgets::shown(&report.url),
                    crate::core::plural::count(report.models.len(), "model", "models"),
                    report.models.join(", ")
                ))
                .color(theme::ok(&v)),
            );
            // Checked against the defaults as they are now, not as they were tested.
            for w in endpoint_check::unserved_defaults(spec, &report.models) {
                ui.label(RichText::new(format!("⚠ {w}")).color(theme::warning(&v)));
            }
        }
        (Some(EndpointTest::Done(Ok(_))), None) => {}
    }
}

/// "➕ Default model ⏷": what the endpoint serves (after a test), then the
/// registry's models, each added once to `default_models`.
fn model_picker(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    path: &DocPath,
    name: &str,
    current: &[String],
    served: &[String],
) {
    let enabled = !ctx.read_only && (!served.is_empty() || !ctx.view.registry_models.is_empty());
    let served_ids = served;
    let mut picked = None;
    ui.add_enabled_ui(enabled, |ui| {
        let menu = ui.menu_button("➕ Default model ⏷", |ui| {
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| {
                    let served: Vec<&str> = served.iter().map(String::as_str).collect();
                    let from_registry = endpoint_check::registry_models_beside(
                        &ctx.view.registry_models,
                        served_ids,
                    );
                    let groups = [
                        (format!("Served by {name}"), served),
                        ("From the registry".to_owned(), from_registry),
                    ];
                    for (title, models) in groups {
                        if models.is_empty() {
                            continue;
                        }
                        ui.label(RichText::new(title).strong());
                        for m in models {
                            let have = current.iter().any(|c| c == m);
                            if ui
                                .add_enabled(!have, egui::Button::new(m))
                                .on_disabled_hover_text("Already a default model")
                                .clicked()
                            {
                                picked = Some(m.to_owned());
                                ui.close();
                            }
                        }
                        ui.separator();
                    }
                });
        });
        let label = format!("Add a default model to {name}");
        menu.response
            .on_disabled_hover_text(
                "Test the endpoint or open a registry to pick from their models",
            )
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
    });
    if let Some(model) = picked {
        let array: Array = current
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(model.as_str()))
            .collect();
        ctx.set(path, toml_edit::Value::Array(array));
    }
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
    if labelled_button(ui, "🗐", &format!("Duplicate endpoint {name}"), true).clicked() {
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
