//! Find a setting by key, label or help text (Ctrl+F).

use egui::{RichText, Ui};

use crate::core::document::DocPath;
use crate::core::layout::LayoutSet;
use crate::ui::actions::Action;
use crate::ui::theme;

pub const FIND_ID: &str = "find_setting";

pub struct Hit {
    pub path: DocPath,
    pub label: String,
    pub page: String,
}

/// Fields whose path, label or help contains every word of the query.
pub fn search(layouts: &LayoutSet, query: &str) -> Vec<Hit> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(usize, Hit)> = layouts
        .all_fields()
        .filter_map(|(page, _, f)| {
            let hay = format!("{} {} {}", f.path, f.label, f.help).to_lowercase();
            if !words.iter().all(|w| hay.contains(w)) {
                return None;
            }
            // Matches in the key or label rank above matches in the help.
            let head = format!("{} {}", f.path, f.label).to_lowercase();
            let rank = words.iter().filter(|w| !head.contains(w.as_str())).count();
            let path = f.path.replace(".*.", ".images.").replace("[]", "[0]");
            let path = DocPath::parse(&path).ok()?;
            Some((
                rank,
                Hit {
                    path,
                    label: f.label.clone(),
                    page: page.title.clone(),
                },
            ))
        })
        .collect();
    hits.sort_by_key(|(rank, _)| *rank);
    hits.into_iter().map(|(_, h)| h).collect()
}

pub fn show(ui: &mut Ui, layouts: &LayoutSet, query: &mut String, actions: &mut Vec<Action>) {
    let id = egui::Id::unique(FIND_ID);
    let response = ui.add(
        egui::TextEdit::singleline(query)
            .id(id)
            .hint_text("🔍 Find a setting (Ctrl+F)")
            .desired_width(260.0),
    );
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Find a setting"));
    if query.trim().is_empty() {
        return;
    }
    let hits = search(layouts, query);
    let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if enter && let Some(first) = hits.first() {
        actions.push(Action::Focus(first.path.clone()));
        query.clear();
        return;
    }
    let below = egui::Area::new(id.with("results"))
        .order(egui::Order::Foreground)
        .fixed_pos(response.rect.left_bottom() + egui::vec2(0.0, 4.0));
    below.show(ui.ctx(), |ui| {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.set_max_width(420.0);
            if hits.is_empty() {
                ui.label(RichText::new("No setting matches.").italics());
            }
            for hit in hits.iter().take(12) {
                let text = format!("{}  ·  {}  ·  {}", hit.label, hit.path, hit.page);
                if ui.selectable_label(false, text).clicked() {
                    actions.push(Action::Focus(hit.path.clone()));
                    query.clear();
                }
            }
            if hits.len() > 12 {
                ui.label(
                    RichText::new(format!("… {} more", hits.len() - 12))
                        .small()
                        .color(theme::muted(ui.visuals())),
                );
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_key_label_and_help() -> Result<(), Box<dyn std::error::Error>> {
        let layouts = LayoutSet::builtin()?;
        assert_eq!(
            search(&layouts, "max_image_bytes")[0].path,
            "limits.max_image_bytes"
        );
        assert_eq!(
            search(&layouts, "jpeg quality")[0].path,
            "vision_preprocess.image_jpeg_quality"
        );
        assert!(
            search(&layouts, "prometheus")
                .iter()
                .any(|h| h.path == "server.enable_metrics")
        );
        assert!(
            search(&layouts, "bucket")
                .iter()
                .any(|h| h.path == "storage.assets.images.bucket")
        );
        assert!(search(&layouts, "zzzz").is_empty());
        Ok(())
    }
}
