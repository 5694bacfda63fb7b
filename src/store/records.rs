//! Records as they are stored: a format byte, then a prost message from
//! `proto/lnpayd/store/v1/records.proto`.
//!
//! Releases before this format wrote JSON, whose first byte is always `{`;
//! the format byte is never `{`, so every reader tells the two apart and
//! reads both. That is what lets the migration at open
//! (`sled_store/migrate.rs`) convert a data dir in batches and be
//! interrupted anywhere.
//!
//! A value does not repeat what its key holds (the invoice id, the audit
//! time, the idempotency key), and an event keeps only what a status change
//! changes: [`EventRecord::rebuild`] lays it over the invoice record.

use prost::Message;

use super::{IdempotencyRecord, StoreError};
use crate::domain::{
    AuditAction, AuditEntry, AuditKind, Event, EventKind, FiatSale, Invoice, InvoiceStatus, Sale,
};

#[allow(clippy::all, missing_docs)]
mod pb {
    tonic::include_proto!("lnpayd.store.v1");
}

/// The first byte of a record in this format.
pub const FORMAT_V1: u8 = 0x01;
/// The first byte of a JSON record written by an older release.
const JSON: u8 = b'{';

/// What a stored value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    V1,
}

pub fn format_of(key: &[u8], v: &[u8]) -> Result<Format, StoreError> {
    match v.first() {
        Some(&FORMAT_V1) => Ok(Format::V1),
        Some(&JSON) => Ok(Format::Json),
        other => Err(corrupt(key, format!("unknown record format {other:?}"))),
    }
}

pub fn corrupt(key: &[u8], detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        detail: detail.into(),
    }
}

fn framed(m: &impl Message) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + m.encoded_len());
    v.push(FORMAT_V1);
    m.encode(&mut v).expect("a Vec grows as needed");
    v
}

/// Decodes `v` as JSON (an older release's record) or as the message `M`.
fn read<M: Message + Default, J: serde::de::DeserializeOwned>(
    key: &[u8],
    v: &[u8],
) -> Result<Result<M, J>, StoreError> {
    match format_of(key, v)? {
        Format::V1 => M::decode(&v[1..])
            .map(Ok)
            .map_err(|e| corrupt(key, e.to_string())),
        Format::Json => serde_json::from_slice(v)
            .map(Err)
            .map_err(|e| corrupt(key, e.to_string())),
    }
}

fn enum_value<T: TryFrom<i32>>(key: &[u8], v: i32) -> Result<T, StoreError> {
    T::try_from(v).map_err(|_| corrupt(key, format!("unknown enum value {v}")))
}

// ------------------------------------------------------------------ invoice

pub fn encode_invoice(inv: &Invoice) -> Vec<u8> {
    let hash = hex::decode(&inv.payment_hash)
        .ok()
        .filter(|b| b.len() == 32 && hex::encode(b) == inv.payment_hash);
    framed(&pb::Invoice {
        payment_request: inv.payment_request.clone(),
        payment_hash_text: match hash {
            Some(_) => String::new(),
            None => inv.payment_hash.clone(),
        },
        payment_hash: hash.unwrap_or_default(),
        amount_msat: inv.amount_msat,
        amount_received_msat: inv.amount_received_msat,
        description: inv.description.clone(),
        description_hash: inv.description_hash.clone(),
        status: status_pb(inv.status) as i32,
        provider: inv.provider.clone(),
        created_at_ms: inv.created_at_ms,
        expires_at_ms: inv.expires_at_ms,
        paid_at_ms: inv.paid_at_ms,
        updated_at_ms: inv.updated_at_ms,
        metadata: inv.metadata.clone().into_iter().collect(),
        external_ref: inv.external_ref.clone(),
        customer_email: inv.customer_email.clone(),
        paid_late: inv.paid_late,
        idempotency_key: inv.idempotency_key.clone(),
        sale: inv.sale.as_ref().map(|s| pb::Sale {
            product_id: s.product_id.clone(),
            quantity: s.quantity,
            fiat: s.fiat.as_ref().map(|f| pb::FiatSale {
                amount: f.amount.clone(),
                currency: f.currency.clone(),
                rate: f.rate.clone(),
                rate_source: f.rate_source.clone(),
            }),
        }),
        success_url: inv.success_url.clone(),
    })
}

