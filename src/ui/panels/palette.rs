//! The command palette (Ctrl+Shift+P): every command of the table and
//! every page, found by typing a few letters of its name. Arrows move the
//! selection, Enter runs it, a click runs the clicked one, Escape closes.

use egui::{Key, RichText};

use crate::core::layout::LayoutSet;
use crate::ui::actions::Action;
use crate::ui::commands::UiCommand;
use crate::ui::nav::{PageId, page_order, page_title};
use crate::ui::theme;

const PALETTE_ID: &str = "command_palette";

/// Whether the palette is showing, and what is typed into it.
#[derive(Debug, Default)]
pub struct PaletteState {
    open: bool,
    query: String,
    selected: usize,
}

impl PaletteState {
    pub fn open(&mut self) {
        *self = Self {
            open: true,
            ..Self::default()
        };
    }

    pub fn is_open(&self) -> bool {
        self.open
    }
}

/// One line of the palette.
#[derive(Clone, Debug)]
pub struct Entry {
    pub label: String,
    /// The shortcut, or what kind of entry it is ("page").
    pub detail: String,
    pub target: Target,
    pub enabled: bool,
}

/// What an entry runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Command(UiCommand),
    Page(PageId),
}

impl Target {
    fn action(&self) -> Action {
        match self {
            Self::Command(c) => c.action(),
            Self::Page(page) => Action::Navigate(page.clone()),
        }
    }
}

/// Everything the palette offers: the commands (itself excepted), then the pages.
pub fn entries(ctx: &egui::Context, layouts: &LayoutSet, has_file: bool) -> Vec<Entry> {
    let commands = UiCommand::ALL
        .into_iter()
        .filter(|c| *c != UiCommand::CommandPalette)
        .map(|c| Entry {
            label: c.palette_label(),
            detail: c
                .shortcut()
                .map(|s| ctx.format_shortcut(&s))
                .unwrap_or_default(),
            target: Target::Command(c),
            enabled: has_file || !c.needs_file(),
        });
    let pages = page_order(layouts).into_iter().map(|page| Entry {
        label: format!("Go to {}", page_title(layouts, &page)),
        detail: "page".to_owned(),
        target: Target::Page(page),
        enabled: has_file,
    });
    commands.chain(pages).collect()
}

/// The entries that fit `query`, best first by the core's rule
/// (`text_match::rank`); equal fits keep table order.
pub fn matching<'a>(entries: &'a [Entry], query: &str) -> Vec<&'a Entry> {
    let labels: Vec<&str> = entries.iter().map(|e| e.label.as_str()).collect();
    crate::core::text_match::rank(&labels, query)
        .into_iter()
        .map(|i| &entries[i])
        .collect()
}

pub fn show(
    ctx: &egui::Context,
    layouts: &LayoutSet,
    has_file: bool,
    state: &mut PaletteState,
    actions: &mut Vec<Action>,
) {
    if !state.open {
        return;
    }
    let (down, up, enter, escape) = ctx.input_mut(|i| {
        (
            i.count_and_consume_key(egui::Modifiers::NONE, Key::ArrowDown),
            i.count_and_consume_key(egui::Modifiers::NONE, Key::ArrowUp),
            i.consume_key(egui::Modifiers::NONE, Key::Enter),
            i.consume_key(egui::Modifiers::NONE, Key::Escape),
        )
    });
    let all = entries(ctx, layouts, has_file);
    let hits = matching(&all, &state.query);
    if !hits.is_empty() {
        let n = hits.len();
        state.selected = (state.selected % n + down + n - up % n) % n;
    }
    let mut chosen = enter.then_some(state.selected);
    let modal = egui::Modal::new(egui::Id::unique(PALETTE_ID)).show(ctx, |ui| {
        ui.set_width(520.0);
        let field = ui.add(
            egui::TextEdit::singleline(&mut state.query)
                .id(egui::Id::unique(PALETTE_ID).with("query"))
                .hint_text("Type a command or a page")
                .desired_width(f32::INFINITY),
        );
        field.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Command palette")
        });
        if !field.has_focus() {
            field.request_focus();
        }
        if field.changed() {
            state.selected = 0;
        }
        ui.add_space(4.0);
        // A list of fixed height: the modal is centred, so a list that
        // shrank as the query narrows would move the field being typed in.
        egui::ScrollArea::vertical()
            .max_height(340.0)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if hits.is_empty() {
                    ui.label(RichText::new("No command matches.").italics());
                }
                for (i, entry) in hits.iter().enumerate() {
                    let row =
                        ui.add_enabled_ui(entry.enabled, |ui| row(ui, entry, i == state.selected));
                    if i == state.selected && down + up > 0 {
                        row.inner.scroll_to_me(None);
                    }
                    if row.inner.clicked() {
                        chosen = Some(i);
                    }
                }
            });
        ui.label(
            RichText::new("⏶⏷ select · Enter run · Esc close").color(theme::muted(ui.visuals())),
        );
    });
    if let Some(entry) = chosen.and_then(|i| hits.get(i)).filter(|e| e.enabled) {
        actions.push(entry.target.action());
        state.open = false;
    } else if escape || modal.backdrop_response.clicked() {
        state.open = false;
    }
}

/// Label on the left, shortcut on the right, the whole width clickable.
fn row(ui: &mut egui::Ui, entry: &Entry, selected: bool) -> egui::Response {
    let width = ui.available_width();
    ui.add_sized(
        [width, 22.0],
        egui::Button::selectable(selected, entry.label.as_str())
            .shortcut_text(entry.detail.as_str())
            .wrap_mode(egui::TextWrapMode::Truncate),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(label: &str) -> Entry {
        Entry {
            label: label.into(),
            detail: String::new(),
            target: Target::Command(UiCommand::Save),
            enabled: true,
        }
    }

    #[test]
    fn every_word_must_match_and_prefix_matches_come_first() {
        let all = [
            entry("Save as…"),
            entry("File: Save"),
            entry("Theme: Light"),
            entry("Go to Server"),
        ];
        let labels = |q: &str| -> Vec<String> {
            matching(&all, q).iter().map(|e| e.label.clone()).collect()
        };
        assert_eq!(labels("save"), ["Save as…", "File: Save"]);
        assert_eq!(labels("file save"), ["File: Save"]);
        assert_eq!(labels("LIGHT"), ["Theme: Light"]);
        assert_eq!(labels("go serv"), ["Go to Server"]);
        assert!(labels("nothing like this").is_empty());
        assert_eq!(labels("").len(), 4);
    }
}
