//! A layout section's title and help, as every page draws them.

use egui::{RichText, Ui};

use crate::core::layout::Section;
use crate::ui::theme;

pub fn section_title(ui: &mut Ui, section: &Section) {
    ui.label(RichText::new(&section.title).heading().size(17.0));
    if !section.help.is_empty() {
        ui.label(RichText::new(&section.help).color(theme::muted(ui.visuals())));
    }
    ui.add_space(4.0);
}
