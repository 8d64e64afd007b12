//! The one writer to the history database. Every write the engine makes (sessions,
//! messages as they stream, decisions, learning, the response cache, feedback) is a job on
//! one thread of its own, in the order it was sent. SQLite work never runs on the async
//! runtime's workers (two on these machines), so a slow disk cannot stall a stream, and
//! there is one writer per session instead of one per front end (DESIGN.md, "The engine
//! owns the conversation").

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::store::Store;

type Job = Box<dyn FnOnce(&Store) + Send>;

/// Sends jobs to the writer thread. Cheap to clone; the thread ends when every handle is
/// gone and its queue is drained.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer thread for `store`.
    pub fn spawn(store: Arc<Store>) -> Self {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        let run = move || {
            while let Some(job) = rx.blocking_recv() {
                job(&store);
            }
        };
        if let Err(e) = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(run)
        {
            // Jobs sent to a writer that never started are dropped: the conversation goes
            // on unsaved, and `ask` answers `None`, which callers report.
            tracing::error!("could not start the history writer: {e}");
        }
        Self { jobs }
    }

    /// Queues a job; it runs after every job sent before it.
    pub fn run(&self, job: impl FnOnce(&Store) + Send + 'static) {
        let _ = self.jobs.send(Box::new(job));
    }

    /// Runs a job and blocks the calling thread until it is done, or until `limit` passes:
    /// for writes a front end must find when it hears the work is over (a command's audit
    /// entry, read by `audit` right after `run` exits). Never call it on the async workers.
    pub fn run_and_wait(&self, job: impl FnOnce(&Store) + Send + 'static, limit: Duration) {
        let (tx, rx) = std::sync::mpsc::channel();
        self.run(move |store| {
            job(store);
            let _ = tx.send(());
        });
        let _ = rx.recv_timeout(limit);
    }

    /// Runs a job and waits for its result without blocking the runtime. `None` when the
    /// writer has stopped.
    pub async fn ask<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Store) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.run(move |store| {
            let _ = tx.send(job(store));
        });
        rx.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_order_off_the_runtime() {
        let store = Arc::new(Store::in_memory().expect("in-memory store"));
        let writer = Writer::spawn(store);
        let runtime_thread = std::thread::current().id();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        for i in 0..100 {
            let seen = Arc::clone(&seen);
            writer.run(move |_| seen.lock().expect("lock").push(i));
        }
        let thread = writer.ask(|_| std::thread::current().id()).await;
        assert_ne!(thread, Some(runtime_thread));
        assert_eq!(*seen.lock().expect("lock"), (0..100).collect::<Vec<_>>());
    }
}
