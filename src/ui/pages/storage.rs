//! Storage: one card per asset kind. The backend combo box swaps the fields
//! below it; fields of a backend switched away from are kept for the session
//! and come back when it is chosen again.

use egui::{RichText, Ui};
use toml_edit::Value;

use crate::core::document::DocPath;
use crate::core::layout::{Section, Variants};
use crate::core::session::Command;
use crate::core::storage_backend::{fallback_backend, switch_backend};
use crate::ui::page_ctx::PageCtx;
use crate::ui::pages::layout_page::section_title;
use crate::ui::theme;
use crate::ui::widgets::{FieldPlace, field_rows};

pub fn show(ui: &mut Ui, ctx: &mut PageCtx<'_>, section: &Section) {
    section_title(ui, section);
    let Some(variants) = &section.variants else {
        return;
    };
    let fallback = fallback_backend(ctx.session.doc(), ctx.session.layouts(), variants);
    for instance in &section.instances {
        let table = DocPath::keys(&section.table_path()).child(instance);
        theme::card(ui.visuals()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            asset_card(ui, ctx, section, variants, instance, &table, &fallback);
        });
        ui.add_space(theme::ROW_GAP);
    }
}

fn asset_card(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    section: &Section,
    variants: &Variants,
    instance: &str,
    table: &DocPath,
    fallback: &str,
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
                RichText::new(format!("uses the default backend ({fallback})"))
                    .color(theme::muted(ui.visuals())),
            );
        }
    });
    ui.add_enabled_ui(!ctx.read_only, |ui| {
        ui.horizontal(|ui| {
            let label = ui.label(format!("{} backend", title_case(instance)));
            let current = chosen.clone().unwrap_or_default();
            let mut pick = current.clone();
            let shown = match &chosen {
                Some(v) => variants
                    .option(v)
                    .map_or_else(|| v.clone(), |o| o.label.clone()),
                None => format!("Default ({fallback})"),
            };
            egui::ComboBox::from_id_salt(("backend", instance))
                .selected_text(shown)
                .width(theme::EDITOR_WIDTH)
                .show_ui(ui, |ui| {
                    for option in &variants.options {
                        ui.selectable_value(&mut pick, option.value.clone(), &option.label);
                    }
                })
                .response
                .labelled_by(label.id);
            if pick != current {
                let command = switch_backend(
                    ctx.session.doc(),
                    variants,
                    table,
                    chosen.as_deref().unwrap_or(fallback),
                    &pick,
                    &mut ctx.view.variant_stash,
                );
                ctx.edit(command);
            }
            if has_table
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
    });
    for f in ctx.findings_at(&disc_path) {
        ui.colored_label(theme::error(ui.visuals()), &f.message);
    }
    let variant = chosen.as_deref().unwrap_or(fallback);
    let Some(option) = variants.option(variant) else {
        return;
    };
    if !has_table {
        return;
    }
    let places = FieldPlace::under(table, &option.fields);
    field_rows(ui, ctx, &format!("{}-{instance}", section.id), &places);
}

fn title_case(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
        .replace('_', " ")
}
