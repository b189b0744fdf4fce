//! Storage: one card per asset kind. The backend combo box swaps the fields
//! below it. A switch that would remove keys from the file asks first: keep
//! them (ignored, with a warning) or drop them; dropped fields are kept for
//! the session and come back when that backend is chosen again.

use egui::{RichText, Ui};
use toml_edit::Value;

use crate::core::document::DocPath;
use crate::core::layout::{Section, Variants};
use crate::core::session::Command;
use crate::core::storage_backend::{BackendSwitch, Leaving, fallback_backend, foreign_keys};
use crate::ui::page_ctx::PageCtx;
use crate::ui::theme;
use crate::ui::widgets::section_title;
use crate::ui::widgets::{FieldPlace, field_rows};

pub fn show(ui: &mut Ui, ctx: &mut PageCtx<'_>, section: &Section) {
    section_title(ui, section);
    let Some(variants) = &section.variants else {
        return;
    };
    let fallback = fallback_backend(ctx.session.doc(), ctx.session.layouts(), variants);
    let fallback_label = variants
        .option(&fallback)
        .map_or_else(|| fallback.clone(), |o| o.label.clone());
    for instance in &section.instances {
        let table = DocPath::keys(&section.table_path()).child(instance);
        theme::card(ui.visuals()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            let fallback = Fallback {
                value: &fallback,
                label: &fallback_label,
            };
            asset_card(ui, ctx, section, variants, instance, &table, &fallback);
        });
        ui.add_space(theme::ROW_GAP);
    }
}

/// The backend in force where a table names none, and its label.
struct Fallback<'a> {
    value: &'a str,
    label: &'a str,
}

fn asset_card(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    section: &Section,
    variants: &Variants,
    instance: &str,
    table: &DocPath,
    fallback: &Fallback<'_>,
) {
    let has_table = ctx.session.doc().table_at(table).is_some();
    let disc_path = table.child(&variants.discriminator);
    let chosen = ctx
        .value(&disc_path)
        .and_then(Value::as_str)
        .map(str::to_owned);
    ui.horizontal(|ui| {
        ui.label(RichText::new(title_case(instance)).strong().size(16.0));
        if !has_table {
            ui.label(
                RichText::new(format!("uses the default backend ({})", fallback.label))
                    .color(theme::muted(ui.visuals())),
            );
        }
    });
    ui.add_enabled_ui(!ctx.read_only, |ui| {
        backend_picker(
            ui,
            ctx,
            variants,
            instance,
            table,
            chosen.as_deref(),
            fallback,
        );
    });
    switch_question(ui, ctx, variants, instance, table);
    for f in ctx.findings_at(&disc_path) {
        ui.colored_label(theme::error(ui.visuals()), &f.message);
    }
    let variant = chosen.as_deref().unwrap_or(fallback.value);
    let Some(option) = variants.option(variant) else {
        return;
    };
    if !has_table {
        return;
    }
    let places = FieldPlace::under(table, &option.fields);
    field_rows(ui, ctx, &format!("{}-{instance}", section.id), &places);
    foreign_lines(ui, ctx, section, table, variant);
}

