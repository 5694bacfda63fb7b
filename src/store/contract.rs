//! The store contract as tests, run against every implementation through
//! [`store_contract!`], so sled, memory (and later PostgreSQL) decide alike.

use std::sync::Arc;

use super::{
    CursorUpdate, IdempotencyRecord, Inserted, Store, StoreError, Transition, Transitioned,
};
use crate::domain::{AuditEntry, EventKind, Invoice, InvoiceStatus};

pub mod fixtures;
mod queries;
pub use queries::*;

/// One `#[tokio::test]` per contract rule; `$open` makes a fresh store and a
/// guard that keeps its resources (a temp dir) alive for the test.
#[macro_export]
#[doc(hidden)]
macro_rules! store_contract {
    // A store that blocks on an async driver (PostgreSQL) needs the
    // multi-thread runtime.
    ($open:expr, multi_thread) => {
        $crate::store_contract!(@all $open; (flavor = "multi_thread", worker_threads = 2));
    };
    ($open:expr) => {
        $crate::store_contract!(@all $open; ());
    };
    (@all $open:expr; $flavor:tt) => {
        mod contract {
            use super::*;
            $crate::store_contract!(@tests $open; $flavor;
                insert_is_idempotent_and_all_or_nothing,
                lookups_by_hash_and_external_ref,
                paid_wins_and_other_changes_are_refused_or_unchanged,
                events_are_gap_free_and_visible_once_synced,
                cursors_move_with_their_transition,
                audit_pages_newest_first_with_filters,
                prune_drops_old_keys_and_audit,
                list_filters_and_pages,
                due_index_holds_exactly_the_pending,
                events_read_back_as_they_were_written,
                audit_filters_page_and_forget_what_is_pruned,
            );
        }
    };
    (@tests $open:expr; $flavor:tt; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test $flavor]
            async fn $name() {
                let (store, _guard) = $open;
                $crate::store::contract::$name(store).await;
            }
        )*
    };
}

pub fn invoice(n: u64, created_ms: u64, expires_ms: u64) -> Invoice {
    Invoice {
        id: format!("inv_{created_ms:012x}{n:020x}"),
        payment_request: format!("lnbcrt{n}"),
        payment_hash: format!("{n:064x}"),
        amount_msat: 1_000,
        amount_received_msat: 0,
        description: String::new(),
        description_hash: None,
        status: InvoiceStatus::Pending,
        provider: "dev".into(),
        created_at_ms: created_ms,
        expires_at_ms: expires_ms,
        paid_at_ms: None,
        updated_at_ms: created_ms,
        metadata: Default::default(),
        external_ref: None,
        customer_email: None,
        paid_late: false,
        idempotency_key: None,
        sale: None,
        success_url: None,
    }
}

pub fn audit(at_ms: u64, invoice_id: Option<&str>, provider: Option<&str>) -> AuditEntry {
    AuditEntry {
        at_ms,
        kind: crate::domain::AuditKind::StatusChange,
        invoice_id: invoice_id.map(Into::into),
        provider: provider.map(Into::into),
        action: crate::domain::AuditAction::Created,
        outcome: "ok".into(),
        duration_ms: None,
        request_id: None,
    }
}

fn record(key: &str, id: &str, at_ms: u64) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.into(),
        fingerprint: format!("fp-{key}"),
        invoice_id: id.into(),
        created_at_ms: at_ms,
    }
}

fn insert(store: &dyn Store, inv: &Invoice) -> u64 {
    match store.insert_invoice(inv, None, &[]).unwrap() {
        Inserted::New(e) => e.sequence,
        Inserted::KeyTaken(r) => panic!("no key given, yet taken: {r:?}"),
    }
}

fn paid(at_ms: u64) -> Transition {
    Transition::Paid {
        amount_received_msat: 1_000,
        at_ms,
    }
}

fn change(store: &dyn Store, id: &str, c: Transition) -> Transitioned {
    store
        .transition(id, c, None, &audit(5, Some(id), None))
        .unwrap()
}

fn status_of(t: Transitioned) -> (&'static str, InvoiceStatus) {
    match t {
        Transitioned::Applied(e) => ("applied", e.invoice.status),
        Transitioned::Unchanged(i) => ("unchanged", i.status),
        Transitioned::Refused(i) => ("refused", i.status),
    }
}

