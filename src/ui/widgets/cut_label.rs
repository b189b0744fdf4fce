//! A label cut to its cell with one tooltip: egui's own "full text when
//! elided" tooltip would stack on top of the one given here.

use egui::{Response, RichText, Ui};

/// `text` cut to the width there is; `hover` (which should hold the whole
/// value) on hover, whether or not it was cut. An empty `hover` shows none.
pub fn cut_label(ui: &mut Ui, text: impl Into<RichText>, hover: impl Into<String>) -> Response {
    let response = ui.add(
        egui::Label::new(text.into())
            .truncate()
            .show_tooltip_when_elided(false),
    );
    let hover = hover.into();
    if hover.is_empty() {
        response
    } else {
        response.on_hover_text(hover)
    }
}
