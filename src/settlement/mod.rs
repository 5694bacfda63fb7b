//! The one path by which invoices change status after creation: provider
//! watchers report settlements here, the expiry timer reports expiries, and
//! each becomes one store transaction, made durable before anyone hears of it.

mod expiry;

use crate::domain::{AuditAction, AuditEntry, Invoice, SettlePath};
use crate::error::Result;
use crate::store::{CursorUpdate, Store, Transition, Transitioned};
use crate::time::now_ms;
use std::sync::Arc;

pub use expiry::{ExpiryScheduler, ExpiryTimer};

/// A provider's report that an invoice was paid.
#[derive(Clone, Debug)]
pub struct Settlement {
    pub provider: &'static str,
    pub payment_hash: String,
    pub amount_received_msat: u64,
    pub settled_at_ms: u64,
    pub path: SettlePath,
    /// The provider's stream position after this settlement, stored with it.
    pub cursor: Option<CursorUpdate>,
}

pub struct Settler {
    store: Arc<dyn Store>,
}

/// One status change as [`Settler::apply`] takes it: the store's transition
/// and the audit line that goes with it.
struct Change<'a> {
    id: &'a str,
    transition: Transition,
    audit: AuditEntry,
    cursor: Option<&'a CursorUpdate>,
    /// How a payment reached us; None for every other change.
    path: Option<SettlePath>,
}

impl Settler {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Marks the invoice paid (once: a repeated report changes nothing) and
    /// returns it, or None when no invoice of this provider has that hash.
    pub async fn settle(&self, s: Settlement) -> Result<Option<Invoice>> {
        let Some(inv) = self.store.invoice_by_hash(&s.payment_hash)? else {
            // Not ours (the node serves others too); still move the cursor past it.
            if let Some(c) = &s.cursor {
                self.store.set_cursor(c)?;
                self.store.sync().await?;
            }
            return Ok(None);
        };
        if inv.provider != s.provider {
            // Pinning: only the issuing provider may settle an invoice.
            tracing::warn!(invoice_id = %inv.id, reported_by = s.provider, issued_by = %inv.provider,
                "settlement from a provider that did not issue the invoice; ignored");
            return Ok(None);
        }
        let audit = AuditEntry::status_change(
            AuditAction::Paid,
            &inv.id,
            format!("settled via {}", s.path.as_str()),
            now_ms(),
        )
        .with_provider(s.provider);
        let change = Change {
            id: &inv.id,
            transition: Transition::Paid {
                amount_received_msat: s.amount_received_msat,
                at_ms: s.settled_at_ms,
            },
            audit,
            cursor: s.cursor.as_ref(),
            path: Some(s.path),
        };
        Ok(Some(invoice_after(self.apply(change).await?)))
    }

    /// Marks a still-pending invoice expired; returns what it is now.
    pub async fn expire(&self, id: &str) -> Result<Option<Invoice>> {
        if self.store.invoice(id)?.is_none() {
            return Ok(None);
        }
        let at_ms = now_ms();
        let change = Change {
            id,
            transition: Transition::Expired { at_ms },
            audit: AuditEntry::status_change(
                AuditAction::Expired,
                id,
                "expiry timer".into(),
                at_ms,
            ),
            cursor: None,
            path: None,
        };
        Ok(Some(invoice_after(self.apply(change).await?)))
    }

    /// Applies a provider's report that it canceled an invoice: LND cancels
    /// invoices at their expiry, so one past `expires_at` becomes EXPIRED.
    pub async fn provider_canceled(&self, id: &str, provider: &str) -> Result<Option<Invoice>> {
        let Some(inv) = self.store.invoice(id)? else {
            return Ok(None);
        };
        let at_ms = now_ms();
        let (transition, action) = if at_ms >= inv.expires_at_ms {
            (Transition::Expired { at_ms }, AuditAction::Expired)
        } else {
            (Transition::Canceled { at_ms }, AuditAction::Canceled)
        };
        let audit = AuditEntry::status_change(
            action,
            id,
            "canceled at the provider (reconcile)".into(),
            at_ms,
        )
        .with_provider(provider);
        let change = Change {
            id,
            transition,
            audit,
            cursor: None,
            path: None,
        };
        Ok(Some(invoice_after(self.apply(change).await?)))
    }

    /// Marks a pending invoice canceled. The provider must have refused further
    /// payment before this is called.
    pub async fn cancel(&self, id: &str, request_id: Option<String>) -> Result<Transitioned> {
        let at_ms = now_ms();
        let audit =
            AuditEntry::status_change(AuditAction::Canceled, id, "CancelInvoice".into(), at_ms)
                .with_request_id(request_id);
        let change = Change {
            id,
            transition: Transition::Canceled { at_ms },
            audit,
            cursor: None,
            path: None,
        };
        self.apply(change).await
    }

    /// The one way a status changes: the transition and its audit line in
    /// one store transaction, made durable, then counted and logged. Nothing
    /// is counted or logged for a change the store did not make.
    async fn apply(&self, c: Change<'_>) -> Result<Transitioned> {
        let outcome = self
            .store
            .transition(c.id, c.transition, c.cursor, &c.audit)?;
        self.store.sync().await?;
        let Transitioned::Applied(ev) = &outcome else {
            return Ok(outcome);
        };
        let inv = &ev.invoice;
        let action = c.audit.action.as_str();
        let m = crate::metrics::metrics();
        m.invoice(&inv.provider, action);
        match c.path {
            Some(path) => {
                m.settlement(&inv.provider, path.as_str());
                tracing::info!(invoice_id = %inv.id, provider = %inv.provider, ?path,
                    amount_received_msat = inv.amount_received_msat, late = inv.paid_late,
                    sequence = ev.sequence, "invoice paid");
            }
            None => tracing::info!(invoice_id = %inv.id, provider = %inv.provider,
                cause = %c.audit.outcome, sequence = ev.sequence, "invoice {action}"),
        }
        Ok(outcome)
    }
}

/// The invoice as it is after a change, made or not.
fn invoice_after(t: Transitioned) -> Invoice {
    match t {
        Transitioned::Applied(ev) => ev.invoice,
        Transitioned::Unchanged(inv) | Transitioned::Refused(inv) => inv,
    }
}

/// The reconnect backoff, shared with the alert webhook's retries.
pub use crate::providers::supervisor::backoff;

#[cfg(test)]
#[path = "settler_tests.rs"]
mod settler_tests;
