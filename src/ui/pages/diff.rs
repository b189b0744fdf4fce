//! A coloured unified diff of the document against the file on disk.

use egui::{RichText, Ui};
use similar::{ChangeTag, TextDiff};

use crate::ui::page_ctx::PageCtx;
use crate::ui::theme;
use crate::ui::widgets::shown;

pub fn show(ui: &mut Ui, ctx: &mut PageCtx<'_>) {
    ui.heading("± Diff");
    let name = ctx
        .session
        .path()
        .map_or_else(|| "(new file)".to_owned(), |p| p.display().to_string());
    ui.label(
        RichText::new(format!("This document against {name} on disk."))
            .color(theme::muted(ui.visuals())),
    );
    ui.add_space(6.0);
    show_diff(
        ui,
        ctx.session.disk_text(),
        ctx.session.raw_text(),
        "on disk",
        "this document",
    );
}

/// A unified diff of two texts, coloured by line; shared with the external-change dialog.
pub fn show_diff(ui: &mut Ui, old: &str, new: &str, old_name: &str, new_name: &str) {
    if old == new {
        ui.label(RichText::new("No differences.").italics());
        return;
    }
    let diff = TextDiff::from_lines(old, new);
    let visuals = ui.visuals().clone();
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("--- {old_name}\n+++ {new_name}"))
                    .monospace()
                    .strong(),
            );
            for group in diff.grouped_ops(3) {
                let (first, last) = (group.first(), group.last());
                if let (Some(first), Some(last)) = (first, last) {
                    let old_range = first.old_range().start + 1..last.old_range().end;
                    let new_range = first.new_range().start + 1..last.new_range().end;
                    ui.label(
                        RichText::new(format!(
                            "@@ -{},{} +{},{} @@",
                            old_range.start,
                            old_range.len() + 1,
                            new_range.start,
                            new_range.len() + 1
                        ))
                        .monospace()
                        .color(theme::accent(&visuals)),
                    );
                }
                for op in &group {
                    for change in diff.iter_changes(op) {
                        let (sign, color) = match change.tag() {
                            ChangeTag::Delete => ("-", Some(theme::removed(&visuals))),
                            ChangeTag::Insert => ("+", Some(theme::added(&visuals))),
                            ChangeTag::Equal => (" ", None),
                        };
                        let line =
                            format!("{sign}{}", shown(change.value().trim_end_matches('\n')));
                        let text = RichText::new(line).monospace();
                        let text = match color {
                            Some(c) => text
                                .color(c)
                                .background_color(theme::badge_fill(&visuals, c)),
                            None => text,
                        };
                        ui.label(text);
                    }
                }
            }
        });
}
