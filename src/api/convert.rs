//! Domain ↔ protobuf conversions.

use crate::domain::{Event, EventKind, Invoice, InvoiceStatus};
use crate::proto;
use crate::time::to_timestamp;

pub fn invoice(i: Invoice) -> proto::Invoice {
    proto::Invoice {
        id: i.id,
        payment_request: i.payment_request,
        payment_hash: i.payment_hash,
        amount_msat: i.amount_msat,
        amount_received_msat: i.amount_received_msat,
        description: i.description,
        description_hash: i.description_hash.unwrap_or_default(),
        status: status(i.status) as i32,
        provider: i.provider,
        created_at: Some(to_timestamp(i.created_at_ms)),
        expires_at: Some(to_timestamp(i.expires_at_ms)),
        paid_at: i.paid_at_ms.map(to_timestamp),
        metadata: i.metadata.into_iter().collect(),
        external_ref: i.external_ref.unwrap_or_default(),
        customer_email: i.customer_email.unwrap_or_default(),
        paid_late: i.paid_late,
        updated_at: Some(to_timestamp(i.updated_at_ms)),
    }
}

pub fn status(s: InvoiceStatus) -> proto::InvoiceStatus {
    match s {
        InvoiceStatus::Pending => proto::InvoiceStatus::Pending,
        InvoiceStatus::Paid => proto::InvoiceStatus::Paid,
        InvoiceStatus::Expired => proto::InvoiceStatus::Expired,
        InvoiceStatus::Canceled => proto::InvoiceStatus::Canceled,
    }
}

pub fn status_from(s: proto::InvoiceStatus) -> Option<InvoiceStatus> {
    match s {
        proto::InvoiceStatus::Unspecified => None,
        proto::InvoiceStatus::Pending => Some(InvoiceStatus::Pending),
        proto::InvoiceStatus::Paid => Some(InvoiceStatus::Paid),
        proto::InvoiceStatus::Expired => Some(InvoiceStatus::Expired),
        proto::InvoiceStatus::Canceled => Some(InvoiceStatus::Canceled),
    }
}

pub fn event_kind(k: EventKind) -> proto::EventType {
    match k {
        EventKind::InvoiceCreated => proto::EventType::InvoiceCreated,
        EventKind::InvoicePaid => proto::EventType::InvoicePaid,
        EventKind::InvoiceExpired => proto::EventType::InvoiceExpired,
        EventKind::InvoiceCanceled => proto::EventType::InvoiceCanceled,
    }
}

pub fn event_kind_from(t: proto::EventType) -> Option<EventKind> {
    match t {
        proto::EventType::Unspecified => None,
        proto::EventType::InvoiceCreated => Some(EventKind::InvoiceCreated),
        proto::EventType::InvoicePaid => Some(EventKind::InvoicePaid),
        proto::EventType::InvoiceExpired => Some(EventKind::InvoiceExpired),
        proto::EventType::InvoiceCanceled => Some(EventKind::InvoiceCanceled),
    }
}

pub fn event(e: Event) -> proto::Event {
    proto::Event {
        sequence: e.sequence,
        r#type: event_kind(e.kind) as i32,
        occurred_at: Some(to_timestamp(e.occurred_at_ms)),
        invoice: Some(invoice(e.invoice)),
    }
}
