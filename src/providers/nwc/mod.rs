//! NWC (Nostr Wallet Connect, NIP-47) as a provider: a wallet reached
//! through Nostr relays (Alby Hub being the common one), the previous
//! deployment's `NWC_URL` fallback.
//!
//! - Create: `make_invoice` (amount in msat, description or
//!   description_hash, expiry); the BOLT11 it returns is checked like every
//!   other provider's before it is stored.
//! - Check: `lookup_invoice` by payment hash. It alone may mark an NWC
//!   invoice paid: `payment_received` notifications are hints, and they are
//!   ephemeral (relays do not keep them), so each relay (re)connect looks up
//!   every pending NWC invoice.
//! - Health: `get_info`.
//! - Cancel: NIP-47 cannot cancel an ordinary invoice: `cancel_invoice`
//!   succeeds without asking the wallet; a payment that still arrives is
//!   recorded as PAID (late), as for DazNode.
//! - Encryption: NIP-44 v2 whenever the wallet's info event (kind 13194)
//!   offers it, NIP-04 only when it offers nothing else.
//!
//! The URI's secret signs our requests; it is never logged, and every error
//! text passes through [`NwcProvider::redact`].
//!
//! - `uri`: the connection URI; `nip47`: the messages, typed;
//! - `hub`: requests over every connected relay; `relay`: one connection;
//! - `watcher`: the push half.

pub mod config;
mod hub;
mod nip47;
mod relay;
mod uri;
mod watcher;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bitcoin::Network;
use futures::future::BoxFuture;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::supervisor::ConnectionState;
use super::{
    HealthDetails, InvoiceRequest, IssuedInvoice, PaidReport, Provider, ProviderError, WatchContext,
};
use crate::config::NwcConfig;
use crate::domain::Memo;
use hub::Hub;
use nip47::Transaction;

pub use uri::{NwcUri, UriError};

#[derive(Debug, thiserror::Error)]
pub enum NwcSetupError {
    #[error("nwc.uri_file: {0}")]
    File(std::io::Error),
    #[error("nwc.uri {0}")]
    Uri(#[from] UriError),
}

pub struct NwcProvider {
    hub: Hub,
    network: Network,
    reconnect_max: Duration,
    /// The URI's secret in hex, only to take it out of texts.
    secret_hex: String,
}

impl NwcProvider {
    pub const NAME: &'static str = "nwc";

    /// Parses the URI. Does not contact any relay (a wallet that is down
    /// does not stop lnpayd from starting).
    pub fn new(cfg: &NwcConfig) -> Result<Self, NwcSetupError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let text = cfg.uri().map_err(NwcSetupError::File)?;
        let uri = NwcUri::parse(text.expose())?;
        let secret_hex = uri.secret_hex();
        Ok(Self {
            hub: Hub::new(
                uri.wallet,
                uri.keys,
                uri.relays,
                Duration::from_secs(cfg.timeout_secs.max(1)),
            ),
            network: cfg.network,
            reconnect_max: Duration::from_secs(cfg.reconnect_max_secs.max(1)),
            secret_hex,
        })
    }

