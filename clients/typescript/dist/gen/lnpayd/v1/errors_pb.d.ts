import type { GenEnum, GenFile } from "@bufbuild/protobuf/codegenv2";
/**
 * Describes the file lnpayd/v1/errors.proto.
 */
export declare const file_lnpayd_v1_errors: GenFile;
/**
 * Every reason lnpayd puts in a failed call's google.rpc.ErrorInfo (domain
 * "lnpayd"). ErrorInfo.reason carries the name without the ERROR_REASON_
 * prefix ("AMOUNT_TOO_LARGE"); no other reason is ever sent. A unit test in
 * src/error.rs keeps this list equal to the set the server can send.
 *
 * Request-field errors (INVALID_ARGUMENT) also carry a google.rpc.BadRequest
 * naming the field, and ErrorInfo.metadata["field"].
 *
 * @generated from enum lnpayd.v1.ErrorReason
 */
export declare enum ErrorReason {
    /**
     * Never sent.
     *
     * @generated from enum value: ERROR_REASON_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Neither amount_sat nor amount_msat is set.
     *
     * @generated from enum value: ERROR_REASON_AMOUNT_REQUIRED = 1;
     */
    AMOUNT_REQUIRED = 1,
    /**
     * The amount is zero.
     *
     * @generated from enum value: ERROR_REASON_AMOUNT_NOT_POSITIVE = 2;
     */
    AMOUNT_NOT_POSITIVE = 2,
    /**
     * The amount is above the operator's invoices.max_amount_sat.
     *
     * @generated from enum value: ERROR_REASON_AMOUNT_TOO_LARGE = 3;
     */
    AMOUNT_TOO_LARGE = 3,
    /**
     * Neither description nor description_hash is set.
     *
     * @generated from enum value: ERROR_REASON_DESCRIPTION_REQUIRED = 4;
     */
    DESCRIPTION_REQUIRED = 4,
    /**
     * description is the empty string.
     *
     * @generated from enum value: ERROR_REASON_DESCRIPTION_EMPTY = 5;
     */
    DESCRIPTION_EMPTY = 5,
    /**
     * description is over 639 bytes, the most a BOLT11 invoice holds.
     *
     * @generated from enum value: ERROR_REASON_DESCRIPTION_TOO_LONG = 6;
     */
    DESCRIPTION_TOO_LONG = 6,
    /**
     * description contains control characters.
     *
     * @generated from enum value: ERROR_REASON_DESCRIPTION_CONTROL_CHARACTERS = 7;
     */
    DESCRIPTION_CONTROL_CHARACTERS = 7,
    /**
     * description_hash is not 32 bytes.
     *
     * @generated from enum value: ERROR_REASON_DESCRIPTION_HASH_LENGTH = 8;
     */
    DESCRIPTION_HASH_LENGTH = 8,
    /**
     * expiry_seconds is below the operator's minimum.
     *
     * @generated from enum value: ERROR_REASON_EXPIRY_TOO_SHORT = 9;
     */
    EXPIRY_TOO_SHORT = 9,
    /**
     * expiry_seconds is above the operator's maximum.
     *
     * @generated from enum value: ERROR_REASON_EXPIRY_TOO_LONG = 10;
     */
    EXPIRY_TOO_LONG = 10,
    /**
     * metadata has over 50 keys.
     *
     * @generated from enum value: ERROR_REASON_METADATA_TOO_MANY_KEYS = 11;
     */
    METADATA_TOO_MANY_KEYS = 11,
    /**
     * A metadata key is empty.
     *
     * @generated from enum value: ERROR_REASON_METADATA_KEY_EMPTY = 12;
     */
    METADATA_KEY_EMPTY = 12,
    /**
     * A metadata key is over 40 characters.
     *
     * @generated from enum value: ERROR_REASON_METADATA_KEY_TOO_LONG = 13;
     */
    METADATA_KEY_TOO_LONG = 13,
    /**
     * A metadata value is over 500 characters.
     *
     * @generated from enum value: ERROR_REASON_METADATA_VALUE_TOO_LONG = 14;
     */
    METADATA_VALUE_TOO_LONG = 14,
    /**
     * idempotency_key is over 255 characters.
     *
     * @generated from enum value: ERROR_REASON_IDEMPOTENCY_KEY_TOO_LONG = 15;
     */
    IDEMPOTENCY_KEY_TOO_LONG = 15,
    /**
     * idempotency_key contains control characters.
     *
     * @generated from enum value: ERROR_REASON_IDEMPOTENCY_KEY_INVALID = 16;
     */
    IDEMPOTENCY_KEY_INVALID = 16,
    /**
     * external_ref is over 255 characters.
     *
     * @generated from enum value: ERROR_REASON_EXTERNAL_REF_TOO_LONG = 17;
     */
    EXTERNAL_REF_TOO_LONG = 17,
    /**
     * external_ref contains control characters.
     *
     * @generated from enum value: ERROR_REASON_EXTERNAL_REF_INVALID = 18;
     */
    EXTERNAL_REF_INVALID = 18,
    /**
     * customer_email is not a plausible address.
     *
     * @generated from enum value: ERROR_REASON_EMAIL_INVALID = 19;
     */
    EMAIL_INVALID = 19,
    /**
     * id is empty.
     *
     * @generated from enum value: ERROR_REASON_ID_REQUIRED = 20;
     */
    ID_REQUIRED = 20,
    /**
     * GetInvoice names none of id, payment_hash, external_ref.
     *
     * @generated from enum value: ERROR_REASON_LOOKUP_REQUIRED = 21;
     */
    LOOKUP_REQUIRED = 21,
    /**
     * page_size is above the RPC's maximum.
     *
     * @generated from enum value: ERROR_REASON_PAGE_SIZE_TOO_LARGE = 22;
     */
    PAGE_SIZE_TOO_LARGE = 22,
    /**
     * page_token is not one this server issued.
     *
     * @generated from enum value: ERROR_REASON_INVALID_PAGE_TOKEN = 23;
     */
    INVALID_PAGE_TOKEN = 23,
    /**
     * status is not an InvoiceStatus value.
     *
     * @generated from enum value: ERROR_REASON_INVALID_STATUS = 24;
     */
    INVALID_STATUS = 24,
    /**
     * A timestamp is before 1970.
     *
     * @generated from enum value: ERROR_REASON_INVALID_TIMESTAMP = 25;
     */
    INVALID_TIMESTAMP = 25,
    /**
     * types holds a value that is not an EventType.
     *
     * @generated from enum value: ERROR_REASON_INVALID_EVENT_TYPE = 26;
     */
    INVALID_EVENT_TYPE = 26,
    /**
     * No authorization header.
     *
     * @generated from enum value: ERROR_REASON_TOKEN_MISSING = 27;
     */
    TOKEN_MISSING = 27,
    /**
     * The authorization header is not "Bearer <token>".
     *
     * @generated from enum value: ERROR_REASON_TOKEN_MALFORMED = 28;
     */
    TOKEN_MALFORMED = 28,
    /**
     * The token is neither the admin nor the invoice token.
     *
     * @generated from enum value: ERROR_REASON_TOKEN_UNKNOWN = 29;
     */
    TOKEN_UNKNOWN = 29,
    /**
     * The invoice token called the Admin service.
     *
     * @generated from enum value: ERROR_REASON_ROLE_NOT_ALLOWED = 30;
     */
    ROLE_NOT_ALLOWED = 30,
    /**
     * NOT_FOUND: no invoice matches the id, payment hash or external_ref.
     *
     * @generated from enum value: ERROR_REASON_INVOICE_NOT_FOUND = 31;
     */
    INVOICE_NOT_FOUND = 31,
    /**
     * ALREADY_EXISTS: the idempotency key was used with other parameters;
     * metadata["invoice_id"] names the invoice it created.
     *
     * @generated from enum value: ERROR_REASON_IDEMPOTENCY_KEY_REUSED = 32;
     */
    IDEMPOTENCY_KEY_REUSED = 32,
    /**
     * FAILED_PRECONDITION: a paid invoice cannot be canceled.
     *
     * @generated from enum value: ERROR_REASON_INVOICE_ALREADY_PAID = 33;
     */
    INVOICE_ALREADY_PAID = 33,
    /**
     * FAILED_PRECONDITION: the invoice is expired or canceled;
     * metadata["status"] says which.
     *
     * @generated from enum value: ERROR_REASON_INVOICE_NOT_PENDING = 34;
     */
    INVOICE_NOT_PENDING = 34,
    /**
     * FAILED_PRECONDITION: SimulatePayment on an invoice of a real provider.
     *
     * @generated from enum value: ERROR_REASON_NOT_A_DEV_INVOICE = 35;
     */
    NOT_A_DEV_INVOICE = 35,
    /**
     * FAILED_PRECONDITION: SimulatePayment without the dev provider.
     *
     * @generated from enum value: ERROR_REASON_DEV_MODE_DISABLED = 36;
     */
    DEV_MODE_DISABLED = 36,
    /**
     * INVALID_ARGUMENT: SimulatePayment below the invoice amount.
     *
     * @generated from enum value: ERROR_REASON_AMOUNT_BELOW_INVOICE = 37;
     */
    AMOUNT_BELOW_INVOICE = 37,
    /**
     * OUT_OF_RANGE: after_sequence is ahead of the event log;
     * metadata["last_sequence"] is the newest sequence.
     *
     * @generated from enum value: ERROR_REASON_CURSOR_AHEAD_OF_LOG = 38;
     */
    CURSOR_AHEAD_OF_LOG = 38,
    /**
     * UNAVAILABLE: no provider could create the invoice; retry later. For the
     * admin token, metadata maps each provider tried to its error.
     *
     * @generated from enum value: ERROR_REASON_PROVIDERS_UNAVAILABLE = 39;
     */
    PROVIDERS_UNAVAILABLE = 39,
    /**
     * UNAVAILABLE: the provider that issued the invoice cannot be reached;
     * metadata["provider"] names it.
     *
     * @generated from enum value: ERROR_REASON_PROVIDER_UNAVAILABLE = 40;
     */
    PROVIDER_UNAVAILABLE = 40,
    /**
     * UNAVAILABLE: the provider asked lnpayd to slow down.
     *
     * @generated from enum value: ERROR_REASON_PROVIDER_RATE_LIMITED = 41;
     */
    PROVIDER_RATE_LIMITED = 41,
    /**
     * FAILED_PRECONDITION: the provider understood the request and refused it.
     *
     * @generated from enum value: ERROR_REASON_PROVIDER_REJECTED = 42;
     */
    PROVIDER_REJECTED = 42,
    /**
     * INTERNAL: the provider returned an invoice that does not match the
     * request; nothing was stored.
     *
     * @generated from enum value: ERROR_REASON_PROVIDER_INVOICE_MISMATCH = 43;
     */
    PROVIDER_INVOICE_MISMATCH = 43,
    /**
     * INTERNAL: the store failed; the detail is in the daemon's log.
     *
     * @generated from enum value: ERROR_REASON_STORE_ERROR = 44;
     */
    STORE_ERROR = 44,
    /**
     * UNAVAILABLE: the daemon is shutting down.
     *
     * @generated from enum value: ERROR_REASON_SHUTTING_DOWN = 45;
     */
    SHUTTING_DOWN = 45,
    /**
     * INVALID_ARGUMENT: a webhook endpoint needs a url.
     *
     * @generated from enum value: ERROR_REASON_URL_REQUIRED = 46;
     */
    URL_REQUIRED = 46,
    /**
     * INVALID_ARGUMENT: a webhook url is at most 2048 bytes.
     *
     * @generated from enum value: ERROR_REASON_URL_TOO_LONG = 47;
     */
    URL_TOO_LONG = 47,
    /**
     * INVALID_ARGUMENT: an unknown webhook delivery state filter.
     *
     * @generated from enum value: ERROR_REASON_INVALID_DELIVERY_STATE = 48;
     */
    INVALID_DELIVERY_STATE = 48,
    /**
     * INVALID_ARGUMENT: RedeliverWebhook needs a delivery or a since time.
     *
     * @generated from enum value: ERROR_REASON_TARGET_REQUIRED = 49;
     */
    TARGET_REQUIRED = 49,
    /**
     * NOT_FOUND: no webhook endpoint has that id.
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_ENDPOINT_NOT_FOUND = 50;
     */
    WEBHOOK_ENDPOINT_NOT_FOUND = 50,
    /**
     * NOT_FOUND: that endpoint has no delivery of that event.
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_DELIVERY_NOT_FOUND = 51;
     */
    WEBHOOK_DELIVERY_NOT_FOUND = 51,
    /**
     * FAILED_PRECONDITION: the endpoint is declared in config.toml; change it there.
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_ENDPOINT_FROM_CONFIG = 52;
     */
    WEBHOOK_ENDPOINT_FROM_CONFIG = 52,
    /**
     * INVALID_ARGUMENT: the webhook url does not parse as an absolute http(s) URL.
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_URL_INVALID = 53;
     */
    WEBHOOK_URL_INVALID = 53,
    /**
     * INVALID_ARGUMENT: http:// is allowed only to loopback hosts (dev, allow_loopback) or with webhooks.allow_http.
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_URL_NOT_HTTPS = 54;
     */
    WEBHOOK_URL_NOT_HTTPS = 54,
    /**
     * INVALID_ARGUMENT: a loopback host, not allowed outside --dev or webhooks.allow_loopback.
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_URL_LOOPBACK = 55;
     */
    WEBHOOK_URL_LOOPBACK = 55,
    /**
     * INVALID_ARGUMENT: the host is or resolves to a private or link-local address (SSRF guard).
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_URL_PRIVATE_ADDRESS = 56;
     */
    WEBHOOK_URL_PRIVATE_ADDRESS = 56,
    /**
     * INVALID_ARGUMENT: the host name does not resolve.
     *
     * @generated from enum value: ERROR_REASON_WEBHOOK_URL_UNRESOLVABLE = 57;
     */
    WEBHOOK_URL_UNRESOLVABLE = 57,
    /**
     * RESOURCE_EXHAUSTED: as many SubscribeEvents and WaitInvoice streams are
     * open as events.max_streams allows; metadata["max_streams"] says how many.
     * Retry later, or share streams.
     *
     * @generated from enum value: ERROR_REASON_STREAM_LIMIT_REACHED = 58;
     */
    STREAM_LIMIT_REACHED = 58,
    /**
     * NOT_FOUND: product_id is not in the catalog.
     *
     * @generated from enum value: ERROR_REASON_PRODUCT_NOT_FOUND = 59;
     */
    PRODUCT_NOT_FOUND = 59,
    /**
     * INVALID_ARGUMENT: both product_id and an amount are set.
     *
     * @generated from enum value: ERROR_REASON_PRODUCT_WITH_AMOUNT = 60;
     */
    PRODUCT_WITH_AMOUNT = 60,
    /**
     * INVALID_ARGUMENT: quantity is above 1000.
     *
     * @generated from enum value: ERROR_REASON_QUANTITY_TOO_LARGE = 61;
     */
    QUANTITY_TOO_LARGE = 61,
    /**
     * INVALID_ARGUMENT: success_url is not an http(s) URL on an origin listed
     * in checkout.allowed_redirect_origins.
     *
     * @generated from enum value: ERROR_REASON_SUCCESS_URL_NOT_ALLOWED = 62;
     */
    SUCCESS_URL_NOT_ALLOWED = 62,
    /**
     * FAILED_PRECONDITION: no exchange rate recent enough to price a fiat
     * product; lnpayd never guesses one. Retry later.
     *
     * @generated from enum value: ERROR_REASON_RATE_UNAVAILABLE = 63;
     */
    RATE_UNAVAILABLE = 63,
    /**
     * RESOURCE_EXHAUSTED: too many calls for this token; a google.rpc.RetryInfo
     * says when to retry.
     *
     * @generated from enum value: ERROR_REASON_RATE_LIMITED = 64;
     */
    RATE_LIMITED = 64,
    /**
     * UNAVAILABLE: the database cannot be reached (down, restarting, no
     * connection free in time). Retry, with the same idempotency key.
     *
     * @generated from enum value: ERROR_REASON_STORE_UNAVAILABLE = 70;
     */
    STORE_UNAVAILABLE = 70,
    /**
     * UNAVAILABLE: this instance lost the leader's lease while writing, and
     * wrote nothing. Retry: another instance leads.
     *
     * @generated from enum value: ERROR_REASON_STORE_FENCED = 71;
     */
    STORE_FENCED = 71
}
/**
 * Describes the enum lnpayd.v1.ErrorReason.
 */
export declare const ErrorReasonSchema: GenEnum<ErrorReason>;