fn backend_picker(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    variants: &Variants,
    instance: &str,
    table: &DocPath,
    chosen: Option<&str>,
    fallback: &Fallback<'_>,
) {
    ui.horizontal(|ui| {
        let label = ui.label(format!("{} backend", title_case(instance)));
        let current = chosen.unwrap_or_default().to_owned();
        let mut pick = current.clone();
        let shown = match chosen {
            Some(v) => variants
                .option(v)
                .map_or_else(|| v.to_owned(), |o| o.label.clone()),
            None => format!("Default ({})", fallback.label),
        };
        egui::ComboBox::from_id_salt(("backend", instance))
            .selected_text(shown)
            .width(theme::EDITOR_WIDTH)
            .show_ui(ui, |ui| {
                for option in &variants.options {
                    ui.selectable_value(&mut pick, option.value.clone(), &option.label)
                        .on_hover_text(format!("\"{}\" in the file", option.value));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(format!(
                "“{}” in the file",
                chosen.unwrap_or("(none: the default backend)")
            ));
        if pick != current {
            let from = chosen.unwrap_or(fallback.value);
            let switch = BackendSwitch::plan(ctx.session.doc(), variants, table, from, &pick);
            if switch.asks() {
                ctx.view.backend_switch = Some(switch);
            } else {
                let command = switch.command(variants, Leaving::Drop, &mut ctx.view.variant_stash);
                ctx.edit(command);
            }
        }
        if ctx.session.doc().table_at(table).is_some()
            && ui
                .small_button("Use default backend")
                .on_hover_text(format!(
                    "Remove [{table}] so this asset kind uses the default backend"
                ))
                .clicked()
        {
            ctx.edit(Command::Remove {
                path: table.clone(),
            });
        }
    });
}

/// The question a switch that removes keys asks: which keys leave, keep
/// them or drop them.
fn switch_question(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    variants: &Variants,
    instance: &str,
    table: &DocPath,
) {
    let Some(switch) = ctx
        .view
        .backend_switch
        .as_ref()
        .filter(|s| s.table == *table)
    else {
        return;
    };
    let name = |v: &str| {
        variants
            .option(v)
            .map_or_else(|| v.to_owned(), |o| o.label.clone())
    };
    let v = ui.visuals().clone();
    let mut answer = None;
    theme::warning_card(ui, |ui| {
        ui.label(
            RichText::new(format!(
                "Switching {} from {} to {} removes these keys from the file:",
                title_case(instance),
                name(&switch.from),
                name(&switch.to)
            ))
            .color(theme::warning(&v))
            .strong(),
        );
        for line in switch.leaving_lines() {
            ui.label(RichText::new(format!("  {line}")).monospace());
        }
        ui.horizontal(|ui| {
            if ui
                .button("Drop them")
                .on_hover_text(
                    "Remove them from the file; switching back in this session brings them back",
                )
                .clicked()
            {
                answer = Some(Some(Leaving::Drop));
            }
            if ui
                .button("Keep them")
                .on_hover_text(format!(
                    "Leave them in the file: {} ignores them and each gets a warning",
                    name(&switch.to)
                ))
                .clicked()
            {
                answer = Some(Some(Leaving::Keep));
            }
            if ui.button("Cancel switch").clicked() {
                answer = Some(None);
            }
        });
    });
    let Some(answer) = answer else {
        return;
    };
    if let (Some(choice), Some(switch)) = (answer, ctx.view.backend_switch.take()) {
        let command = switch.command(variants, choice, &mut ctx.view.variant_stash);
        ctx.edit(command);
    }
    ctx.view.backend_switch = None;
}

/// Keys the chosen backend does not know (kept from another one): each with
/// its warning and a way to remove it.
fn foreign_lines(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    section: &Section,
    table: &DocPath,
    backend: &str,
) {
    for key in foreign_keys(ctx.session.doc(), section, table, backend) {
        let path = table.child(&key);
        let value = ctx
            .value(&path)
            .map(|v| v.to_string().trim().to_owned())
            .unwrap_or_default();
        let why: Vec<String> = ctx.findings_at(&path).map(|f| f.message.clone()).collect();
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("⚠ kept: {key} = {value}"))
                    .monospace()
                    .color(theme::warning(ui.visuals())),
            )
            .on_hover_text(why.join("\n"));
            let remove = ui
                .add_enabled(!ctx.read_only, egui::Button::new("✖").small())
                .on_hover_text(format!("Remove \"{key}\" from the file"));
            remove.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Remove kept {key}"))
            });
            if remove.clicked() {
                ctx.edit(Command::Remove { path: path.clone() });
            }
        });
    }
}

fn title_case(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
        .replace('_', " ")
}
