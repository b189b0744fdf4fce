//! The entry table: virtualised (`body.rows`), so only visible rows are laid out.

use egui::{Align, Layout, RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use super::{RegistryAction, RegistryState, SortColumn, TABLE_CAPABILITIES, host_port};

use crate::core::registry::RegistrySession;
use crate::core::registry::merge::{EntryLayer, MergedEntry};
use crate::core::registry::sort::{ServedIds, served_as};
use crate::ui::actions::Action;
use crate::ui::theme;
use crate::ui::widgets::badge;

pub const ROW_HEIGHT: f32 = 22.0;

/// Tone of a layer name (no colour literals in pages).
pub fn layer_tone(v: &egui::Visuals, layer: EntryLayer) -> egui::Color32 {
    match layer {
        EntryLayer::CuratedOnly => theme::ok(v),
        EntryLayer::DiscoveredOnly => theme::muted(v),
        EntryLayer::Both => theme::accent(v),
        EntryLayer::SnapshotOnly => theme::warning(v),
    }
}

/// Draw the table over `state.rows` (call `RegistryState::rows` first when
/// driving it outside the page, so the rows are current).
pub fn show(
    ui: &mut Ui,
    state: &mut RegistryState,
    scroll_to_selected: bool,
    actions: &mut Vec<Action>,
) {
    let scroll = state.view.table_scroll.take();
    state.refresh_rows();
    let Some(store) = state.session.as_ref().map(RegistrySession::store) else {
        return;
    };
    let merged = store.merged();
    let rows = &state.rows;
    let selected = state.selected.as_deref();
    let served = state.served.as_ref();
    let (sort_col, descending) = (state.sort.column, state.sort.descending);
    let mut columns = vec![
        SortColumn::Name,
        SortColumn::DisplayName,
        SortColumn::Backend,
        SortColumn::HostPort,
        SortColumn::Quantization,
        SortColumn::Layer,
        SortColumn::Capabilities,
        SortColumn::Deprecated,
    ];
    if served.is_some() {
        columns.push(SortColumn::Served);
    }
    ui.label(
        RichText::new(format!(
            "{} of {} entries",
            rows.len(),
            merged.entries.len()
        ))
        .small()
        .color(theme::muted(ui.visuals())),
    );
    // Rows take the clicks (a selectable label would swallow them).
    ui.style_mut().interaction.selectable_labels = false;
    let mut table = TableBuilder::new(ui)
        .id_salt("registry_table")
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center))
        .min_scrolled_height(0.0)
        .auto_shrink([false, true]);
    for col in &columns {
        table = table.column(column_width(*col));
    }
    if let Some(offset) = scroll {
        table = table.vertical_scroll_offset(offset);
    }
    if scroll_to_selected
        && let Some(pos) =
            selected.and_then(|n| rows.iter().position(|&i| merged.entries[i].name() == n))
    {
        table = table.scroll_to_row(pos, Some(Align::Center));
    }
    table
        .header(ROW_HEIGHT, |mut header| {
            for col in &columns {
                header.col(|ui| {
                    let arrow = match (*col == sort_col, descending) {
                        (true, false) => " ⏶",
                        (true, true) => " ⏷",
                        _ => "",
                    };
                    let button = egui::Button::new(
                        RichText::new(format!("{}{arrow}", col.title())).strong(),
                    )
                    .frame(false);
                    if ui
                        .add(button)
                        .on_hover_text(format!("Sort by {}", col.title()))
                        .clicked()
                    {
                        actions.push(Action::Registry(RegistryAction::Sort(*col)));
                    }
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                let entry = &merged.entries[rows[row.index()]];
                let view = entry.view();
                let name = view.name();
                row.set_selected(selected == Some(name));
                for col in &columns {
                    row.col(|ui| cell(ui, *col, entry, served));
                }
                if row.response().clicked() {
                    actions.push(Action::Registry(RegistryAction::Select(name.to_owned())));
                }
            });
        });
}

fn column_width(col: SortColumn) -> Column {
    match col {
        SortColumn::Name => Column::initial(200.0).at_least(80.0).clip(true),
        SortColumn::DisplayName => Column::initial(150.0).at_least(60.0).clip(true),
        SortColumn::Backend => Column::initial(66.0),
        SortColumn::HostPort => Column::initial(175.0).clip(true),
        SortColumn::Quantization => Column::initial(70.0).clip(true),
        SortColumn::Layer => Column::initial(120.0),
        SortColumn::Capabilities => Column::initial(150.0).clip(true),
        SortColumn::Deprecated | SortColumn::Served => Column::remainder().at_least(60.0),
    }
}

/// One cell of the table.
fn cell(ui: &mut Ui, col: SortColumn, entry: &MergedEntry, served: Option<&ServedIds>) {
    let view = entry.view();
    match col {
        SortColumn::Name => {
            ui.label(view.name());
        }
        SortColumn::DisplayName => {
            ui.label(view.display_name().unwrap_or(""));
        }
        SortColumn::Backend => {
            ui.label(view.backend().unwrap_or(""));
        }
        SortColumn::HostPort => {
            ui.label(RichText::new(host_port(entry)).monospace());
        }
        SortColumn::Quantization => {
            ui.label(view.quantization().unwrap_or(""));
        }
        SortColumn::Layer => {
            let tone = layer_tone(ui.visuals(), entry.layer);
            ui.label(RichText::new(entry.layer.as_str()).color(tone));
        }
        SortColumn::Capabilities => {
            let tone = theme::accent(ui.visuals());
            for cap in TABLE_CAPABILITIES {
                if entry.has_capability(cap) {
                    badge(ui, cap, tone, &format!("capabilities.{cap} is true"));
                }
            }
        }
        SortColumn::Deprecated => {
            if view.deprecated() {
                ui.label(RichText::new("deprecated").color(theme::warning(ui.visuals())));
            }
        }
        SortColumn::Served => {
            if let Some(id) = served_as(entry, served) {
                ui.label(RichText::new("served").color(theme::ok(ui.visuals())))
                    .on_hover_text(format!("The proxy serves this entry as `{id}`"));
            }
        }
    }
}
