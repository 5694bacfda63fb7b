//! What the store keeps for outgoing webhooks: endpoints, each endpoint's
//! cursor over the event log, one delivery record per (endpoint, event) with
//! a time-ordered retry index, and the log of every attempt.
//!
//! Contract, on top of [`Store`]'s:
//! - `ingest` writes the new deliveries and moves the cursor in one
//!   transaction, so after a crash an event is either before the cursor with
//!   its delivery record, or after it and read again;
//! - every pending delivery is in the retry index under its next attempt
//!   time, and nothing else is, so a restart resumes the schedule as it was;
//! - writes are durable once a later `sync()` returns.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::config::Secret;
use crate::domain::EventKind;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// `ep_` + 32 hex digits, or the id given in `config.toml`.
    pub id: String,
    pub url: String,
    /// Empty: every kind.
    pub event_types: Vec<EventKind>,
    pub description: String,
    pub enabled: bool,
    /// When it was created or last enabled: failures before this do not
    /// count towards disabling it again.
    pub enabled_at_ms: u64,
    /// Why it is disabled, when it was disabled by lnpayd rather than by an operator.
    pub disabled_reason: Option<DisabledReason>,
    /// `whsec_` + base64 of 32 random bytes.
    pub secret: Secret,
    /// The secret before the last rotation, still signed with until `valid_until_ms`.
    pub previous_secret: Option<PreviousSecret>,
    /// Declared in `config.toml`: changed there, not over gRPC.
    pub from_config: bool,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}

impl WebhookEndpoint {
    pub fn wants(&self, kind: EventKind) -> bool {
        self.event_types.is_empty() || self.event_types.contains(&kind)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    pub secret: Secret,
    pub valid_until_ms: u64,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// Every attempt failed for longer than `webhooks.disable_after_secs`.
    FailingTooLong,
}

/// The worker's view of an endpoint's health, kept apart from the endpoint so
/// attempts never race an operator's update of it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    /// The first failed attempt since the last success.
    pub failing_since_ms: Option<u64>,
    pub last_success_ms: Option<u64>,
    pub last_error: Option<String>,
}

/// `last_success_ms` moves in steps of this, so that a stream of successes
/// does not rewrite (and contend on) the endpoint's health with every attempt.
const SUCCESS_RESOLUTION_MS: u64 = 1000;

impl EndpointHealth {
    /// The health once `a` is recorded; every store writes it only when it
    /// differs from `self`.
    pub fn after(&self, a: &Attempt) -> EndpointHealth {
        let mut health = self.clone();
        if a.outcome.is_success() {
            health.failing_since_ms = None;
            if health
                .last_success_ms
                .is_none_or(|t| a.at_ms >= t + SUCCESS_RESOLUTION_MS)
            {
                health.last_success_ms = Some(a.at_ms);
            }
        } else {
            health.failing_since_ms.get_or_insert(a.at_ms);
            health.last_error = Some(a.outcome.describe());
        }
        health
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt (the first one included).
    Pending,
    Delivered,
    /// Every scheduled attempt failed.
    Failed,
}

/// One event on its way to one endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub endpoint_id: String,
    pub sequence: u64,
    pub kind: EventKind,
    pub invoice_id: String,
    pub occurred_at_ms: u64,
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts that count towards the schedule; a redelivery restarts it.
    pub scheduled_attempts: u32,
    /// Set while pending.
    pub next_attempt_at_ms: Option<u64>,
    pub updated_at_ms: u64,
}

/// How one attempt ended.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A 2xx within the timeout.
    Success {
        status: u16,
    },
    /// Any other status, redirects included (they are not followed).
    HttpStatus {
        status: u16,
    },
    Timeout,
    /// DNS, TCP or TLS failed, or the connection broke.
    Connection {
        detail: String,
    },
    /// The URL or its resolved address is not allowed (SSRF policy).
    Refused {
        detail: String,
    },
}

impl AttemptOutcome {
    pub fn is_success(&self) -> bool {
        matches!(self, AttemptOutcome::Success { .. })
    }

