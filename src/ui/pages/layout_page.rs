//! A page generated from a layout: its sections as cards of form rows,
//! storage-style map sections as cards, arrays as endpoint lists, and bool
//! sections that other fields depend on as a grid of toggles.

use egui::{RichText, Ui};

use crate::core::document::DocPath;
use crate::core::layout::{Field, Page, Section, SectionKind};
use crate::ui::page_ctx::PageCtx;
use crate::ui::pages::{endpoints, storage};
use crate::ui::theme;
use crate::ui::widgets::{FieldPlace, field_rows, section_title, toggle};

pub fn show(ui: &mut Ui, ctx: &mut PageCtx<'_>, page: &Page) {
    page_header(ui, ctx, page);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let nested = nested_fields(page);
            for section in &page.sections {
                let own: Vec<&Field> = section
                    .fields
                    .iter()
                    .filter(|f| !nested.contains(&f.path))
                    .collect();
                if own.is_empty() && section.kind == SectionKind::Table {
                    continue; // every field is shown inside its parent's card
                }
                match section.kind {
                    SectionKind::Table if is_toggle_grid(page, section) => {
                        toggle_grid(ui, ctx, page, section);
                    }
                    SectionKind::Table => section_card(ui, ctx, section, &own),
                    SectionKind::Map => storage::show(ui, ctx, section),
                    SectionKind::Array => endpoints::show(ui, ctx, section),
                }
                ui.add_space(theme::SECTION_GAP);
            }
        });
}

fn page_header(ui: &mut Ui, ctx: &PageCtx<'_>, page: &Page) {
    ui.heading(format!("{} {}", page.icon, page.title));
    if !page.help.is_empty() {
        ui.label(RichText::new(&page.help).color(theme::muted(ui.visuals())));
    }
    if page.is_imageworks_only() {
        imageworks_banner(ui);
    }
    if ctx.read_only {
        ui.colored_label(
            theme::error(ui.visuals()),
            "The raw TOML does not parse: these forms show the last good state, read-only. Fix the text on the Raw TOML page.",
        );
    }
    ui.add_space(theme::ROW_GAP);
}

/// What the proxy does with this page, said once instead of on every field.
pub const IMAGEWORKS_BANNER: &str =
    "Read by the ImageWorks app, not by the proxy; an API push drops this page; use a file push";

fn imageworks_banner(ui: &mut Ui) {
    let v = ui.visuals().clone();
    theme::card(&v)
        .fill(theme::badge_fill(&v, theme::accent(&v)))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(format!("ℹ {IMAGEWORKS_BANNER}")).color(theme::accent(&v)))
                .on_hover_text(
                    "The proxy ignores these keys. A push through its API regenerates the file from the \
                     proxy's own settings and drops them; a file push writes this file as it is.",
                );
        });
}

fn section_card(ui: &mut Ui, ctx: &mut PageCtx<'_>, section: &Section, fields: &[&Field]) {
    theme::card(ui.visuals()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        section_title(ui, section);
        let table = DocPath::keys(&section.table_path());
        let places = FieldPlace::under(&table, fields.iter().copied());
        field_rows(ui, ctx, &section.id, &places);
    });
}

/// Paths of fields that depend on a bool of another section of this page.
fn nested_fields(page: &Page) -> Vec<String> {
    page.sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .filter(|f| {
            f.depends_on
                .as_ref()
                .is_some_and(|d| page_has_field(page, d))
        })
        .map(|f| f.path.clone())
        .collect()
}

fn page_has_field(page: &Page, path: &str) -> bool {
    page.sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .any(|f| f.path == path)
}

/// A section of bools that other fields of the page hang under (pages → modules).
fn is_toggle_grid(page: &Page, section: &Section) -> bool {
    section
        .fields
        .iter()
        .all(|f| f.ty == crate::core::layout::FieldType::Bool)
        && page.sections.iter().flat_map(|s| s.fields.iter()).any(|f| {
            f.depends_on
                .as_ref()
                .is_some_and(|d| section.fields.iter().any(|p| &p.path == d))
        })
}

