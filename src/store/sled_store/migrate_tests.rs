//! Data dirs of JSON records, as the release before the binary format wrote
//! them, open converted; so does one whose conversion a crash cut short.

use super::*;
use crate::store::contract::{audit, invoice};
use crate::store::records::Format;
use crate::store::transition::apply;

/// What a data dir of that release held, and what reading it must give.
struct Legacy {
    invoices: Vec<Invoice>,
    events: Vec<Event>,
    audit: Vec<AuditEntry>,
    idempotency: IdempotencyRecord,
}

/// `a` pending with an idempotency key and a reference; `b` canceled, then
/// paid late with less than asked; `c` expired.
fn scenario() -> Legacy {
    let mut a = invoice(1, 1_000, 9_000);
    a.external_ref = Some("order-1".into());
    a.idempotency_key = Some("key-a".into());
    a.metadata = [("k".to_string(), "v".to_string())].into();
    let mut invs = vec![a, invoice(2, 1_001, 2_000), invoice(3, 1_002, 2_000)];
    let mut events = Vec::new();
    let mut push = |kind, inv: &Invoice| {
        events.push(Event {
            sequence: events.len() as u64 + 1,
            kind,
            occurred_at_ms: inv.updated_at_ms,
            invoice: inv.clone(),
        })
    };
    for inv in &invs {
        push(EventKind::InvoiceCreated, inv);
    }
    for (i, change) in [
        (1, Transition::Canceled { at_ms: 1_500 }),
        (
            1,
            Transition::Paid {
                amount_received_msat: 700,
                at_ms: 1_600,
            },
        ),
        (2, Transition::Expired { at_ms: 2_001 }),
    ] {
        let kind = apply(&mut invs[i], change).expect("applies");
        push(kind, &invs[i]);
    }
    let (a, b) = (&invs[0], &invs[1]);
    let mut call = audit(1_000, Some(&a.id), Some("dev"));
    call.kind = crate::domain::AuditKind::ProviderCall;
    call.action = crate::domain::AuditAction::CreateInvoice;
    call.duration_ms = Some(4);
    let audit = vec![
        call,
        audit(1_500, Some(&b.id), None),
        audit(1_600, Some(&b.id), Some("dev")),
    ];
    let idempotency = IdempotencyRecord {
        key: "key-a".into(),
        fingerprint: "ab".repeat(32),
        invoice_id: a.id.clone(),
        created_at_ms: 1_000,
    };
    Legacy {
        invoices: invs,
        events,
        audit,
        idempotency,
    }
}

