//! The errors an operation can end with. `api/status.rs` maps each variant to a
//! gRPC status, once, with a reason a program can match on.

use crate::domain::{InvalidField, InvoiceStatus};
use crate::providers::ProviderError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("no invoice matches {0}")]
    NotFound(String),
    #[error("idempotency key was already used with different parameters")]
    IdempotencyKeyReused { invoice_id: String },
    #[error("invoice {0} is paid and cannot be canceled")]
    AlreadyPaid(String),
    #[error("invoice {id} is {status}, not pending")]
    NotPending { id: String, status: InvoiceStatus },
    #[error("invoice {0} was not issued by the dev provider")]
    NotDevInvoice(String),
    #[error("the dev provider is not enabled")]
    DevModeDisabled,
    #[error("amount {got} msat is below the invoice amount {want} msat")]
    Underpayment { got: u64, want: u64 },
    #[error("no provider could serve the request")]
    ProvidersUnavailable(Vec<(String, ProviderError)>),
    /// A provider error on an invoice pinned to that provider (no failover).
    #[error("provider {provider}: {source}")]
    Provider {
        provider: String,
        #[source]
        source: ProviderError,
    },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("after_sequence {after} is ahead of the event log (last sequence {last})")]
    CursorAhead { after: u64, last: u64 },
    #[error("the daemon is shutting down")]
    ShuttingDown,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
