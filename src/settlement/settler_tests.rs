//! The settler over the in-memory store.

use super::*;
use crate::domain::{EventKind, InvoiceStatus};
use crate::store::contract::invoice;
use crate::store::MemoryStore;

fn stored(store: &MemoryStore, n: u64, expires_in_ms: i64) -> Invoice {
    let now = now_ms();
    let inv = invoice(n, now, now.saturating_add_signed(expires_in_ms));
    store.insert_invoice(&inv, None, &[]).unwrap();
    inv
}

fn settlement(provider: &'static str, hash: &str, at_ms: u64) -> Settlement {
    Settlement {
        provider,
        payment_hash: hash.into(),
        amount_received_msat: 2_000,
        settled_at_ms: at_ms,
        path: SettlePath::Stream,
        cursor: None,
    }
}

async fn kinds(store: &MemoryStore) -> Vec<EventKind> {
    store.sync().await.unwrap();
    let events = store.events_after(0, 100).unwrap();
    events.into_iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn settles_once_and_makes_it_durable() {
    let store = MemoryStore::new();
    let settler = Settler::new(store.clone());
    let inv = stored(&store, 1, 60_000);
    let at = now_ms();
    let first = settler
        .settle(settlement("dev", &inv.payment_hash, at))
        .await;
    let first = first.unwrap().expect("the invoice is found");
    assert_eq!(first.status, InvoiceStatus::Paid);
    assert_eq!(first.amount_received_msat, 2_000);
    assert_eq!(first.paid_at_ms, Some(at));
    assert!(!first.paid_late);
    assert_eq!(
        *store.durable_sequence().borrow(),
        2,
        "durable before the caller hears of it"
    );
    let again = settler.settle(settlement("dev", &inv.payment_hash, at + 5));
    assert_eq!(
        again.await.unwrap(),
        Some(first),
        "a repeated report changes nothing"
    );
    assert_eq!(
        kinds(&store).await,
        [EventKind::InvoiceCreated, EventKind::InvoicePaid]
    );
}

#[tokio::test]
async fn only_the_issuing_provider_settles() {
    let store = MemoryStore::new();
    let settler = Settler::new(store.clone());
    let inv = stored(&store, 1, 60_000);
    let foreign = settler.settle(settlement("lnd", &inv.payment_hash, now_ms()));
    assert_eq!(foreign.await.unwrap(), None);
    let now = store.invoice(&inv.id).unwrap().unwrap();
    assert_eq!(now.status, InvoiceStatus::Pending);
    assert_eq!(kinds(&store).await, [EventKind::InvoiceCreated]);
}

#[tokio::test]
async fn a_hash_that_is_not_ours_still_moves_the_cursor() {
    let store = MemoryStore::new();
    let settler = Settler::new(store.clone());
    let mut s = settlement("lnd", &"ab".repeat(32), now_ms());
    s.cursor = Some(CursorUpdate {
        name: "lnd".into(),
        value: 41,
        anchor: vec![0xab; 32],
    });
    assert_eq!(settler.settle(s).await.unwrap(), None);
    let cursor = store.cursor("lnd").unwrap().expect("the cursor moved");
    assert_eq!((cursor.value, cursor.anchor), (41, vec![0xab; 32]));
}

#[tokio::test]
async fn paid_after_expiry_is_late_paid_before_is_not() {
    let store = MemoryStore::new();
    let settler = Settler::new(store.clone());
    let late = stored(&store, 1, -1_000);
    let on_time = stored(&store, 2, -1_000);
    for inv in [&late, &on_time] {
        let expired = settler.expire(&inv.id).await.unwrap().unwrap();
        assert_eq!(expired.status, InvoiceStatus::Expired);
    }
    let paid = settler
        .settle(settlement(
            "dev",
            &late.payment_hash,
            late.expires_at_ms + 1,
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((paid.status, paid.paid_late), (InvoiceStatus::Paid, true));
    // Settled in time, heard of after the timer fired: not late.
    let paid = settler
        .settle(settlement(
            "dev",
            &on_time.payment_hash,
            on_time.expires_at_ms,
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((paid.status, paid.paid_late), (InvoiceStatus::Paid, false));
    // Paid invoices are not expired again.
    let again = settler.expire(&paid.id).await.unwrap().unwrap();
    assert_eq!(again.status, InvoiceStatus::Paid);
}

#[tokio::test]
async fn a_provider_cancel_is_an_expiry_once_past_expires_at() {
    let store = MemoryStore::new();
    let settler = Settler::new(store.clone());
    let early = stored(&store, 1, 60_000);
    let past = stored(&store, 2, -1);
    let got = settler.provider_canceled(&early.id, "lnd").await.unwrap();
    assert_eq!(got.unwrap().status, InvoiceStatus::Canceled);
    let got = settler.provider_canceled(&past.id, "lnd").await.unwrap();
    assert_eq!(got.unwrap().status, InvoiceStatus::Expired);
    assert!(settler
        .provider_canceled("inv_none", "lnd")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_store_that_cannot_write_fails_the_settlement() {
    let store = MemoryStore::new();
    let settler = Settler::new(store.clone());
    let inv = stored(&store, 1, 60_000);
    store.fail_writes(Some("No space left on device"));
    let failed = settler.settle(settlement("dev", &inv.payment_hash, now_ms()));
    assert!(
        failed.await.is_err(),
        "an unwritten settlement must not look done"
    );
    store.fail_writes(None);
    let paid = settler.settle(settlement("dev", &inv.payment_hash, now_ms()));
    assert_eq!(paid.await.unwrap().unwrap().status, InvoiceStatus::Paid);
}
