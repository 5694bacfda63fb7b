//! Signed webhooks delivered from the event log (Standard Webhooks).
//!
//! Each endpoint has a durable cursor over the event log and a durable retry
//! index (`store::webhooks`); one worker per enabled endpoint (`worker.rs`)
//! moves new events into the index and attempts what is due, so an event is
//! delivered whether the receiver, lnpayd or both were down when it happened.
//! [`Webhooks`] is the facade the admin RPCs call.

mod body;
pub mod config;
mod deliver;
mod from_config;
pub mod metrics;
pub mod policy;
pub mod signing;
mod supervisor;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use config::{EndpointConfig, WebhooksConfig};
pub use policy::{UrlPolicy, UrlRefused};

use crate::config::AlertsConfig;
use crate::domain::EventKind;
use crate::store::webhooks::{
    Attempt, Delivery, DeliveryQuery, DeliveryState, EndpointHealth, PreviousSecret,
    WebhookEndpoint, WebhookStore,
};
use crate::store::StoreError;
use crate::time::now_ms;
use supervisor::Supervisor;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no webhook endpoint {0}")]
    NotFound(String),
    #[error("no delivery of event {sequence} to endpoint {endpoint_id}")]
    DeliveryNotFound { endpoint_id: String, sequence: u64 },
    #[error("url refused: {0}")]
    UrlRefused(#[from] UrlRefused),
    #[error("endpoint {0} is declared in config.toml: change it there")]
    FromConfig(String),
    #[error("webhook secret file {path}: {detail}")]
    SecretFile { path: String, detail: String },
    #[error("store: {0}")]
    Store(StoreError),
}

impl From<StoreError> for WebhookError {
    fn from(e: StoreError) -> Self {
        crate::leader::stop_if_fenced(&e);
        WebhookError::Store(e)
    }
}

/// What the workers share.
pub struct Shared {
    pub store: Arc<dyn WebhookStore>,
    pub cfg: WebhooksConfig,
    pub policy: UrlPolicy,
    pub client: reqwest::Client,
    pub alerts: AlertsConfig,
    pub shutdown: CancellationToken,
    /// Workers and attempts run supervised: one that panics stops the daemon.
    pub tasks: crate::tasks::Tasks,
}

/// An endpoint as the admin API shows it.
#[derive(Clone, Debug)]
pub struct EndpointView {
    pub endpoint: WebhookEndpoint,
    pub health: EndpointHealth,
    /// Age of the oldest event not yet delivered; 0 when none waits.
    pub backlog_ms: u64,
}

/// Fields an update changes; None leaves them.
#[derive(Clone, Debug, Default)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventKind>>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

pub enum Redeliver {
    One(u64),
    /// Every failed delivery of the endpoint whose event occurred at or after this.
    FailedSince(u64),
}

pub struct Webhooks {
    shared: Arc<Shared>,
    supervisor: Supervisor,
    /// Set by [`Webhooks::start`], on the leader only: a follower changes
    /// endpoints in the store and leaves delivery to the leader.
    delivering: std::sync::atomic::AtomicBool,
}

impl Webhooks {
    pub fn new(
        store: Arc<dyn WebhookStore>,
        cfg: WebhooksConfig,
        dev: bool,
        alerts: AlertsConfig,
        shutdown: CancellationToken,
        tasks: crate::tasks::Tasks,
    ) -> Arc<Self> {
        let policy = UrlPolicy {
            allow_http: cfg.allow_http,
            allow_loopback: cfg.allow_loopback || dev,
            allow_private: cfg.allow_private,
        };
        let client = deliver::client(
            policy,
            Duration::from_secs(cfg.timeout_secs),
            cfg.max_in_flight,
        );
        let shared = Arc::new(Shared {
            store,
            cfg,
            policy,
            client,
            alerts,
            shutdown,
            tasks,
        });
        Arc::new(Self {
            supervisor: Supervisor::new(shared.clone()),
            shared,
            delivering: Default::default(),
        })
    }

    /// Applies the endpoints of `config.toml` and starts a worker per enabled endpoint.
    pub async fn start(&self) -> Result<(), WebhookError> {
        self.apply_config_endpoints().await?;
        self.refresh_disabled_gauge()?;
        self.delivering
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.refresh_all()
    }

