//! The body of a webhook: the `lnpayd.v1.Event` that `SubscribeEvents`
//! sends, in protobuf's canonical JSON mapping (lowerCamelCase names, 64-bit
//! integers as strings, enum value names, RFC 3339 timestamps, defaults
//! omitted). prost has no JSON mapping of its own; prost-reflect applies the
//! canonical one from the descriptor set already embedded for reflection, so
//! the generated types stay as they are.

use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use crate::domain::Event;

fn event_descriptor() -> &'static MessageDescriptor {
    static D: OnceLock<MessageDescriptor> = OnceLock::new();
    D.get_or_init(|| {
        DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .expect("the embedded descriptor set is valid")
            .get_message_by_name("lnpayd.v1.Event")
            .expect("lnpayd.v1.Event is in the descriptor set")
    })
}

/// The JSON body for one event.
pub fn event_json(event: &Event) -> Vec<u8> {
    // No checkout_url in webhook bodies (yet): the webhook module does not
    // know the checkout links; lightning_uri and the sale fields are there.
    let no_links = crate::checkout::Links::default();
    let wire = crate::api::convert::event(event.clone(), &no_links).encode_to_vec();
    let dynamic = DynamicMessage::decode(event_descriptor().clone(), wire.as_slice())
        .expect("a message we just encoded decodes");
    serde_json::to_vec(&dynamic).expect("a dynamic message serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, Invoice, InvoiceStatus};

    #[test]
    fn uses_the_canonical_json_mapping() {
        let invoice = Invoice {
            id: "inv_1".into(),
            payment_request: "lnbcrt1".into(),
            payment_hash: "ab".repeat(32),
            amount_msat: 21_000,
            amount_received_msat: 21_000,
            description: "coffee".into(),
            description_hash: None,
            status: InvoiceStatus::Paid,
            provider: "dev".into(),
            created_at_ms: 1_700_000_000_000,
            expires_at_ms: 1_700_000_360_000,
            paid_at_ms: Some(1_700_000_001_500),
            updated_at_ms: 1_700_000_001_500,
            metadata: [("order".to_string(), "42".to_string())].into(),
            external_ref: Some("order-42".into()),
            customer_email: None,
            paid_late: false,
            idempotency_key: None,
            sale: None,
            success_url: None,
        };
        let body = event_json(&Event {
            sequence: 7,
            kind: EventKind::InvoicePaid,
            occurred_at_ms: 1_700_000_001_500,
            invoice,
        });
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["sequence"], "7");
        assert_eq!(v["type"], "EVENT_TYPE_INVOICE_PAID");
        assert_eq!(v["occurredAt"], "2023-11-14T22:13:21.500Z");
        let inv = &v["invoice"];
        assert_eq!(inv["amountMsat"], "21000");
        assert_eq!(inv["status"], "INVOICE_STATUS_PAID");
        assert_eq!(inv["externalRef"], "order-42");
        assert_eq!(inv["metadata"]["order"], "42");
        assert!(inv.get("paidLate").is_none(), "defaults are omitted");
        assert!(inv.get("customerEmail").is_none());
    }
}
