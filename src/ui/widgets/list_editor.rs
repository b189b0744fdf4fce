//! Editable rows for a list of strings: add, remove, reorder.

use egui::Ui;

/// Edit `items` in place; returns true when anything changed.
pub fn list_editor(ui: &mut Ui, id: egui::Id, label: &str, items: &mut Vec<String>) -> bool {
    let mut changed = false;
    let mut action: Option<(usize, i32)> = None;
    ui.push_id(id, |ui| {
        ui.vertical(|ui| {
            let count = items.len();
            for (i, item) in items.iter_mut().enumerate() {
                ui.horizontal(|ui| {
                    let edit = ui.add(
                        egui::TextEdit::singleline(item)
                            .desired_width(crate::ui::theme::EDITOR_WIDTH - 80.0)
                            .hint_text("value"),
                    );
                    edit.widget_info(|| {
                        egui::WidgetInfo::labeled(
                            egui::Role::TextInput,
                            true,
                            format!("{label} item {}", i + 1),
                        )
                    });
                    changed |= edit.changed();
                    if ui
                        .add_enabled(i > 0, egui::Button::new("⏶").small())
                        .on_hover_text("Move up")
                        .clicked()
                    {
                        action = Some((i, -1));
                    }
                    if ui
                        .add_enabled(i + 1 < count, egui::Button::new("⏷").small())
                        .on_hover_text("Move down")
                        .clicked()
                    {
                        action = Some((i, 1));
                    }
                    if ui
                        .small_button("✖")
                        .on_hover_text("Remove this item")
                        .clicked()
                    {
                        action = Some((i, 0));
                    }
                });
            }
            if ui.small_button(format!("➕ Add to {label}")).clicked() {
                items.push(String::new());
                changed = true;
            }
        });
    });
    if let Some((i, dir)) = action {
        match dir {
            0 => {
                items.remove(i);
            }
            -1 => items.swap(i, i - 1),
            _ => items.swap(i, i + 1),
        }
        changed = true;
    }
    changed
}
