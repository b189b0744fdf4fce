//! Find a setting by key, label or help text (Ctrl+F).

use egui::{RichText, Ui};

use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::search::search;
use crate::ui::actions::Action;
use crate::ui::theme;

pub const FIND_ID: &str = "find_setting";

pub fn show(
    ui: &mut Ui,
    layouts: &LayoutSet,
    doc: Option<&ConfigDocument>,
    query: &mut String,
    actions: &mut Vec<Action>,
) {
    let id = egui::Id::unique(FIND_ID);
    let response = ui.add(
        egui::TextEdit::singleline(query)
            .id(id)
            .hint_text("🔍 Find a setting (Ctrl+F)")
            .desired_width(260.0),
    );
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Find a setting"));
    if query.trim().is_empty() {
        return;
    }
    let hits = search(layouts, doc, query);
    let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if enter && let Some(first) = hits.first() {
        actions.push(Action::Focus(first.path.clone()));
        query.clear();
        return;
    }
    let below = egui::Area::new(id.with("results"))
        .order(egui::Order::Foreground)
        .fixed_pos(response.rect.left_bottom() + egui::vec2(0.0, 4.0));
    below.show(ui.ctx(), |ui| {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.set_max_width(420.0);
            if hits.is_empty() {
                ui.label(RichText::new("No setting matches.").italics());
            }
            for hit in hits.iter().take(12) {
                let text = format!("{}  ·  {}  ·  {}", hit.label, hit.path, hit.page);
                if ui.selectable_label(false, text).clicked() {
                    actions.push(Action::Focus(hit.path.clone()));
                    query.clear();
                }
            }
            if hits.len() > 12 {
                ui.label(
                    RichText::new(format!("… {} more", hits.len() - 12))
                        .small()
                        .color(theme::muted(ui.visuals())),
                );
            }
        });
    });
}
