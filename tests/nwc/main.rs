//! NWC (NIP-47) end to end: the real lnpayd binary, a real relay
//! (nostr-rs-relay), a real wallet service (Alby's NWCWalletService, backed
//! by alice's LND on the regtest network) and bob paying over the real
//! channel. One regtest network serves every scenario; each scenario has its
//! own relay, wallet service (own keys) and lnpayd, so they run in parallel:
//!
//! - create through NWC only, bob pays, PAID through the notification path;
//! - the relay stopped while bob pays, restarted: PAID through the
//!   reconcile, exactly one event;
//! - forged `payment_received` notifications (another key; the wallet's key
//!   for an unpaid invoice) change nothing;
//! - a wallet that offers only NIP-04 works (configured by `NWC_URL`);
//! - every relay in the URI is used: one down, the other serves;
//! - failover: LND and DazNode down, NWC serves; they come back, new invoices
//!   return to LND while the NWC invoice still settles;
//! - in every scenario, the URI's secret never appears in the trace-level log.

mod forge;
mod latency;
mod relay;
mod wallet;

use testkit::daemon as harness;
use testkit::lnbits;
use testkit::lnd as network;
use testkit::proxy;

use std::str::FromStr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use harness::{blocking, step, Daemon};
use network::Network;
use relay::Relay;
use wallet::{Offers, WalletService};

static NETWORK: AtomicPtr<Network> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn stop_network() {
    let p = NETWORK.swap(std::ptr::null_mut(), Ordering::SeqCst);
    if !p.is_null() {
        // SAFETY: leaked once in `network()`; the tests have ended.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// The regtest network every scenario shares. Started on a thread that
/// lives as long as the process (its children get SIGKILL when the thread
/// that started them ends), and stopped, its directory removed, at exit.
fn network() -> &'static Network {
    static NET: OnceLock<&'static Network> = OnceLock::new();
    blocking(|| {
        *NET.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let net = Box::into_raw(Box::new(Network::start()));
                NETWORK.store(net, Ordering::SeqCst);
                // SAFETY: registered once; runs after the harness is done.
                unsafe { nix::libc::atexit(stop_network) };
                tx.send(unsafe { &*net }).unwrap();
                loop {
                    std::thread::park();
                }
            });
            rx.recv().expect("the regtest network started")
        })
    })
}

fn nwc_env(uri_var: &str, uri: &str) -> Vec<(String, String)> {
    let s = |k: &str, v: &str| (k.to_string(), v.to_string());
    vec![
        s("LNPAYD_LOG__LEVEL", "trace"),
        s(uri_var, uri),
        s("LNPAYD_NWC__NETWORK", "regtest"),
        s("LNPAYD_NWC__TIMEOUT_SECS", "5"),
        s("LNPAYD_NWC__RECONNECT_MAX_SECS", "2"),
        s("LNPAYD_FAILOVER__HEALTH_CHECK_INTERVAL_MS", "500"),
        s("LNPAYD_FAILOVER__ATTEMPT_TIMEOUT_MS", "8000"),
        s("LNPAYD_INVOICES__MIN_EXPIRY_SECS", "1"),
    ]
}

