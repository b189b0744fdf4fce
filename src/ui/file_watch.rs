//! Watch the open file's folder; a change wakes the UI, which then compares
//! fingerprints (our own atomic saves do not count as external changes).

use std::path::Path;
use std::sync::mpsc;

use notify::{RecursiveMode, Watcher};

pub struct FileWatch {
    _watcher: notify::RecommendedWatcher,
    rx: mpsc::Receiver<()>,
}

impl FileWatch {
    pub fn new(path: &Path, ctx: &egui::Context) -> Option<Self> {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let name = path.file_name()?.to_os_string();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let ours =
                    event.is_ok_and(|e| e.paths.iter().any(|p| p.file_name() == Some(&name)));
                if ours {
                    let _ = tx.send(());
                    ctx.request_repaint();
                }
            })
            .ok()?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        watcher.watch(dir, RecursiveMode::NonRecursive).ok()?;
        Some(Self {
            _watcher: watcher,
            rx,
        })
    }

    /// Whether anything happened to the file since the last call.
    pub fn poll(&self) -> bool {
        let mut any = false;
        while self.rx.try_recv().is_ok() {
            any = true;
        }
        any
    }
}
