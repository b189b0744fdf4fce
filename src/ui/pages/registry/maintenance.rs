//! Maintenance actions on the Registry page: a menu in the toolbar, and a
//! preview dialog with each file's diff and Apply / Cancel. Planning and
//! applying are core's (`registry::maintenance`); an applied plan is one
//! undo step (`RegistryState`).

use egui::{RichText, Ui};

use crate::core::plural;
use crate::core::registry::RegistryStore;
use crate::core::registry::maintenance::{MaintenanceAction, MaintenancePlan};
use crate::core::registry::merge::EntryLayer;
use crate::core::registry::sort::ServedIds;
use crate::ui::actions::Action;
use crate::ui::theme;

use super::RegistryAction;

/// An action being previewed: its plan, or why there is none.
#[derive(Debug)]
pub struct Preview {
    pub action: MaintenanceAction,
    pub plan: Result<MaintenancePlan, String>,
}

/// The toolbar's "Maintenance" menu.
pub fn menu(ui: &mut Ui, selected: Option<&str>, actions: &mut Vec<Action>) {
    let mut preview = |action| actions.push(Action::Registry(RegistryAction::Preview(action)));
    ui.menu_button("✨ Maintenance", |ui| {
        let remove = ui
            .add_enabled(
                selected.is_some(),
                egui::Button::new("Remove the selected entry completely…"),
            )
            .on_hover_text("Its curated and discovered entries; model files are not touched")
            .on_disabled_hover_text("Select an entry first");
        if let (true, Some(name)) = (remove.clicked(), selected) {
            preview(MaintenanceAction::Remove {
                names: vec![name.to_owned()],
            });
        }
        if ui.button("Purge deprecated entries…").clicked() {
            preview(MaintenanceAction::PurgeDeprecated);
        }
        if ui
            .button("Prune duplicates…")
            .on_hover_text(
                "Same backend, host:port and model path, or same served_model_id: keep the curated one",
            )
            .clicked()
        {
            preview(MaintenanceAction::PruneDuplicates);
        }
        if ui.button("Promote discovered entries…").clicked() {
            preview(MaintenanceAction::Promote { names: Vec::new() });
        }
        if ui
            .button("Normalize…")
            .on_hover_text("served_model_id \"None\" -> null, blank hosts, untrimmed roles and aliases")
            .clicked()
        {
            preview(MaintenanceAction::Normalize);
        }
    });
}

/// The preview dialog, while an action is previewed.
pub fn dialog(
    ctx: &egui::Context,
    preview: &Preview,
    store: &RegistryStore,
    served: Option<&ServedIds>,
    actions: &mut Vec<Action>,
) {
    let mut open = true;
    egui::Window::new("✨ Maintenance preview")
        .open(&mut open)
        // Centred over the window, not over the menu bar at the top left.
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
        .collapsible(false)
        .default_width(820.0)
        .default_height(560.0)
        .show(ctx, |ui| body(ui, preview, store, served, actions));
    if !open {
        actions.push(Action::Registry(RegistryAction::ClosePreview));
    }
}

fn body(
    ui: &mut Ui,
    preview: &Preview,
    store: &RegistryStore,
    served: Option<&ServedIds>,
    actions: &mut Vec<Action>,
) {
    ui.heading(preview.action.label());
    if let MaintenanceAction::Promote { names } = &preview.action {
        promote_picker(ui, names, store, actions);
        ui.separator();
    }
    let plan = match &preview.plan {
        Ok(plan) => Some(plan),
        Err(e) => {
            ui.label(RichText::new(e).color(theme::muted(ui.visuals())));
            None
        }
    };
    if let Some(plan) = plan {
        served_now(ui, plan, served);
        summary(ui, plan);
    }
    ui.separator();
    ui.horizontal(|ui| {
        let can_apply = plan.is_some_and(|p| !p.is_empty());
        if ui
            .add_enabled(can_apply, egui::Button::new("✔ Apply"))
            .on_hover_text("Change the layers here (one undo step); Save writes them")
            .clicked()
        {
            actions.push(Action::Registry(RegistryAction::ApplyPreview));
        }
        if ui.button("Cancel").clicked() {
            actions.push(Action::Registry(RegistryAction::ClosePreview));
        }
    });
    if let Some(plan) = plan {
        egui::ScrollArea::vertical()
            .id_salt("registry_maintenance_diffs")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for diff in &plan.diffs {
                    egui::CollapsingHeader::new(diff.layer.file_name())
                        .id_salt(("maintenance_diff", diff.layer.file_name()))
                        .default_open(true)
                        .show(ui, |ui| diff_lines(ui, &diff.diff));
                }
            });
    }
}

