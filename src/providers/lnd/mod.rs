//! LND as a provider, over gRPC with `fedimint-tonic-lnd`. Works with LND's
//! `invoice.macaroon` alone; node facts (alias, height, sync) need the
//! optional read-only macaroon, because GetInfo is `info:read`.
//!
//! - `conn`: the TLS + macaroon connection;
//! - `nodes`: the node in use, the active one of an LND cluster;
//! - `watcher`: the push half, LND's invoice stream with reconciliation.

pub mod config;
pub mod conn;
mod nodes;
mod reconcile;
mod watcher;

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use conn::LndClient as Client;
use fedimint_tonic_lnd::invoicesrpc::CancelInvoiceMsg;
use fedimint_tonic_lnd::lnrpc;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::supervisor::{ConnectionState, StateCell};
use super::{
    Found, HealthDetails, InvoiceRequest, IssuedInvoice, PaidReport, Provider, ProviderError,
    WatchContext,
};
use crate::config::LndConfig;
use crate::domain::Memo;

pub struct LndProvider {
    nodes: nodes::Nodes,
    network: Network,
    timeout: Duration,
    private_route_hints: bool,
    reconnect_max: Duration,
    /// The invoice stream's state, kept by the watcher, shown in GetStatus.
    stream_state: StateCell,
    /// The node's identity key, which signs its invoices: from GetInfo with
    /// the read-only macaroon, else from the first invoice's signature.
    /// Forgotten on every reconnect, in case it now reaches another node.
    signer: RwLock<Option<PublicKey>>,
}

#[derive(Debug, thiserror::Error)]
pub enum LndSetupError {
    #[error(transparent)]
    Connect(#[from] conn::ConnectError),
    #[error("{key}: cannot read {path}: {reason}")]
    Read {
        key: &'static str,
        path: String,
        reason: String,
    },
    #[error("lnd.tls_cert_base64 is not a base64 certificate")]
    CertBase64,
    #[error("lnd.macaroon_hex is not hex")]
    MacaroonHex,
}

/// rustls needs one process-wide crypto provider; installing twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl LndProvider {
    pub const NAME: &'static str = "lnd";

