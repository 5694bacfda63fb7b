//! What the LND watcher checks on every (re)connect: whether the stored
//! settle cursor still means something on the node, and every pending LND
//! invoice looked up, which catches what the streams missed and CANCELED
//! (which the stream never carries).

use fedimint_tonic_lnd::lnrpc;

use super::watcher::{LndWatcher, CANCELED, SETTLED, SETTLE_INDEX};
use super::LndProvider;
use crate::domain::{InvoiceStatus, SettlePath};
use crate::providers::store_err;
use crate::providers::ProviderError;
use crate::store::{CursorUpdate, ListQuery};
use crate::time::now_ms;

impl LndWatcher {
    /// The stored settle cursor, if the node still agrees with it; else 0.
    ///
    /// The invoice that last moved the cursor must still carry that settle
    /// index on the node. If it does not (a restored or wiped node), the
    /// cursor means nothing there: it is logged and dropped, and the live
    /// subscription and the reconciliation cover the gap.
    pub(super) async fn trusted_settle_index(
        &self,
        client: &mut super::conn::LndClient,
    ) -> Result<u64, ProviderError> {
        let Some(stored) = self.store.cursor(SETTLE_INDEX).map_err(store_err)? else {
            return Ok(0);
        };
        if stored.value == 0 {
            return Ok(0);
        }
        if stored.anchor.is_empty() {
            // Written before cursors had anchors: nothing to check it against.
            // Kept, because its replay is what covers a payment landing while
            // the subscriptions are being set up; a cursor that is too high
            // costs nothing now that the live subscription cannot be filtered.
            return Ok(stored.value);
        }
        let looked = self
            .lnd
            .call(client.lightning().lookup_invoice(lnrpc::PaymentHash {
                r_hash: stored.anchor.clone(),
                ..Default::default()
            }))
            .await;
        let node = match looked {
            Ok(inv) => inv.settle_index,
            Err(ProviderError::NotFound(_)) => 0,
            Err(e) => return Err(e),
        };
        if node == stored.value {
            return Ok(stored.value);
        }
        tracing::warn!(
            stored = stored.value,
            node,
            anchor = %hex::encode(&stored.anchor),
            "LND's settle_index does not match our cursor; following live settlements and reconciling"
        );
        self.reset_cursor(SETTLE_INDEX)?;
        Ok(0)
    }

    pub(super) fn reset_cursor(&self, name: &str) -> Result<(), ProviderError> {
        self.store
            .set_cursor(&CursorUpdate {
                name: name.into(),
                value: 0,
                anchor: vec![],
            })
            .map_err(store_err)
    }

    /// Looks up every pending LND invoice, and those expired in the last two
    /// days (a payment that raced our expiry timer), and applies what LND says.
    pub(super) async fn reconcile(&self) -> Result<usize, ProviderError> {
        let mut candidates = self.store.pending_invoices().map_err(store_err)?;
        let (expired, _) = self
            .store
            .list_invoices(&ListQuery {
                status: Some(InvoiceStatus::Expired),
                created_after_ms: Some(now_ms().saturating_sub(2 * 86_400_000)),
                limit: 10_000,
                ..Default::default()
            })
            .map_err(store_err)?;
        candidates.extend(expired);
        candidates.retain(|i| i.provider == LndProvider::NAME);
        let mut changed = 0;
        let mut client = self.lnd.client();
        for inv in candidates {
            let hash = hex::decode(&inv.payment_hash).unwrap_or_default();
            let looked = self
                .lnd
                .call(client.lightning().lookup_invoice(lnrpc::PaymentHash {
                    r_hash: hash,
                    ..Default::default()
                }))
                .await;
            let node_inv = match looked {
                Ok(i) => i,
                Err(ProviderError::NotFound(_)) => {
                    tracing::warn!(invoice_id = %inv.id, "LND does not know this invoice");
                    continue;
                }
                Err(e) => return Err(e),
            };
            if node_inv.state == SETTLED {
                self.settle(&(&node_inv).into(), SettlePath::Reconcile, false)
                    .await?;
                changed += 1;
            } else if node_inv.state == CANCELED && inv.status == InvoiceStatus::Pending {
                self.settler
                    .provider_canceled(&inv.id, LndProvider::NAME)
                    .await
                    .map_err(|e| {
                        ProviderError::Unavailable(format!("recording a cancel failed: {e}"))
                    })?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}
