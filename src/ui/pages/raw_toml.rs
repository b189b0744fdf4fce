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
            ui.horizontal(|ui| {
                ui.label("Nothing can be saved and the forms are read-only until this is fixed (or undone with Ctrl+Z).");
                if ui.button(format!("Go to line {}", e.line)).clicked() {
                    ctx.view.raw_jump = Some(e.line);
                }
            });
        });
    }
    let mut text = ctx.session.raw_text().to_owned();
    let theme_code = egui_extras::syntax_highlighting::CodeTheme::from_memory(ui.ctx(), ui.style());
    let mut layouter = |ui: &Ui, buf: &dyn egui::TextBuffer, _wrap_width: f32| {
        let mut job = egui_extras::syntax_highlighting::highlight(
            ui.ctx(),
            ui.style(),
            &theme_code,
            buf.as_str(),
            "toml",
        );
        // No wrapping: one text line is one row, beside its number.
        job.wrap.max_width = f32::INFINITY;
        ui.fonts_mut(|f| f.layout_job(job))
    };
    let jump = ctx.view.raw_jump.take();
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal_top(|ui| {
                line_numbers(ui, line_count(&text));
                let output = egui::TextEdit::multiline(&mut text)
                    .id(editor_id())
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(30)
                    .layouter(&mut layouter)
                    .show(ui);
                let response = &output.response.response;
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Raw TOML text")
                });
                if let Some(line) = jump {
                    go_to_line(ui, &output, &text, line);
                }
                if response.changed() {
                    ctx.edit(Command::ReplaceText(text.clone()));
                }
            });
        });
}

const EDITOR_ID: &str = "raw_toml_editor";

/// The editor's id (its cursor state is stored under it).
pub fn editor_id() -> egui::Id {
    egui::Id::unique(EDITOR_ID)
}

/// Rows of the editor: a final newline opens an empty last row.
fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// The gutter: one number per row, in the editor's font and row height,
/// muted, not selectable, not a Tab stop.
fn line_numbers(ui: &mut Ui, lines: usize) {
    let width = lines.to_string().len();
    let numbers = (1..=lines)
        .map(|n| format!("{n:>width$}"))
        .collect::<Vec<_>>()
        .join("\n");
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    ui.vertical(|ui| {
        // The editor draws its text inside a margin (2 points at the top by
        // default); start the numbers level with its first row.
        ui.add_space(2.0);
        ui.add(
            egui::Label::new(
                RichText::new(numbers)
                    .font(font)
                    .color(theme::muted(ui.visuals())),
            )
            .selectable(false)
            .extend(),
        );
    });
}

/// Put the cursor at the start of `line` (1-based), focus the editor and
/// scroll the line into the middle of the view.
fn go_to_line(ui: &Ui, output: &egui::text_edit::TextEditOutput, text: &str, line: usize) {
    use egui::text::{CCursor, CCursorRange};
    let chars_before: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.chars().count())
        .sum();
    let cursor = CCursor::new(chars_before);
    let mut state = output.state.clone();
    state.cursor.set_char_range(Some(CCursorRange::one(cursor)));
    state.store(ui.ctx(), output.response.response.id);
    output.response.response.request_focus();
    let rect = output
        .galley
        .pos_from_cursor(cursor)
        .translate(output.galley_pos.to_vec2());
    ui.scroll_to_rect(
        rect.expand2(egui::vec2(0.0, 80.0)),
        Some(egui::Align::Center),
    );
}

#[cfg(test)]
mod tests {
    use super::line_count;

    #[test]
    fn a_final_newline_opens_an_empty_last_row() {
        assert_eq!(line_count(""), 1);
        assert_eq!(line_count("a = 1"), 1);
        assert_eq!(line_count("a = 1\n"), 2);
        assert_eq!(line_count("a = 1\r\nb = 2"), 2);
    }
}
