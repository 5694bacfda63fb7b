//! An invoice's life on alice: paid by bob (event and WaitInvoice), an
//! idempotent retry, private route hints, canceled, expired.

use std::time::Duration;

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use super::{wait_stream, Lnpayd, NET};
use testkit::daemon::{blocking, create_req, Daemon};
use testkit::lnd::{Exclusive, Network};

fn route_hints(bolt11: &str) -> Vec<lightning_invoice::RouteHint> {
    bolt11
        .parse::<lightning_invoice::Bolt11Invoice>()
        .unwrap_or_else(|e| panic!("{bolt11}: {e}"))
        .route_hints()
}

/// Create, bob pays, PAID event and WaitInvoice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_by_bob_event_and_wait_invoice() {
    let net = NET.read().await;
    let l = Lnpayd::start(&net).await;
    paid_by_bob(&l.d, &net).await;
}

/// The same on one thread (`worker_threads = 1`, tokio's current-thread
/// scheduler): the intent's paced fsync, the LND call, the stream and the
/// waiters all share it, and none may block it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_one_thread_paid_by_bob_event_and_wait_invoice() {
    let net = NET.read().await;
    let l = Lnpayd::start_with(&net, &[("LNPAYD_WORKER_THREADS", "1")]).await;
    let log = l.d.log_text();
    assert!(log.contains("current-thread scheduler"), "{log}");
    paid_by_bob(&l.d, &net).await;
}

async fn paid_by_bob(d: &Daemon, net: &Network) {
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
        .create_invoice(create_req(2100, "regtest coffee"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.provider, "lnd");
    assert!(
        created.payment_request.starts_with("lnbcrt21u1"),
        "{}",
        created.payment_request
    );
    assert_eq!(
        blocking(|| net.alice_invoice(&created.payment_hash))["state"],
        "OPEN"
    );
    let ev = events.next().await.unwrap().unwrap();
    assert_eq!(ev.r#type(), EventType::InvoiceCreated);

    let waiter = d.spawn_wait(&created.id, 60).await;
    blocking(|| net.bob_pays(&created.payment_request)).unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(30), events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(ev.r#type(), EventType::InvoicePaid);
    assert_eq!(ev.invoice.as_ref().unwrap().id, created.id);
    let paid = waiter.await.unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 2_100_000);
    assert!(!paid.paid_late);
}

/// An idempotent retry creates one LND invoice. Exclusive: it counts alice's
/// invoices, which other scenarios add to.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotent_retry_creates_one_lnd_invoice() {
    let net = Exclusive::of(&NET).await;
    let l = Lnpayd::start(&net).await;
    let d = &l.d;

    let before = blocking(|| net.alice_invoice_count());
    let mut inv = d.invoices().await;
    let mut req = create_req(10, "once");
    req.idempotency_key = "lnd-once".into();
    let a = inv.create_invoice(req.clone()).await.unwrap().into_inner();
    let b = inv.create_invoice(req).await.unwrap().into_inner();
    assert_eq!(a.id, b.id);
    assert_eq!(blocking(|| net.alice_invoice_count()), before + 1);
}

/// lnd.private_route_hints: alice's private channel is in the invoice, and it
/// pays.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    external_lnd,
    ignore = "needs the harness' own private channel bob -> alice"
)]
async fn private_route_hints() {
    let net = NET.read().await;
    let Lnpayd {
        d,
        env,
        dir: _dir,
        proxy: _proxy,
    } = Lnpayd::start(&net).await;

    let private =
        blocking(|| net.lncli("alice", "admin", &["listchannels", "--private_only"])).unwrap();
    // lnd 0.21's chan_id is the channel id; scid is the short one.
    let scid: u64 = private["channels"][0]["scid"]
        .as_str()
        .expect("the harness opens a private channel bob -> alice")
        .parse()
        .unwrap();
    // LND hints a private channel once it knows the peer's policy for it.
    blocking(|| net.wait_private_hints());
    let bob = blocking(|| net.pubkey("bob"));

    let hinted_dir = tempfile::tempdir().unwrap();
    let mut hinted_env = env.clone();
    hinted_env.push(("LNPAYD_LND__PRIVATE_ROUTE_HINTS".into(), "true".into()));
    let hinted = Daemon::start_env(hinted_dir.path(), &hinted_env);
    wait_stream(&hinted, "connected").await;
    let with = hinted.create(1200, "with hints").await;
    let without = d.create(1200, "without hints").await;
    assert!(route_hints(&without.payment_request).is_empty());
    let hints = route_hints(&with.payment_request);
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!(hints[0].0.len(), 1, "{hints:?}");
    assert_eq!(hints[0].0[0].src_node_id.to_string(), bob);
    assert_eq!(hints[0].0[0].short_channel_id, scid);

    blocking(|| net.bob_pays(&with.payment_request)).unwrap();
    let paid = hinted.wait_invoice(&with.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 1_200_000);
}

/// Cancel: bob's payment fails and the invoice is CANCELED.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_fails_bobs_payment() {
    let net = NET.read().await;
    let l = Lnpayd::start(&net).await;
    let d = &l.d;

    let mut inv = d.invoices().await;
    let created = inv
        .create_invoice(create_req(600, "cancel me"))
        .await
        .unwrap()
        .into_inner();
    let canceled = inv
        .cancel_invoice(proto::CancelInvoiceRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(canceled.status(), InvoiceStatus::Canceled);
    assert_eq!(
        blocking(|| net.alice_invoice(&created.payment_hash))["state"],
        "CANCELED"
    );
    assert!(blocking(|| net.bob_pays(&created.payment_request)).is_err());
    assert_eq!(
        d.get_invoice(&created.id).await.status(),
        InvoiceStatus::Canceled
    );
}

/// An expired invoice cannot be paid and is EXPIRED.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_invoice_cannot_be_paid() {
    let net = NET.read().await;
    let l = Lnpayd::start(&net).await;
    let d = &l.d;

    let mut req = create_req(700, "too late");
    req.expiry_seconds = 2;
    let created = d
        .invoices()
        .await
        .create_invoice(req)
        .await
        .unwrap()
        .into_inner();
    let expired = d.wait_invoice(&created.id, 30).await;
    assert_eq!(expired.status(), InvoiceStatus::Expired);
    assert!(blocking(|| net.bob_pays(&created.payment_request)).is_err());
    assert_eq!(
        d.get_invoice(&created.id).await.status(),
        InvoiceStatus::Expired
    );
}
