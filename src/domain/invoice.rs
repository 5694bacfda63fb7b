use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Pending,
    Paid,
    Expired,
    Canceled,
}

impl std::fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InvoiceStatus::Pending => "pending",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Expired => "expired",
            InvoiceStatus::Canceled => "canceled",
        })
    }
}

/// An invoice as the store keeps it. Times are milliseconds since the Unix epoch.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub id: String,
    pub payment_request: String,
    /// Lowercase hex.
    pub payment_hash: String,
    pub amount_msat: u64,
    pub amount_received_msat: u64,
    pub description: String,
    /// Lowercase hex, when the invoice commits to a hash instead of a description.
    pub description_hash: Option<String>,
    pub status: InvoiceStatus,
    pub provider: String,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
    pub paid_at_ms: Option<u64>,
    pub updated_at_ms: u64,
    pub metadata: BTreeMap<String, String>,
    pub external_ref: Option<String>,
    pub customer_email: Option<String>,
    pub paid_late: bool,
    pub idempotency_key: Option<String>,
    /// Set when the invoice was created from the catalog. Absent in records
    /// written before the catalog existed, hence the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale: Option<Sale>,
    /// Where the checkout page sends the payer once paid (an allowed origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
}

/// What a catalog invoice sold, and for a fiat price, how it was converted.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Sale {
    pub product_id: String,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiat: Option<FiatSale>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FiatSale {
    /// The total in fiat, "98.00".
    pub amount: String,
    pub currency: String,
    /// The BTC price used, "61234.50".
    pub rate: String,
    /// "median of bitstamp, kraken"
    pub rate_source: String,
}

/// A new invoice id and its creation time: `inv_` and the 32 hex digits of a
/// UUIDv7, so ids sort by creation time (the store lists and filters by key
/// order) while 74 random bits keep them unguessable. The time returned is the
/// one inside the id, so `created_at` and the id never disagree.
pub fn new_invoice_id() -> (String, u64) {
    let ms = crate::time::now_ms();
    let ts =
        uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    (format!("inv_{}", uuid::Uuid::new_v7(ts).simple()), ms)
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    InvoiceCreated,
    InvoicePaid,
    InvoiceExpired,
    InvoiceCanceled,
}

/// One entry of the event log. `sequence` is gap-free over the whole log.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub sequence: u64,
    pub kind: EventKind,
    pub occurred_at_ms: u64,
    pub invoice: Invoice,
}

/// How a settlement reached us; the audit log keeps it for every paid invoice.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SettlePath {
    /// The provider's push stream (LND's invoice subscription, DazNode's websocket).
    Stream,
    /// A lookup made on (re)connect to catch what a stream missed.
    Reconcile,
    /// The expiry timer's question to the issuing provider, just before it
    /// would have marked the invoice EXPIRED: every push was lost.
    ExpiryLookup,
    /// An inbound webhook, confirmed through the provider's API.
    Webhook,
    /// `Admin.SimulatePayment` on the dev provider.
    Simulated,
}

impl SettlePath {
    /// As metrics label it and the audit log's "settled via …" names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stream => "stream",
            Self::Reconcile => "reconcile",
            Self::ExpiryLookup => "expiry_lookup",
            Self::Webhook => "webhook",
            Self::Simulated => "simulated",
        }
    }
}