pub async fn insert_is_idempotent_and_all_or_nothing(store: Arc<dyn Store>) {
    let a = invoice(1, 1_000, 9_000);
    let rec = record("key-1", &a.id, 1_000);
    assert!(matches!(
        store.insert_invoice(&a, Some(&rec), &[]).unwrap(),
        Inserted::New(_)
    ));
    assert_eq!(
        store.idempotency_record("key-1").unwrap(),
        Some(rec.clone())
    );

    // Same key, another invoice: the first record comes back, nothing is written.
    let b = invoice(2, 1_001, 9_000);
    match store
        .insert_invoice(&b, Some(&record("key-1", &b.id, 1_001)), &[])
        .unwrap()
    {
        Inserted::KeyTaken(existing) => assert_eq!(existing, rec),
        Inserted::New(_) => panic!("a taken key must not store a second invoice"),
    }
    assert_eq!(store.invoice(&b.id).unwrap(), None);

    // A duplicate hash refuses the whole write, its idempotency key included.
    let mut dup = invoice(3, 1_002, 9_000);
    dup.payment_hash = a.payment_hash.clone();
    let err = store
        .insert_invoice(&dup, Some(&record("key-3", &dup.id, 1_002)), &[])
        .err()
        .expect("a stored payment hash is refused");
    assert!(matches!(err, StoreError::DuplicatePaymentHash(_)), "{err}");
    assert_eq!(store.invoice(&dup.id).unwrap(), None);
    assert_eq!(store.idempotency_record("key-3").unwrap(), None);

    store.sync().await.unwrap();
    let events = store.events_after(0, 10).unwrap();
    assert_eq!(events.len(), 1, "only the stored invoice has an event");
    assert_eq!(events[0].invoice, a);
}

pub async fn lookups_by_hash_and_external_ref(store: Arc<dyn Store>) {
    let mut old = invoice(1, 1_000, 9_000);
    old.external_ref = Some("order-7".into());
    let mut new = invoice(2, 2_000, 9_000);
    new.external_ref = Some("order-7".into());
    let mut other = invoice(3, 3_000, 9_000);
    other.external_ref = Some("order-70".into());
    for inv in [&old, &new, &other] {
        insert(&*store, inv);
    }
    assert_eq!(store.invoice_by_hash(&old.payment_hash).unwrap(), Some(old));
    assert_eq!(store.invoice_by_hash(&"ff".repeat(32)).unwrap(), None);
    assert_eq!(
        store.invoice_by_external_ref("order-7").unwrap(),
        Some(new),
        "the newest invoice with the reference, not a longer reference"
    );
    assert_eq!(store.invoice_by_external_ref("order").unwrap(), None);
    assert!(store.invoice("inv_missing").unwrap().is_none());
}

pub async fn paid_wins_and_other_changes_are_refused_or_unchanged(store: Arc<dyn Store>) {
    use InvoiceStatus::*;
    let (a, b, c) = (
        invoice(1, 1_000, 2_000),
        invoice(2, 1_000, 2_000),
        invoice(3, 1_000, 2_000),
    );
    for inv in [&a, &b, &c] {
        insert(&*store, inv);
    }
    let s = &*store;
    assert_eq!(
        status_of(change(s, &a.id, Transition::Expired { at_ms: 2_001 })),
        ("applied", Expired)
    );
    assert_eq!(
        status_of(change(s, &a.id, Transition::Expired { at_ms: 2_002 })),
        ("unchanged", Expired)
    );
    assert_eq!(
        status_of(change(s, &a.id, Transition::Canceled { at_ms: 2_002 })),
        ("refused", Expired)
    );
    assert_eq!(
        status_of(change(s, &a.id, paid(1_999))),
        ("applied", Paid),
        "paid wins over expired"
    );
    assert_eq!(
        status_of(change(s, &a.id, paid(1_999))),
        ("unchanged", Paid)
    );
    assert_eq!(
        status_of(change(s, &a.id, Transition::Expired { at_ms: 3_000 })),
        ("refused", Paid)
    );
    let a_now = store.invoice(&a.id).unwrap().unwrap();
    assert!(!a_now.paid_late, "settled before expiry is on time");

    assert_eq!(
        status_of(change(s, &b.id, Transition::Canceled { at_ms: 1_500 })),
        ("applied", Canceled)
    );
    assert_eq!(
        status_of(change(s, &b.id, paid(1_600))),
        ("applied", Paid),
        "paid wins over canceled"
    );
    assert!(store.invoice(&b.id).unwrap().unwrap().paid_late);

    assert_eq!(status_of(change(s, &c.id, paid(2_500))), ("applied", Paid));
    let c_now = store.invoice(&c.id).unwrap().unwrap();
    assert!(c_now.paid_late);
    assert_eq!(c_now.paid_at_ms, Some(2_500));
    assert_eq!(c_now.amount_received_msat, 1_000);

    let missing = store.transition("inv_missing", paid(1), None, &audit(1, None, None));
    assert!(matches!(missing, Err(StoreError::Corrupt { .. })));
}

