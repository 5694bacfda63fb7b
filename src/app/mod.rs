//! The application facade every RPC calls. The gRPC layer only converts types.
//! `create` issues invoices; `operate` answers the Admin service.

mod create;
pub mod intent;
mod operate;
mod pacing;
mod sell;

pub use operate::DaemonStatus;
pub use sell::{Commerce, MAX_QUANTITY};

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::{AuditAction, AuditEntry, Invoice, InvoiceStatus, Limits};
use crate::error::{Error, Result};
use crate::events::{EventFilter, Hub, Subscription};
use crate::key_locks::KeyLocks;
use crate::providers::Router;
use crate::settlement::{ExpiryScheduler, Settler};
use crate::store::{ListQuery, Store, Transitioned};
use crate::time::now_ms;

pub enum Lookup {
    Id(String),
    PaymentHash(String),
    ExternalRef(String),
}

pub struct App {
    store: Arc<dyn Store>,
    router: Arc<Router>,
    settler: Arc<Settler>,
    expiry: ExpiryScheduler,
    limits: Limits,
    dev_mode: bool,
    started_at_ms: u64,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    /// Outgoing webhooks: what the webhook admin RPCs call.
    webhooks: Arc<crate::webhooks::Webhooks>,
    key_locks: KeyLocks,
    events: Arc<Hub>,
    commerce: Commerce,
    /// This instance's role among those sharing the store.
    leadership: Arc<crate::leader::Leadership>,
    pacing: pacing::FlushPacing,
}

