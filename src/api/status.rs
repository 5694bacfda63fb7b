//! The one place domain errors become gRPC statuses. Each carries a
//! `google.rpc.ErrorInfo` whose `reason` programs match on; internal detail
//! is logged, never sent.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::Error;
use crate::providers::ProviderError;

pub const DOMAIN: &str = "lnpayd";

pub fn status(
    code: Code,
    reason: &str,
    message: impl Into<String>,
    metadata: HashMap<String, String>,
) -> Status {
    let details = ErrorDetails::with_error_info(reason, DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

/// An INVALID_ARGUMENT for a request field, as validation errors are.
pub fn invalid(reason: &'static str, field: &'static str, message: impl Into<String>) -> Status {
    Error::Invalid(crate::domain::InvalidField {
        reason,
        field,
        message: message.into(),
    })
    .into()
}

fn meta<const N: usize>(pairs: [(&str, String); N]) -> HashMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        let msg = e.to_string();
        match e {
            Error::Invalid(f) => {
                let mut details = ErrorDetails::with_error_info(
                    f.reason,
                    DOMAIN,
                    meta([("field", f.field.to_string())]),
                );
                details.add_bad_request_violation(f.field, f.message.clone());
                Status::with_error_details(Code::InvalidArgument, f.message, details)
            }
            Error::NotFound(_) => status(Code::NotFound, "INVOICE_NOT_FOUND", msg, HashMap::new()),
            Error::IdempotencyKeyReused { invoice_id } => status(
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
                msg,
                meta([("invoice_id", invoice_id)]),
            ),
            Error::AlreadyPaid(_) => status(
                Code::FailedPrecondition,
                "INVOICE_ALREADY_PAID",
                msg,
                HashMap::new(),
            ),
            Error::NotPending { status: s, .. } => status(
                Code::FailedPrecondition,
                "INVOICE_NOT_PENDING",
                msg,
                meta([("status", s.to_string())]),
            ),
            Error::NotDevInvoice(_) => status(
                Code::FailedPrecondition,
                "NOT_A_DEV_INVOICE",
                msg,
                HashMap::new(),
            ),
            Error::DevModeDisabled => status(
                Code::FailedPrecondition,
                "DEV_MODE_DISABLED",
                msg,
                HashMap::new(),
            ),
            Error::Underpayment { .. } => status(
                Code::InvalidArgument,
                "AMOUNT_BELOW_INVOICE",
                msg,
                HashMap::new(),
            ),
            Error::ProvidersUnavailable(errors) => {
                let metadata = errors
                    .iter()
                    .map(|(p, e)| (p.clone(), e.to_string()))
                    .collect();
                status(Code::Unavailable, "PROVIDERS_UNAVAILABLE", msg, metadata)
            }
            Error::Provider { provider, source } => {
                let (code, reason) = match source {
                    ProviderError::Timeout(_)
                    | ProviderError::Unavailable(_)
                    | ProviderError::Unauthorized(_)
                    | ProviderError::CircuitOpen => (Code::Unavailable, "PROVIDER_UNAVAILABLE"),
                    ProviderError::RateLimited { .. } => {
                        (Code::Unavailable, "PROVIDER_RATE_LIMITED")
                    }
                    ProviderError::Rejected(_) | ProviderError::NotFound(_) => {
                        (Code::FailedPrecondition, "PROVIDER_REJECTED")
                    }
                    ProviderError::Mismatch(_) => (Code::Internal, "PROVIDER_INVOICE_MISMATCH"),
                };
                status(code, reason, msg, meta([("provider", provider)]))
            }
            Error::CursorAhead { last, .. } => status(
                Code::OutOfRange,
                "CURSOR_AHEAD_OF_LOG",
                msg,
                meta([("last_sequence", last.to_string())]),
            ),
            Error::Store(e) => {
                tracing::error!(error = %e, "store error");
                status(
                    Code::Internal,
                    "STORE_ERROR",
                    "internal storage error",
                    HashMap::new(),
                )
            }
            Error::ShuttingDown => status(Code::Unavailable, "SHUTTING_DOWN", msg, HashMap::new()),
        }
    }
}
