//! Every finding; clicking one jumps to its field, and a finding with a
//! quick fix offers it ("Convert to 4096") as an undoable edit.

use egui::{RichText, Ui};

use crate::core::session::EditSession;
use crate::ui::actions::Action;
use crate::ui::nav::PageId;
use crate::ui::theme;
use crate::ui::widgets::quick_fix_button;

pub fn show(ui: &mut Ui, session: &EditSession, actions: &mut Vec<Action>) {
    ui.label(RichText::new("Problems").strong());
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let v = ui.visuals().clone();
            if let Some(e) = session.parse_error() {
                let text = format!(
                    "⛔ line {}:{}  not valid TOML: {}",
                    e.line, e.column, e.message
                );
                if ui
                    .add(
                        egui::Button::new(RichText::new(text).color(theme::error(&v))).frame(false),
                    )
                    .clicked()
                {
                    actions.push(Action::Navigate(PageId::RawToml));
                }
            }
            if session.findings().is_empty() && session.parse_error().is_none() {
                ui.label(RichText::new("No problems.").color(theme::ok(&v)));
            }
            for f in session.findings() {
                let (icon, tone) = if f.is_error() {
                    ("⛔", theme::error(&v))
                } else {
                    ("⚠", theme::warning(&v))
                };
                let at = f.line.map(|l| format!("line {l}  ")).unwrap_or_default();
                let text = format!("{icon} {at}{}  {}", f.path, f.message);
                let finding = |ui: &mut Ui, actions: &mut Vec<Action>| {
                    let button =
                        ui.add(egui::Button::new(RichText::new(text).color(tone)).frame(false));
                    if button.on_hover_text("Show this setting").clicked() {
                        actions.push(Action::Focus(f.path.clone()));
                    }
                };
                // A fix edits the document: not while the raw text does not parse.
                if f.fix.is_none() || session.parse_error().is_some() {
                    finding(ui, actions);
                    continue;
                }
                ui.horizontal_wrapped(|ui| {
                    finding(ui, actions);
                    quick_fix_button(ui, f, actions);
                });
            }
        });
}