    /// The label the metrics use.
    pub fn label(&self) -> &'static str {
        match self {
            AttemptOutcome::Success { .. } => "success",
            AttemptOutcome::HttpStatus { .. } => "http_error",
            AttemptOutcome::Timeout => "timeout",
            AttemptOutcome::Connection { .. } => "connection_error",
            AttemptOutcome::Refused { .. } => "refused",
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            AttemptOutcome::Success { status } | AttemptOutcome::HttpStatus { status } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Short text for the delivery log and GetStatus; never holds a secret.
    pub fn describe(&self) -> String {
        match self {
            AttemptOutcome::Success { status } => format!("HTTP {status}"),
            AttemptOutcome::HttpStatus { status } => format!("HTTP {status}"),
            AttemptOutcome::Timeout => "timeout".into(),
            AttemptOutcome::Connection { detail } => format!("connection: {detail}"),
            AttemptOutcome::Refused { detail } => format!("refused: {detail}"),
        }
    }
}

/// One line of the delivery log.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub endpoint_id: String,
    pub sequence: u64,
    /// 1-based, over the delivery's life.
    pub number: u32,
    pub at_ms: u64,
    pub duration_ms: u64,
    pub outcome: AttemptOutcome,
    /// When the next attempt is due; None when this one settled the delivery.
    pub next_attempt_at_ms: Option<u64>,
}

/// Filters of `deliveries`; every one that is set must match.
#[derive(Clone, Debug, Default)]
pub struct DeliveryQuery {
    pub endpoint_id: Option<String>,
    pub sequence: Option<u64>,
    pub invoice_id: Option<String>,
    pub state: Option<DeliveryState>,
    /// Continue with deliveries older than this key (opaque).
    pub before: Option<Vec<u8>>,
    pub limit: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PrunedDeliveries {
    pub deliveries: usize,
    pub attempts: usize,
}

pub trait WebhookStore: Store {
    /// Creates an endpoint whose cursor starts at `cursor`.
    fn create_endpoint(&self, ep: &WebhookEndpoint, cursor: u64) -> Result<(), StoreError>;
    /// Replaces an endpoint; false when it does not exist.
    fn update_endpoint(&self, ep: &WebhookEndpoint) -> Result<bool, StoreError>;
    fn endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError>;
    fn endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError>;
    /// Drops the endpoint, its cursor, deliveries, retry index and attempts.
    fn delete_endpoint(&self, id: &str) -> Result<bool, StoreError>;
    fn endpoint_health(&self, id: &str) -> Result<EndpointHealth, StoreError>;
    fn webhook_cursor(&self, id: &str) -> Result<u64, StoreError>;

    /// Adds these deliveries (pending, due at their `next_attempt_at_ms`) and
    /// moves the cursor to `cursor`, in one transaction. A delivery that
    /// already exists is kept as it is.
    fn ingest(&self, endpoint_id: &str, new: &[Delivery], cursor: u64) -> Result<(), StoreError>;
    /// The first `limit` entries of the endpoint's retry index, earliest
    /// first: (due time, sequence).
    fn due(&self, endpoint_id: &str, limit: usize) -> Result<Vec<(u64, u64)>, StoreError>;
    fn delivery(&self, endpoint_id: &str, sequence: u64) -> Result<Option<Delivery>, StoreError>;
    /// Stores the delivery as the attempt left it, the attempt and the
    /// endpoint's health, in one transaction; returns the health.
    fn record_attempt(
        &self,
        delivery: &Delivery,
        attempt: &Attempt,
    ) -> Result<EndpointHealth, StoreError>;
    /// Makes these deliveries pending again, due at `at_ms`, with a fresh
    /// schedule; returns how many exist.
    fn reschedule(
        &self,
        endpoint_id: &str,
        sequences: &[u64],
        at_ms: u64,
    ) -> Result<usize, StoreError>;
    /// Newest first; the key continues the listing.
    fn deliveries(
        &self,
        query: &DeliveryQuery,
    ) -> Result<(Vec<Delivery>, Option<Vec<u8>>), StoreError>;
    fn attempts(&self, endpoint_id: &str, sequence: u64) -> Result<Vec<Attempt>, StoreError>;
    /// Drops settled deliveries, and attempts, last touched before `before_ms`.
    fn prune_webhooks(&self, before_ms: u64) -> Result<PrunedDeliveries, StoreError>;
}
