//! The "Roles" view of the Registry page: for each role, which model the
//! ImageWorks apps and the proxy's `select_by_role` would pick (core
//! `registry::roles`), with a warning for every role either leaves empty.

use egui::{RichText, Ui};

use crate::core::registry::RegistryStore;
use crate::core::registry::roles::{ProxyProfile, RoleCoverage, role_coverage};
use crate::ui::theme;

/// The view's inputs and its last answer, rebuilt when the registry or the
/// profile changes.
#[derive(Debug, Default)]
pub struct RolesView {
    pub open: bool,
    /// The deployment profile's `max_vram_mb`, as typed.
    vram_input: String,
    /// Its `preferred_quantizations`, comma-separated, as typed.
    quant_input: String,
    cache: Option<(u64, ProxyProfile, Vec<RoleCoverage>)>,
}

impl RolesView {
    /// The profile the inputs describe; a limit that is not a number is no limit.
    fn profile(&self) -> ProxyProfile {
        ProxyProfile {
            max_vram_mb: self.vram_input.trim().parse().ok(),
            preferred_quantizations: self
                .quant_input
                .split(',')
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The coverage for `store` at `revision` (computed once per change).
    pub fn coverage(&mut self, store: &RegistryStore, revision: u64) -> &[RoleCoverage] {
        let profile = self.profile();
        let fresh = matches!(&self.cache, Some((r, p, _)) if *r == revision && *p == profile);
        if !fresh {
            let coverage = role_coverage(store, &profile);
            self.cache = Some((revision, profile, coverage));
        }
        self.cache.as_ref().map_or(&[], |(_, _, c)| c.as_slice())
    }
}

/// Draw the view in a window while it is open.
pub fn show(ctx: &egui::Context, view: &mut RolesView, store: &RegistryStore, revision: u64) {
    let mut open = view.open;
    egui::Window::new("📋 Roles")
        .open(&mut open)
        // Centred over the window, not over the menu bar at the top left.
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
        .default_width(760.0)
        .default_height(480.0)
        .show(ctx, |ui| body(ui, view, store, revision));
    view.open = open;
}

fn body(ui: &mut Ui, view: &mut RolesView, store: &RegistryStore, revision: u64) {
    ui.label(
        RichText::new(
            "Apps: merged registry, role listed in roles, not deprecated, vision for \
             caption/keywords/description/narration, highest role_priority. Proxy \
             (select_by_role): curated layer only, role_priority set, vram_estimate_mb within \
             the limit (none: left out), then quantization preference, then smaller VRAM.",
        )
        .color(theme::muted(ui.visuals())),
    );
    ui.horizontal(|ui| {
        let label = ui.label("VRAM limit (MB)");
        ui.add(
            egui::TextEdit::singleline(&mut view.vram_input)
                .desired_width(90.0)
                .hint_text("no limit"),
        )
        .labelled_by(label.id);
        let label = ui.label("Preferred quantizations");
        ui.add(
            egui::TextEdit::singleline(&mut view.quant_input)
                .desired_width(200.0)
                .hint_text("fp8, awq, q4_k_m"),
        )
        .labelled_by(label.id);
    });
    ui.separator();
    let (warn, muted) = (theme::warning(ui.visuals()), theme::muted(ui.visuals()));
    let coverage = view.coverage(store, revision).to_vec();
    egui::ScrollArea::vertical()
        .id_salt("registry_roles_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("registry_roles_grid")
                .num_columns(3)
                .striped(true)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    ui.label(RichText::new("Role").strong());
                    ui.label(RichText::new("Apps pick (best first)").strong());
                    ui.label(RichText::new("Proxy picks (best first)").strong());
                    ui.end_row();
                    for role in &coverage {
                        ui.label(RichText::new(&role.role).monospace());
                        names(ui, &role.apps, muted);
                        names(ui, &role.proxy, muted);
                        ui.end_row();
                    }
                });
            // Below the table, not in it: a long warning in a cell would
            // widen its column and push the proxy's column out of the window.
            let warnings: Vec<&String> = coverage.iter().flat_map(|r| &r.warnings).collect();
            if !warnings.is_empty() {
                ui.separator();
                ui.label(RichText::new(format!("Warnings ({})", warnings.len())).strong());
                for warning in warnings {
                    ui.label(RichText::new(format!("⚠ {warning}")).color(warn));
                }
            }
        });
}

fn names(ui: &mut Ui, list: &[String], muted: egui::Color32) {
    if list.is_empty() {
        ui.label(RichText::new("— none").color(muted));
    } else {
        ui.label(list.join("\n"));
    }
}
