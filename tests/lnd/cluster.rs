//! Following an LND cluster: lnpayd is given several addresses and uses the
//! first active one. Here all three lead to alice (a dead port, then proxies
//! A and B): lnpayd skips the dead port, uses A, and when A goes away moves
//! to B, where a payment made meanwhile is learned exactly once.

use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use testkit::daemon::{blocking, create_req, Daemon};
use testkit::proxy::Proxy;

use super::{lnd_env, wait_stream, NET};

/// The node lnpayd says it uses, once GetStatus shows `want`.
async fn wait_address(d: &Daemon, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = d.provider_status("lnd").await;
        if s.details.get("address").map(String::as_str) == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never used {want}: {s:?}\n{}",
            d.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_next_address_takes_over_when_the_active_one_goes_away() {
    let net = NET.read().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let a = Proxy::start(net.alice.rpc_addr());
    let b = Proxy::start(net.alice.rpc_addr());
    let mut env = lnd_env(
        a.port,
        &net.alice.macaroon("invoice"),
        &net.alice.tls_cert(),
    );
    env.retain(|(k, _)| k != "LNPAYD_LND__ADDRESS");
    let list = format!("[\"127.0.0.1:{dead}\", \"{}\", \"{}\"]", a.addr(), b.addr());
    env.push(("LNPAYD_LND__ADDRESSES".into(), list));
    // GetStatus shows the node in use as of the last health check.
    env.push((
        "LNPAYD_FAILOVER__HEALTH_CHECK_INTERVAL_MS".into(),
        "500".into(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_env(dir.path(), &env);
    wait_stream(&d, "connected").await;
    let at_a = format!("https://{}", a.addr());
    let at_b = format!("https://{}", b.addr());
    wait_address(&d, &at_a).await;
    let log = d.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("using this LND node") && l.contains(&at_a)),
        "the chosen node is logged:\n{log}"
    );

    let mut inv = d.invoices().await;
    let after = d.last_sequence().await;
    let mut events = inv
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: after,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let created = inv
        .create_invoice(create_req(2_100, "made through A"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.provider, "lnd");
    assert_eq!(
        blocking(|| net.alice_invoice(&created.payment_hash))["state"],
        "OPEN"
    );

    // A goes away for good (listener closed, connections cut); bob pays at
    // once, while lnpayd is still finding B.
    drop(a);
    blocking(|| net.bob_pays(&created.payment_request)).unwrap();
    let paid_at = Instant::now();
    let paid = loop {
        let ev = tokio::time::timeout(Duration::from_secs(40), events.next())
            .await
            .unwrap_or_else(|_| panic!("no INVOICE_PAID; log:\n{}", d.log_text()))
            .unwrap()
            .unwrap();
        if ev.r#type() == EventType::InvoicePaid {
            break ev.invoice.unwrap();
        }
    };
    eprintln!("PAID through B {:?} after the payment", paid_at.elapsed());
    assert_eq!(paid.id, created.id);
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 2_100_000);
    wait_stream(&d, "connected").await;
    wait_address(&d, &at_b).await;
    let log = d.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("using this LND node") && l.contains(&at_b)),
        "the move to B is logged:\n{log}"
    );

    // New invoices now go through B.
    let later = inv
        .create_invoice(create_req(1_000, "made through B"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(later.provider, "lnd");

    // Exactly one INVOICE_PAID in the log: replay everything since `after`.
    let mut replay = inv
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: after,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut paid_events = 0;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(2), replay.next()).await {
        let ev = ev.unwrap();
        let ours = ev.invoice.as_ref().is_some_and(|i| i.id == created.id);
        if ours && ev.r#type() == EventType::InvoicePaid {
            paid_events += 1;
        }
    }
    assert_eq!(paid_events, 1);
    drop(b);
}
