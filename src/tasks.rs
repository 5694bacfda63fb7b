//! Background tasks under one supervisor: each is spawned with a name,
//! watches the one shutdown token and is awaited at shutdown. A task that
//! panics, or returns an error it cannot recover from, is logged with its
//! name and stops the daemon, which then exits non-zero so that systemd
//! restarts it: never a half-alive process whose settlement silently stopped.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why a task ended the daemon.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("background task {task} {reason}")]
pub struct TaskFailure {
    pub task: String,
    pub reason: String,
}

/// Spawns and tracks the daemon's background tasks.
#[derive(Clone)]
pub struct Tasks {
    tracker: TaskTracker,
    shutdown: CancellationToken,
    failure: Arc<Mutex<Option<TaskFailure>>>,
}

impl Tasks {
    /// Tasks stopped by `shutdown`, which a failing task also cancels.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            tracker: TaskTracker::new(),
            shutdown,
            failure: Arc::default(),
        }
    }

    /// The tracker for short-lived tasks spawned per request or connection
    /// (awaited at shutdown, but not supervised).
    pub fn tracker(&self) -> TaskTracker {
        self.tracker.clone()
    }

    /// Spawns a task that runs until shutdown. Its end is not a failure.
    pub fn spawn(&self, name: impl Into<String>, task: impl Future<Output = ()> + Send + 'static) {
        self.spawn_fallible(name, task.map(Ok::<(), std::convert::Infallible>));
    }

    /// Spawns a task whose error is unrecoverable: it stops the daemon.
    pub fn spawn_fallible<E: std::fmt::Display + Send + 'static>(
        &self,
        name: impl Into<String>,
        task: impl Future<Output = Result<(), E>> + Send + 'static,
    ) {
        let name = name.into();
        let this = self.clone();
        let task = fault::inject(&name, task);
        self.tracker.spawn(async move {
            let reason = match AssertUnwindSafe(task).catch_unwind().await {
                Ok(Ok(())) => return,
                Ok(Err(e)) => format!("failed: {e}"),
                Err(panic) => format!("panicked: {}", panic_text(&*panic)),
            };
            this.fail(TaskFailure { task: name, reason });
        });
    }

    fn fail(&self, failure: TaskFailure) {
        tracing::error!(task = %failure.task, reason = %failure.reason,
            "background task died; stopping lnpayd so that it is restarted whole");
        self.failure
            .lock()
            .expect("failure lock")
            .get_or_insert(failure);
        self.shutdown.cancel();
    }

    /// Waits up to `grace` for every task to end; false if some did not.
    pub async fn join(&self, grace: Duration) -> bool {
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }

    /// Waits for every task to end, however long that takes.
    pub async fn join_all(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }

    /// The first task failure, if one stopped the daemon.
    pub fn failure(&self) -> Option<TaskFailure> {
        self.failure.lock().expect("failure lock").clone()
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Fault hooks for the end-to-end tests, in debug builds only:
/// `LNPAYD_FAULT_PANIC_TASK=<name>` makes the task of that name panic as
/// it starts; `LNPAYD_FAULT_DELAY_TASK=<name>:<ms>` holds it back that long
/// before it starts (to open a race window on purpose). Release builds have
/// no such hooks.
mod fault {
    use std::future::Future;

    #[cfg(debug_assertions)]
    pub fn inject<T: Send>(
        name: &str,
        task: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        let armed = std::env::var("LNPAYD_FAULT_PANIC_TASK").is_ok_and(|v| v == name);
        let delay = std::env::var("LNPAYD_FAULT_DELAY_TASK")
            .ok()
            .and_then(|v| {
                let (task, ms) = v.split_once(':')?;
                (task == name).then(|| ms.parse().ok()).flatten()
            })
            .map(std::time::Duration::from_millis);
        async move {
            if armed {
                // After start-up, so the test sees a daemon that was serving.
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                panic!("fault injected by LNPAYD_FAULT_PANIC_TASK");
            }
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            task.await
        }
    }

    #[cfg(not(debug_assertions))]
    pub fn inject<T>(
        _name: &str,
        task: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        task
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_stops_everything_and_is_named() {
        let shutdown = CancellationToken::new();
        let tasks = Tasks::new(shutdown.clone());
        let stopped = shutdown.clone();
        tasks.spawn("patient", async move { stopped.cancelled().await });
        tasks.spawn("doomed", async { panic!("boom") });
        tokio::time::timeout(Duration::from_secs(5), shutdown.cancelled())
            .await
            .expect("the panic cancels shutdown");
        assert!(tasks.join(Duration::from_secs(5)).await);
        assert_eq!(
            tasks.failure(),
            Some(TaskFailure {
                task: "doomed".into(),
                reason: "panicked: boom".into()
            })
        );
    }

    #[tokio::test]
    async fn an_error_stops_everything_and_a_clean_end_does_not() {
        let shutdown = CancellationToken::new();
        let tasks = Tasks::new(shutdown.clone());
        tasks.spawn("done", async {});
        tokio::task::yield_now().await;
        assert!(!shutdown.is_cancelled());
        tasks.spawn_fallible("store", async { Err::<(), _>("disk full") });
        tokio::time::timeout(Duration::from_secs(5), shutdown.cancelled())
            .await
            .expect("the error cancels shutdown");
        assert!(tasks.join(Duration::from_secs(5)).await);
        let f = tasks.failure().unwrap();
        assert_eq!(
            (f.task.as_str(), f.reason.as_str()),
            ("store", "failed: disk full")
        );
    }
}