/// The invoice stored under `key` (`i/<id>`), in either format.
pub fn decode_invoice(key: &[u8], id: &str, v: &[u8]) -> Result<Invoice, StoreError> {
    let m: pb::Invoice = match read(key, v)? {
        Ok(m) => m,
        Err(json) => return Ok(json),
    };
    let status = enum_value::<pb::Status>(key, m.status)?;
    Ok(Invoice {
        id: id.to_string(),
        payment_request: m.payment_request,
        payment_hash: if m.payment_hash.is_empty() {
            m.payment_hash_text
        } else {
            hex::encode(m.payment_hash)
        },
        amount_msat: m.amount_msat,
        amount_received_msat: m.amount_received_msat,
        description: m.description,
        description_hash: m.description_hash,
        status: status_domain(status),
        provider: m.provider,
        created_at_ms: m.created_at_ms,
        expires_at_ms: m.expires_at_ms,
        paid_at_ms: m.paid_at_ms,
        updated_at_ms: m.updated_at_ms,
        metadata: m.metadata.into_iter().collect(),
        external_ref: m.external_ref,
        customer_email: m.customer_email,
        paid_late: m.paid_late,
        idempotency_key: m.idempotency_key,
        sale: m.sale.map(|s| Sale {
            product_id: s.product_id,
            quantity: s.quantity,
            fiat: s.fiat.map(|f| FiatSale {
                amount: f.amount,
                currency: f.currency,
                rate: f.rate,
                rate_source: f.rate_source,
            }),
        }),
        success_url: m.success_url,
    })
}

fn status_pb(s: InvoiceStatus) -> pb::Status {
    match s {
        InvoiceStatus::Pending => pb::Status::Pending,
        InvoiceStatus::Paid => pb::Status::Paid,
        InvoiceStatus::Expired => pb::Status::Expired,
        InvoiceStatus::Canceled => pb::Status::Canceled,
    }
}

fn status_domain(s: pb::Status) -> InvoiceStatus {
    match s {
        pb::Status::Pending => InvoiceStatus::Pending,
        pb::Status::Paid => InvoiceStatus::Paid,
        pb::Status::Expired => InvoiceStatus::Expired,
        pb::Status::Canceled => InvoiceStatus::Canceled,
    }
}

// -------------------------------------------------------------------- event

/// An event as stored: its kind and time, its invoice's id, and the fields a
/// status change sets. Every other invoice field is fixed at creation, so the
/// invoice record supplies them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub sequence: u64,
    pub kind: EventKind,
    pub occurred_at_ms: u64,
    pub invoice_id: String,
    pub amount_received_msat: u64,
    pub paid_at_ms: Option<u64>,
    pub updated_at_ms: u64,
    pub paid_late: bool,
}

impl EventRecord {
    pub fn of(e: &Event) -> Self {
        Self {
            sequence: e.sequence,
            kind: e.kind,
            occurred_at_ms: e.occurred_at_ms,
            invoice_id: e.invoice.id.clone(),
            amount_received_msat: e.invoice.amount_received_msat,
            paid_at_ms: e.invoice.paid_at_ms,
            updated_at_ms: e.invoice.updated_at_ms,
            paid_late: e.invoice.paid_late,
        }
    }

    /// The event with its invoice as it was then: `current` (the invoice
    /// record now) with this event's fields laid over it.
    pub fn rebuild(self, mut current: Invoice) -> Event {
        current.status = match self.kind {
            EventKind::InvoiceCreated => InvoiceStatus::Pending,
            EventKind::InvoicePaid => InvoiceStatus::Paid,
            EventKind::InvoiceExpired => InvoiceStatus::Expired,
            EventKind::InvoiceCanceled => InvoiceStatus::Canceled,
        };
        current.amount_received_msat = self.amount_received_msat;
        current.paid_at_ms = self.paid_at_ms;
        current.updated_at_ms = self.updated_at_ms;
        current.paid_late = self.paid_late;
        Event {
            sequence: self.sequence,
            kind: self.kind,
            occurred_at_ms: self.occurred_at_ms,
            invoice: current,
        }
    }
}

pub fn encode_event(e: &EventRecord) -> Vec<u8> {
    let kind = match e.kind {
        EventKind::InvoiceCreated => pb::EventKind::Created,
        EventKind::InvoicePaid => pb::EventKind::Paid,
        EventKind::InvoiceExpired => pb::EventKind::Expired,
        EventKind::InvoiceCanceled => pb::EventKind::Canceled,
    };
    framed(&pb::Event {
        kind: kind as i32,
        occurred_at_ms: e.occurred_at_ms,
        invoice_id: e.invoice_id.clone(),
        amount_received_msat: e.amount_received_msat,
        paid_at_ms: e.paid_at_ms,
        updated_at_ms: (e.updated_at_ms != e.occurred_at_ms).then_some(e.updated_at_ms),
        paid_late: e.paid_late,
    })
}

