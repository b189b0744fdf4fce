//! Opening and saving the registry on a worker thread.
//!
//! On a large registry both take long enough (a 10,000-entry registry opens
//! in ~0.2 s and saves in ~2 s) to freeze the window if run in a frame. A
//! save works on a copy of the store (cheap: its layers are shared) and
//! hands back the saved store, which reflects what is on disk even when the
//! save failed half-way.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;
use std::time::Instant;

use crate::core::registry::{Finding, RegistryStore, SaveReport, validate};

/// The registry in `dir` and its findings.
pub fn load_validated(dir: &Path) -> Result<(RegistryStore, Vec<Finding>), String> {
    let store = RegistryStore::load(dir).map_err(|e| e.to_string())?;
    let findings = validate(&store);
    Ok((store, findings))
}

/// A registry opened (and validated) off the UI thread.
pub struct Opened {
    pub dir: PathBuf,
    pub result: Result<(RegistryStore, Vec<Finding>), String>,
}

/// A registry saved off the UI thread: the store after the save, its
/// findings, and what the save did.
pub struct Saved {
    pub store: RegistryStore,
    pub findings: Vec<Finding>,
    pub result: Result<SaveReport, String>,
}

pub enum Done {
    Opened(Box<Opened>),
    Saved(Box<Saved>),
    /// The worker panicked; nothing it did is known.
    Failed(String),
}

/// A load or save under way.
pub struct Job {
    /// What the page says while it runs ("Opening …", "Saving …").
    pub label: String,
    pub started: Instant,
    done: Receiver<Done>,
}

impl Job {
    pub fn open(dir: PathBuf) -> Self {
        let label = format!("Opening {}…", dir.display());
        Self::spawn(label, move || {
            let result = load_validated(&dir);
            Done::Opened(Box::new(Opened { dir, result }))
        })
    }

    pub fn save(mut store: RegistryStore) -> Self {
        Self::spawn("Saving the registry…".into(), move || {
            let result = store.save().map_err(|e| e.to_string());
            let findings = validate(&store);
            Done::Saved(Box::new(Saved {
                store,
                findings,
                result,
            }))
        })
    }

    fn spawn(label: String, work: impl FnOnce() -> Done + Send + 'static) -> Self {
        let (tx, done) = mpsc::channel();
        let worker = tx.clone();
        let spawned = thread::Builder::new()
            .name("registry-job".into())
            .spawn(move || {
                // The receiver only goes away with the page: nothing to tell then.
                let _ = worker.send(work());
            });
        if let Err(e) = spawned {
            let _ = tx.send(Done::Failed(format!("{label} cannot start a thread: {e}")));
        }
        Self {
            label,
            started: Instant::now(),
            done,
        }
    }

    /// The outcome, once the worker is done.
    pub fn poll(&self) -> Option<Done> {
        match self.done.try_recv() {
            Ok(done) => Some(done),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Done::Failed(format!(
                "{} stopped unexpectedly (see the log)",
                self.label.trim_end_matches('…')
            ))),
        }
    }
}
