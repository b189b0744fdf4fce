//! A list of strings picked from a fixed set, keeping items not in the set.

use egui::{RichText, Ui, WidgetInfo};

use crate::ui::theme;

/// One checkbox per offered item, then one per item of `items` that is not
/// offered (kept, marked unknown). Ticking appends, unticking removes; the
/// other items keep their order. The checkboxes are labelled
/// "`label` `item`" for assistive technology. Returns the new list when
/// the user changed it.
pub fn multi_select(
    ui: &mut Ui,
    label: &str,
    offered: &[String],
    items: &[String],
) -> Option<Vec<String>> {
    let unknown = items.iter().filter(|i| !offered.contains(i));
    let choices: Vec<(&String, bool)> = offered
        .iter()
        .map(|o| (o, false))
        .chain(unknown.map(|u| (u, true)))
        .collect();
    let mut result = None;
    ui.horizontal_wrapped(|ui| {
        for (item, is_unknown) in choices {
            let mut on = items.contains(item);
            let text = if is_unknown {
                RichText::new(format!("{item} (unknown)")).color(theme::warning(ui.visuals()))
            } else {
                RichText::new(item.as_str())
            };
            let response = ui.checkbox(&mut on, text);
            let state = on;
            let response = if is_unknown {
                response.on_hover_text("Not one of the offered values; kept as it is")
            } else {
                response
            };
            response.widget_info(|| {
                WidgetInfo::selected(egui::Role::CheckBox, true, state, format!("{label} {item}"))
            });
            if on != items.contains(item) {
                let mut next: Vec<String> = items.iter().filter(|i| *i != item).cloned().collect();
                if on {
                    next.push(item.clone());
                }
                result = Some(next);
            }
        }
    });
    result
}
