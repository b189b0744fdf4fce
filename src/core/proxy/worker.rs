//! Running work off the UI thread. The GUI owns one [`ProxyWorker`] (a small
//! tokio runtime on named threads) shared through a [`WorkerSlot`]: proxy
//! requests run on it as futures, registry opens and saves as blocking jobs.
//! Each result arrives on a channel the app drains in `App::logic`; the
//! `on_done` callback is where it asks egui for a repaint, so nothing polls
//! on a timer.

use std::future::Future;
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, OnceLock};

/// A background runtime for proxy requests; dropping it cancels what is in flight.
pub struct ProxyWorker {
    runtime: tokio::runtime::Runtime,
}

impl ProxyWorker {
    pub fn new() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("iw-worker")
            .enable_all()
            .build()?;
        Ok(Self { runtime })
    }

    /// Start `task`; its result arrives on the returned channel. `on_done`
    /// runs on the worker right after the result is sent (e.g. `ctx.request_repaint()`).
    pub fn spawn<T, F>(&self, task: F, on_done: impl FnOnce() + Send + 'static) -> Receiver<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let (tx, rx) = channel();
        self.runtime.spawn(async move {
            // A closed receiver means the UI no longer wants the answer.
            let _ = tx.send(task.await);
            on_done();
        });
        rx
    }
}

impl ProxyWorker {
    /// Run blocking `work` (file I/O) on the runtime's blocking threads;
    /// like [`ProxyWorker::spawn`] otherwise.
    pub fn spawn_blocking<T>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
        on_done: impl FnOnce() + Send + 'static,
    ) -> Receiver<T>
    where
        T: Send + 'static,
    {
        let (tx, rx) = channel();
        self.runtime.spawn_blocking(move || {
            let _ = tx.send(work());
            on_done();
        });
        rx
    }
}

/// The worker could not be started (no threads to be had).
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot start the background worker: {0}")]
pub struct WorkerUnavailable(String);

/// The one worker, started on first use and shared by whoever holds a clone.
#[derive(Clone, Debug, Default)]
pub struct WorkerSlot(Arc<OnceLock<Result<ProxyWorker, WorkerUnavailable>>>);

impl WorkerSlot {
    pub fn get(&self) -> Result<&ProxyWorker, WorkerUnavailable> {
        self.0
            .get_or_init(|| ProxyWorker::new().map_err(|e| WorkerUnavailable(e.to_string())))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl std::fmt::Debug for ProxyWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyWorker").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slot_starts_one_worker_for_every_clone() -> Result<(), Box<dyn std::error::Error>> {
        let slot = WorkerSlot::default();
        let other = slot.clone();
        assert!(std::ptr::eq(slot.get()?, other.get()?));
        let (done_tx, done_rx) = channel();
        let rx = slot.get()?.spawn_blocking(
            || 6 * 7,
            move || {
                let _ = done_tx.send(());
            },
        );
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(5))?, 42);
        done_rx.recv_timeout(std::time::Duration::from_secs(5))?;
        Ok(())
    }
}
