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
