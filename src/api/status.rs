//! The one place domain errors become gRPC statuses. Each carries a
//! `google.rpc.ErrorInfo` whose `reason` (a [`Reason`]) programs match on.
//! What a provider or the store said (hosts, transport causes, a provider's
//! raw text) is logged here and not sent: a caller learns which provider
//! failed and how (`unavailable`, `timeout`, …), the operator reads the rest
//! in the log, GetStatus and the audit log, and an admin-token caller gets
//! it too, as a `google.rpc.DebugInfo` ([`for_role`]).

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::auth::Role;
use crate::error::{Error, Reason};
use crate::providers::ProviderError;
use crate::store::StoreError;

pub const DOMAIN: &str = "lnpayd";

pub fn status(
    code: Code,
    reason: Reason,
    message: impl Into<String>,
    metadata: HashMap<String, String>,
) -> Status {
    let details = ErrorDetails::with_error_info(reason.as_str(), DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

/// An INVALID_ARGUMENT for a request field, as validation errors are.
pub fn invalid(reason: Reason, field: &'static str, message: impl Into<String>) -> Status {
    Error::Invalid(crate::domain::InvalidField {
        reason,
        field,
        message: message.into(),
    })
    .into()
}

/// The status for `e` as `role` may see it: the same for both roles, and
/// for an admin, what the provider or the store said, as a DebugInfo.
pub fn for_role(e: Error, role: Option<Role>) -> Status {
    let internal = match &e {
        _ if role != Some(Role::Admin) => None,
        Error::ProvidersUnavailable(errors) => Some(
            errors
                .iter()
                .map(|(p, e)| format!("{p}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Error::Provider { .. } | Error::Store(_) => Some(e.to_string()),
        _ => None,
    };
    let status = Status::from(e);
    let Some(detail) = internal else {
        return status;
    };
    let mut details = status.get_error_details();
    details.set_debug_info(Vec::<String>::new(), detail);
    Status::with_error_details(status.code(), status.message(), details)
}

fn meta<const N: usize>(pairs: [(&str, String); N]) -> HashMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The reason, code and public message for a provider's error. A refusal is
/// an answer about the request (LNbits' "amount too high"), so its text is
/// the caller's to read; every other error's text is the provider's business.
fn provider_error(provider: &str, e: &ProviderError) -> (Code, Reason, String) {
    match e {
        ProviderError::Timeout(_)
        | ProviderError::Unavailable(_)
        | ProviderError::Unauthorized(_)
        | ProviderError::CircuitOpen => (
            Code::Unavailable,
            Reason::ProviderUnavailable,
            format!("provider {provider} is unavailable ({})", e.kind()),
        ),
        ProviderError::RateLimited { .. } => (
            Code::Unavailable,
            Reason::ProviderRateLimited,
            format!("provider {provider} asked to slow down; retry later"),
        ),
        ProviderError::Rejected(_) | ProviderError::NotFound(_) => (
            Code::FailedPrecondition,
            Reason::ProviderRejected,
            format!("provider {provider}: {e}"),
        ),
        ProviderError::Mismatch(_) => (
            Code::Internal,
            Reason::ProviderInvoiceMismatch,
            format!("provider {provider} returned an invoice that does not match the request"),
        ),
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        let msg = e.to_string();
        match e {
            Error::Invalid(f) => {
                let mut details = ErrorDetails::with_error_info(
                    f.reason.as_str(),
                    DOMAIN,
                    meta([("field", f.field.to_string())]),
                );
                details.add_bad_request_violation(f.field, f.message.clone());
                Status::with_error_details(Code::InvalidArgument, f.message, details)
            }
            Error::NotFound(_) => {
                status(Code::NotFound, Reason::InvoiceNotFound, msg, HashMap::new())
            }
            Error::IdempotencyKeyReused { invoice_id } => status(
                Code::AlreadyExists,
                Reason::IdempotencyKeyReused,
                msg,
                meta([("invoice_id", invoice_id)]),
            ),
            Error::AlreadyPaid(_) => status(
                Code::FailedPrecondition,
                Reason::InvoiceAlreadyPaid,
                msg,
                HashMap::new(),
            ),
            Error::NotPending { status: s, .. } => status(
                Code::FailedPrecondition,
                Reason::InvoiceNotPending,
                msg,
                meta([("status", s.to_string())]),
            ),
            Error::NotDevInvoice(_) => status(
                Code::FailedPrecondition,
                Reason::NotADevInvoice,
                msg,
                HashMap::new(),
            ),
            Error::DevModeDisabled => status(
                Code::FailedPrecondition,
                Reason::DevModeDisabled,
                msg,
                HashMap::new(),
            ),
            Error::Underpayment { .. } => status(
                Code::InvalidArgument,
                Reason::AmountBelowInvoice,
                msg,
                HashMap::new(),
            ),
            Error::ProvidersUnavailable(errors) => {
                // The router logged each failure as it happened; this names the outcome.
                let causes: Vec<String> = errors.iter().map(|(p, e)| format!("{p}: {e}")).collect();
                tracing::warn!(errors = ?causes, "no provider could create the invoice");
                let metadata = errors
                    .iter()
                    .map(|(p, e)| (p.clone(), e.kind().to_string()))
                    .collect();
                status(
                    Code::Unavailable,
                    Reason::ProvidersUnavailable,
                    msg,
                    metadata,
                )
            }
            Error::Provider { provider, source } => {
                tracing::warn!(%provider, error = %source, "provider error returned to the caller");
                let (code, reason, public) = provider_error(&provider, &source);
                status(code, reason, public, meta([("provider", provider)]))
            }
            Error::CursorAhead { last, .. } => status(
                Code::OutOfRange,
                Reason::CursorAheadOfLog,
                msg,
                meta([("last_sequence", last.to_string())]),
            ),
            Error::Store(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "store unavailable");
                status(
                    Code::Unavailable,
                    Reason::StoreUnavailable,
                    "the database is unavailable; retry",
                    HashMap::new(),
                )
            }
            Error::Store(e @ StoreError::Fenced { .. }) => {
                tracing::warn!(error = %e, "write refused by the leader fence");
                status(
                    Code::Unavailable,
                    Reason::StoreFenced,
                    "this instance is no longer the leader; retry",
                    HashMap::new(),
                )
            }
            Error::Store(e) => {
                tracing::error!(error = %e, "store error");
                status(
                    Code::Internal,
                    Reason::StoreError,
                    "internal storage error",
                    HashMap::new(),
                )
            }
            Error::ShuttingDown => {
                status(Code::Unavailable, Reason::ShuttingDown, msg, HashMap::new())
            }
            // Resolving it waits on the provider that issued it, hence its reason.
            Error::Recovering(id) => status(
                Code::Unavailable,
                Reason::ProviderUnavailable,
                msg,
                meta([("invoice_id", id)]),
            ),
            Error::ProductNotFound(id) => status(
                Code::NotFound,
                Reason::ProductNotFound,
                msg,
                meta([("product_id", id)]),
            ),
            Error::RateUnavailable(e) => {
                // Which source failed and how is for the operator (GetStatus, the log).
                tracing::warn!(error = %e, "fiat price refused: no recent exchange rate");
                status(
                    Code::FailedPrecondition,
                    Reason::RateUnavailable,
                    "no recent exchange rate to price this product; retry later",
                    HashMap::new(),
                )
            }
            Error::StreamLimit { max } => {
                tracing::warn!(max, "event stream refused: events.max_streams reached");
                status(
                    Code::ResourceExhausted,
                    Reason::StreamLimitReached,
                    msg,
                    meta([("max_streams", max.to_string())]),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sent(e: Error) -> (String, String) {
        let s = Status::from(e);
        let info = s
            .get_details_error_info()
            .expect("every status has an ErrorInfo");
        (s.message().to_string(), format!("{:?}", info.metadata))
    }

    #[test]
    fn provider_internals_are_not_sent() {
        let secret = "lnd.internal.example:10009: connection refused";
        let (msg, meta) = sent(Error::ProvidersUnavailable(vec![
            ("lnd".into(), ProviderError::Unavailable(secret.into())),
            (
                "daznode".into(),
                ProviderError::Timeout(Duration::from_secs(5)),
            ),
        ]));
        assert!(
            !msg.contains("lnd.internal") && !meta.contains("lnd.internal"),
            "{msg} {meta}"
        );
        assert!(
            meta.contains("unavailable") && meta.contains("timeout"),
            "{meta}"
        );

        for source in [
            ProviderError::Unavailable(secret.into()),
            ProviderError::Mismatch(format!("payment hash from {secret}")),
            ProviderError::RateLimited {
                retry_after: None,
                detail: secret.into(),
            },
        ] {
            let (msg, meta) = sent(Error::Provider {
                provider: "lnd".into(),
                source,
            });
            assert!(
                !msg.contains("lnd.internal") && !meta.contains("lnd.internal"),
                "{msg} {meta}"
            );
            assert!(msg.contains("lnd"), "{msg}");
        }
    }

    #[test]
    fn only_an_admin_gets_the_internal_detail() {
        let e = || Error::Provider {
            provider: "lnd".into(),
            source: ProviderError::Unavailable("lnd.internal.example:10009: refused".into()),
        };
        for role in [None, Some(Role::Invoice)] {
            let s = for_role(e(), role);
            assert_eq!(
                s.get_details_error_info().unwrap().reason,
                "PROVIDER_UNAVAILABLE"
            );
            assert!(s.get_details_debug_info().is_none(), "{role:?}: {s:?}");
        }
        let s = for_role(e(), Some(Role::Admin));
        assert_eq!(s.code(), Code::Unavailable);
        assert_eq!(
            s.get_details_error_info().unwrap().reason,
            "PROVIDER_UNAVAILABLE"
        );
        let debug = s.get_details_debug_info().expect("an admin sees the cause");
        assert!(debug.detail.contains("lnd.internal.example"), "{debug:?}");
    }
}
