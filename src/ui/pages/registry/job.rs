//! Opening and saving the registry on the app's background worker.
//!
//! On a large registry both take long enough (a 10,000-entry registry opens
//! in ~0.2 s and saves in ~2 s) to freeze the window if run in a frame. A
//! save works on a copy of the store (cheap: its layers are shared) and
//! hands back the saved store, which reflects what is on disk even when the
//! save failed half-way. The worker asks for a repaint when a job is done.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Instant;

use crate::core::layout::LayoutSet;
use crate::core::proxy::worker::{WorkerSlot, WorkerUnavailable};
use crate::core::registry::{RegistryError, RegistrySession, RegistryStore, SaveReport};

/// The registry in `dir` as a session, its findings already built (here,
/// off the UI thread, rather than on the first frame that shows them).
pub fn open_session(dir: &Path, layout: Arc<LayoutSet>) -> Result<RegistrySession, RegistryError> {
    let session = RegistrySession::open(dir, layout)?;
    session.findings();
    Ok(session)
}

/// A registry opened (and validated) off the UI thread.
pub struct Opened {
    pub dir: PathBuf,
    pub result: Result<RegistrySession, RegistryError>,
}

/// A registry saved off the UI thread: the store after the save and what
/// the save did.
pub struct Saved {
    pub store: RegistryStore,
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
        layout: Arc<LayoutSet>,
        on_done: impl FnOnce() + Send + 'static,
    ) -> Self {
        let label = format!("Opening {}…", dir.display());
        Self::spawn(worker, label, on_done, move || {
            let result = open_session(&dir, layout);
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
                // The entries' findings, built here rather than on the UI thread.
                store.checks();
                Done::Saved(Box::new(Saved { store, result }))
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
