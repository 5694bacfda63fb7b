//! Each record survives the binary format, and JSON from older releases reads.

use super::*;
use crate::store::contract::{audit, invoice};

fn full_invoice() -> Invoice {
    let mut inv = invoice(7, 1_700_000_000_000, 1_700_000_600_000);
    inv.amount_received_msat = 1_500;
    inv.description = "a coffee".into();
    inv.description_hash = Some("ab".repeat(32));
    inv.status = InvoiceStatus::Paid;
    inv.paid_at_ms = Some(1_700_000_700_000);
    inv.updated_at_ms = 1_700_000_700_000;
    inv.metadata = [("order".to_string(), "42".to_string())].into();
    inv.external_ref = Some("order-42".into());
    inv.customer_email = Some("a@example.com".into());
    inv.paid_late = true;
    inv.idempotency_key = Some("key-1".into());
    inv
}

#[test]
fn invoices_round_trip_and_a_hash_that_is_not_lowercase_hex_is_kept_as_text() {
    let key = b"i/x";
    for inv in [invoice(1, 1_000, 2_000), full_invoice()] {
        let v = encode_invoice(&inv);
        assert_eq!(v[0], FORMAT_V1);
        assert_eq!(decode_invoice(key, &inv.id, &v).unwrap(), inv);
        let json = serde_json::to_vec(&inv).unwrap();
        assert_eq!(decode_invoice(key, &inv.id, &json).unwrap(), inv);
        assert!(
            v.len() * 2 < json.len(),
            "{} vs {} bytes",
            v.len(),
            json.len()
        );
    }
    for odd in ["AB".repeat(32), "abc".into(), String::new()] {
        let mut inv = invoice(1, 1_000, 2_000);
        inv.payment_hash = odd;
        let v = encode_invoice(&inv);
        assert_eq!(decode_invoice(key, &inv.id, &v).unwrap(), inv);
    }
}

#[test]
fn events_keep_what_changed_and_rebuild_the_invoice_as_it_was() {
    let created = invoice(1, 1_000, 2_000);
    let paid = Event {
        sequence: 9,
        kind: EventKind::InvoicePaid,
        occurred_at_ms: 2_500,
        invoice: Invoice {
            status: InvoiceStatus::Paid,
            amount_received_msat: 1_200,
            paid_at_ms: Some(2_500),
            updated_at_ms: 2_500,
            paid_late: true,
            ..created.clone()
        },
    };
    let first = Event {
        sequence: 1,
        kind: EventKind::InvoiceCreated,
        occurred_at_ms: 1_000,
        invoice: created.clone(),
    };
    for e in [first, paid.clone()] {
        let v = encode_event(&EventRecord::of(&e));
        assert!(v.len() < 64, "{} bytes", v.len());
        let StoredEvent::Delta(rec) = decode_event(b"e/", e.sequence, &v).unwrap() else {
            panic!("a binary event is a delta");
        };
        // Rebuilt from the invoice as it is now (paid), whatever the event.
        assert_eq!(rec.rebuild(paid.invoice.clone()), e);
        let json = serde_json::to_vec(&e).unwrap();
        let StoredEvent::Full(old) = decode_event(b"e/", e.sequence, &json).unwrap() else {
            panic!("a JSON event is a full copy");
        };
        assert_eq!(*old, e);
    }
}

#[test]
fn audit_and_idempotency_records_round_trip_and_read_json() {
    let mut e = audit(1_234, Some("inv_1"), Some("lnd"));
    e.duration_ms = Some(3);
    e.request_id = Some("req-1".into());
    for e in [e, audit(1_234, None, None)] {
        let v = encode_audit(&e);
        assert_eq!(decode_audit(b"a/", 1_234, &v).unwrap(), e);
        let json = serde_json::to_vec(&e).unwrap();
        assert_eq!(decode_audit(b"a/", 1_234, &json).unwrap(), e);
    }
    let r = IdempotencyRecord {
        key: "key-1".into(),
        fingerprint: "fp".into(),
        invoice_id: "inv_1".into(),
        created_at_ms: 5,
    };
    let v = encode_idempotency(&r);
    assert_eq!(decode_idempotency(b"k/key-1", "key-1", &v).unwrap(), r);
    let json = serde_json::to_vec(&r).unwrap();
    assert_eq!(decode_idempotency(b"k/key-1", "key-1", &json).unwrap(), r);
}

#[test]
fn an_unknown_format_byte_is_corrupt_not_misread() {
    for v in [&[][..], &[0x02, 1, 2], &[0x00]] {
        let err = format_of(b"i/x", v).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }
}