fn toggle_grid(ui: &mut Ui, ctx: &mut PageCtx<'_>, page: &Page, section: &Section) {
    section_title(ui, section);
    let table = DocPath::keys(&section.table_path());
    let columns = ((ui.available_width() / 300.0).floor() as usize).clamp(1, 4);
    egui::Grid::new(("toggle_grid", &section.id))
        .num_columns(columns)
        .spacing([10.0, 10.0])
        .show(ui, |ui| {
            for (i, parent) in section.fields.iter().enumerate() {
                let path = table.child(&parent.key);
                toggle_card(ui, ctx, page, parent, &path);
                if (i + 1) % columns == 0 {
                    ui.end_row();
                }
            }
        });
}

fn toggle_card(ui: &mut Ui, ctx: &mut PageCtx<'_>, page: &Page, parent: &Field, path: &DocPath) {
    let on = bool_value(ctx, parent, path);
    theme::card(ui.visuals()).show(ui, |ui| {
        ui.vertical(|ui| {
            ui.set_width(270.0);
            ui.set_min_height(70.0);
            ui.add_enabled_ui(!ctx.read_only, |ui| {
                bool_line(ui, ctx, parent, path, true);
            });
            let children: Vec<&Field> = page
                .sections
                .iter()
                .flat_map(|s| s.fields.iter())
                .filter(|f| f.depends_on.as_deref() == Some(parent.path.as_str()))
                .collect();
            if children.is_empty() {
                ui.label(RichText::new(&parent.help).color(theme::muted(ui.visuals())));
            }
            // A page that is off hides its modules: said on each module's own
            // line (information, not a finding), so the card keeps its size.
            let note = (!on).then_some(OFF_BY_PAGE);
            ui.add_enabled_ui(on && !ctx.read_only, |ui| {
                for child in children {
                    let child_path = DocPath::parse(&child.path).unwrap_or_default();
                    ui.indent(("module", &child.path), |ui| {
                        bool_line_with(ui, ctx, child, &child_path, false, note);
                    });
                }
            });
        })
    });
}

fn bool_value(ctx: &PageCtx<'_>, field: &Field, path: &DocPath) -> bool {
    ctx.value(path)
        .and_then(toml_edit::Value::as_bool)
        .or_else(|| field.default.as_ref().and_then(toml_edit::Value::as_bool))
        .unwrap_or(false)
}

/// What a module under a page that is off shows beside its switch.
pub const OFF_BY_PAGE: &str = "off by page";

fn bool_line(ui: &mut Ui, ctx: &mut PageCtx<'_>, field: &Field, path: &DocPath, strong: bool) {
    bool_line_with(ui, ctx, field, path, strong, None);
}

/// A switch and its label; `note` (muted, on the same line) says why it has no effect.
fn bool_line_with(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    field: &Field,
    path: &DocPath,
    strong: bool,
    note: Option<&str>,
) {
    let mut on = bool_value(ctx, field, path);
    let focused = ctx.is_focused(path);
    ui.horizontal(|ui| {
        if toggle(ui, &mut on, &field.label)
            .on_hover_text(&field.help)
            .changed()
        {
            ctx.set(path, on);
        }
        let text = RichText::new(&field.label);
        let text = if strong { text.strong() } else { text };
        let text = if focused {
            text.background_color(theme::focus_fill(ui.visuals()))
        } else {
            text
        };
        ui.label(text)
            .on_hover_text(format!("{}\n\nKey: {path}", field.help));
        if let Some(note) = note {
            ui.label(RichText::new(format!("ℹ {note}")).color(theme::muted(ui.visuals())))
                .on_hover_text(
                    "Its page is off, so ImageWorks hides this module whatever its switch says. \
                     Turn the page on to show it.",
                );
        }
    });
    for f in ctx.findings_at(path) {
        let tone = if f.is_error() {
            theme::error(ui.visuals())
        } else {
            theme::warning(ui.visuals())
        };
        ui.label(RichText::new(&f.message).color(tone));
    }
}