/// Before anything else: which removed entries the proxy serves right now,
/// and what their clients will get; unknown when not connected.
fn served_now(ui: &mut Ui, plan: &MaintenancePlan, served: Option<&ServedIds>) {
    if plan.removed.is_empty() {
        return;
    }
    let v = ui.visuals().clone();
    let Some(served) = served else {
        ui.label(
            RichText::new(
                "Not connected to a proxy: whether it serves any of these entries now is unknown. \
                 Connect on Preview & push to see what clients would lose.",
            )
            .color(theme::muted(&v)),
        );
        return;
    };
    let losses = plan.served_losses(served);
    if losses.is_empty() {
        ui.label(
            RichText::new("The connected proxy serves none of these entries now.")
                .color(theme::muted(&v)),
        );
        return;
    }
    theme::warning_card(ui, |ui| {
        ui.label(
            RichText::new(format!(
                "⚠ Served right now: {}",
                plural::count(losses.len(), "entry", "entries")
            ))
            .strong()
            .color(theme::warning(&v)),
        );
        for loss in &losses {
            ui.label(format!("• {loss}"));
        }
    });
}

fn summary(ui: &mut Ui, plan: &MaintenancePlan) {
    if plan.is_empty() {
        ui.label("Nothing to do: no file would change.");
    }
    for change in &plan.changes {
        ui.label(format!("• {change}"));
    }
    let warn = theme::warning(ui.visuals());
    for kept in &plan.kept {
        ui.label(RichText::new(format!("⚠ kept: {kept}")).color(warn));
    }
    if !plan.is_empty() {
        let files: Vec<&str> = plan.diffs.iter().map(|d| d.layer.file_name()).collect();
        ui.label(
            RichText::new(format!("Files that change: {}", files.join(", ")))
                .color(theme::muted(ui.visuals())),
        );
    }
}

/// Checkboxes over the discovered-only entries; a change re-plans.
fn promote_picker(
    ui: &mut Ui,
    chosen: &[String],
    store: &RegistryStore,
    actions: &mut Vec<Action>,
) {
    ui.label("Discovered entries to promote:");
    let mut next: Vec<String> = chosen.to_vec();
    let mut changed = false;
    let candidates = store
        .merged()
        .entries
        .iter()
        .filter(|e| e.layer == EntryLayer::DiscoveredOnly);
    for entry in candidates {
        let mut on = chosen.iter().any(|n| n == entry.name());
        if ui.checkbox(&mut on, entry.name()).changed() {
            changed = true;
            next.retain(|n| n != entry.name());
            if on {
                next.push(entry.name().to_owned());
            }
        }
    }
    if changed {
        actions.push(Action::Registry(RegistryAction::Preview(
            MaintenanceAction::Promote { names: next },
        )));
    }
}

/// A unified diff, coloured by line.
fn diff_lines(ui: &mut Ui, diff: &str) {
    let v = ui.visuals().clone();
    for line in diff.lines() {
        let text = RichText::new(line).monospace();
        let text = if line.starts_with("+++") || line.starts_with("---") {
            text.strong()
        } else if line.starts_with('+') {
            text.color(theme::added(&v))
        } else if line.starts_with('-') {
            text.color(theme::removed(&v))
        } else if line.starts_with("@@") {
            text.color(theme::accent(&v))
        } else {
            text
        };
        ui.label(text);
    }
}
