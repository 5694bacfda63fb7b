//! What only the leader runs: the provider watchers (each reconciles from
//! its stored cursor as it connects), the expiry timer, webhook delivery and
//! the pruners. Started once, when this instance wins the lease (at once
//! with sled); stopped with the daemon, or by the process exit that ends a
//! lost leadership.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{ClusterConfig, Elector, Fence, Leadership, LeaseTable};
use crate::config::Config;
use crate::providers::{Router, WatchContext};
use crate::settlement::{ExpiryScheduler, ExpiryTimer, Settler};
use crate::store::Store;
use crate::tasks::Tasks;
use crate::time::now_ms;
use crate::webhooks::Webhooks;

/// How often the leader looks for webhook endpoints changed through another
/// instance (endpoint changes carry no event to wake it).
const WEBHOOK_RESCAN: Duration = Duration::from_secs(2);

pub struct LeaderWork {
    pub store: Arc<dyn Store>,
    pub router: Arc<Router>,
    pub settler: Arc<Settler>,
    pub expiry_timer: ExpiryTimer,
    pub expiry: ExpiryScheduler,
    pub webhooks: Arc<Webhooks>,
    pub config: Config,
    /// Other instances write too (PostgreSQL): follow their invoices and
    /// endpoints, which no local call announces.
    pub shared_store: bool,
}

impl LeaderWork {
    /// Applies the webhook endpoints of `config.toml`, then starts every
    /// leader task under `tasks`.
    pub async fn start(
        self,
        tasks: Tasks,
        shutdown: CancellationToken,
    ) -> Result<(), crate::webhooks::WebhookError> {
        if !start_webhooks(&self.webhooks, &shutdown).await? {
            return Ok(());
        }
        let (tasks, shutdown) = (&tasks, &shutdown);
        let watch = WatchContext {
            store: self.store.clone(),
            settler: self.settler.clone(),
        };
        for provider in self.router.providers() {
            let name = format!("{}_watcher", provider.name());
            tasks.spawn(name, provider.watch(watch.clone(), shutdown.clone()));
        }
        tasks.spawn("expiry_timer", self.expiry_timer.run(shutdown.clone()));
        if self.shared_store {
            tasks.spawn(
                "expiry_feed",
                feed_expiries(self.store.clone(), self.expiry, shutdown.clone()),
            );
            tasks.spawn(
                "webhook_rescan",
                self.webhooks.clone().rescan_loop(WEBHOOK_RESCAN),
            );
        }
        tasks.spawn(
            "pruner",
            prune_loop(self.store.clone(), self.config.clone(), shutdown.clone()),
        );
        let retention = &self.config.retention;
        tasks.spawn(
            "webhook_pruner",
            self.webhooks.clone().prune_loop(
                Duration::from_secs(retention.audit_secs),
                Duration::from_secs(retention.prune_interval_secs),
            ),
        );
        Ok(())
    }
}

/// Starts the leader's work now and returns a leadership that never ends
/// (sled: one instance), or, given a lease table and the store's fence,
/// runs the election as a task and starts the work when it is won. A lost
/// leadership ends the process ([`super::fail_stop`]).
pub async fn begin(
    work: LeaderWork,
    election: Option<(Arc<dyn LeaseTable>, Arc<dyn Fence>)>,
    cluster: &ClusterConfig,
    tasks: &Tasks,
    shutdown: &CancellationToken,
) -> Result<Arc<Leadership>, crate::webhooks::WebhookError> {
    let id = cluster.resolved_instance_id();
    let Some((table, fence)) = election else {
        work.start(tasks.clone(), shutdown.clone()).await?;
        return Ok(Leadership::single(id, now_ms()));
    };
    tracing::info!(instance = %id, lease_secs = cluster.lease_secs, "following until the lease is won");
    let leadership = Leadership::elected(id, table.clone());
    let elector = Elector {
        table,
        fence,
        leadership: leadership.clone(),
        lease: Duration::from_secs(cluster.lease_secs),
    };
    let (t, s) = (tasks.clone(), shutdown.clone());
    tasks.spawn("leader_election", async move {
        let on_win = {
            let (t, s) = (t.clone(), s.clone());
            move |_epoch| t.clone().spawn_fallible("leader_start", work.start(t, s))
        };
        if let Err(lost) = elector.run(on_win, s).await {
            super::fail_stop(&lost.to_string());
        }
    });
    Ok(leadership)
}

/// Applies the configured endpoints and starts their workers. PostgreSQL
/// can drop out just as this instance wins the lease: an outage is waited
/// out (the renewals, which fail alike, end a leadership that cannot write),
/// instead of stopping a daemon that serves the API. False on shutdown.
async fn start_webhooks(
    webhooks: &Webhooks,
    shutdown: &CancellationToken,
) -> Result<bool, crate::webhooks::WebhookError> {
    use crate::store::StoreError;
    use crate::webhooks::WebhookError;
    let mut backoff = Duration::from_millis(200);
    loop {
        match webhooks.start().await {
            Ok(()) => return Ok(true),
            Err(WebhookError::Store(StoreError::Unavailable(e))) => {
                tracing::warn!(error = %e, retry_ms = backoff.as_millis() as u64,
                    "the database is unavailable as the leader's work starts; retrying");
            }
            Err(e) => return Err(e),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(false),
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Hands the expiry timer the invoices other instances create: the timer
/// sleeps until the earliest expiry it knows of, and only the creating
/// instance's scheduler announces a new one. Reads the durable event log
/// from where it stood when this instance began to lead.
async fn feed_expiries(
    store: Arc<dyn Store>,
    expiry: ExpiryScheduler,
    shutdown: CancellationToken,
) {
    let mut durable = store.durable_sequence();
    let mut after = *durable.borrow_and_update();
    loop {
        match store.events_after(after, 256) {
            Ok(events) if !events.is_empty() => {
                for e in &events {
                    if e.kind == crate::domain::EventKind::InvoiceCreated {
                        expiry.schedule(e.invoice.expires_at_ms, e.invoice.id.clone());
                    }
                }
                after = events.last().map_or(after, |e| e.sequence);
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "expiry feed cannot read the event log"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = durable.changed() => if changed.is_err() { return },
        }
    }
}

async fn prune_loop(store: Arc<dyn Store>, config: Config, shutdown: CancellationToken) {
    let every = Duration::from_secs(config.retention.prune_interval_secs);
    loop {
        let now = now_ms();
        let keys_before = now.saturating_sub(config.retention.idempotency_secs * 1000);
        let audit_before = now.saturating_sub(config.retention.audit_secs * 1000);
        // A scan of every idempotency key and old audit entry: off the async workers.
        let pruning = store.clone();
        match tokio::task::spawn_blocking(move || pruning.prune(keys_before, audit_before)).await {
            Ok(Ok(p)) if p.audit_entries + p.idempotency_keys > 0 => {
                tracing::info!(
                    audit_entries = p.audit_entries,
                    idempotency_keys = p.idempotency_keys,
                    "pruned"
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                // A deposed leader stops here too, not at its next renewal.
                super::stop_if_fenced(&e);
                tracing::error!(error = %e, "pruning failed")
            }
            Err(e) => tracing::error!(error = %e, "pruning task panicked"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
