//! Editable rows for a list of strings: add, remove, reorder.

use egui::Ui;

/// Edit `items` in place; returns true when anything changed.
pub fn list_editor(ui: &mut Ui, id: egui::Id, label: &str, items: &mut Vec<String>) -> bool {
    let mut changed = false;
    let mut action: Option<(usize, i32)> = None;
    // The row "Add" made gets the keyboard focus when it is first drawn
    // (next frame: the list comes back from the document).
    let focus_key = id.with("focus_new_row");
    let focus_row: Option<usize> = ui.data(|d| d.get_temp(focus_key));
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
                    if focus_row == Some(i) {
                        edit.request_focus();
                        ui.data_mut(|d| d.remove::<usize>(focus_key));
                    }
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
                ui.data_mut(|d| d.insert_temp(focus_key, items.len() - 1));
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
