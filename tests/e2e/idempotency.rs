use lnpayd::proto;
use tonic::Code;

use crate::harness::{create_req, reason, Daemon};

fn keyed(key: &str, sat: u64) -> proto::CreateInvoiceRequest {
    let mut r = create_req(sat, "idempotent");
    r.idempotency_key = key.into();
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn same_key_same_invoice_also_after_restart_and_reuse_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;

    let first = inv
        .create_invoice(keyed("order-1", 500))
        .await
        .unwrap()
        .into_inner();
    let again = inv
        .create_invoice(keyed("order-1", 500))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    assert_eq!(
        d.last_sequence().await,
        1,
        "a replay must not create an event"
    );

    let err = inv.create_invoice(keyed("order-1", 501)).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(reason(&err), "IDEMPOTENCY_KEY_REUSED");

    // A different key is a different invoice.
    let other = inv
        .create_invoice(keyed("order-2", 500))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(other.id, first.id);

    assert!(d.terminate().success());
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let after_restart = inv
        .create_invoice(keyed("order-1", 500))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after_restart, first);
    let err = inv.create_invoice(keyed("order-1", 999)).await.unwrap_err();
    assert_eq!(reason(&err), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(d.last_sequence().await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_retries_with_one_key_create_one_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut handles = Vec::new();
    for _ in 0..16 {
        let mut inv = d.invoices().await;
        handles.push(tokio::spawn(async move {
            inv.create_invoice(keyed("race", 42))
                .await
                .unwrap()
                .into_inner()
                .id
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(d.last_sequence().await, 1);
}