pub async fn events_are_gap_free_and_visible_once_synced(store: Arc<dyn Store>) {
    let mut durable = store.durable_sequence();
    assert_eq!(*durable.borrow_and_update(), 0);
    let a = invoice(1, 1_000, 2_000);
    let b = invoice(2, 1_001, 2_000);
    assert_eq!(insert(&*store, &a), 1);
    assert_eq!(insert(&*store, &b), 2);
    change(&*store, &a.id, paid(1_500));
    change(&*store, &a.id, paid(1_500)); // unchanged: no event
    change(&*store, &b.id, Transition::Canceled { at_ms: 1_600 });
    let tail = store.tail();
    let published = |after| tail.after(after, 100).map(|v| v.len());
    assert_eq!(
        published(0),
        Some(0),
        "the tail shows nothing before a sync"
    );
    store.sync().await.unwrap();
    assert!(durable.has_changed().unwrap(), "a sync wakes subscribers");
    assert_eq!(*tail.published().borrow(), 4);
    assert_eq!(*durable.borrow_and_update(), 4);
    let events = store.events_after(0, 100).unwrap();
    let seen: Vec<_> = events.iter().map(|e| (e.sequence, e.kind)).collect();
    assert_eq!(
        seen,
        [
            (1, EventKind::InvoiceCreated),
            (2, EventKind::InvoiceCreated),
            (3, EventKind::InvoicePaid),
            (4, EventKind::InvoiceCanceled),
        ]
    );
    assert_eq!(events[2].invoice.status, InvoiceStatus::Paid);
    let from_tail = tail.after(0, 100).expect("in the tail");
    let from_tail: Vec<_> = from_tail.iter().map(|e| (**e).clone()).collect();
    assert_eq!(from_tail, events, "the tail holds exactly the durable log");
    assert_eq!(store.events_after(1, 2).unwrap().len(), 2);
    assert_eq!(store.events_after(3, 100).unwrap()[0].sequence, 4);
    assert!(store.events_after(4, 100).unwrap().is_empty());
    assert!(store.events_after(40, 100).unwrap().is_empty());
}

/// An event read back holds its invoice as it was at that event, not as it
/// is now: every kind, a late payment, an amount received other than asked.
pub async fn events_read_back_as_they_were_written(store: Arc<dyn Store>) {
    let (mut a, b, c) = (
        invoice(1, 1_000, 2_000),
        invoice(2, 1_001, 2_000),
        invoice(3, 1_002, 2_000),
    );
    a.metadata = [("k".to_string(), "v".to_string())].into();
    a.external_ref = Some("ref".into());
    let mut written = Vec::new();
    for inv in [&a, &b, &c] {
        match store.insert_invoice(inv, None, &[]).unwrap() {
            Inserted::New(e) => written.push(*e),
            Inserted::KeyTaken(_) => unreachable!(),
        }
    }
    let pay = |amount, at_ms| Transition::Paid {
        amount_received_msat: amount,
        at_ms,
    };
    for (id, t) in [
        (&b.id, Transition::Canceled { at_ms: 1_500 }),
        (&a.id, Transition::Expired { at_ms: 2_001 }),
        (&b.id, pay(1_200, 1_600)),
        (&a.id, pay(900, 1_999)),
        (&c.id, pay(1_000, 2_500)),
    ] {
        match change(&*store, id, t) {
            Transitioned::Applied(e) => written.push(e),
            other => panic!("{t:?} on {id}: {other:?}"),
        }
    }
    store.sync().await.unwrap();
    let read = store.events_after(0, 100).unwrap();
    assert_eq!(read, written);
    assert!(read[5].invoice.paid_late && !read[6].invoice.paid_late);
    assert_eq!(read[6].invoice.amount_received_msat, 900);
    assert_eq!(read[0].invoice.status, InvoiceStatus::Pending);
    assert_eq!(read[0].invoice.amount_received_msat, 0);
    // Read one at a time too (no page-level reuse of the invoice).
    for e in &written {
        assert_eq!(&store.events_after(e.sequence - 1, 1).unwrap()[0], e);
    }
}

pub async fn cursors_move_with_their_transition(store: Arc<dyn Store>) {
    assert!(store.cursor("lnd").unwrap().is_none());
    let c1 = CursorUpdate {
        name: "lnd".into(),
        value: 7,
        anchor: vec![1, 2],
    };
    store.set_cursor(&c1).unwrap();
    let got = store.cursor("lnd").unwrap().unwrap();
    assert_eq!((got.value, got.anchor), (7, vec![1, 2]));

    let a = invoice(1, 1_000, 2_000);
    insert(&*store, &a);
    let c2 = CursorUpdate {
        name: "lnd".into(),
        value: 8,
        anchor: vec![],
    };
    store
        .transition(&a.id, paid(1_500), Some(&c2), &audit(1, None, None))
        .unwrap();
    assert_eq!(store.cursor("lnd").unwrap().unwrap().value, 8);
    // A repeated report still moves the stream position past it.
    let c3 = CursorUpdate { value: 9, ..c2 };
    let again = store
        .transition(&a.id, paid(1_500), Some(&c3), &audit(1, None, None))
        .unwrap();
    assert!(matches!(again, Transitioned::Unchanged(_)));
    assert_eq!(store.cursor("lnd").unwrap().unwrap().value, 9);
    assert!(store.cursor("daznode").unwrap().is_none());
}
