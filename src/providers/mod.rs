//! Lightning providers behind one trait, one folder each (`lnd/`,
//! `daznode/`, `nwc/`, and `dev.rs`), plus what they share: the BOLT11 check, the
//! failover router and its circuit breaker, and the supervisor that keeps a
//! push connection up.
//!
//! Adding a provider: a folder here with its provider, its watcher and its
//! config type (implementing [`ProviderSettings`]), and one variant in
//! [`crate::config::ProviderConfig`].

mod bolt11;
pub mod breaker;
pub mod daznode;
mod dev;
mod error;
#[cfg(any(test, feature = "testkit"))]
pub mod fake;
pub mod lnd;
pub mod nwc;
mod router;
pub mod supervisor;

use std::sync::Arc;

use async_trait::async_trait;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::config::ProviderConfig;
use crate::domain::Memo;
use crate::settlement::Settler;
use crate::store::Store;

pub use bolt11::{check_issued, Bolt11Facts};
pub use daznode::DazNodeProvider;
pub use dev::DevProvider;
pub use error::ProviderError;
pub use lnd::LndProvider;
pub use nwc::NwcProvider;
pub use router::{Attempt, CallRecord, ProviderHistory, ProviderReport, Router};
pub use supervisor::ConnectionState;

/// What a provider is asked to issue. Already validated.
#[derive(Clone, Debug)]
pub struct InvoiceRequest {
    /// lnpayd's id for the invoice, chosen before any provider is asked, so
    /// that a provider can name it in a callback URL (DazNode's webhook).
    pub invoice_id: String,
    pub amount_msat: u64,
    pub memo: Memo,
    pub expiry_secs: u32,
    /// Set when the first provider tried takes one ([`Provider::takes_preimage`]):
    /// lnpayd then knows the payment hash before the provider answers.
    pub preimage: Option<Preimage>,
}

/// A payment preimage lnpayd chose, so that the intent written while the
/// provider works can name the invoice's hash (`app/intent.rs`). It is
/// never stored nor logged: LND keeps it, lnpayd keeps only the hash.
#[derive(Clone)]
pub struct Preimage([u8; 32]);

impl Preimage {
    pub fn random() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The payment hash, in hex as invoices store it.
    pub fn hash_hex(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.0))
    }
}

impl std::fmt::Debug for Preimage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Preimage(..)")
    }
}

/// What a provider returns; checked against the request by [`check_issued`]
/// before anything is stored.
#[derive(Clone, Debug)]
pub struct IssuedInvoice {
    pub payment_request: String,
    /// The decoded invoice, when the provider built it in this process (the
    /// dev provider): saves re-parsing and recovering its signature. The
    /// field checks apply all the same.
    pub decoded: Option<lightning_invoice::Bolt11Invoice>,
}

#[derive(Clone, Debug, Default)]
pub struct HealthDetails {
    /// Free-form facts worth showing an operator (alias, height, network).
    pub details: Vec<(String, String)>,
}

/// An invoice a provider has, asked by its payment hash.
#[derive(Clone, Debug)]
pub struct Found {
    pub payment_request: String,
    pub paid: Option<PaidReport>,
}

/// A payment a provider reports for one invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaidReport {
    pub amount_msat: u64,
    pub settled_at_ms: Option<u64>,
}

/// What a provider's push half needs: where invoices are read, and the one
/// path that marks them paid.
#[derive(Clone)]
pub struct WatchContext {
    pub store: Arc<dyn Store>,
    pub settler: Arc<Settler>,
}

