//! The application facade every RPC calls. The gRPC layer only converts types.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::OwnedMutexGuard;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::{
    new_invoice_id, validate_new_invoice, AuditEntry, CreateParams, Event, Invoice, InvoiceStatus,
    Limits, Memo, SettlePath,
};
use crate::error::{Error, Result};
use crate::events::{self, EventFilter};
use crate::providers::{check_issued, DevProvider, InvoiceRequest, Router};
use crate::settlement::{ExpiryScheduler, Settlement, Settler};
use crate::store::{IdempotencyRecord, Inserted, ListQuery, Store, Transitioned};
use crate::time::now_ms;

pub enum Lookup {
    Id(String),
    PaymentHash(String),
    ExternalRef(String),
}

pub struct App {
    pub store: Arc<dyn Store>,
    pub router: Arc<Router>,
    pub settler: Arc<Settler>,
    pub expiry: ExpiryScheduler,
    pub limits: Limits,
    pub dev_mode: bool,
    pub started_at_ms: u64,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Outgoing webhooks: the admin RPCs' facade.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    key_locks: KeyLocks,
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
        shutdown: CancellationToken,
        tasks: TaskTracker,
        webhooks: Arc<crate::webhooks::Webhooks>,
    ) -> Self {
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
        }
    }

    pub async fn create_invoice(
        &self,
        params: CreateParams,
        request_id: Option<String>,
    ) -> Result<Invoice> {
        let new = validate_new_invoice(params, &self.limits)?;
        let fingerprint = new.fingerprint();
        // Held until the invoice is stored, so a concurrent retry with the same
        // key waits and then finds it, instead of creating a second one.
        let _key_guard = match &new.idempotency_key {
            Some(key) => {
                let guard = self.key_locks.lock(key).await;
                if let Some(rec) = self.store.idempotency_record(key)? {
                    return self.replay(rec, &fingerprint).await;
                }
                Some(guard)
            }
            None => None,
        };

        let req = InvoiceRequest {
            amount_msat: new.amount_msat,
            memo: new.memo.clone(),
            expiry_secs: new.expiry_secs,
        };
        let (result, attempts) = self.router.create(&req).await;
        let (invoice_id, created) = new_invoice_id();
        let mut audit: Vec<AuditEntry> = attempts
            .iter()
            .map(|a| AuditEntry {
                at_ms: a.ended_at_ms,
                kind: "provider_call".into(),
                invoice_id: Some(invoice_id.clone()),
                provider: Some(a.provider.into()),
                action: "create_invoice".into(),
                outcome: a
                    .error
                    .as_ref()
                    .map_or("ok".into(), |e| format!("error: {e}")),
                duration_ms: Some(a.duration_ms),
                request_id: request_id.clone(),
            })
            .collect();
        let (provider, issued) = match result {
            Ok(ok) => ok,
            Err(errors) => {
                // Nothing is stored for a failed create but the audit trail of the attempts.
                self.store.append_audit(&audit)?;
                // The router stops at a provider that understood and refused:
                // that is an answer about the request, not an outage.
                if let Some((provider, e)) = errors.last().filter(|(_, e)| !e.is_transient()) {
                    return Err(Error::Provider {
                        provider: provider.clone(),
                        source: e.clone(),
                    });
                }
                return Err(Error::ProvidersUnavailable(errors));
            }
        };
        let facts = check_issued(&req, &issued, provider.network()).map_err(|e| {
            tracing::error!(provider = provider.name(), error = %e, "provider returned a bad invoice; nothing stored");
            Error::Provider { provider: provider.name().into(), source: e }
        })?;

        let (description, description_hash) = match &new.memo {
            Memo::Description(d) => (d.clone(), None),
            Memo::Hash(h) => (String::new(), Some(hex::encode(h))),
        };
        let invoice = Invoice {
            id: invoice_id,
            payment_request: issued.payment_request,
            payment_hash: facts.payment_hash,
            amount_msat: facts.amount_msat,
            amount_received_msat: 0,
            description,
            description_hash,
            status: InvoiceStatus::Pending,
            provider: provider.name().into(),
            created_at_ms: created,
            expires_at_ms: facts.expires_at_ms,
            paid_at_ms: None,
            updated_at_ms: created,
            metadata: new.metadata,
            external_ref: new.external_ref,
            customer_email: new.customer_email,
            paid_late: false,
            idempotency_key: new.idempotency_key.clone(),
        };
        let record = new.idempotency_key.map(|key| IdempotencyRecord {
            key,
            fingerprint,
            invoice_id: invoice.id.clone(),
            created_at_ms: created,
        });
        audit.push(AuditEntry {
            at_ms: created,
            kind: "status_change".into(),
            invoice_id: Some(invoice.id.clone()),
            provider: Some(invoice.provider.clone()),
            action: "created".into(),
            outcome: "pending".into(),
            duration_ms: None,
            request_id,
        });
        match self
            .store
            .insert_invoice(&invoice, record.as_ref(), &audit)?
        {
            Inserted::New(event) => {
                // Timed before the wait for the disk: if the caller goes away
                // during it, the invoice is stored all the same and must expire.
                self.expiry
                    .schedule(invoice.expires_at_ms, invoice.id.clone());
                crate::metrics::metrics().invoice(&invoice.provider, "created");
                self.store.sync().await?;
                // debug, not info: one line per create is noise at production rates.
                tracing::debug!(invoice_id = %invoice.id, provider = %invoice.provider,
                    amount_msat = invoice.amount_msat, sequence = event.sequence, "invoice created");
                Ok(invoice)
            }
            // Another process took the key between our check and our insert:
            // the lock is per process, the store check is not.
            Inserted::KeyTaken(rec) => {
                self.replay(rec, &record.expect("KeyTaken implies a record").fingerprint)
                    .await
            }
        }
    }

    async fn replay(&self, rec: IdempotencyRecord, fingerprint: &str) -> Result<Invoice> {
        if rec.fingerprint != fingerprint {
            return Err(Error::IdempotencyKeyReused {
                invoice_id: rec.invoice_id,
            });
        }
        let inv = self
            .store
            .invoice(&rec.invoice_id)?
            .ok_or_else(|| Error::NotFound(format!("id {}", rec.invoice_id)))?;
        // The first call may have been abandoned before its write was on
        // disk: a retry is answered only with what a crash cannot take back.
        self.store.sync().await?;
        Ok(inv)
    }

    pub fn get_invoice(&self, lookup: &Lookup) -> Result<Invoice> {
        let (found, what) = match lookup {
            Lookup::Id(id) => (self.store.invoice(id)?, format!("id {id}")),
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
        let result = provider.cancel_invoice(&inv.payment_hash).await;
        self.router.observe(
            &inv.provider,
            "cancel_invoice",
            started.elapsed(),
            result.as_ref().map(|_| ()),
        );
        self.store.append_audit(&[AuditEntry {
            at_ms: now_ms(),
            kind: "provider_call".into(),
            invoice_id: Some(inv.id.clone()),
            provider: Some(inv.provider.clone()),
            action: "cancel_invoice".into(),
            outcome: result
                .as_ref()
                .err()
                .map_or("ok".into(), |e| format!("error: {e}")),
            duration_ms: Some(started.elapsed().as_millis() as u64),
            request_id: request_id.clone(),
        }])?;
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
    pub async fn wait_invoice(&self, id: &str, deadline: tokio::time::Instant) -> Result<Invoice> {
        let mut durable = self.store.durable_sequence();
        loop {
            durable.borrow_and_update();
            let inv = self.get_invoice(&Lookup::Id(id.into()))?;
            if inv.status != InvoiceStatus::Pending {
                // The change may be in memory only (a change of the durable
                // mark woke us, not necessarily this invoice's): answer once
                // it is on disk.
                self.store.sync().await?;
                return Ok(inv);
            }
            tokio::select! {
                changed = durable.changed() => if changed.is_err() { return Err(Error::ShuttingDown) },
                _ = tokio::time::sleep_until(deadline) => return Ok(inv),
                _ = self.shutdown.cancelled() => return Err(Error::ShuttingDown),
            }
        }
    }

    pub fn subscribe(
        &self,
        after: u64,
        filter: EventFilter,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<Event>>> {
        events::subscribe(
            self.store.clone(),
            after,
            filter,
            self.shutdown.clone(),
            &self.tasks,
        )
    }

    /// Settles a dev invoice through the same path real providers use.
    pub async fn simulate_payment(&self, id: &str, amount_msat: u64) -> Result<Invoice> {
        if !self.dev_mode {
            return Err(Error::DevModeDisabled);
        }
        let inv = self.get_invoice(&Lookup::Id(id.into()))?;
        if inv.provider != DevProvider::NAME {
            return Err(Error::NotDevInvoice(inv.id));
        }
        match inv.status {
            // An expired invoice may still be paid late: that is what a real
            // provider can report, and the store keeps it as PAID, late.
            InvoiceStatus::Pending | InvoiceStatus::Expired | InvoiceStatus::Paid => {}
            InvoiceStatus::Canceled => {
                return Err(Error::NotPending {
                    id: inv.id,
                    status: inv.status,
                })
            }
        }
        let amount = if amount_msat == 0 {
            inv.amount_msat
        } else {
            amount_msat
        };
        if amount < inv.amount_msat {
            return Err(Error::Underpayment {
                got: amount,
                want: inv.amount_msat,
            });
        }
        let settled = self
            .settler
            .settle(Settlement {
                provider: DevProvider::NAME,
                payment_hash: inv.payment_hash.clone(),
                amount_received_msat: amount,
                settled_at_ms: now_ms(),
                path: SettlePath::Simulated,
                cursor: None,
            })
            .await?;
        settled.ok_or(Error::NotFound(format!("id {id}")))
    }
}

/// Per-key async locks for idempotency keys, dropped when no one holds them.
#[derive(Default)]
struct KeyLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

struct KeyGuard<'a> {
    locks: &'a KeyLocks,
    key: String,
    _guard: OwnedMutexGuard<()>,
}

impl KeyLocks {
    async fn lock(&self, key: &str) -> KeyGuard<'_> {
        let m = self
            .0
            .lock()
            .expect("key lock map poisoned")
            .entry(key.to_string())
            .or_default()
            .clone();
        KeyGuard {
            locks: self,
            key: key.to_string(),
            _guard: m.lock_owned().await,
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        let mut map = self.locks.0.lock().expect("key lock map poisoned");
        // Two holders: the map and this guard. More means someone is waiting.
        if map
            .get(&self.key)
            .is_some_and(|m| Arc::strong_count(m) <= 2)
        {
            map.remove(&self.key);
        }
    }
}
