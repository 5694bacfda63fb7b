//! fjall against the store contract, and what survives a restart.

use super::*;
use crate::store::contract::{audit, invoice};

/// A store in a fresh directory, its flusher running on the test's runtime.
fn open() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStore::open(dir.path(), 1 << 20).unwrap();
    tokio::spawn(store.run_flusher(CancellationToken::new()));
    (store, dir)
}

crate::store_contract!(open());

#[tokio::test]
async fn a_reopened_store_keeps_its_invoices_and_continues_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (invoice(1, 1_000, 5_000), invoice(2, 1_001, 3_000));
    {
        let store = FjallStore::open(dir.path(), 1 << 20).unwrap();
        let stop = CancellationToken::new();
        let flusher = tokio::spawn(store.run_flusher(stop.clone()));
        store
            .insert_invoice(&a, None, &[audit(1_000, Some(&a.id), None)])
            .unwrap();
        store.sync().await.unwrap();
        stop.cancel();
        flusher.await.unwrap();
    }
    let store = FjallStore::open(dir.path(), 1 << 20).unwrap();
    tokio::spawn(store.run_flusher(CancellationToken::new()));
    assert_eq!(store.invoice(&a.id).unwrap().unwrap().id, a.id);
    assert_eq!(*store.durable_sequence().borrow(), 1);
    let Inserted::New(e) = store.insert_invoice(&b, None, &[]).unwrap() else {
        panic!("b was not inserted");
    };
    assert_eq!(e.sequence, 2, "the sequence goes on after a restart");
    store.sync().await.unwrap();
    let events = store.events_after(0, 10).unwrap();
    let ids: Vec<_> = events.iter().map(|e| e.invoice.id.clone()).collect();
    assert_eq!(ids, vec![a.id.clone(), b.id.clone()]);
    let (page, more) = store
        .audit_page(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((page.len(), more), (1, false), "the audit entry survived");
}

/// The webhook store's contract, the one sled and PostgreSQL pass.
#[test]
fn webhook_deliveries_keep_their_retry_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStore::open(dir.path(), 1 << 20).unwrap();
    crate::store::sled_webhooks::tests::retry_index_follows_every_delivery_through_its_life(
        &*store,
    );
}

/// An idempotency record "k1" naming `intent`.
fn key_for(intent: &Invoice) -> IdempotencyRecord {
    IdempotencyRecord {
        key: "k1".into(),
        fingerprint: "f".into(),
        invoice_id: intent.id.clone(),
        created_at_ms: 1_000,
    }
}

/// An intent holds its idempotency key across a reopen, is listed until it
/// is completed, and completing it stores the invoice with its event.
#[tokio::test]
async fn an_intent_survives_a_reopen_holds_its_key_and_completes_into_its_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let mut intent = invoice(1, 1_000, 5_000);
    intent.payment_request.clear();
    intent.idempotency_key = Some("k1".into());
    let rec = key_for(&intent);
    {
        let store = FjallStore::open(dir.path(), 1 << 20).unwrap();
        let stop = CancellationToken::new();
        let flusher = tokio::spawn(store.run_flusher(stop.clone()));
        assert!(store.put_intent(&intent, Some(&rec)).unwrap().is_none());
        let other = IdempotencyRecord {
            invoice_id: "other".into(),
            ..rec.clone()
        };
        let held = store.put_intent(&intent, Some(&other)).unwrap();
        assert_eq!(held.map(|r| r.invoice_id), Some(intent.id.clone()));
        store.sync().await.unwrap();
        stop.cancel();
        flusher.await.unwrap();
    }
    let store = FjallStore::open(dir.path(), 1 << 20).unwrap();
    tokio::spawn(store.run_flusher(CancellationToken::new()));
    let found: Vec<_> = store.intents().unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(found, vec![intent.id.clone()]);
    assert!(store.intent(&intent.id).unwrap().is_some());
    assert!(store.invoice(&intent.id).unwrap().is_none());
    assert_eq!(
        store
            .idempotency_record("k1")
            .unwrap()
            .map(|r| r.invoice_id),
        Some(intent.id.clone())
    );

    let issued = invoice(1, 1_000, 5_000);
    let event = store.complete_intent(&issued, &[]).unwrap();
    store.sync().await.unwrap();
    assert!(store.intents().unwrap().is_empty());
    assert!(store.intent(&issued.id).unwrap().is_none());
    assert_eq!(store.invoice(&issued.id).unwrap().unwrap(), issued);
    assert_eq!(store.events_after(0, 10).unwrap(), vec![event]);
    assert_eq!(
        store
            .idempotency_record("k1")
            .unwrap()
            .map(|r| r.invoice_id),
        Some(issued.id.clone()),
        "the key the intent took now names its invoice"
    );
}

/// A dropped intent frees its key and leaves its audit lines.
#[tokio::test]
async fn a_dropped_intent_frees_its_key_and_leaves_its_audit() {
    let (store, _dir) = open();
    let mut intent = invoice(1, 1_000, 5_000);
    intent.idempotency_key = Some("k1".into());
    let rec = key_for(&intent);
    store.put_intent(&intent, Some(&rec)).unwrap();
    store
        .drop_intent(&intent.id, &[audit(1_001, Some(&intent.id), None)])
        .unwrap();
    assert!(store.intents().unwrap().is_empty());
    assert!(store.idempotency_record("k1").unwrap().is_none());
    assert!(store.put_intent(&intent, Some(&rec)).unwrap().is_none());
    let (page, _) = store
        .audit_page(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.len(), 1);
    assert!(
        store.events_after(0, 10).unwrap().is_empty(),
        "no event for an intent"
    );
}

/// `flush_soon` is not waited for, yet its write reaches the disk (and its
/// event the subscribers) without anybody else's flush.
#[tokio::test]
async fn a_write_asked_to_flush_soon_becomes_durable_alone() {
    let (store, _dir) = open();
    let mut durable = store.durable_sequence();
    let a = invoice(1, 1_000, 5_000);
    store.put_intent(&a, None).unwrap();
    store.complete_intent(&a, &[]).unwrap();
    assert_eq!(*durable.borrow_and_update(), 0);
    store.flush_soon();
    tokio::time::timeout(std::time::Duration::from_secs(5), durable.changed())
        .await
        .expect("flushed within the bound")
        .unwrap();
    assert_eq!(*durable.borrow(), 1);
    assert_eq!(store.events_after(0, 10).unwrap().len(), 1);
}
