//! Running proxy requests off the UI thread. The GUI owns one [`ProxyWorker`]
//! (a small tokio runtime on its own threads), hands it futures built from a
//! `ProxyApi`, and polls the returned channel each frame; the `on_done`
//! callback is where it asks egui for a repaint.

use std::future::Future;
use std::sync::mpsc::{Receiver, channel};

/// A background runtime for proxy requests; dropping it cancels what is in flight.
pub struct ProxyWorker {
    runtime: tokio::runtime::Runtime,
}

impl ProxyWorker {
    pub fn new() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("iw-proxy-worker")
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

impl std::fmt::Debug for ProxyWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyWorker").finish_non_exhaustive()
    }
}
