//! What lnpayd connects through: a wallet offering only NIP-04, every relay
//! in the URI, and NWC behind LND and DazNode (failover and back).

use std::time::{Duration, Instant};

use lnpayd::proto::InvoiceStatus;

use super::harness::{blocking, Daemon};
use super::relay::Relay;
use super::wallet::{Offers, WalletService};
use super::{
    assert_no_secret, bob_pays, events_after, lnbits, network, nwc_env, paid_event, proxy,
    settled_via, wait_ready, wait_status,
};

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
