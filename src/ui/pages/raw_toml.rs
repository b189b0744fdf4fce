//! The live document text, highlighted and editable. A raw edit re-parses
//! and updates the forms; while it does not parse, the error is shown at its
//! line and nothing can be saved.

use egui::{RichText, Ui};

use crate::core::session::Command;
use crate::ui::page_ctx::PageCtx;
use crate::ui::theme;

pub fn show(ui: &mut Ui, ctx: &mut PageCtx<'_>) {
    ui.heading("📝 Raw TOML");
    ui.label(
        RichText::new("The document itself. Edits here update the forms as soon as the text parses; comments and layout are kept.")
            .color(theme::muted(ui.visuals())),
    );
    if let Some(e) = ctx.session.parse_error() {
        theme::card(ui.visuals()).show(ui, |ui| {
            ui.colored_label(
                theme::error(ui.visuals()),
                RichText::new(format!("⛔ Line {}, column {}: {}", e.line, e.column, e.message)).strong(),
            );
            ui.label(RichText::new(format!("{:>4} | {}", e.line, e.line_text)).monospace());
            ui.label(RichText::new(format!("{:>4} | {}^", "", " ".repeat(e.column.saturating_sub(1)))).monospace().color(theme::error(ui.visuals())));
            ui.label("Nothing can be saved and the forms are read-only until this is fixed (or undone with Ctrl+Z).");
        });
    }
    let mut text = ctx.session.raw_text().to_owned();
    let theme_code = egui_extras::syntax_highlighting::CodeTheme::from_memory(ui.ctx(), ui.style());
    let mut layouter = |ui: &Ui, buf: &dyn egui::TextBuffer, wrap_width: f32| {
        let mut job = egui_extras::syntax_highlighting::highlight(
            ui.ctx(),
            ui.style(),
            &theme_code,
            buf.as_str(),
            "toml",
        );
        job.wrap.max_width = wrap_width;
        ui.fonts_mut(|f| f.layout_job(job))
    };
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let response = ui.add(
                egui::TextEdit::multiline(&mut text)
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(30)
                    .layouter(&mut layouter),
            );
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Raw TOML text")
            });
            if response.changed() {
                ctx.edit(Command::ReplaceText(text));
            }
        });
}
