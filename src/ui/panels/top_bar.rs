//! File path, unsaved marker, finding counts, and the file/edit buttons.

use egui::{RichText, Ui};

use crate::core::session::EditSession;
use crate::ui::actions::Action;
use crate::ui::commands::UiCommand;
use crate::ui::theme;

/// The model registry's edits, which Save, Undo and Redo cover too.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegistryEdits {
    pub unsaved: bool,
    pub can_undo: bool,
    pub can_redo: bool,
}

pub fn show(
    ui: &mut Ui,
    session: Option<&EditSession>,
    registry: RegistryEdits,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        let ctx = ui.ctx().clone();
        button(
            ui,
            "📂 Open",
            &UiCommand::Open.tooltip_with_shortcut(&ctx),
            true,
            Action::Open,
            actions,
        );
        let has = session.is_some();
        let dirty = session.is_some_and(EditSession::is_dirty);
        button(
            ui,
            "💾 Save",
            &UiCommand::Save.tooltip_with_shortcut(&ctx),
            (has && dirty) || registry.unsaved,
            Action::Save,
            actions,
        );
        button(
            ui,
            "Save as…",
            &UiCommand::SaveAs.tooltip_with_shortcut(&ctx),
            has,
            Action::SaveAs,
            actions,
        );
        button(
            ui,
            "⟲ Reload",
            &UiCommand::Reload.tooltip_with_shortcut(&ctx),
            session.is_some_and(|s| s.path().is_some()),
            Action::Reload,
            actions,
        );
        ui.separator();
        button(
            ui,
            "↩ Undo",
            &UiCommand::Undo.tooltip_with_shortcut(&ctx),
            session.is_some_and(EditSession::can_undo) || registry.can_undo,
            Action::Undo,
            actions,
        );
        button(
            ui,
            "↪ Redo",
            &UiCommand::Redo.tooltip_with_shortcut(&ctx),
            session.is_some_and(EditSession::can_redo) || registry.can_redo,
            Action::Redo,
            actions,
        );
        ui.separator();
        if let Some(s) = session {
            file_label(ui, s, actions);
        }
    });
}

fn button(
    ui: &mut Ui,
    text: &str,
    tip: &str,
    enabled: bool,
    action: Action,
    actions: &mut Vec<Action>,
) {
    if ui
        .add_enabled(enabled, egui::Button::new(text))
        .on_hover_text(tip)
        .clicked()
    {
        actions.push(action);
    }
}

fn file_label(ui: &mut Ui, s: &EditSession, actions: &mut Vec<Action>) {
    let name = s.path().map_or_else(
        || "untitled (not saved yet)".to_owned(),
        |p| p.display().to_string(),
    );
    ui.label(RichText::new(name).monospace());
    if s.is_dirty() {
        ui.label(RichText::new("⏺ unsaved").color(theme::warning(ui.visuals())))
            .on_hover_text(
                "The document differs from the file on disk, or a field shows text that is not in it",
            );
    }
    let errors = s.error_count();
    let warnings = s.warning_count();
    let v = ui.visuals().clone();
    let counts = ui.add(
        egui::Button::new(RichText::new(format!("⛔ {errors}  ⚠ {warnings}")).color(
            if errors > 0 {
                theme::error(&v)
            } else if warnings > 0 {
                theme::warning(&v)
            } else {
                theme::ok(&v)
            },
        ))
        .frame(false),
    );
    if counts
        .on_hover_text(format!(
            "In this file: {}, {} (the registry's are counted on its page); show the Problems panel",
            crate::core::plural::count(errors, "error", "errors"),
            crate::core::plural::count(warnings, "warning", "warnings")
        ))
        .clicked()
    {
        actions.push(Action::ShowProblems);
    }
}