    /// Builds the clients. Reads the files; does not contact the node (so a
    /// node that is down does not stop lnpayd from starting).
    pub async fn new(cfg: &LndConfig) -> Result<Self, LndSetupError> {
        install_crypto_provider();
        let read = |p: &Path, key: &'static str| {
            std::fs::read(p).map_err(|e| LndSetupError::Read {
                key,
                path: p.display().to_string(),
                reason: e.to_string(),
            })
        };
        let cert = match (&cfg.tls_cert, &cfg.tls_cert_base64) {
            (Some(path), _) => read(path, "lnd.tls_cert")?,
            (None, Some(b64)) => config::lnd_cert_pem(b64)
                .ok_or(LndSetupError::CertBase64)?
                .into_bytes(),
            (None, None) => unreachable!("config validation requires a certificate"),
        };
        let macaroon = match (&cfg.macaroon, &cfg.macaroon_hex) {
            (Some(path), _) => read(path, "lnd.macaroon")?,
            (None, Some(h)) => {
                hex::decode(h.expose().trim()).map_err(|_| LndSetupError::MacaroonHex)?
            }
            (None, None) => unreachable!("config validation requires a macaroon"),
        };
        let readonly_macaroon = match &cfg.readonly_macaroon {
            Some(path) => Some(read(path, "lnd.readonly_macaroon")?),
            None => None,
        };
        let connect_timeout = Duration::from_secs(cfg.timeout_secs);
        let mut nodes = Vec::new();
        for address in cfg.addresses() {
            let readonly = match &readonly_macaroon {
                Some(m) => Some(conn::connect(address, &cert, m, connect_timeout)?),
                None => None,
            };
            nodes.push(nodes::Node {
                address: address.to_string(),
                client: conn::connect(address, &cert, &macaroon, connect_timeout)?,
                readonly,
            });
        }
        Ok(Self {
            nodes: nodes::Nodes::new(nodes),
            network: cfg.network,
            timeout: Duration::from_secs(cfg.timeout_secs),
            private_route_hints: cfg.private_route_hints,
            reconnect_max: Duration::from_secs(cfg.reconnect_max_secs),
            stream_state: StateCell::default(),
            signer: RwLock::default(),
        })
    }

    /// The client of the node in use.
    pub fn client(&self) -> Client {
        self.nodes.active().client.clone()
    }

    /// Picks the node to use: with several addresses, the first that is
    /// active (on every reconnect, and when the node in use stops answering).
    pub async fn select_node(&self) -> Result<(), ProviderError> {
        self.nodes.select(self.timeout).await.map(drop)
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Learns the node's key if it is not known yet (see `signer`).
    async fn learn_signer(&self, payment_request: &str) -> Result<(), ProviderError> {
        if self.invoice_signer().is_some() {
            return Ok(());
        }
        let key = match self.identity_key().await {
            Some(key) => key,
            None => super::bolt11::recover_signer(payment_request)?,
        };
        *self.signer.write().unwrap_or_else(|e| e.into_inner()) = Some(key);
        Ok(())
    }

    /// The node's identity key from GetInfo, if the read-only macaroon is
    /// configured and allows it.
    async fn identity_key(&self) -> Option<PublicKey> {
        let mut ro = self.nodes.active().readonly.clone()?;
        let info = self.call(ro.lightning().get_info(lnrpc::GetInfoRequest {}));
        match info.await.map(|i| PublicKey::from_str(&i.identity_pubkey)) {
            Ok(Ok(key)) => Some(key),
            Ok(Err(_)) => None,
            Err(e) => {
                tracing::warn!(error = %e, "GetInfo failed; taking the node's key from its invoice");
                None
            }
        }
    }

    fn forget_signer(&self) {
        *self.signer.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The node in use answers; its facts for GetStatus.
    async fn node_health(&self) -> Result<HealthDetails, ProviderError> {
        let mut details = vec![("stream".to_string(), self.stream_state.get().to_string())];
        if self.nodes.is_cluster() {
            details.push(("address".into(), self.nodes.active().address.clone()));
        }
        if let Some(ro) = &self.nodes.active().readonly {
            let mut ro = ro.clone();
            let info = self
                .call(ro.lightning().get_info(lnrpc::GetInfoRequest {}))
                .await?;
            details.push(("alias".into(), info.alias));
            details.push(("block_height".into(), info.block_height.to_string()));
            details.push(("synced_to_chain".into(), info.synced_to_chain.to_string()));
        } else {
            // invoices:read is all invoice.macaroon has: the cheapest such call.
            let mut client = self.client();
            let req = lnrpc::ListInvoiceRequest {
                num_max_invoices: 1,
                reversed: true,
                ..Default::default()
            };
            let last = self.call(client.lightning().list_invoices(req)).await?;
            details.push(("last_add_index".into(), last.last_index_offset.to_string()));
        }
        details.push(("network".into(), self.network.to_string()));
        Ok(HealthDetails { details })
    }

    /// Runs one LND call under the per-call timeout, mapping errors to provider errors.
    pub async fn call<T>(
        &self,
        fut: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, ProviderError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => Err(ProviderError::Timeout(self.timeout)),
            Ok(Err(status)) => Err(classify(&status)),
            Ok(Ok(resp)) => Ok(resp.into_inner()),
        }
    }
}

/// Turns an LND status into a provider error: the variant by its gRPC
/// code, the text naming the cause an operator must fix (the node is
/// unreachable, the certificate does not match, the macaroon is refused).
pub fn classify(status: &tonic::Status) -> ProviderError {
    let mut text = status.message().to_string();
    super::append_sources(&mut text, status);
    match status.code() {
        tonic::Code::NotFound => ProviderError::NotFound(text),
        tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => {
            ProviderError::Unauthorized(format!("macaroon rejected (check lnd.macaroon): {text}"))
        }
        tonic::Code::InvalidArgument | tonic::Code::AlreadyExists | tonic::Code::OutOfRange => {
            ProviderError::Rejected(text)
        }
        _ => ProviderError::Unavailable(hint(text)),
    }
}

/// The operator's hint for a transport failure. Only the message is
/// affected, never the classification: tonic puts every transport failure
/// under one code, and the cause is in the text of its sources.
fn hint(text: String) -> String {
    let lower = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    // Order matters: a connection closed mid-handshake ("tls handshake eof")
    // is a node or proxy going away, not a wrong certificate.
    if has(&[
        "connection refused",
        "tcp connect",
        "dns",
        "eof",
        "connection reset",
        "broken pipe",
        "connection closed",
    ]) {
        format!("unreachable or closed the connection: {text}")
    } else if has(&["certificate", "unknownissuer", "bad signature"]) {
        format!("TLS certificate rejected (check lnd.tls_cert): {text}")
    } else if has(&["macaroon", "verification failed", "permission denied"]) {
        format!("macaroon rejected (check lnd.macaroon): {text}")
    } else {
        text
    }
}