fn json(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// The keys and JSON values that release's `SledStore` wrote (its
/// `insert_invoice`, `transition` and `append_audit`), and no more: no due
/// or status index, no audit index, no markers.
fn write_legacy(dir: &Path, l: &Legacy) {
    let db = sled::open(dir).unwrap();
    let tree = db.open_tree("lnpayd_v1").unwrap();
    for inv in &l.invoices {
        let id = inv.id.as_bytes();
        tree.insert(keys::join(keys::INVOICE, id), json(inv))
            .unwrap();
        tree.insert(keys::join(keys::HASH, inv.payment_hash.as_bytes()), id)
            .unwrap();
        if inv.status == InvoiceStatus::Pending {
            tree.insert(keys::join(keys::PENDING, id), &[][..]).unwrap();
        }
        if let Some(r) = &inv.external_ref {
            tree.insert(keys::external_ref(r, &inv.id), &[][..])
                .unwrap();
        }
    }
    let idem = &l.idempotency;
    let idem_key = keys::join(keys::IDEMPOTENCY, idem.key.as_bytes());
    tree.insert(idem_key, json(idem)).unwrap();
    for e in &l.events {
        tree.insert(keys::event(e.sequence), json(e)).unwrap();
    }
    tree.insert(keys::LAST_SEQUENCE, &(l.events.len() as u64).to_be_bytes())
        .unwrap();
    for (n, e) in l.audit.iter().enumerate() {
        tree.insert(keys::audit(e.at_ms, n as u64), json(e))
            .unwrap();
    }
    tree.insert(keys::join(keys::CURSOR, b"lnd"), &7u64.to_be_bytes())
        .unwrap();
    // Another part of the daemon's key space: never the store's to convert.
    tree.insert(b"w/hook-1", &br#"{"url":"x"}"#[..]).unwrap();
    db.flush().unwrap();
}

/// Everything reads as the old release would have shown it, every record
/// is binary, the indexes are there, and the foreign key is untouched.
async fn assert_converted(dir: &Path, l: &Legacy) {
    let store =
        crate::store::contract::fixtures::retry_while_sled_locked(|| SledStore::open(dir, 1 << 20))
            .unwrap();
    for prefix in [keys::INVOICE, keys::EVENT, keys::AUDIT, keys::IDEMPOTENCY] {
        for item in store.tree.scan_prefix(prefix) {
            let (k, v) = item.unwrap();
            assert_eq!(records::format_of(&k, &v).unwrap(), Format::V1, "{k:?}");
        }
    }
    assert_eq!(
        store.tree.get(b"w/hook-1").unwrap().as_deref(),
        Some(&br#"{"url":"x"}"#[..])
    );
    for inv in &l.invoices {
        assert_eq!(store.invoice(&inv.id).unwrap().as_ref(), Some(inv));
    }
    let (a, b) = (&l.invoices[0], &l.invoices[1]);
    assert_eq!(
        store.invoice_by_external_ref("order-1").unwrap().as_ref(),
        Some(a)
    );
    assert_eq!(
        store.idempotency_record("key-a").unwrap().as_ref(),
        Some(&l.idempotency)
    );
    assert_eq!(store.events_after(0, 100).unwrap(), l.events);
    assert_eq!(store.cursor("lnd").unwrap().unwrap().value, 7);
    let due = store.pending_due(None, u64::MAX, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].invoice_id, a.id);
    let q = ListQuery {
        status: Some(InvoiceStatus::Paid),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.list_invoices(&q).unwrap().0, vec![b.clone()]);
    let by_b = AuditQuery {
        invoice_id: Some(b.id.clone()),
        limit: 10,
        ..Default::default()
    };
    let rows: Vec<_> = store.audit_page(&by_b).unwrap().0;
    let rows: Vec<_> = rows.into_iter().map(|(_, e)| e).collect();
    assert_eq!(rows, vec![l.audit[2].clone(), l.audit[1].clone()]);
    let by_dev = AuditQuery {
        provider: Some("dev".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.audit_page(&by_dev).unwrap().0.len(), 2);
    // Written after the conversion: new records sit beside converted ones.
    let d = invoice(4, 3_000, 9_000);
    let Inserted::New(created) = store.insert_invoice(&d, None, &[]).unwrap() else {
        panic!("no key given");
    };
    assert_eq!(created.sequence, l.events.len() as u64 + 1);
}

#[tokio::test]
async fn a_data_dir_of_json_records_is_converted_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let l = scenario();
    write_legacy(dir.path(), &l);
    assert_converted(dir.path(), &l).await;
    // And again: a converted dir opens as it is.
    let store = crate::store::contract::fixtures::retry_while_sled_locked(|| {
        SledStore::open(dir.path(), 1 << 20)
    })
    .unwrap();
    assert_eq!(
        store.events_after(0, 100).unwrap()[..l.events.len()],
        l.events
    );
}

#[tokio::test]
async fn a_conversion_a_crash_cut_short_finishes_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let l = scenario();
    write_legacy(dir.path(), &l);
    {
        // What a crash after the first batches leaves: some records binary
        // (with their audit index entries), the rest JSON, no marker.
        let db = crate::store::contract::fixtures::retry_while_sled_locked(|| {
            Ok(sled::open(dir.path())?)
        })
        .unwrap();
        let tree = db.open_tree("lnpayd_v1").unwrap();
        for prefix in [keys::INVOICE, keys::EVENT, keys::AUDIT] {
            let (k, v) = tree.scan_prefix(prefix).next().unwrap().unwrap();
            for (key, value) in migrate::convert(prefix, &k, &v).unwrap() {
                tree.insert(key, value).unwrap();
            }
        }
        assert!(!tree.contains_key(keys::FORMAT).unwrap());
        db.flush().unwrap();
    }
    assert_converted(dir.path(), &l).await;
}

/// The records of a data dir of JSON records, read as its release read them.
fn read_json(
    dir: &Path,
) -> (
    Vec<Invoice>,
    Vec<Event>,
    Vec<AuditEntry>,
    Vec<IdempotencyRecord>,
) {
    let db =
        crate::store::contract::fixtures::retry_while_sled_locked(|| Ok(sled::open(dir)?)).unwrap();
    let tree = db.open_tree("lnpayd_v1").unwrap();
    let all = |prefix| -> Vec<sled::IVec> {
        tree.scan_prefix(prefix)
            .map(|item| item.unwrap().1)
            .inspect(|v| assert_eq!(v[0], b'{', "JSON"))
            .collect()
    };
    fn parse<T: serde::de::DeserializeOwned>(values: Vec<sled::IVec>) -> Vec<T> {
        values
            .iter()
            .map(|v| serde_json::from_slice(v).unwrap())
            .collect()
    }
    (
        parse(all(keys::INVOICE)),
        parse(all(keys::EVENT)),
        parse(all(keys::AUDIT)),
        parse(all(keys::IDEMPOTENCY)),
    )
}

#[tokio::test]
async fn a_store_written_by_release_06e6c72_opens_converted() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-06e6c72");
    let dir = tempfile::tempdir().unwrap();
    for f in ["conf", "db"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let (invoices, events, audit, idempotency) = read_json(dir.path());
    let status: Vec<_> = invoices.iter().map(|i: &Invoice| i.status).collect();
    use InvoiceStatus::*;
    assert_eq!(status, [Pending, Paid, Canceled, Expired, Paid]);
    assert_eq!((events.len(), idempotency.len()), (10, 1));

    let store = crate::store::contract::fixtures::retry_while_sled_locked(|| {
        SledStore::open(dir.path(), 1 << 20)
    })
    .unwrap();
    for inv in &invoices {
        assert_eq!(store.invoice(&inv.id).unwrap().as_ref(), Some(inv));
    }
    let (a, b, e) = (&invoices[0], &invoices[1], &invoices[4]);
    assert_eq!(a.metadata.len(), 2);
    assert_eq!(b.amount_received_msat, 1_700_000);
    assert!(e.paid_late && invoices[3].description_hash.is_some());
    assert_eq!(store.events_after(0, 100).unwrap(), events);
    let page = AuditQuery {
        limit: 100,
        ..Default::default()
    };
    let read: Vec<_> = store.audit_page(&page).unwrap().0;
    let read: Vec<_> = read.into_iter().rev().map(|(_, e)| e).collect();
    assert_eq!(read, audit);
    let by_b = AuditQuery {
        invoice_id: Some(b.id.clone()),
        ..page
    };
    let expected = audit
        .iter()
        .filter(|x| x.invoice_id.as_ref() == Some(&b.id));
    assert_eq!(store.audit_page(&by_b).unwrap().0.len(), expected.count());
    let key = &idempotency[0];
    assert_eq!(
        store.idempotency_record(&key.key).unwrap().as_ref(),
        Some(key)
    );
    let due = store.pending_due(None, u64::MAX, 10).unwrap();
    assert_eq!(
        due.iter().map(|d| &d.invoice_id).collect::<Vec<_>>(),
        [&a.id]
    );
}
