//! Lightning providers behind one trait, one file each (`lnd`, `daznode`,
//! `dev`), plus what they share: the BOLT11 check, the failover router and
//! its circuit breaker.

mod bolt11;
pub mod breaker;
pub mod daznode;
mod dev;
pub mod lnd;
pub mod lnd_conn;
mod router;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::Memo;

pub use bolt11::{check_issued, Bolt11Facts};
pub use daznode::DazNodeProvider;
pub use dev::DevProvider;
pub use lnd::LndProvider;
pub use router::{Attempt, CallRecord, ProviderHistory, ProviderReport, Router};

/// What a provider is asked to issue. Already validated.
#[derive(Clone, Debug)]
pub struct InvoiceRequest {
    pub amount_msat: u64,
    pub memo: Memo,
    pub expiry_secs: u32,
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

#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The provider asked us to slow down (HTTP 429): wait, then try again.
    #[error("rate limited: {detail}")]
    RateLimited {
        retry_after: Option<Duration>,
        detail: String,
    },
    #[error("rejected the request: {0}")]
    Rejected(String),
    #[error("returned an invoice that does not match the request: {0}")]
    Mismatch(String),
    #[error("circuit breaker open")]
    CircuitOpen,
}

impl ProviderError {
    /// A stable name for metrics and GetProviderMetrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Unavailable(_) => "unavailable",
            Self::RateLimited { .. } => "rate_limited",
            Self::Rejected(_) => "rejected",
            Self::Mismatch(_) => "mismatch",
            Self::CircuitOpen => "circuit_open",
        }
    }

    /// The provider is failing, not merely asking us to slow down: counts
    /// against its health and its circuit breaker.
    pub fn is_outage(&self) -> bool {
        self.is_transient() && !matches!(self, Self::RateLimited { .. })
    }

    /// Worth retrying, or failing over: the provider may answer next time.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Unavailable(_) | Self::RateLimited { .. } | Self::CircuitOpen
        )
    }
}

#[derive(Clone, Debug, Default)]
pub struct HealthDetails {
    /// Free-form facts worth showing an operator (alias, height, network).
    pub details: Vec<(String, String)>,
}

/// A Lightning backend that issues invoices.
///
/// Contracts:
/// - `create_invoice` stores nothing: the caller validates the BOLT11 and
///   stores it. A provider that cannot tell whether its call took effect
///   returns an error (an unpaid orphan invoice on the node is harmless).
/// - `cancel_invoice` is idempotent for a given payment hash.
/// - Settlements are not returned here: each provider's watcher reports them
///   to `settlement::Settler`, the one path that marks invoices paid.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Stable name, stored with every invoice it issues ("lnd", "daznode", "dev").
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
    /// The state of the provider's push connection (stream, websocket), if it has one.
    fn connection_state(&self) -> Option<String> {
        None
    }
}

pub type DynProvider = Arc<dyn Provider>;

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

/// A payment a provider reports for one invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaidReport {
    pub amount_msat: u64,
    pub settled_at_ms: Option<u64>,
}