fn paid_report(inv: &lnrpc::Invoice) -> Option<PaidReport> {
    let settled = inv.state == lnrpc::invoice::InvoiceState::Settled as i32;
    settled.then(|| PaidReport {
        amount_msat: inv.amt_paid_msat.max(0) as u64,
        settled_at_ms: secs_to_ms(inv.settle_date),
    })
}

impl LndProvider {
    async fn lookup(&self, payment_hash: &str) -> Result<lnrpc::Invoice, ProviderError> {
        let hash = hex::decode(payment_hash)
            .map_err(|_| ProviderError::Rejected("payment hash is not hex".into()))?;
        let mut client = self.client();
        self.call(client.lightning().lookup_invoice(lnrpc::PaymentHash {
            r_hash: hash,
            ..Default::default()
        }))
        .await
    }
}

/// LND's seconds as milliseconds; None for a time it cannot mean.
fn secs_to_ms(secs: i64) -> Option<u64> {
    u64::try_from(secs)
        .ok()
        .filter(|s| *s > 0)?
        .checked_mul(1000)
}

#[async_trait]
impl Provider for LndProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn network(&self) -> Network {
        self.network
    }

    async fn create_invoice(&self, req: &InvoiceRequest) -> Result<IssuedInvoice, ProviderError> {
        let value_msat = i64::try_from(req.amount_msat)
            .map_err(|_| ProviderError::Rejected("amount out of range".into()))?;
        let mut inv = lnrpc::Invoice {
            value_msat,
            expiry: req.expiry_secs.into(),
            private: self.private_route_hints,
            r_preimage: req
                .preimage
                .as_ref()
                .map(|p| p.bytes().to_vec())
                .unwrap_or_default(),
            ..Default::default()
        };
        match &req.memo {
            Memo::Description(d) => inv.memo = d.clone(),
            Memo::Hash(h) => inv.description_hash = h.to_vec(),
        }
        let mut client = self.client();
        let resp = self.call(client.lightning().add_invoice(inv)).await?;
        self.learn_signer(&resp.payment_request).await?;
        Ok(IssuedInvoice {
            payment_request: resp.payment_request,
            decoded: None,
        })
    }

    async fn cancel_invoice(&self, payment_hash: &str) -> Result<(), ProviderError> {
        let hash = hex::decode(payment_hash)
            .map_err(|_| ProviderError::Rejected("payment hash is not hex".into()))?;
        let mut client = self.client();
        self.call(
            client
                .invoices()
                .cancel_invoice(CancelInvoiceMsg { payment_hash: hash }),
        )
        .await?;
        Ok(())
    }

    async fn lookup_paid(&self, payment_hash: &str) -> Result<Option<PaidReport>, ProviderError> {
        let inv = self.lookup(payment_hash).await?;
        Ok(paid_report(&inv))
    }

    fn takes_preimage(&self) -> bool {
        true
    }

    async fn find_issued(&self, payment_hash: &str) -> Result<Option<Found>, ProviderError> {
        match self.lookup(payment_hash).await {
            Ok(inv) => Ok(Some(Found {
                paid: paid_report(&inv),
                payment_request: inv.payment_request,
            })),
            Err(ProviderError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn check_health(&self) -> Result<HealthDetails, ProviderError> {
        let checked = self.node_health().await;
        if self.nodes.is_cluster() && checked.is_err() {
            // The node in use went away: the next call (and an instance
            // that does not run the watcher) goes to the one now active.
            if let Err(e) = self.select_node().await {
                tracing::debug!(error = %e, "no LND node to move to yet");
            }
        }
        checked
    }

    fn invoice_signer(&self) -> Option<PublicKey> {
        *self.signer.read().unwrap_or_else(|e| e.into_inner())
    }

    fn connection_state(&self) -> Option<ConnectionState> {
        Some(self.stream_state.get())
    }

    fn node_answered(&self) {
        self.stream_state.wake();
    }

    fn watch(
        self: Arc<Self>,
        ctx: WatchContext,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, ()> {
        let reconnect_max = self.reconnect_max;
        let watcher = watcher::LndWatcher {
            lnd: self,
            store: ctx.store,
            settler: ctx.settler,
        };
        Box::pin(async move { watcher.run(reconnect_max, shutdown).await })
    }
}
