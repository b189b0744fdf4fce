//! Opening and saving the registry on the app's background worker.
//!
//! On a large registry both take long enough (a 10,000-entry registry opens
//! in ~0.2 s and saves in ~2 s) to freeze the window if run in a frame. A
//! save works on a copy of the store (cheap: its layers are shared) and
//! hands back the saved store, which reflects what is on disk even when the
//! save failed half-way. The worker asks for a repaint when a job is done.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Instant;

use crate::core::proxy::worker::{WorkerSlot, WorkerUnavailable};
use crate::core::registry::{
    Finding, RegistryError, RegistryStore, SaveReport, validate, validate_loaded,
};

/// The registry in `dir` and its findings.
pub fn load_validated(dir: &Path) -> Result<(RegistryStore, Vec<Finding>), RegistryError> {
    let store = RegistryStore::load(dir)?;
    let findings = validate_loaded(&store);
    Ok((store, findings))
}

/// A registry opened (and validated) off the UI thread.
pub struct Opened {
    pub dir: PathBuf,
    pub result: Result<(RegistryStore, Vec<Finding>), RegistryError>,
}

/// A registry saved off the UI thread: the store after the save, its
/// findings, and what the save did.
pub struct Saved {
    pub store: RegistryStore,
    pub findings: Vec<Finding>,
    pub result: Result<SaveReport, RegistryError>,
}

/// Why a job gave no outcome at all.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{label} could not start: {source}")]
    NotStarted {
        label: String,
        source: WorkerUnavailable,
    },
    /// The job panicked; nothing it did is known.
    #[error("{label} stopped unexpectedly")]
    Stopped { label: String },
}

pub enum Done {
    Opened(Box<Opened>),
    Saved(Box<Saved>),
    Failed(JobError),
}

/// A load or save under way.
pub struct Job {
    /// What the page says while it runs ("Opening …", "Saving …").
    pub label: String,
    pub started: Instant,
    done: Receiver<Done>,
}

impl Job {
    pub fn open(
        worker: &WorkerSlot,
        dir: PathBuf,
        on_done: impl FnOnce() + Send + 'static,
    ) -> Self {
        let label = format!("Opening {}…", dir.display());
        Self::spawn(worker, label, on_done, move || {
            let result = load_validated(&dir);
            Done::Opened(Box::new(Opened { dir, result }))
        })
    }

    pub fn save(
        worker: &WorkerSlot,
        mut store: RegistryStore,
        on_done: impl FnOnce() + Send + 'static,
    ) -> Self {
        Self::spawn(
            worker,
            "Saving the registry…".into(),
            on_done,
            move || {
                let result = store.save();
                let findings = validate(&store);
                Done::Saved(Box::new(Saved {
                    store,
                    findings,
                    result,
                }))
            },
        )
    }

    fn spawn(
        worker: &WorkerSlot,
        label: String,
        on_done: impl FnOnce() + Send + 'static,
        work: impl FnOnce() -> Done + Send + 'static,
    ) -> Self {
        let done = match worker.get() {
            Ok(worker) => worker.spawn_blocking(work, on_done),
            Err(source) => {
                let (tx, rx) = mpsc::channel();
                let _ = tx.send(Done::Failed(JobError::NotStarted {
                    label: label.trim_end_matches('…').to_owned(),
                    source,
                }));
                rx
            }
        };
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
            Err(TryRecvError::Disconnected) => Some(Done::Failed(JobError::Stopped {
                label: self.label.trim_end_matches('…').to_owned(),
            })),
        }
    }
}