async fn wait_status(
    d: &Daemon,
    name: &str,
    what: &str,
    secs: u64,
    f: impl Fn(&proto::ProviderStatus) -> bool,
) -> proto::ProviderStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let s = d.provider_status(name).await;
        if f(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{name} never {what}: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_ready(d: &Daemon) -> proto::ProviderStatus {
    wait_status(d, "nwc", "connected and online", 60, |s| {
        s.connection == "connected" && s.online
    })
    .await
}

/// The payment's InvoicePaid event, read from a stream opened before it.
async fn paid_event(
    events: &mut tonic::Streaming<proto::Event>,
    invoice_id: &str,
    secs: u64,
) -> proto::Event {
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            let ev = events.next().await.expect("stream open").unwrap();
            if ev.r#type() == EventType::InvoicePaid
                && ev.invoice.as_ref().is_some_and(|i| i.id == invoice_id)
            {
                return ev;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no InvoicePaid for {invoice_id} within {secs} s"))
}

async fn events_after(d: &Daemon, after: u64) -> tonic::Streaming<proto::Event> {
    d.invoices()
        .await
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: after,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// How the audit log says the invoice was settled ("settled via stream").
async fn settled_via(d: &Daemon, invoice_id: &str) -> String {
    d.audit_of(invoice_id)
        .await
        .into_iter()
        .find(|e| e.action == "paid")
        .map(|e| e.outcome)
        .unwrap_or_default()
}

fn bob_pays(net: &Network, bolt11: &str) {
    blocking(|| net.bob_pays(bolt11)).unwrap_or_else(|e| panic!("bob could not pay: {e}"));
}

/// The URI's secret, in any case, and the URI itself: none in the log.
fn assert_no_secret(d: &Daemon, w: &WalletService) {
    let log = d.log_text();
    assert!(log.contains("TRACE"), "the log is not at trace level");
    let secret = w.client.secret_key().to_secret_hex();
    for s in [secret.clone(), secret.to_ascii_uppercase(), w.uri()] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(&s)).take(2).collect();
        assert!(hits.is_empty(), "the NWC secret is in the log: {hits:?}");
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wallet_offering_only_nip04() {
    let net = network();
    let relay = blocking(Relay::start);
    let w = blocking(|| WalletService::start(net, &[relay.url()], Offers::Nip04Only));
    let dir = tempfile::tempdir().unwrap();
    // The previous deployment's variable.
    let d = Daemon::start_env(dir.path(), &nwc_env("NWC_URL", &w.uri()));
    let s = wait_ready(&d).await;
    assert_eq!(
        s.details.get("encryption").map(String::as_str),
        Some("nip04"),
        "{s:?}"
    );
    let inv = d.create(900, "NIP-04 only").await;
    assert_eq!(inv.provider, "nwc");
    let mut events = events_after(&d, d.last_sequence().await).await;
    bob_pays(net, &inv.payment_request);
    paid_event(&mut events, &inv.id, 30).await;
    assert_eq!(settled_via(&d, &inv.id).await, "settled via stream");
    assert_no_secret(&d, &w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_to_nwc_and_back() {
    let net = network();
    let lnb = blocking(lnbits::LnBits::start);
    let relay = blocking(Relay::start);
    let w = blocking(|| WalletService::start(net, &[relay.url()], Offers::Both));
    let lnd_proxy = proxy::Proxy::start(net.alice.rpc_addr());
    let daz_proxy = proxy::Proxy::start(lnb.host_port());
    let dir = tempfile::tempdir().unwrap();
    let mut env = nwc_env("LNPAYD_NWC__URI", &w.uri());
    let s = |k: &str, v: String| (k.to_string(), v);
    env.extend([
        s(
            "LNPAYD_LND__ADDRESS",
            format!("127.0.0.1:{}", lnd_proxy.port),
        ),
        s(
            "LNPAYD_LND__TLS_CERT",
            net.alice.tls_cert().display().to_string(),
        ),
        s(
            "LNPAYD_LND__MACAROON",
            net.alice.macaroon("invoice").display().to_string(),
        ),
        s("LNPAYD_LND__NETWORK", "regtest".into()),
        s("LNPAYD_LND__TIMEOUT_SECS", "2".into()),
        s("LNPAYD_LND__RECONNECT_MAX_SECS", "2".into()),
        s(
            "LNPAYD_DAZNODE__URL",
            format!("http://127.0.0.1:{}", daz_proxy.port),
        ),
        s("LNPAYD_DAZNODE__API_KEY", lnb.merchant.inkey.clone()),
        s("LNPAYD_DAZNODE__NETWORK", "bitcoin".into()),
        s("LNPAYD_DAZNODE__TIMEOUT_SECS", "2".into()),
        s("LNPAYD_DAZNODE__RECONNECT_MAX_SECS", "2".into()),
        s("LNPAYD_FAILOVER__ATTEMPT_TIMEOUT_MS", "2000".into()),
        s("LNPAYD_FAILOVER__BREAKER_COOLDOWN_SECS", "2".into()),
    ]);
    let d = Daemon::start_env(dir.path(), &env);
    wait_ready(&d).await;
    for p in ["lnd", "daznode"] {
        wait_status(&d, p, "online", 60, |s| s.online).await;
    }
    assert_eq!(d.create(100, "all up").await.provider, "lnd");

    lnd_proxy.cut();
    daz_proxy.cut();
    let t = Instant::now();
    let during = d.create(1300, "LND and DazNode down").await;
    eprintln!("create with LND and DazNode down: {:?}", t.elapsed());
    assert_eq!(during.provider, "nwc");

    lnd_proxy.restore();
    daz_proxy.restore();
    wait_status(&d, "lnd", "back", 60, |s| s.online && s.circuit == "closed").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let inv = d.create(100, "LND back").await;
        if inv.provider == "lnd" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "new invoices never returned to LND: {inv:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The invoice NWC issued during the outage is still NWC's, and settles.
    bob_pays(net, &during.payment_request);
    let paid = d.wait_invoice(&during.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.provider, "nwc");
    assert_no_secret(&d, &w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_relay_in_the_uri_is_used() {
    let net = network();
    let mut first = blocking(Relay::start);
    let second = blocking(Relay::start);
    let w = blocking(|| WalletService::start(net, &[first.url(), second.url()], Offers::Both));
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_env(dir.path(), &nwc_env("LNPAYD_NWC__URI", &w.uri()));
    let s = wait_ready(&d).await;
    let relays = s.details.get("relays").cloned().unwrap_or_default();
    for r in [&first, &second] {
        assert!(relays.contains(&format!("{} connected", r.url())), "{s:?}");
    }
    // One relay gone: the other carries requests and notifications.
    blocking(|| first.stop());
    let s = wait_status(&d, "nwc", "first relay down", 30, |s| {
        s.details
            .get("relays")
            .is_some_and(|r| r.contains(&format!("{} disconnected", first.url())))
    })
    .await;
    assert_eq!(s.connection, "connected", "{s:?}");
    let inv = d.create(800, "through the second relay").await;
    assert_eq!(inv.provider, "nwc");
    let mut events = events_after(&d, d.last_sequence().await).await;
    bob_pays(net, &inv.payment_request);
    paid_event(&mut events, &inv.id, 30).await;
    assert_eq!(settled_via(&d, &inv.id).await, "settled via stream");
    assert_no_secret(&d, &w);
}