impl App {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn Store>,
        router: Arc<Router>,
        settler: Arc<Settler>,
        expiry: ExpiryScheduler,
        limits: Limits,
        dev_mode: bool,
        max_streams: usize,
        shutdown: CancellationToken,
        tasks: TaskTracker,
        webhooks: Arc<crate::webhooks::Webhooks>,
    ) -> Self {
        let events = Hub::start(store.clone(), max_streams, shutdown.clone(), tasks.clone());
        Self {
            store,
            router,
            settler,
            expiry,
            limits,
            dev_mode,
            started_at_ms: now_ms(),
            shutdown,
            tasks,
            webhooks,
            key_locks: KeyLocks::default(),
            events,
            commerce: Commerce::default(),
            leadership: crate::leader::Leadership::single("local".into(), now_ms()),
            pacing: Default::default(),
        }
    }

    /// The catalog, its rates and the checkout links (none by default).
    pub fn with_commerce(mut self, commerce: Commerce) -> Self {
        self.commerce = commerce;
        self
    }

    /// Who leads, as this instance last saw it (sled: this one, always).
    pub fn with_leadership(mut self, leadership: Arc<crate::leader::Leadership>) -> Self {
        self.leadership = leadership;
        self
    }

    pub fn commerce(&self) -> &Commerce {
        &self.commerce
    }

    /// The webhook endpoints, their deliveries and their workers.
    pub fn webhooks(&self) -> &crate::webhooks::Webhooks {
        &self.webhooks
    }

    /// The store's health as it changes: what `grpc.health.v1` follows.
    pub fn store_health(&self) -> tokio::sync::watch::Receiver<crate::store::StoreHealth> {
        self.store.health()
    }

    /// Where tasks that serve the API are tracked, so shutdown awaits them.
    pub fn tasks(&self) -> &TaskTracker {
        &self.tasks
    }

    pub fn get_invoice(&self, lookup: &Lookup) -> Result<Invoice> {
        let (found, what) = match lookup {
            Lookup::Id(id) => match self.store.invoice(id)? {
                Some(inv) => return Ok(inv),
                None => return Err(self.missing(id)?),
            },
            Lookup::PaymentHash(h) => (
                self.store.invoice_by_hash(&h.to_ascii_lowercase())?,
                format!("payment_hash {h}"),
            ),
            Lookup::ExternalRef(r) => (
                self.store.invoice_by_external_ref(r)?,
                format!("external_ref {r}"),
            ),
        };
        found.ok_or(Error::NotFound(what))
    }

    /// Why the invoice with this id is not there: a create a crash cut
    /// short, still being resolved (`intent.rs`), or none at all.
    fn missing(&self, id: &str) -> Result<Error> {
        Ok(match self.store.intent(id)? {
            Some(_) => Error::Recovering(id.to_owned()),
            None => Error::NotFound(format!("id {id}")),
        })
    }

    pub fn list_invoices(&self, query: &ListQuery) -> Result<(Vec<Invoice>, bool)> {
        Ok(self.store.list_invoices(query)?)
    }

    pub async fn cancel_invoice(&self, id: &str, request_id: Option<String>) -> Result<Invoice> {
        let inv = self.get_invoice(&Lookup::Id(id.into()))?;
        match inv.status {
            InvoiceStatus::Pending => {}
            InvoiceStatus::Canceled => {
                // Possibly another cancel's, still on its way to disk.
                self.store.sync().await?;
                return Ok(inv);
            }
            InvoiceStatus::Paid => return Err(Error::AlreadyPaid(inv.id)),
            InvoiceStatus::Expired => {
                return Err(Error::NotPending {
                    id: inv.id,
                    status: inv.status,
                })
            }
        }
        let provider = self
            .router
            .pinned(&inv.provider)
            .ok_or_else(|| Error::Provider {
                provider: inv.provider.clone(),
                source: crate::providers::ProviderError::Unavailable(
                    "provider is not configured".into(),
                ),
            })?;
        // The provider first: once it refuses payment, the local cancel is safe.
        let started = Instant::now();
        let result = self.router.cancel(provider.name(), &inv.payment_hash).await;
        self.store.append_audit(&[AuditEntry::provider_call(
            AuditAction::CancelInvoice,
            &inv.id,
            &inv.provider,
            result.as_ref().map(|_| ()),
            started.elapsed().as_millis() as u64,
            now_ms(),
        )
        .with_request_id(request_id.clone())])?;
        result.map_err(|e| Error::Provider {
            provider: inv.provider.clone(),
            source: e,
        })?;
        match self.settler.cancel(&inv.id, request_id).await? {
            Transitioned::Applied(ev) => Ok(ev.invoice),
            Transitioned::Unchanged(inv) => Ok(inv),
            // Paid (or expired) while we were canceling: report what it is.
            Transitioned::Refused(inv) if inv.status == InvoiceStatus::Paid => {
                Err(Error::AlreadyPaid(inv.id))
            }
            Transitioned::Refused(inv) => Err(Error::NotPending {
                id: inv.id,
                status: inv.status,
            }),
        }
    }

    /// Waits until the invoice leaves PENDING or `deadline` passes, and returns it as it is then.
    /// Woken only by this invoice's events, and it holds a stream slot meanwhile.
    pub async fn wait_invoice(&self, id: &str, deadline: tokio::time::Instant) -> Result<Invoice> {
        let inv = self.get_invoice(&Lookup::Id(id.into()))?;
        if inv.status != InvoiceStatus::Pending {
            self.store.sync().await?;
            return Ok(inv);
        }
        // Listen from the durable mark before reading again: a change at or
        // below it is in the read, any later one arrives as an event.
        let from = *self.store.durable_sequence().borrow();
        let filter = EventFilter {
            kinds: vec![],
            invoice_id: Some(inv.id.clone()),
        };
        let mut changes = self.events.subscribe(from, filter)?;
        let mut inv = self.get_invoice(&Lookup::Id(id.into()))?;
        loop {
            if inv.status != InvoiceStatus::Pending {
                // The change read may be in memory only: answer once it is on disk.
                self.store.sync().await?;
                return Ok(inv);
            }
            tokio::select! {
                event = changes.recv() => match event {
                    Some(Ok(e)) => inv = e.invoice.clone(),
                    Some(Err(e)) => return Err(e),
                    None => return Err(Error::ShuttingDown),
                },
                _ = tokio::time::sleep_until(deadline) => return Ok(inv),
                _ = self.shutdown.cancelled() => return Err(Error::ShuttingDown),
            }
        }
    }

    pub fn subscribe(&self, after: u64, filter: EventFilter) -> Result<Subscription> {
        self.events.subscribe(after, filter)
    }
}
