//! Payments and the websocket that reports them: paid from the payer
//! wallet, a forged message, the websocket cut, canceled then paid, and a
//! frame held back until expiry.

use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use super::{create, wait_connection, Merchant, LNBITS};
use testkit::daemon::create_req;

/// Pay from the payer wallet: PAID event and WaitInvoice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_from_the_payer_wallet_event_and_wait_invoice() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let mut client = d.invoices().await;
    let mut events = client
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: d.last_sequence().await,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let inv = create(d, create_req(777, "pay me")).await;
    let ev = events.next().await.unwrap().unwrap();
    assert_eq!(ev.r#type(), EventType::InvoiceCreated);
    let waiter = d.spawn_wait(&inv.id, 30).await;
    let t = Instant::now();
    lnb.pay(&inv.payment_request).await;
    let ev = tokio::time::timeout(Duration::from_secs(15), events.next())
        .await
        .expect("a PAID event within 15 s")
        .unwrap()
        .unwrap();
    eprintln!(
        "payment at LNbits → PAID event from lnpayd: {:?}",
        t.elapsed()
    );
    assert_eq!(ev.r#type(), EventType::InvoicePaid);
    assert_eq!(ev.invoice.as_ref().unwrap().id, inv.id);
    let paid = waiter.await.unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 777_000);
    assert!(!paid.paid_late);
    // LNbits sends the frame twice: still one PAID event.
    let more = tokio::time::timeout(Duration::from_millis(700), events.next()).await;
    assert!(more.is_err(), "a second event: {more:?}");

    m.shut_down(&lnb);
}

/// A forged websocket message marks nothing paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_websocket_message_marks_nothing_paid() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let inv = create(d, create_req(500, "forge target")).await;
    lnb.forge_paid_frame(&inv.payment_hash, &inv.payment_request, 500_000)
        .await;
    // lnpayd heard it, looked it up, and ignored it.
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let log = d.log_text();
            if log
                .lines()
                .any(|l| l.contains("forged or early frame") && l.contains(&inv.id))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(heard.is_ok(), "lnpayd never handled the forged frame");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let now = d.get_invoice(&inv.id).await;
    assert_eq!(now.status(), InvoiceStatus::Pending);
    assert_eq!(now.amount_received_msat, 0);
    // Garbage and unknown hashes are harmless too.
    lnb.inject_ws("not json at all").await;
    lnb.inject_ws(&format!(
        r#"{{"payment": {{"payment_hash": "{}"}}}}"#,
        "ab".repeat(32)
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        d.get_invoice(&inv.id).await.status(),
        InvoiceStatus::Pending
    );
    assert!(wait_connection(d, "connected").await.online);

    m.shut_down(&lnb);
}

/// Websocket cut while a payment happens: reconciled on reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn websocket_cut_during_payment_reconciled_on_reconnect() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let (d, proxy, key) = (&m.d, &m.proxy, &lnb.merchant.inkey);

    let inv = create(d, create_req(1234, "paid while cut")).await;
    proxy.cut();
    let s = wait_connection(d, "disconnected").await;
    eprintln!("while cut: connection {:?}", s.connection);
    assert!(!s.connection.contains(key));
    lnb.pay(&inv.payment_request).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        d.get_invoice(&inv.id).await.status(),
        InvoiceStatus::Pending
    );
    let t = Instant::now();
    proxy.restore();
    let paid = d.wait_invoice(&inv.id, 30).await;
    eprintln!("restore → PAID by reconcile: {:?}", t.elapsed());
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 1_234_000);
    wait_connection(d, "connected").await;
    assert!(
        d.log_text()
            .lines()
            .any(|l| l.contains("invoice paid") && l.contains(&inv.id) && l.contains("Reconcile")),
        "not settled by reconcile"
    );

    m.shut_down(&lnb);
}

/// Canceled in lnpayd, still payable at LNbits: PAID (late).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn canceled_then_paid_at_lnbits_is_paid_late() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let inv = create(d, create_req(300, "cancel me")).await;
    let canceled = d
        .invoices()
        .await
        .cancel_invoice(proto::CancelInvoiceRequest { id: inv.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(canceled.status(), InvoiceStatus::Canceled);
    lnb.pay(&inv.payment_request).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let late = loop {
        let now = d.get_invoice(&inv.id).await;
        if now.status() == InvoiceStatus::Paid {
            break now;
        }
        assert!(Instant::now() < deadline, "never PAID: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(late.paid_late);
    assert_eq!(late.amount_received_msat, 300_000);

    m.shut_down(&lnb);
}

/// A frame that never arrives on a healthy-looking websocket: found when
/// asked at expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn frame_never_arrives_found_at_expiry() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let (d, proxy) = (&m.d, &m.proxy);

    wait_connection(d, "connected").await;
    let mut req = create_req(700, "its frame is held back");
    req.expiry_seconds = 3;
    let inv = create(d, req).await;
    proxy.hold_websockets(true);
    lnb.pay(&inv.payment_request).await;
    let paid = d.wait_invoice(&inv.id, 30).await;
    proxy.hold_websockets(false);
    assert_eq!(paid.status(), InvoiceStatus::Paid, "{paid:?}");
    assert!(!paid.paid_late, "paid in time: {paid:?}");
    assert_eq!(paid.amount_received_msat, 700_000);
    // Found by the lookup at expiry, never EXPIRED on the way.
    let audit = d.audit_of(&inv.id).await;
    let changes: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.kind == "status_change")
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("paid", "settled via expiry_lookup"),
            ("created", "pending")
        ],
        "newest first"
    );
    assert!(wait_connection(d, "connected").await.online);

    m.shut_down(&lnb);
}
