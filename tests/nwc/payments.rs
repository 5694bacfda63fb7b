//! How an NWC invoice is paid: through the notification, through the
//! reconcile after a relay outage; forged notifications change nothing.

use std::str::FromStr;
use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use super::harness::{blocking, step, Daemon};
use super::relay::Relay;
use super::wallet::{Offers, WalletService};
use super::{
    assert_no_secret, bob_pays, events_after, forge, network, nwc_env, paid_event, settled_via,
    wait_ready, wait_status,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_through_the_notification() {
    let net = network();
    let relay = blocking(Relay::start);
    let w = blocking(|| WalletService::start(net, &[relay.url()], Offers::Both));
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_env(dir.path(), &nwc_env("LNPAYD_NWC__URI", &w.uri()));
    let s = wait_ready(&d).await;
    let detail = |k: &str| s.details.get(k).cloned().unwrap_or_default();
    assert_eq!(detail("encryption"), "nip44_v2", "{s:?}");
    assert!(detail("methods").contains("make_invoice"), "{s:?}");
    assert!(
        detail("notifications").contains("payment_received"),
        "{s:?}"
    );
    assert!(
        detail("relays").contains(&format!("{} connected", relay.url())),
        "{s:?}"
    );
    assert_eq!(detail("wallet_alias"), "alice", "{s:?}");

    step(
        "create through NWC: the BOLT11 as asked, on alice's node",
        async {
            let t = Instant::now();
            let inv = d.create(2100, "café ☕ via NWC").await;
            eprintln!("CreateInvoice through NWC: {:?}", t.elapsed());
            assert_eq!(inv.provider, "nwc");
            assert_eq!(inv.status(), InvoiceStatus::Pending);
            let b = lightning_invoice::Bolt11Invoice::from_str(&inv.payment_request).unwrap();
            assert_eq!(b.amount_milli_satoshis(), Some(2_100_000));
            assert_eq!(b.currency(), lightning_invoice::Currency::Regtest);
            assert_eq!(
                hex::encode(b.payment_hash().as_ref() as &[u8]),
                inv.payment_hash
            );
            let at_alice = blocking(|| net.alice_invoice(&inv.payment_hash));
            assert_eq!(at_alice["state"], "OPEN", "{at_alice}");
            assert_eq!(at_alice["memo"], "café ☕ via NWC", "{at_alice}");

            let mut events = events_after(&d, d.last_sequence().await).await;
            let t = Instant::now();
            bob_pays(net, &inv.payment_request);
            let ev = paid_event(&mut events, &inv.id, 30).await;
            eprintln!(
                "bob's payment to the PAID event (notification): {:?}",
                t.elapsed()
            );
            let paid = ev.invoice.unwrap();
            assert_eq!(paid.status(), InvoiceStatus::Paid);
            assert_eq!(paid.amount_received_msat, 2_100_000);
            assert_eq!(settled_via(&d, &inv.id).await, "settled via stream");
        },
    )
    .await;

    step("create with a description hash and an expiry", async {
        use sha2::Digest;
        let hash: [u8; 32] = sha2::Sha256::digest(b"kept elsewhere").into();
        let req = proto::CreateInvoiceRequest {
            amount: Some(proto::create_invoice_request::Amount::AmountMsat(21_000)),
            memo: Some(proto::create_invoice_request::Memo::DescriptionHash(
                hash.to_vec(),
            )),
            expiry_seconds: 600,
            ..Default::default()
        };
        let inv = d
            .invoices()
            .await
            .create_invoice(req)
            .await
            .unwrap()
            .into_inner();
        let b = lightning_invoice::Bolt11Invoice::from_str(&inv.payment_request).unwrap();
        assert_eq!(b.amount_milli_satoshis(), Some(21_000));
        assert_eq!(b.expiry_time(), Duration::from_secs(600));
        match b.description() {
            lightning_invoice::Bolt11InvoiceDescriptionRef::Hash(h) => {
                assert_eq!(h.0.as_ref() as &[u8], &hash[..])
            }
            other => panic!("no description hash: {other:?}"),
        }
    })
    .await;
    assert_no_secret(&d, &w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_through_the_reconcile_after_a_relay_outage() {
    let net = network();
    let mut relay = blocking(Relay::start);
    let w = blocking(|| WalletService::start(net, &[relay.url()], Offers::Both));
    let dir = tempfile::tempdir().unwrap();
    // The URI from a file, as a deployment keeps it.
    let uri_file = dir.path().join("nwc.uri");
    std::fs::write(&uri_file, format!("{}\n", w.uri())).unwrap();
    let d = Daemon::start_env(
        dir.path(),
        &nwc_env("LNPAYD_NWC__URI_FILE", uri_file.to_str().unwrap()),
    );
    wait_ready(&d).await;
    let inv = d.create(1500, "paid while the relay is down").await;
    assert_eq!(inv.provider, "nwc");
    let before = d.last_sequence().await;

    blocking(|| relay.stop());
    wait_status(&d, "nwc", "disconnected", 30, |s| {
        s.connection.starts_with("disconnected")
    })
    .await;
    // The wallet's notification has no relay to go to: it is lost. The
    // relay stays down until the wallet service has given up publishing it.
    bob_pays(net, &inv.payment_request);
    let gave_up = format!("payment_received {} kind 23197:", inv.payment_hash);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w.log().contains(&gave_up) {
        assert!(
            Instant::now() < deadline,
            "the wallet service never tried to notify:\n{}",
            w.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let t = Instant::now();
    blocking(|| relay.start_again());
    let paid = d.wait_invoice(&inv.id, 90).await;
    eprintln!("relay back to PAID (reconcile): {:?}", t.elapsed());
    if paid.status() != InvoiceStatus::Paid {
        let log = d.log_text();
        let nwc: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("nwc") || l.contains("NWC"))
            .collect();
        eprintln!(
            "--- lnpayd log (NWC lines, last 40)\n{}",
            nwc[nwc.len().saturating_sub(40)..].join("\n")
        );
        eprintln!("--- wallet service log\n{}", w.log());
    }
    assert_eq!(paid.status(), InvoiceStatus::Paid, "{paid:?}");
    assert_eq!(settled_via(&d, &inv.id).await, "settled via reconcile");

    // Exactly one event: later reconciles and hints change nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut events = d
        .invoices()
        .await
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: before,
            invoice_id: inv.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut paid_events = 0;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(2), events.next()).await {
        if ev.unwrap().r#type() == EventType::InvoicePaid {
            paid_events += 1;
        }
    }
    assert_eq!(paid_events, 1);
    assert_no_secret(&d, &w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_notifications_change_nothing() {
    let net = network();
    let relay = blocking(Relay::start);
    let w = blocking(|| WalletService::start(net, &[relay.url()], Offers::Both));
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_env(dir.path(), &nwc_env("LNPAYD_NWC__URI", &w.uri()));
    wait_ready(&d).await;
    let inv = d.create(1200, "not paid").await;
    let before = d.last_sequence().await;
    let us = w.client.public_key();

    // Signed by another key: not even delivered (lnpayd subscribes to the
    // wallet's events only, and checks author and signature again).
    let stranger = nostr::Keys::generate();
    forge::publish(
        &relay.url(),
        forge::notification(&stranger, &us, &inv.payment_hash),
    )
    .await;
    // Signed by the wallet (a replay, or a lying wallet) for an unpaid invoice:
    // the lookup says pending.
    forge::publish(
        &relay.url(),
        forge::notification(&w.wallet, &us, &inv.payment_hash),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = d.log_text();
        if log.contains("does not report paid") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the forged notifications were not handled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        d.get_invoice(&inv.id).await.status(),
        InvoiceStatus::Pending
    );
    assert_eq!(
        d.last_sequence().await,
        before,
        "no event from a forged notification"
    );

    // The watcher still works: a real payment settles.
    bob_pays(net, &inv.payment_request);
    let paid = d.wait_invoice(&inv.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_no_secret(&d, &w);
}
