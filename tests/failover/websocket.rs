//! DazNode's websocket while the scenario's LND proxy is cut (alice keeps
//! running): a forged message (7), and the websocket cut during a payment (3).

use std::time::{Duration, Instant};

use lnpayd::proto::InvoiceStatus;

use super::{create, provider, providers, wait_for, wait_log_line, Lnpayd};

/// 7. A forged websocket message marks nothing paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_websocket_message_marks_nothing_paid() {
    let (net, lnb) = providers().await;
    let l = Lnpayd::daznode_serving(&net, &lnb).await;
    let d = &l.d;

    let inv = create(d, 500, "forge target").await.unwrap();
    assert_eq!(inv.provider, "daznode");
    lnb.forge_paid_frame(&inv.payment_hash, &inv.payment_request, 500_000)
        .await;
    wait_log_line(
        d,
        "the forged frame handled",
        &["forged or early frame", &inv.id],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let now = d.get_invoice(&inv.id).await;
    assert_eq!(now.status(), InvoiceStatus::Pending);
    assert_eq!(now.amount_received_msat, 0);

    l.finish(&net, &lnb);
}

/// 3. DazNode websocket cut while a payment happens: reconciled on reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn daznode_websocket_cut_during_payment_reconciled() {
    let (net, lnb) = providers().await;
    let l = Lnpayd::daznode_serving(&net, &lnb).await;
    let (d, lnb_proxy) = (&l.d, &l.lnb_proxy);

    let inv = create(d, 1234, "paid while cut").await.unwrap();
    assert_eq!(inv.provider, "daznode");
    lnb_proxy.cut();
    wait_for(
        d,
        "the DazNode websocket disconnected",
        Duration::from_secs(30),
        |s| {
            provider(s, "daznode")
                .connection
                .starts_with("disconnected")
        },
    )
    .await;
    lnb.pay(&inv.payment_request).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        d.get_invoice(&inv.id).await.status(),
        InvoiceStatus::Pending
    );
    let t = Instant::now();
    lnb_proxy.restore();
    let paid = d.wait_invoice(&inv.id, 30).await;
    eprintln!("restore → PAID by reconcile: {:?}", t.elapsed());
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 1_234_000);
    wait_log_line(
        d,
        "settled by reconcile",
        &["invoice paid", &inv.id, "Reconcile"],
    )
    .await;
    wait_for(
        d,
        "DazNode connected, online, circuit closed",
        Duration::from_secs(30),
        |s| {
            let p = provider(s, "daznode");
            p.online && p.circuit == "closed" && p.connection == "connected"
        },
    )
    .await;

    l.finish(&net, &lnb);
}