    /// Replaces the secret wherever it appears with `<nwc secret>`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.secret_hex, "<nwc secret>")
            .replace(&self.secret_hex.to_ascii_uppercase(), "<nwc secret>")
    }

    /// `lookup_invoice`: `Some` when the wallet says the invoice is settled.
    async fn lookup(&self, payment_hash: &str) -> Result<Option<PaidReport>, ProviderError> {
        if payment_hash.len() != 64 || !payment_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ProviderError::Rejected(
                "payment hash is not 64 hex digits".into(),
            ));
        }
        let hash = payment_hash.to_ascii_lowercase();
        let result = self
            .hub
            .call("lookup_invoice", json!({ "payment_hash": hash }))
            .await
            .map_err(|e| self.redacted(e))?;
        let tx: Transaction = serde_json::from_value(result).map_err(|e| {
            ProviderError::Unavailable(format!("lookup_invoice: malformed result: {e}"))
        })?;
        if tx
            .payment_hash
            .as_deref()
            .is_some_and(|h| !h.eq_ignore_ascii_case(&hash))
        {
            return Err(ProviderError::Mismatch(format!(
                "lookup_invoice for {hash} answered for another invoice"
            )));
        }
        Ok(tx.is_settled(&hash).then(|| PaidReport {
            amount_msat: tx.amount.unwrap_or(0),
            settled_at_ms: tx.settled_at.map(|s| s.saturating_mul(1000)),
        }))
    }

    fn redacted(&self, e: ProviderError) -> ProviderError {
        match e {
            ProviderError::Unavailable(t) => ProviderError::Unavailable(self.redact(&t)),
            ProviderError::Unauthorized(t) => ProviderError::Unauthorized(self.redact(&t)),
            ProviderError::Rejected(t) => ProviderError::Rejected(self.redact(&t)),
            ProviderError::NotFound(t) => ProviderError::NotFound(self.redact(&t)),
            other => other,
        }
    }
}

#[async_trait]
impl Provider for NwcProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn network(&self) -> Network {
        self.network
    }

    async fn create_invoice(&self, req: &InvoiceRequest) -> Result<IssuedInvoice, ProviderError> {
        let mut params = json!({
            "amount": req.amount_msat,
            "expiry": req.expiry_secs,
        });
        match &req.memo {
            Memo::Description(d) => params["description"] = Value::String(d.clone()),
            Memo::Hash(h) => params["description_hash"] = Value::String(hex::encode(h)),
        }
        let result = self
            .hub
            .call("make_invoice", params)
            .await
            .map_err(|e| self.redacted(e))?;
        let tx: Transaction = serde_json::from_value(result).unwrap_or_default();
        let invoice = tx
            .invoice
            .ok_or_else(|| ProviderError::Mismatch("make_invoice returned no invoice".into()))?;
        Ok(IssuedInvoice {
            payment_request: invoice,
            decoded: None,
        })
    }

    /// NIP-47 cannot cancel an ordinary invoice: succeeds without asking the
    /// wallet. A payment that still arrives is recorded as PAID (late).
    async fn cancel_invoice(&self, _payment_hash: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn lookup_paid(&self, payment_hash: &str) -> Result<Option<PaidReport>, ProviderError> {
        match self.lookup(payment_hash).await {
            // Unknown to the wallet (or not yet, right after a success): not paid.
            Err(ProviderError::NotFound(_)) => Ok(None),
            other => other,
        }
    }

    async fn check_health(&self) -> Result<HealthDetails, ProviderError> {
        let result = self
            .hub
            .call("get_info", json!({}))
            .await
            .map_err(|e| self.redacted(e))?;
        let mut details = vec![(
            "relays".to_string(),
            self.hub
                .links
                .iter()
                .map(|l| format!("{} {}", l.url, l.state.get()))
                .collect::<Vec<_>>()
                .join("; "),
        )];
        if let Some(info) = self.hub.info() {
            details.push(("encryption".into(), info.encryption.as_str().into()));
            details.push(("methods".into(), info.methods.join(" ")));
            details.push(("notifications".into(), info.notifications.join(" ")));
        }
        for key in ["alias", "network", "pubkey"] {
            if let Some(v) = result.get(key).and_then(Value::as_str) {
                details.push((format!("wallet_{key}"), v.to_string()));
            }
        }
        details.push(("network".into(), self.network.to_string()));
        Ok(HealthDetails { details })
    }

    fn connection_state(&self) -> Option<ConnectionState> {
        Some(self.hub.connection_state())
    }

    fn node_answered(&self) {
        for l in &self.hub.links {
            l.state.wake();
        }
    }

    fn watch(
        self: Arc<Self>,
        ctx: WatchContext,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, ()> {
        let reconnect_max = self.reconnect_max;
        let watcher = watcher::NwcWatcher {
            nwc: self,
            store: ctx.store,
            settler: ctx.settler,
        };
        Box::pin(async move { watcher.run(reconnect_max, shutdown).await })
    }
}
