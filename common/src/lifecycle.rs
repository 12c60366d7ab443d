//! One lifecycle for every daemon (fuel-core's `ServiceRunner` and reth's task manager, in small): the stop
//! signal the daemon's tasks watch, what stopping does, in the order it was registered (tasks that end on the
//! signal, servers shut down, background tasks aborted), and the wait for the daemon's store to be let go,
//! so that on return its database is closed and the directory can be opened again. Each daemon's `node.rs`
//! only assembles its parts and registers them here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One step of stopping.
enum Step {
    /// A task that ends on the stop signal: awaited, and aborted after `grace` when one is given.
    Task { handle: JoinHandle<()>, grace: Option<Duration> },
    /// A shutdown (a server's stop and the wait for it), run to its end.
    Shutdown(Shutdown),
    /// A task that never ends by itself (an ops endpoint, a gossip consumer): aborted, and awaited so what it
    /// held is let go.
    Background(JoinHandle<()>),
}

/// A daemon's stop signal and the steps that stop it.
pub struct Lifecycle {
    stop: watch::Sender<bool>,
    steps: Vec<Step>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::new()
    }
}

impl Lifecycle {
    /// A lifecycle with nothing registered yet.
    pub fn new() -> Lifecycle {
        Lifecycle { stop: watch::channel(false).0, steps: Vec::new() }
    }

    /// The stop signal: it turns `true` once stopping has begun.
    pub fn signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Whether stopping has begun.
    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// A task that ends on the stop signal; stopping awaits it (aborting it after `grace`, if given).
    pub fn task(&mut self, handle: JoinHandle<()>, grace: Option<Duration>) -> &mut Self {
        self.steps.push(Step::Task { handle, grace });
        self
    }

    /// A shutdown run when stopping (e.g. `async move { server.stop(); server.stopped().await }`); it is not
    /// started before.
    pub fn shutdown(&mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> &mut Self {
        self.steps.push(Step::Shutdown(Box::pin(shutdown)));
        self
    }

    /// A task that runs until aborted; stopping aborts it.
    pub fn background(&mut self, handle: JoinHandle<()>) -> &mut Self {
        self.steps.push(Step::Background(handle));
        self
    }

    /// Signals stop and runs every step in the order registered; then waits up to `within` for `held` (the
    /// daemon's store) to have no other holder than the caller (calls still in flight let go of it a moment
    /// after their servers stop), and logs under `target` if it still has one.
    pub async fn stop<T>(self, held: &Arc<T>, within: Duration, target: &'static str) {
        // Kept even with no receiver left, so `is_stopping` reads it.
        self.stop.send_replace(true);
        for step in self.steps {
            match step {
                Step::Task { handle, grace: None } => {
                    let _ = handle.await;
                }
                Step::Task { mut handle, grace: Some(grace) } => {
                    if tokio::time::timeout(grace, &mut handle).await.is_err() {
                        handle.abort();
                        let _ = handle.await;
                    }
                }
                Step::Shutdown(shutdown) => shutdown.await,
                Step::Background(handle) => {
                    handle.abort();
                    let _ = handle.await;
                }
            }
        }
        released(held, within).await;
        if Arc::strong_count(held) > 1 {
            tracing::warn!(target: "zr::lifecycle", daemon = target,
                "still in use {} s after stopping; its database stays open", within.as_secs());
        }
    }
}

/// Waits up to `within` until `held` has no other holder than the caller.
async fn released<T>(held: &Arc<T>, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while Arc::strong_count(held) > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Steps run in the order registered, a task past its grace is aborted, a background task is aborted, and
    /// the stop returns once the last other holder lets go.
    #[tokio::test]
    async fn stopping_runs_each_step_in_order_and_waits_for_the_store() {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = Arc::new(());
        let mut lifecycle = Lifecycle::new();
        let mut signal = lifecycle.signal();
        let (log, held) = (order.clone(), store.clone());
        lifecycle.task(
            tokio::spawn(async move {
                let _ = signal.wait_for(|stop| *stop).await;
                log.lock().unwrap().push("task");
                // A call in flight lets go of the store a moment later.
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    drop(held);
                });
            }),
            None,
        );
        let stuck = Arc::new(AtomicUsize::new(0));
        let counted = stuck.clone();
        lifecycle.task(
            tokio::spawn(async move {
                counted.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            }),
            Some(Duration::from_millis(20)),
        );
        let log = order.clone();
        lifecycle.shutdown(async move { log.lock().unwrap().push("server") });
        lifecycle.background(tokio::spawn(std::future::pending::<()>()));
        assert!(!lifecycle.is_stopping());
        lifecycle.stop(&store, Duration::from_secs(5), "test").await;
        assert_eq!(*order.lock().unwrap(), ["task", "server"]);
        assert_eq!(Arc::strong_count(&store), 1, "the store is let go before stop returns");
    }
}
