//! Small coloured tags next to a setting's label.

use egui::{Color32, RichText, Ui};

use crate::ui::theme;

pub fn badge(ui: &mut Ui, text: &str, tone: Color32, tooltip: &str) {
    let fill = theme::badge_fill(ui.visuals(), tone);
    egui::Frame::new()
        .fill(fill)
        .corner_radius(4)
        .inner_margin(egui::Margin::symmetric(5, 1))
        .show(ui, |ui| {
            ui.label(RichText::new(text).color(tone));
        })
        .response
        .on_hover_text(tooltip);
}
