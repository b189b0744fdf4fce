//! Open / Save-as dialogs. The native dialog (rfd, through the desktop
//! portal) runs on its own thread so the UI never waits on it; where no
//! native dialog can be shown, a path field with completion takes its place.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use egui::{Context, RichText};

use crate::core::safe_save::is_backup_or_temp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Open,
    SaveAs,
}

impl Purpose {
    fn title(self) -> &'static str {
        match self {
            Self::Open => "Open chat_proxy.toml",
            Self::SaveAs => "Save as",
        }
    }
}

enum State {
    Idle,
    Native {
        purpose: Purpose,
        rx: mpsc::Receiver<Option<PathBuf>>,
        started: Instant,
    },
    Fallback {
        purpose: Purpose,
        text: String,
        note: Option<String>,
    },
}

pub struct FileDialogs {
    state: State,
    /// Where the path field starts.
    start_dir: PathBuf,
}

/// A native dialog that gives up this fast did not really open (no portal).
const FAILED_FAST: Duration = Duration::from_millis(400);

impl FileDialogs {
    pub fn new() -> Self {
        Self {
            state: State::Idle,
            start_dir: std::env::current_dir().unwrap_or_default(),
        }
    }

    /// Waiting on the system dialog (the path field needs no spinner).
    pub fn is_waiting(&self) -> bool {
        matches!(self.state, State::Native { .. })
    }

    pub fn start(&mut self, ctx: &Context, purpose: Purpose, near: Option<&Path>) {
        if let Some(dir) = near.and_then(Path::parent) {
            self.start_dir = dir.to_path_buf();
        }
        if native_dialogs_unavailable() {
            return self.fallback(purpose, None);
        }
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let dir = self.start_dir.clone();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let dialog = rfd::FileDialog::new()
                    .add_filter("TOML", &["toml"])
                    .set_directory(dir);
                let picked = match purpose {
                    Purpose::Open => dialog.pick_file(),
                    Purpose::SaveAs => dialog.set_file_name("chat_proxy.toml").save_file(),
                };
                let _ = tx.send(picked);
                ctx.request_repaint();
            });
        self.state = match spawned {
            Ok(_) => State::Native {
                purpose,
                rx,
                started: Instant::now(),
            },
            Err(_) => State::Fallback {
                purpose,
                text: self.start_text(),
                note: None,
            },
        };
    }

    fn start_text(&self) -> String {
        let mut s = self.start_dir.display().to_string();
        if !s.ends_with('/') {
            s.push('/');
        }
        s
    }

    fn fallback(&mut self, purpose: Purpose, note: Option<String>) {
        self.state = State::Fallback {
            purpose,
            text: self.start_text(),
            note,
        };
    }

    /// Draw whatever is open; returns a chosen path.
    pub fn show(&mut self, ctx: &Context) -> Option<(Purpose, PathBuf)> {
        match &mut self.state {
            State::Idle => None,
            State::Native {
                purpose,
                rx,
                started,
            } => {
                let purpose = *purpose;
                match rx.try_recv() {
                    Ok(Some(path)) => {
                        self.state = State::Idle;
                        Some((purpose, path))
                    }
                    Ok(None) if started.elapsed() < FAILED_FAST => {
                        self.fallback(
                            purpose,
                            Some("No system file dialog is available here: type a path.".into()),
                        );
                        None
                    }
                    Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                        self.state = State::Idle;
                        None
                    }
                    Err(mpsc::TryRecvError::Empty) => {
                        if Self::waiting_window(ctx) {
                            self.fallback(purpose, None);
                        }
                        None
                    }
                }
            }
            State::Fallback {
                purpose,
                text,
                note,
            } => {
                let purpose = *purpose;
                let (done, cancel) = path_window(ctx, purpose, text, note.as_deref());
                if cancel {
                    self.state = State::Idle;
                }
                done.map(|p| {
                    self.state = State::Idle;
                    (purpose, p)
                })
            }
        }
    }

    /// "Waiting for the file dialog…"; true when the user wants the path field.
    fn waiting_window(ctx: &Context) -> bool {
        let mut fallback = false;
        egui::Window::new("File dialog")
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Waiting for the system file dialog…");
                });
                fallback = ui.button("Type a path instead").clicked();
            });
        fallback
    }
}

impl Default for FileDialogs {
    fn default() -> Self {
        Self::new()
    }
}

fn native_dialogs_unavailable() -> bool {
    std::env::var_os("IW_STUDIO_NO_NATIVE_DIALOG").is_some()
        || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
}

