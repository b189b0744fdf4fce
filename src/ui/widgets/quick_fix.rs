//! A finding's quick fix as a button: the Problems panel and the field row
//! offer the same one, and both push the same undoable edit.

use egui::Ui;

use crate::core::session::Command;
use crate::core::validate::Finding;
use crate::ui::actions::Action;

/// "Convert to 4096" / "Remove the BOM" for a finding that has a fix.
pub fn quick_fix_button(ui: &mut Ui, finding: &Finding, actions: &mut Vec<Action>) {
    let Some(fix) = &finding.fix else {
        return;
    };
    let tip = format!(
        "{}\n\nOne edit; Undo (Ctrl+Z) takes it back.",
        finding.message
    );
    if ui.small_button(&fix.label).on_hover_text(tip).clicked() {
        actions.push(Action::Edit(Command::from(&fix.edit)));
    }
}