    /// A new endpoint, receiving events from now on. The returned secret is
    /// shown to the caller once.
    pub async fn create(
        &self,
        url: String,
        event_types: Vec<EventKind>,
        description: String,
    ) -> Result<WebhookEndpoint, WebhookError> {
        self.shared.policy.check(&url).await?;
        let now = now_ms();
        let ep = WebhookEndpoint {
            id: format!("ep_{}", uuid::Uuid::now_v7().simple()),
            url,
            event_types,
            description,
            enabled: true,
            enabled_at_ms: now,
            disabled_reason: None,
            secret: signing::new_secret(),
            previous_secret: None,
            from_config: false,
            created_at_ms: now,
            updated_at_ms: now,
        };
        let store = &self.shared.store;
        store.create_endpoint(&ep, *store.durable_sequence().borrow())?;
        store.sync().await?;
        tracing::info!(endpoint = %ep.id, "webhook endpoint created");
        self.refresh(&ep.id);
        Ok(ep)
    }

    pub fn list(&self) -> Result<Vec<EndpointView>, WebhookError> {
        self.shared
            .store
            .endpoints()?
            .into_iter()
            .map(|ep| self.view(ep))
            .collect()
    }

    pub fn get(&self, id: &str) -> Result<EndpointView, WebhookError> {
        self.view(self.endpoint(id)?)
    }

    fn endpoint(&self, id: &str) -> Result<WebhookEndpoint, WebhookError> {
        self.shared
            .store
            .endpoint(id)?
            .ok_or_else(|| WebhookError::NotFound(id.into()))
    }

    fn view(&self, endpoint: WebhookEndpoint) -> Result<EndpointView, WebhookError> {
        let store = self.shared.store.as_ref();
        Ok(EndpointView {
            health: store.endpoint_health(&endpoint.id)?,
            backlog_ms: backlog_ms(store, &endpoint.id)?,
            endpoint,
        })
    }

    pub async fn update(
        &self,
        id: &str,
        change: EndpointUpdate,
    ) -> Result<EndpointView, WebhookError> {
        let mut ep = self.endpoint(id)?;
        if ep.from_config && (change.url.is_some() || change.event_types.is_some()) {
            return Err(WebhookError::FromConfig(id.into()));
        }
        if let Some(url) = change.url {
            self.shared.policy.check(&url).await?;
            ep.url = url;
        }
        if let Some(types) = change.event_types {
            ep.event_types = types;
        }
        if let Some(d) = change.description {
            ep.description = d;
        }
        let now = now_ms();
        if let Some(enabled) = change.enabled {
            if enabled && !ep.enabled {
                ep.enabled_at_ms = now;
            }
            ep.enabled = enabled;
            ep.disabled_reason = None;
        }
        ep.updated_at_ms = now;
        if !self.shared.store.update_endpoint(&ep)? {
            return Err(WebhookError::NotFound(id.into()));
        }
        self.shared.store.sync().await?;
        self.refresh_disabled_gauge()?;
        self.refresh(id);
        self.get(id)
    }

    pub async fn delete(&self, id: &str) -> Result<(), WebhookError> {
        let ep = self.endpoint(id)?;
        if ep.from_config {
            return Err(WebhookError::FromConfig(id.into()));
        }
        self.shared.store.delete_endpoint(id)?;
        self.shared.store.sync().await?;
        self.refresh(id);
        metrics::webhook_metrics().forget(id);
        self.refresh_disabled_gauge()?;
        tracing::info!(endpoint = %id, "webhook endpoint deleted");
        Ok(())
    }

    /// A new secret; the old one keeps signing for `secret_overlap_secs`.
    pub async fn rotate(&self, id: &str) -> Result<WebhookEndpoint, WebhookError> {
        let mut ep = self.endpoint(id)?;
        if ep.from_config {
            return Err(WebhookError::FromConfig(id.into()));
        }
        let now = now_ms();
        ep.previous_secret = Some(PreviousSecret {
            secret: std::mem::replace(&mut ep.secret, signing::new_secret()),
            valid_until_ms: now + self.shared.cfg.secret_overlap_secs * 1000,
        });
        ep.updated_at_ms = now;
        self.shared.store.update_endpoint(&ep)?;
        self.shared.store.sync().await?;
        tracing::info!(endpoint = %id, overlap_secs = self.shared.cfg.secret_overlap_secs, "webhook secret rotated");
        Ok(ep)
    }