/// A Lightning backend that issues invoices and reports their payments.
///
/// Contracts:
/// - `create_invoice` stores nothing: the caller validates the BOLT11 and
///   stores it. A provider that cannot tell whether its call took effect
///   returns an error (an unpaid orphan invoice on the node is harmless).
/// - `cancel_invoice` is idempotent for a given payment hash.
/// - Calls are made through the [`Router`], which bounds each with the
///   failover timeout, its circuit breaker and its statistics: a provider
///   bounds its own calls only where a library needs it (connect timeouts).
/// - Errors are typed ([`ProviderError`]) from the provider's own codes
///   (gRPC code, HTTP status): nobody matches on their text, and no secret
///   is ever in it.
/// - Settlements are not returned by any call: [`Provider::watch`], the push
///   half, reports them to [`Settler`], the one path that marks invoices paid.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Stable name, stored with every invoice it issues ("lnd", "daznode", "nwc", "dev").
    fn name(&self) -> &'static str;
    /// The network its invoices must be for.
    fn network(&self) -> bitcoin::Network;
    async fn create_invoice(&self, req: &InvoiceRequest) -> Result<IssuedInvoice, ProviderError>;
    async fn cancel_invoice(&self, payment_hash: &str) -> Result<(), ProviderError>;
    async fn check_health(&self) -> Result<HealthDetails, ProviderError>;
    /// Whether the provider has been paid for this invoice, asked directly:
    /// the expiry timer's last question before it marks an invoice EXPIRED,
    /// in case a push was lost. `None` when unpaid or when the provider
    /// cannot be asked (dev).
    async fn lookup_paid(&self, _payment_hash: &str) -> Result<Option<PaidReport>, ProviderError> {
        Ok(None)
    }
    /// The key its node signs invoices with, once known: [`check_issued`]
    /// then verifies each invoice against it (and refuses any other signer)
    /// instead of recovering a key from the signature.
    fn invoice_signer(&self) -> Option<bitcoin::secp256k1::PublicKey> {
        None
    }
    /// Whether `create_invoice` uses [`InvoiceRequest::preimage`], and can
    /// be asked later whether an invoice with its hash exists
    /// ([`Provider::find_issued`]).
    fn takes_preimage(&self) -> bool {
        false
    }
    /// The invoice with this payment hash, if the provider has one: how a
    /// create cut short by a crash is resolved (`app/intent.rs`). Only
    /// asked of providers that take a preimage.
    async fn find_issued(&self, _payment_hash: &str) -> Result<Option<Found>, ProviderError> {
        Ok(None)
    }
    /// The state of the provider's push connection, if it has one.
    fn connection_state(&self) -> Option<ConnectionState> {
        None
    }
    /// Called after a successful health check: a push connection that is
    /// down may reconnect now instead of waiting out its backoff.
    fn node_answered(&self) {}
    /// The push half: follows the provider's payment notifications until
    /// `shutdown`, reporting each confirmed payment to `ctx.settler`, and on
    /// every (re)connect reconciles what it may have missed. It reconnects
    /// by itself (see [`supervisor::keep_connected`]) and returns only at
    /// shutdown; a provider without pushes (dev) returns at once.
    fn watch(
        self: Arc<Self>,
        _ctx: WatchContext,
        _shutdown: CancellationToken,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
    /// The provider's inbound webhook, when it has one configured: calls to
    /// `/{name}/webhook/…` on the public listener go to it.
    fn inbound_webhook(&self) -> Option<Arc<dyn InboundWebhook>> {
        None
    }
    /// Confirms what [`Provider::inbound_webhook`] received, until
    /// `shutdown`. Unlike `watch` it runs on every instance, leader or not:
    /// whichever instance the caller reached queued the call, and a caller
    /// such as LNbits never retries one.
    fn serve_inbound(
        self: Arc<Self>,
        _ctx: WatchContext,
        _shutdown: CancellationToken,
    ) -> Option<BoxFuture<'static, ()>> {
        None
    }
}

/// A provider's inbound webhook, as the public listener sees it. A call is
/// a hint, never a settlement: what it starts (a lookup at the provider)
/// runs in [`Provider::serve_inbound`], so that the caller is answered at once.
pub trait InboundWebhook: Send + Sync {
    /// Whether `rest` (the path after `/{name}/webhook/`) is a URL this
    /// provider handed out; checked before the body is read.
    fn knows(&self, rest: &str) -> bool;
    /// One call to a known URL, its body already size-limited.
    fn receive(&self, rest: &str, body: &[u8]);
}

pub type DynProvider = Arc<dyn Provider>;

/// A provider that could not be built from its configuration (a file that
/// cannot be read, a key that is not valid); the text names the key.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SetupError(#[from] Box<dyn std::error::Error + Send + Sync>);

/// What every provider's config type does, so that the daemon and the
/// validation handle a provider without knowing which one it is.
#[async_trait]
pub trait ProviderSettings: Send + Sync {
    /// The provider's stable name, stored with every invoice it issues.
    fn name(&self) -> &'static str;
    /// Adds every problem to `errors`, each key named `{at}.{key}`.
    fn validate(&self, at: &str, errors: &mut Vec<crate::config::Invalid>);
    /// Builds the provider. Reads its files (and those it keeps in
    /// `datadir`); does not contact it (a provider that is down does not
    /// stop lnpayd starting).
    async fn build(&self, datadir: &std::path::Path) -> Result<DynProvider, SetupError>;
}

/// Builds the provider one config entry describes.
pub async fn build(
    cfg: &ProviderConfig,
    datadir: &std::path::Path,
) -> Result<DynProvider, SetupError> {
    cfg.settings().build(datadir).await
}

/// Appends `e`'s chain of causes to `text` (": cause: cause"), skipping any
/// the text already says: transport errors bury the useful part (refused,
/// reset, bad certificate) a few sources down.
pub fn append_sources(text: &mut String, e: &dyn std::error::Error) {
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
}

/// A store error met by a provider's push half: the watcher backs off and
/// retries as on a lost connection. A fenced write stops the process
/// ([`crate::leader::stop_if_fenced`]), as it does through every other path.
pub(crate) fn store_err(e: crate::store::StoreError) -> ProviderError {
    crate::leader::stop_if_fenced(&e);
    ProviderError::Unavailable(format!("store: {e}"))
}
