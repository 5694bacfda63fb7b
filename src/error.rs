//! The errors an operation can end with, and the closed set of reasons a
//! caller can receive. `api/status.rs` maps each variant to a gRPC status,
//! once, with a [`Reason`] a program can match on.

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
    Store(StoreError),
    #[error("after_sequence {after} is ahead of the event log (last sequence {last})")]
    CursorAhead { after: u64, last: u64 },
    #[error("the daemon is shutting down")]
    ShuttingDown,
    /// A create a crash cut short, waiting for its provider to say whether
    /// it issued the invoice (`app/intent.rs`).
    #[error("invoice {0} is being recovered after a restart; retry")]
    Recovering(String),
    #[error("no product {0} in the catalog")]
    ProductNotFound(String),
    #[error(transparent)]
    RateUnavailable(#[from] crate::rates::RateError),
    #[error("{max} event streams are open, the most events.max_streams allows")]
    StreamLimit { max: usize },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<StoreError> for Error {
    /// A fenced write means another instance leads now: this one stops
    /// here (`leader::fail_stop`), whichever task or call hit the fence.
    fn from(e: StoreError) -> Self {
        crate::leader::stop_if_fenced(&e);
        Error::Store(e)
    }
}

/// Declares [`Reason`] with its wire names and the list of all of them, so
/// the list cannot miss a variant.
macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal,)*) => {
        /// Every `google.rpc.ErrorInfo.reason` lnpayd sends. The same closed
        /// set is `lnpayd.v1.ErrorReason` in `proto/lnpayd/v1/errors.proto`
        /// (with an `ERROR_REASON_` prefix); a test keeps the two equal.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Reason {
            $($(#[$doc])* $variant,)*
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)*];

            /// The text sent as `ErrorInfo.reason`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $wire,)*
                }
            }
        }
    };
}