    /// A page of the delivery log, each delivery with its attempts.
    #[allow(clippy::type_complexity)]
    pub fn deliveries(
        &self,
        query: &DeliveryQuery,
    ) -> Result<(Vec<(Delivery, Vec<Attempt>)>, Option<Vec<u8>>), WebhookError> {
        let store = &self.shared.store;
        let (page, next) = store.deliveries(query)?;
        let page = page
            .into_iter()
            .map(|d| {
                let attempts = store.attempts(&d.endpoint_id, d.sequence)?;
                Ok((d, attempts))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((page, next))
    }

    /// Schedules deliveries again, now, with a fresh retry schedule and the
    /// same `webhook-id`; returns how many.
    pub async fn redeliver(&self, id: &str, what: Redeliver) -> Result<usize, WebhookError> {
        self.endpoint(id)?;
        let store = &self.shared.store;
        let sequences = match what {
            Redeliver::One(seq) => {
                if store.delivery(id, seq)?.is_none() {
                    return Err(WebhookError::DeliveryNotFound {
                        endpoint_id: id.into(),
                        sequence: seq,
                    });
                }
                vec![seq]
            }
            Redeliver::FailedSince(since_ms) => {
                let query = DeliveryQuery {
                    endpoint_id: Some(id.into()),
                    state: Some(DeliveryState::Failed),
                    limit: usize::MAX,
                    ..Default::default()
                };
                store
                    .deliveries(&query)?
                    .0
                    .into_iter()
                    .filter(|d| d.occurred_at_ms >= since_ms)
                    .map(|d| d.sequence)
                    .collect()
            }
        };
        let n = store.reschedule(id, &sequences, now_ms())?;
        store.sync().await?;
        tracing::info!(endpoint = %id, deliveries = n, "webhook redelivery scheduled");
        self.refresh(id);
        Ok(n)
    }

    fn refresh_disabled_gauge(&self) -> Result<(), WebhookError> {
        let disabled = self
            .shared
            .store
            .endpoints()?
            .iter()
            .filter(|e| !e.enabled)
            .count();
        metrics::webhook_metrics().disabled.set(disabled as i64);
        Ok(())
    }

    /// Prunes settled deliveries and attempts older than `retention` every `every`.
    pub async fn prune_loop(self: Arc<Self>, retention: Duration, every: Duration) {
        loop {
            let before = now_ms().saturating_sub(retention.as_millis() as u64);
            let store = self.shared.store.clone();
            match tokio::task::spawn_blocking(move || store.prune_webhooks(before)).await {
                Ok(Ok(p)) if p.deliveries + p.attempts > 0 => {
                    tracing::info!(
                        deliveries = p.deliveries,
                        attempts = p.attempts,
                        "webhook log pruned"
                    )
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "webhook log pruning failed"),
                Err(e) => tracing::error!(error = %e, "webhook log pruning panicked"),
            }
            tokio::select! {
                _ = self.shared.shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// Age of the oldest event waiting for this endpoint: the oldest pending
/// delivery, or the first event past the cursor.
pub fn backlog_ms(store: &dyn WebhookStore, id: &str) -> Result<u64, StoreError> {
    let now = now_ms();
    let mut oldest: Option<u64> = None;
    let pending = store.due(id, usize::MAX)?;
    if let Some(seq) = pending.iter().map(|(_, seq)| *seq).min() {
        if let Some(d) = store.delivery(id, seq)? {
            oldest = Some(d.occurred_at_ms);
        }
    }
    let cursor = store.webhook_cursor(id)?;
    if let Some(e) = store.events_after(cursor, 1)?.first() {
        oldest = Some(oldest.map_or(e.occurred_at_ms, |o| o.min(e.occurred_at_ms)));
    }
    Ok(oldest.map_or(0, |o| now.saturating_sub(o)))
}