/// A stored event: an older release's full copy, or a record to rebuild.
pub enum StoredEvent {
    Full(Box<Event>),
    Delta(EventRecord),
}

pub fn decode_event(key: &[u8], sequence: u64, v: &[u8]) -> Result<StoredEvent, StoreError> {
    let m: pb::Event = match read(key, v)? {
        Ok(m) => m,
        Err(json) => return Ok(StoredEvent::Full(Box::new(json))),
    };
    let kind = match enum_value::<pb::EventKind>(key, m.kind)? {
        pb::EventKind::Created => EventKind::InvoiceCreated,
        pb::EventKind::Paid => EventKind::InvoicePaid,
        pb::EventKind::Expired => EventKind::InvoiceExpired,
        pb::EventKind::Canceled => EventKind::InvoiceCanceled,
    };
    Ok(StoredEvent::Delta(EventRecord {
        sequence,
        kind,
        occurred_at_ms: m.occurred_at_ms,
        invoice_id: m.invoice_id,
        amount_received_msat: m.amount_received_msat,
        paid_at_ms: m.paid_at_ms,
        updated_at_ms: m.updated_at_ms.unwrap_or(m.occurred_at_ms),
        paid_late: m.paid_late,
    }))
}

// -------------------------------------------------------------------- audit

pub fn encode_audit(e: &AuditEntry) -> Vec<u8> {
    let kind = match e.kind {
        AuditKind::ProviderCall => pb::AuditKind::ProviderCall,
        AuditKind::StatusChange => pb::AuditKind::StatusChange,
    };
    let action = match e.action {
        AuditAction::CreateInvoice => pb::AuditAction::CreateInvoice,
        AuditAction::CancelInvoice => pb::AuditAction::CancelInvoice,
        AuditAction::Lookup => pb::AuditAction::Lookup,
        AuditAction::Created => pb::AuditAction::Created,
        AuditAction::Paid => pb::AuditAction::Paid,
        AuditAction::Expired => pb::AuditAction::Expired,
        AuditAction::Canceled => pb::AuditAction::Canceled,
    };
    framed(&pb::AuditEntry {
        kind: kind as i32,
        invoice_id: e.invoice_id.clone(),
        provider: e.provider.clone(),
        action: action as i32,
        outcome: e.outcome.clone(),
        duration_ms: e.duration_ms,
        request_id: e.request_id.clone(),
    })
}

/// The audit entry stored under `key`, whose time is `at_ms`.
pub fn decode_audit(key: &[u8], at_ms: u64, v: &[u8]) -> Result<AuditEntry, StoreError> {
    let m: pb::AuditEntry = match read(key, v)? {
        Ok(m) => m,
        Err(json) => return Ok(json),
    };
    let kind = match enum_value::<pb::AuditKind>(key, m.kind)? {
        pb::AuditKind::ProviderCall => AuditKind::ProviderCall,
        pb::AuditKind::StatusChange => AuditKind::StatusChange,
    };
    let action = match enum_value::<pb::AuditAction>(key, m.action)? {
        pb::AuditAction::CreateInvoice => AuditAction::CreateInvoice,
        pb::AuditAction::CancelInvoice => AuditAction::CancelInvoice,
        pb::AuditAction::Lookup => AuditAction::Lookup,
        pb::AuditAction::Created => AuditAction::Created,
        pb::AuditAction::Paid => AuditAction::Paid,
        pb::AuditAction::Expired => AuditAction::Expired,
        pb::AuditAction::Canceled => AuditAction::Canceled,
    };
    Ok(AuditEntry {
        at_ms,
        kind,
        invoice_id: m.invoice_id,
        provider: m.provider,
        action,
        outcome: m.outcome,
        duration_ms: m.duration_ms,
        request_id: m.request_id,
    })
}

// -------------------------------------------------------------- idempotency

pub fn encode_idempotency(r: &IdempotencyRecord) -> Vec<u8> {
    framed(&pb::IdempotencyRecord {
        fingerprint: r.fingerprint.clone(),
        invoice_id: r.invoice_id.clone(),
        created_at_ms: r.created_at_ms,
    })
}

/// The record stored under `key`, for the idempotency key `name`.
pub fn decode_idempotency(
    key: &[u8],
    name: &str,
    v: &[u8],
) -> Result<IdempotencyRecord, StoreError> {
    let m: pb::IdempotencyRecord = match read(key, v)? {
        Ok(m) => m,
        Err(json) => return Ok(json),
    };
    Ok(IdempotencyRecord {
        key: name.to_string(),
        fingerprint: m.fingerprint,
        invoice_id: m.invoice_id,
        created_at_ms: m.created_at_ms,
    })
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
