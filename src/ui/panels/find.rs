//! Find a setting (Ctrl+F): a query field with its results below. Arrows
//! move the selection, Enter opens the selected setting, a click opens the
//! clicked one, Escape closes; the results close too when the field loses
//! focus or the page changes. What matches is `core::search`.

use egui::{EventFilter, Key, RichText, Ui};

use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::search::{Hit, search};
use crate::ui::actions::Action;
use crate::ui::nav::PageId;
use crate::ui::theme;

pub const FIND_ID: &str = "find_setting";

/// How many results the list shows before "… N more".
const SHOWN: usize = 40;

/// The query and its open results (view state of the top bar).
#[derive(Debug, Default)]
pub struct FindState {
    pub query: String,
    /// Index of the selected hit.
    selected: usize,
    /// The results are showing, over the page they were opened on.
    open_on: Option<PageId>,
}

impl FindState {
    pub fn is_open(&self) -> bool {
        self.open_on.is_some()
    }

    fn close(&mut self) {
        self.open_on = None;
        self.selected = 0;
    }
}

/// Keys meant for the results, taken before the text field sees them.
#[derive(Default)]
struct ListKeys {
    down: usize,
    up: usize,
    enter: bool,
    escape: bool,
}

fn take_keys(ui: &Ui) -> ListKeys {
    ui.input_mut(|i| ListKeys {
        down: i.count_and_consume_key(egui::Modifiers::NONE, Key::ArrowDown),
        up: i.count_and_consume_key(egui::Modifiers::NONE, Key::ArrowUp),
        enter: i.consume_key(egui::Modifiers::NONE, Key::Enter),
        escape: i.consume_key(egui::Modifiers::NONE, Key::Escape),
    })
}

pub fn show(
    ui: &mut Ui,
    layouts: &LayoutSet,
    doc: Option<&ConfigDocument>,
    page: &PageId,
    state: &mut FindState,
    actions: &mut Vec<Action>,
) {
    let id = egui::Id::unique(FIND_ID);
    if state.open_on.as_ref().is_some_and(|p| p != page) {
        state.close();
    }
    let keys = if state.is_open() {
        take_keys(ui)
    } else {
        ListKeys::default()
    };
    let popup_id = id.with("results");
    // A click on the results must not take the focus from the field first.
    let on_popup = state.is_open()
        && ui
            .ctx()
            .pointer_interact_pos()
            .and_then(|pos| ui.ctx().layer_id_at(pos))
            .is_some_and(|layer| layer.id == popup_id);
    let surrender = ui.ctx().options(|o| o.input_options.surrender_focus_on);
    if on_popup {
        ui.ctx().options_mut(|o| {
            o.input_options.surrender_focus_on = egui::SurrenderFocusOn::Never;
        });
    }
    let open = state.is_open();
    let response = ui.add(
        egui::TextEdit::singleline(&mut state.query)
            .id(id)
            .hint_text("🔍 Find a setting (Ctrl+F)")
            .desired_width(260.0)
            .event_filter(EventFilter {
                // Escape closes the results first, keeping the focus here.
                escape: open,
                horizontal_arrows: true,
                vertical_arrows: true,
                ..Default::default()
            }),
    );
    ui.ctx()
        .options_mut(|o| o.input_options.surrender_focus_on = surrender);
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Find a setting"));
    if response.changed() {
        state.selected = 0;
    }
    if response.changed() || response.gained_focus() {
        state.open_on = Some(page.clone());
    }
    if state.query.trim().is_empty() || keys.escape || response.lost_focus() {
        if keys.escape {
            state.query.clear();
        }
        state.close();
        return;
    }
    if !state.is_open() {
        return;
    }
    let hits = search(layouts, doc, &state.query);
    let shown = hits.len().min(SHOWN);
    if shown > 0 {
        let up = keys.up % shown;
        state.selected = (state.selected % shown + keys.down + shown - up) % shown;
    }
    if keys.enter
        && let Some(hit) = hits.get(state.selected)
    {
        return open_hit(ui, state, hit, actions);
    }
    let area = egui::Area::new(popup_id)
        .order(egui::Order::Foreground)
        .fixed_pos(response.rect.left_bottom() + egui::vec2(0.0, 4.0));
    let mut clicked = None;
    area.show(ui.ctx(), |ui| {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.set_max_width(460.0);
            results(
                ui,
                &hits,
                state.selected,
                keys.down + keys.up > 0,
                &mut clicked,
            );
        });
    });
    if let Some(hit) = clicked.and_then(|i| hits.get(i)) {
        open_hit(ui, state, hit, actions);
    }
}

fn open_hit(ui: &Ui, state: &mut FindState, hit: &Hit, actions: &mut Vec<Action>) {
    actions.push(Action::Focus(hit.path.clone()));
    state.query.clear();
    state.close();
    ui.memory_mut(|m| m.surrender_focus(egui::Id::unique(FIND_ID)));
}

fn results(ui: &mut Ui, hits: &[Hit], selected: usize, moved: bool, clicked: &mut Option<usize>) {
    if hits.is_empty() {
        ui.label(RichText::new("No setting matches.").italics());
        return;
    }
    egui::ScrollArea::vertical()
        .max_height(360.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (i, hit) in hits.iter().take(SHOWN).enumerate() {
                let mut text = format!("{}  ·  {}  ·  {}", hit.label, hit.path, hit.page);
                if let Some(why) = &hit.why {
                    text.push_str(&format!("  ·  {why}"));
                }
                let row = ui.selectable_label(i == selected, text);
                if i == selected && moved {
                    row.scroll_to_me(None);
                }
                if row.clicked() {
                    *clicked = Some(i);
                }
            }
        });
    ui.label(
        RichText::new(if hits.len() > SHOWN {
            format!(
                "… {} more · ⏶⏷ select · Enter open · Esc close",
                hits.len() - SHOWN
            )
        } else {
            "⏶⏷ select · Enter open · Esc close".to_owned()
        })
        .color(theme::muted(ui.visuals())),
    );
}
