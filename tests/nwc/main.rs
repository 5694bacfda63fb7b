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
//!
//! Here: the set-up every scenario shares. `payments.rs`: the first three
//! (paid through the notification, through the reconcile, forged
//! notifications); `connections.rs`: NIP-04, every relay, failover.

mod connections;
mod forge;
mod latency;
mod payments;
mod relay;
mod wallet;

use testkit::daemon as harness;
use testkit::lnbits;
use testkit::lnd as network;
use testkit::proxy;

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType};
use tokio_stream::StreamExt;

use harness::{blocking, Daemon};
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
