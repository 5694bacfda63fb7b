//! Starts and stops the per-endpoint workers as endpoints come, change and go.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::worker::Worker;
use super::Shared;
use super::WebhookError;

struct Handle {
    stop: CancellationToken,
    wake: Arc<Notify>,
}

pub struct Supervisor {
    shared: Arc<Shared>,
    workers: Arc<Mutex<HashMap<String, Handle>>>,
}

impl Supervisor {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            workers: Arc::default(),
        }
    }

    /// Brings the endpoint's worker in line with the store: started when it
    /// is enabled and has none, stopped when it is gone or disabled, woken
    /// otherwise (its schedule may have changed).
    pub fn refresh(&self, id: &str) {
        let mut workers = self.workers.lock().expect("workers map");
        let wanted = matches!(self.shared.store.endpoint(id), Ok(Some(ep)) if ep.enabled);
        match (workers.get(id), wanted) {
            (Some(h), true) if !h.stop.is_cancelled() => h.wake.notify_one(),
            (Some(h), false) => {
                h.stop.cancel();
                workers.remove(id);
            }
            (_, true) => {
                let handle = Handle {
                    stop: self.shared.shutdown.child_token(),
                    wake: Arc::new(Notify::new()),
                };
                let worker = Worker {
                    shared: self.shared.clone(),
                    endpoint_id: id.to_string(),
                    stop: handle.stop.clone(),
                    wake: handle.wake.clone(),
                    confirm_exit: self.confirm_exit(id, handle.stop.clone()),
                };
                self.shared
                    .tasks
                    .spawn(format!("webhook_worker:{id}"), worker.run());
                workers.insert(id.to_string(), handle);
            }
            (None, false) => {}
        }
    }

    /// What a worker calls when it finds its endpoint gone or disabled. Under
    /// the map's lock, so an endpoint enabled meanwhile is never left without
    /// a worker: either this sees it enabled and the worker goes on, or the
    /// entry is gone before `refresh` looks and it starts a new one.
    fn confirm_exit(
        &self,
        id: &str,
        stop: CancellationToken,
    ) -> Box<dyn Fn() -> bool + Send + Sync> {
        let (workers, shared, id) = (self.workers.clone(), self.shared.clone(), id.to_string());
        Box::new(move || {
            let mut workers = workers.lock().expect("workers map");
            if matches!(shared.store.endpoint(&id), Ok(Some(ep)) if ep.enabled) {
                return false;
            }
            stop.cancel();
            if workers.get(&id).is_some_and(|h| h.stop.is_cancelled()) {
                workers.remove(&id);
            }
            true
        })
    }
}

/// Where delivery runs: on the leader only ([`super::Webhooks::start`]).
impl super::Webhooks {
    pub(super) fn refresh_all(&self) -> Result<(), WebhookError> {
        for ep in self.shared.store.endpoints()? {
            self.refresh(&ep.id);
        }
        Ok(())
    }

    /// The endpoint's worker, in line with the store, where delivery runs.
    pub(super) fn refresh(&self, id: &str) {
        if self.delivering.load(std::sync::atomic::Ordering::SeqCst) {
            self.supervisor.refresh(id);
        }
    }

    /// On the leader of several instances: endpoints created, changed or
    /// deleted through another instance reach the workers within `every`
    /// (a worker also stops by itself when it finds its endpoint gone).
    pub async fn rescan_loop(self: Arc<Self>, every: Duration) {
        loop {
            tokio::select! {
                _ = self.shared.shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(e) = self.refresh_all() {
                tracing::warn!(error = %e, "cannot rescan the webhook endpoints");
            }
        }
    }
}