/// The path field with completion; returns (chosen path, cancelled).
fn path_window(
    ctx: &Context,
    purpose: Purpose,
    text: &mut String,
    note: Option<&str>,
) -> (Option<PathBuf>, bool) {
    let mut chosen = None;
    let mut cancel = false;
    egui::Window::new(purpose.title())
        .collapsible(false)
        .default_width(520.0)
        .show(ctx, |ui| {
            if let Some(note) = note {
                ui.label(RichText::new(note).italics());
            }
            let edit = ui.add(
                egui::TextEdit::singleline(text)
                    .desired_width(500.0)
                    .hint_text("/path/to/chat_proxy.toml"),
            );
            edit.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, "File path")
            });
            if !edit.has_focus() && !edit.lost_focus() {
                edit.request_focus();
            }
            let candidates = completions(text);
            if edit.has_focus()
                && ui.input(|i| i.key_pressed(egui::Key::Tab))
                && let Some(common) = common_prefix(&candidates)
            {
                *text = common;
            }
            egui::ScrollArea::vertical()
                .max_height(180.0)
                .show(ui, |ui| {
                    for c in candidates.iter().take(50) {
                        if ui.selectable_label(false, c).clicked() {
                            *text = c.clone();
                        }
                    }
                });
            let path = PathBuf::from(text.trim());
            let problem = path_problem(purpose, &path);
            if let Some(p) = &problem {
                ui.colored_label(ui.visuals().warn_fg_color, p);
            }
            ui.horizontal(|ui| {
                let label = if purpose == Purpose::Open {
                    "Open"
                } else {
                    "Save"
                };
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui
                    .add_enabled(problem.is_none(), egui::Button::new(label))
                    .clicked()
                    || enter)
                    && problem.is_none()
                {
                    chosen = Some(path.clone());
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    cancel = true;
                }
            });
        });
    (chosen, cancel)
}

fn path_problem(purpose: Purpose, path: &Path) -> Option<String> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Some("Type a file name.".into());
    }
    match purpose {
        Purpose::Open if !path.is_file() => Some("No such file.".into()),
        Purpose::SaveAs
            if path
                .parent()
                .is_some_and(|d| !d.as_os_str().is_empty() && !d.is_dir()) =>
        {
            Some("That folder does not exist.".into())
        }
        _ => None,
    }
}

/// Entries of the typed folder that start with the typed name; backups and
/// temp files only once the typed name is one of them.
fn completions(text: &str) -> Vec<String> {
    let (dir, prefix) = match text.rfind('/') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("./", text),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let asked_for_backups = prefix.contains(".bak") || prefix.ends_with('~');
            if is_backup_or_temp(&name) && !asked_for_backups {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!(
                "{}{name}{slash}",
                if dir == "./" && !text.starts_with("./") {
                    ""
                } else {
                    dir
                }
            ))
        })
        .collect();
    out.sort();
    out
}

fn common_prefix(items: &[String]) -> Option<String> {
    let first = items.first()?;
    let len = items.iter().fold(first.len(), |len, s| {
        first
            .chars()
            .zip(s.chars())
            .take_while(|(a, b)| a == b)
            .count()
            .min(len)
    });
    Some(first.chars().take(len).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_names_in_the_typed_folder() -> Result<(), std::io::Error> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("chat_proxy.toml"), "")?;
        std::fs::write(dir.path().join("chat_other.toml"), "")?;
        std::fs::write(dir.path().join("chat_proxy.toml.bak"), "")?;
        std::fs::write(dir.path().join("chat_proxy.toml~"), "")?;
        std::fs::write(dir.path().join(".chat_proxy.toml.x1Yz.tmp"), "")?;
        std::fs::create_dir(dir.path().join("configs"))?;
        let base = format!("{}/", dir.path().display());
        let found = completions(&format!("{base}chat_p"));
        assert_eq!(found, [format!("{base}chat_proxy.toml")]);
        let all = completions(&format!("{base}c"));
        assert_eq!(all.len(), 3, "no backups or temp files: {all:?}");
        let backups = completions(&format!("{base}chat_proxy.toml.bak"));
        assert_eq!(
            backups,
            [format!("{base}chat_proxy.toml.bak")],
            "unless asked for"
        );
        assert!(all.contains(&format!("{base}configs/")));
        assert_eq!(
            common_prefix(&completions(&format!("{base}chat"))),
            Some(format!("{base}chat_"))
        );
        Ok(())
    }
}
