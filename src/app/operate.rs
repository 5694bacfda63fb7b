//! What the Admin service asks of the daemon: its status, the providers'
//! figures, the audit log, and simulated payments on the dev provider.

use crate::domain::{AuditEntry, Invoice, InvoiceStatus, SettlePath};
use crate::error::{Error, Result};
use crate::health::{self, Health, ProviderFigures};
use crate::providers::{DevProvider, ProviderReport};
use crate::settlement::Settlement;
use crate::store::{AuditCursor, AuditQuery, StoreHealth};
use crate::time::now_ms;

use super::{App, Lookup};

/// The daemon as GetStatus shows it.
pub struct DaemonStatus {
    pub health: Health,
    /// The provider new invoices go to now; None when none can serve.
    pub serving: Option<&'static str>,
    /// In priority order.
    pub providers: Vec<ProviderReport>,
    pub dev_mode: bool,
    pub last_event_sequence: u64,
    pub started_at_ms: u64,
    /// Whether the store can write; while it cannot, the daemon is DOWN.
    pub store: StoreHealth,
    /// This instance, its role, and who leads.
    pub cluster: crate::leader::ClusterView,
}

impl App {
    pub fn status(&self) -> DaemonStatus {
        let providers = self.router.reports();
        let store = self.store.health().borrow().clone();
        DaemonStatus {
            health: match store {
                StoreHealth::Ok => health::overall(&providers),
                StoreHealth::Failing { .. } => Health::Down,
            },
            serving: health::serving(&providers),
            providers,
            dev_mode: self.dev_mode,
            last_event_sequence: *self.store.durable_sequence().borrow(),
            started_at_ms: self.started_at_ms,
            store,
            cluster: self.leadership.view(),
        }
    }

    /// Each provider's figures over the last `window_secs` (and the last hour and day).
    pub fn provider_figures(&self, window_secs: u32) -> Vec<ProviderFigures> {
        let now = now_ms();
        self.router
            .history(health::history_start(window_secs, now))
            .iter()
            .map(|h| ProviderFigures::of(h, window_secs, now))
            .collect()
    }

    /// A page of the audit log, newest first; the bool says whether more match.
    pub fn audit_page(&self, query: &AuditQuery) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool)> {
        Ok(self.store.audit_page(query)?)
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
