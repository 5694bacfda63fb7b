//! What a provider call can end in, typed so that no caller reads error text:
//! LND's errors are classified by their gRPC code, LNbits' by HTTP status
//! and its typed error body. The text says what an operator must fix; it
//! stays in logs and GetStatus, and the public API maps only the variant.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Unreachable, or failing: worth retrying, or failing over.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The provider asked us to slow down (HTTP 429): wait, then try again.
    #[error("rate limited: {detail}")]
    RateLimited {
        retry_after: Option<Duration>,
        detail: String,
    },
    /// Our credentials (macaroon, API key) were refused: nothing to retry
    /// until the configuration is fixed, but another provider may serve.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The provider does not know the invoice.
    #[error("not found: {0}")]
    NotFound(String),
    /// The provider understood the request and refused it: another would too.
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
            Self::Unauthorized(_) => "unauthorized",
            Self::NotFound(_) => "not_found",
            Self::Rejected(_) => "rejected",
            Self::Mismatch(_) => "mismatch",
            Self::CircuitOpen => "circuit_open",
        }
    }

    /// The provider is failing, not merely asking us to slow down or
    /// refusing one request: counts against its health and its circuit
    /// breaker. Refused credentials count: the provider is unusable to us.
    pub fn is_outage(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Unavailable(_) | Self::CircuitOpen | Self::Unauthorized(_) => {
                true
            }
            Self::RateLimited { .. }
            | Self::NotFound(_)
            | Self::Rejected(_)
            | Self::Mismatch(_) => false,
        }
    }

    /// Worth retrying on the same provider: it may answer next time.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout(_)
            | Self::Unavailable(_)
            | Self::RateLimited { .. }
            | Self::CircuitOpen => true,
            Self::Unauthorized(_) | Self::NotFound(_) | Self::Rejected(_) | Self::Mismatch(_) => {
                false
            }
        }
    }

    /// A new invoice may still go to the next provider: this one cannot
    /// serve, but the request itself was not refused.
    pub fn tries_next(&self) -> bool {
        self.is_transient() || matches!(self, Self::Unauthorized(_))
    }
}
