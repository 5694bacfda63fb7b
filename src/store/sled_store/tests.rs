//! sled against the store contract, and data dirs from before its indexes.

use super::*;

/// A store in a fresh directory, its flusher running on the test's runtime.
fn open() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), 1 << 20).unwrap();
    tokio::spawn(store.run_flusher(CancellationToken::new()));
    (store, dir)
}

crate::store_contract!(open());

fn listed(store: &SledStore, status: InvoiceStatus) -> Vec<String> {
    let q = ListQuery {
        status: Some(status),
        limit: 10,
        ..Default::default()
    };
    let (page, _) = store.list_invoices(&q).unwrap();
    page.into_iter().map(|i| i.id).collect()
}

fn due_ids(store: &SledStore) -> Vec<String> {
    let due = store.pending_due(None, u64::MAX, 10).unwrap();
    due.into_iter().map(|d| d.invoice_id).collect()
}

#[test]
fn a_data_dir_from_before_the_indexes_gets_them_at_open() {
    use crate::store::contract::{audit, invoice};
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        invoice(1, 1_000, 5_000),
        invoice(2, 1_001, 3_000),
        invoice(3, 1_002, 4_000),
    );
    {
        let store = SledStore::open(dir.path(), 1 << 20).unwrap();
        for inv in [&a, &b, &c] {
            store.insert_invoice(inv, None, &[]).unwrap();
        }
        let paid = Transition::Paid {
            amount_received_msat: 1,
            at_ms: 2_000,
        };
        store
            .transition(&c.id, paid, None, &audit(2_000, None, None))
            .unwrap();
        // Undo what this release adds, leaving the data as the previous
        // release wrote it: no due keys, no marker.
        for prefix in [keys::DUE, keys::STATUS] {
            for item in store.tree.scan_prefix(prefix) {
                store.tree.remove(item.unwrap().0).unwrap();
            }
        }
        store.tree.remove(keys::DUE_INDEX_BUILT).unwrap();
        store.tree.remove(keys::STATUS_INDEX_BUILT).unwrap();
        assert!(listed(&store, InvoiceStatus::Paid).is_empty());
        assert!(due_ids(&store).is_empty());
        store.db.flush().unwrap();
    }
    let store = crate::store::contract::fixtures::retry_while_sled_locked(|| {
        SledStore::open(dir.path(), 1 << 20)
    })
    .unwrap();
    assert_eq!(
        due_ids(&store),
        [b.id.clone(), a.id.clone()],
        "by expiry, pending only"
    );

    // An older release, run in between, moved `b` out of PENDING without
    // touching the index: the stray entry is dropped, not expired.
    store
        .tree
        .remove(keys::join(keys::PENDING, b.id.as_bytes()))
        .unwrap();
    let mut b_paid = b.clone();
    b_paid.status = InvoiceStatus::Paid;
    let b_key = keys::join(keys::INVOICE, b.id.as_bytes());
    store
        .tree
        .insert(b_key, records::encode_invoice(&b_paid))
        .unwrap();
    assert_eq!(listed(&store, InvoiceStatus::Pending), vec![a.id.clone()]);
    assert_eq!(due_ids(&store), vec![a.id]);
    assert!(!store
        .tree
        .contains_key(keys::due(b.expires_at_ms, &b.id))
        .unwrap());
}
