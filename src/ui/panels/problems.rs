//! Every finding, of the config file and of the model registry (a filter
//! shows one or both); clicking one jumps to its field or registry entry,
//! and a finding with a quick fix offers it ("Convert to 4096") as an
//! undoable edit.

use egui::{RichText, Ui};

use crate::core::problem_counts::ProblemCounts;
use crate::core::registry::{Finding as RegistryFinding, Severity};
use crate::core::session::EditSession;
use crate::ui::actions::Action;
use crate::ui::nav::PageId;
use crate::ui::pages::registry::RegistryAction;
use crate::ui::theme;
use crate::ui::widgets::{quick_fix_button, shown};

/// Which findings the panel lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    #[default]
    All,
    Config,
    Registry,
}

pub fn show(
    ui: &mut Ui,
    session: &EditSession,
    counts: &ProblemCounts,
    registry: &[RegistryFinding],
    filter: &mut Filter,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Problems").strong());
        ui.separator();
        // The same tallies as the status bar and the navigation badges.
        let registry_label = counts.registry.map_or_else(
            || "Registry: none open".to_owned(),
            |r| format!("Registry: {}", r.describe()),
        );
        for (value, label) in [
            (Filter::All, format!("Both: {}", counts.both().describe())),
            (
                Filter::Config,
                format!("This file: {}", counts.file.unwrap_or_default().describe()),
            ),
            (Filter::Registry, registry_label),
        ] {
            ui.selectable_value(filter, value, label);
        }
    });
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if *filter != Filter::Config {
                registry_findings(ui, registry, *filter == Filter::Registry, actions);
            }
            if *filter == Filter::Registry {
                return;
            }
            let v = ui.visuals().clone();
            if let Some(e) = session.parse_error() {
                let text = format!(
                    "⛔ line {}:{}  not valid TOML: {}",
                    e.line,
                    e.column,
                    shown(&e.message)
                );
                if ui
                    .add(
                        egui::Button::new(RichText::new(text).color(theme::error(&v))).frame(false),
                    )
                    .clicked()
                {
                    actions.push(Action::ShowLine(e.line));
                }
            }
            if counts.file.unwrap_or_default().listed() == 0 {
                ui.label(RichText::new("No problems in this file.").color(theme::ok(&v)));
            }
            // What a field shows that a save would leave out: first, as it
            // blocks the save.
            for u in session.unwritten() {
                let text = format!("⛔ {}  {}", u.path, u.finding().message);
                if ui
                    .add(
                        egui::Button::new(RichText::new(text).color(theme::error(&v))).frame(false),
                    )
                    .on_hover_text("Show this field")
                    .clicked()
                {
                    actions.push(Action::Focus(u.path.clone()));
                }
            }
            for f in session.findings() {
                let (icon, tone) = if f.is_error() {
                    ("⛔", theme::error(&v))
                } else {
                    ("⚠", theme::warning(&v))
                };
                let text = format!("{icon} {}  {}", f.path, shown(&f.message));
                ui.horizontal_wrapped(|ui| {
                    if let Some(line) = f.line
                        && ui
                            .add(
                                egui::Button::new(
                                    RichText::new(format!("line {line}")).color(tone),
                                )
                                .frame(false),
                            )
                            .on_hover_text("Show this line in Raw TOML")
                            .clicked()
                    {
                        actions.push(Action::ShowLine(line));
                    }
                    let button =
                        ui.add(egui::Button::new(RichText::new(text).color(tone)).frame(false));
                    if button.on_hover_text("Show this setting").clicked() {
                        actions.push(Action::Focus(f.path.clone()));
                    }
                    // A fix edits the document: not while the raw text does not parse.
                    if f.fix.is_some() && session.parse_error().is_none() {
                        quick_fix_button(ui, f, actions);
                    }
                });
            }
        });
}

/// The registry's findings; clicking one shows its entry on the Registry page.
fn registry_findings(
    ui: &mut Ui,
    findings: &[RegistryFinding],
    alone: bool,
    actions: &mut Vec<Action>,
) {
    let v = ui.visuals().clone();
    if findings.is_empty() {
        if alone {
            ui.label(
                RichText::new("No registry problems (or no registry open).").color(theme::ok(&v)),
            );
        }
        return;
    }
    for f in findings {
        let (icon, tone) = match f.severity {
            Severity::Error => ("⛔", theme::error(&v)),
            Severity::Warning => ("⚠", theme::warning(&v)),
            Severity::Info => ("ℹ", theme::muted(&v)),
        };
        let at = if f.field.is_empty() {
            f.entry.clone()
        } else {
            format!("{}.{}", f.entry, f.field)
        };
        let text = format!("{icon} registry  {at}  {}", shown(&f.message));
        if ui
            .add(egui::Button::new(RichText::new(text).color(tone)).frame(false))
            .on_hover_text("Show this entry on the Registry page")
            .clicked()
        {
            actions.push(Action::Navigate(PageId::Registry));
            if !f.entry.is_empty() {
                actions.push(Action::Registry(RegistryAction::Select(f.entry.clone())));
            }
        }
    }
}