reasons! {
    // CreateInvoice validation.
    AmountRequired = "AMOUNT_REQUIRED",
    AmountNotPositive = "AMOUNT_NOT_POSITIVE",
    AmountTooLarge = "AMOUNT_TOO_LARGE",
    DescriptionRequired = "DESCRIPTION_REQUIRED",
    DescriptionEmpty = "DESCRIPTION_EMPTY",
    DescriptionTooLong = "DESCRIPTION_TOO_LONG",
    DescriptionControlCharacters = "DESCRIPTION_CONTROL_CHARACTERS",
    DescriptionHashLength = "DESCRIPTION_HASH_LENGTH",
    ExpiryTooShort = "EXPIRY_TOO_SHORT",
    ExpiryTooLong = "EXPIRY_TOO_LONG",
    MetadataTooManyKeys = "METADATA_TOO_MANY_KEYS",
    MetadataKeyEmpty = "METADATA_KEY_EMPTY",
    MetadataKeyTooLong = "METADATA_KEY_TOO_LONG",
    MetadataValueTooLong = "METADATA_VALUE_TOO_LONG",
    IdempotencyKeyTooLong = "IDEMPOTENCY_KEY_TOO_LONG",
    IdempotencyKeyInvalid = "IDEMPOTENCY_KEY_INVALID",
    ExternalRefTooLong = "EXTERNAL_REF_TOO_LONG",
    ExternalRefInvalid = "EXTERNAL_REF_INVALID",
    EmailInvalid = "EMAIL_INVALID",
    // Other request fields.
    IdRequired = "ID_REQUIRED",
    LookupRequired = "LOOKUP_REQUIRED",
    PageSizeTooLarge = "PAGE_SIZE_TOO_LARGE",
    InvalidPageToken = "INVALID_PAGE_TOKEN",
    InvalidStatus = "INVALID_STATUS",
    InvalidTimestamp = "INVALID_TIMESTAMP",
    InvalidEventType = "INVALID_EVENT_TYPE",
    // Authentication.
    TokenMissing = "TOKEN_MISSING",
    TokenMalformed = "TOKEN_MALFORMED",
    TokenUnknown = "TOKEN_UNKNOWN",
    RoleNotAllowed = "ROLE_NOT_ALLOWED",
    // Invoice state.
    InvoiceNotFound = "INVOICE_NOT_FOUND",
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED",
    InvoiceAlreadyPaid = "INVOICE_ALREADY_PAID",
    InvoiceNotPending = "INVOICE_NOT_PENDING",
    NotADevInvoice = "NOT_A_DEV_INVOICE",
    DevModeDisabled = "DEV_MODE_DISABLED",
    AmountBelowInvoice = "AMOUNT_BELOW_INVOICE",
    CursorAheadOfLog = "CURSOR_AHEAD_OF_LOG",
    // Providers and the daemon.
    ProvidersUnavailable = "PROVIDERS_UNAVAILABLE",
    ProviderUnavailable = "PROVIDER_UNAVAILABLE",
    ProviderRateLimited = "PROVIDER_RATE_LIMITED",
    ProviderRejected = "PROVIDER_REJECTED",
    ProviderInvoiceMismatch = "PROVIDER_INVOICE_MISMATCH",
    StoreError = "STORE_ERROR",
    ShuttingDown = "SHUTTING_DOWN",
    // Catalog, rates and limits.
    ProductNotFound = "PRODUCT_NOT_FOUND",
    ProductWithAmount = "PRODUCT_WITH_AMOUNT",
    QuantityTooLarge = "QUANTITY_TOO_LARGE",
    SuccessUrlNotAllowed = "SUCCESS_URL_NOT_ALLOWED",
    RateUnavailable = "RATE_UNAVAILABLE",
    RateLimited = "RATE_LIMITED",
    // Webhooks.
    UrlRequired = "URL_REQUIRED",
    UrlTooLong = "URL_TOO_LONG",
    InvalidDeliveryState = "INVALID_DELIVERY_STATE",
    TargetRequired = "TARGET_REQUIRED",
    WebhookEndpointNotFound = "WEBHOOK_ENDPOINT_NOT_FOUND",
    WebhookDeliveryNotFound = "WEBHOOK_DELIVERY_NOT_FOUND",
    WebhookEndpointFromConfig = "WEBHOOK_ENDPOINT_FROM_CONFIG",
    WebhookUrlInvalid = "WEBHOOK_URL_INVALID",
    WebhookUrlNotHttps = "WEBHOOK_URL_NOT_HTTPS",
    WebhookUrlLoopback = "WEBHOOK_URL_LOOPBACK",
    WebhookUrlPrivateAddress = "WEBHOOK_URL_PRIVATE_ADDRESS",
    WebhookUrlUnresolvable = "WEBHOOK_URL_UNRESOLVABLE",
    // Event streams.
    StreamLimitReached = "STREAM_LIMIT_REACHED",
    // The PostgreSQL store.
    StoreUnavailable = "STORE_UNAVAILABLE",
    StoreFenced = "STORE_FENCED",
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost::Message;

    use super::Reason;

    /// The names of `lnpayd.v1.ErrorReason` as compiled into the descriptor
    /// set, without the prefix and the zero value.
    fn proto_reasons() -> BTreeSet<String> {
        let set = prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .expect("the embedded descriptor set decodes");
        let e = set
            .file
            .iter()
            .filter(|f| f.package() == "lnpayd.v1")
            .flat_map(|f| &f.enum_type)
            .find(|e| e.name() == "ErrorReason")
            .expect("lnpayd.v1.ErrorReason is compiled in");
        e.value
            .iter()
            .filter(|v| v.number() != 0)
            .map(|v| {
                v.name()
                    .strip_prefix("ERROR_REASON_")
                    .unwrap_or_else(|| panic!("{} lacks the ERROR_REASON_ prefix", v.name()))
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_proto_lists_exactly_the_reasons_the_code_can_send() {
        let code: BTreeSet<String> = Reason::ALL.iter().map(|r| r.as_str().into()).collect();
        assert_eq!(code.len(), Reason::ALL.len(), "a wire name is used twice");
        let proto = proto_reasons();
        let missing: Vec<_> = code.difference(&proto).collect();
        let extra: Vec<_> = proto.difference(&code).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "not in errors.proto: {missing:?}; in errors.proto but never sent: {extra:?}"
        );
    }
}
