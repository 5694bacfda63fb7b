//! lnpayd against real LND on a regtest network (btcd + alice + bob, a real
//! channel, real payments), one test per scenario. One network serves them
//! all (it takes ~30 s to start): a scenario takes it shared, with an lnpayd
//! and a proxy of its own, or exclusive
//! ([`Exclusive`](testkit::lnd::Exclusive)) when it restarts alice
//! or needs her quiet. Against existing nodes (`LNPAYD_TEST_*`, the
//! `external_lnd` cfg) the scenarios that restart alice or need the harness'
//! private channel are ignored.
//!
//! Here: the set-up every scenario shares, and the webhook scenario's test.
//! `invoices.rs`: an invoice's life on alice; `cursors.rs`: lnpayd's cursors
//! against alice's indexes; `outages.rs`: alice away or unreachable; the
//! other modules, one subject each (their own docs).

mod adds;
mod cluster;
mod cursors;
mod ha;
mod intents;
mod invoices;
mod outages;
#[path = "../webhooks/receiver.rs"]
mod receiver;
mod recovery;
mod webhook;

// The webhook scenario's helpers name the harness as the webhooks suite does.
use testkit::daemon as harness;
use testkit::lnd as network;

use std::time::{Duration, Instant};

use testkit::daemon::Daemon;
use testkit::lnd::Network;
use testkit::proxy::Proxy;
use testkit::shared::Shared;

/// sqlite (KV tables) so a scenario can migrate alice's invoices to native
/// SQL, as operators do.
static NET: Shared<Network> = Shared::new(|| Network::start_with(&["--db.backend=sqlite"]));

/// One scenario's lnpayd on alice, through a proxy of its own.
struct Lnpayd {
    d: Daemon,
    proxy: Proxy,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Lnpayd {
    async fn start(net: &Network) -> Lnpayd {
        Self::start_with(net, &[]).await
    }

    /// With `extra` added to (or overriding) the scenarios' environment.
    async fn start_with(net: &Network, extra: &[(&str, &str)]) -> Lnpayd {
        let proxy = Proxy::start(net.alice.rpc_addr());
        let dir = tempfile::tempdir().unwrap();
        let mut env = lnd_env(
            proxy.port,
            &net.alice.macaroon("invoice"),
            &net.alice.tls_cert(),
        );
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let d = Daemon::start_env(dir.path(), &env);
        wait_stream(&d, "connected").await;
        Lnpayd { d, proxy, dir, env }
    }
}

/// lnpayd's environment for alice's node reached through `port`.
fn lnd_env(port: u16, macaroon: &std::path::Path, cert: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("LNPAYD_LND__ADDRESS".into(), format!("127.0.0.1:{port}")),
        ("LNPAYD_LND__TLS_CERT".into(), cert.display().to_string()),
        (
            "LNPAYD_LND__MACAROON".into(),
            macaroon.display().to_string(),
        ),
        ("LNPAYD_LND__NETWORK".into(), "regtest".into()),
        ("LNPAYD_LND__TIMEOUT_SECS".into(), "5".into()),
        ("LNPAYD_LND__RECONNECT_MAX_SECS".into(), "2".into()),
        ("LNPAYD_INVOICES__MIN_EXPIRY_SECS".into(), "1".into()),
        ("LNPAYD_ALERTS__STREAM_DOWN_SECS".into(), "1".into()),
        ("LNPAYD_ALERTS__EVALUATE_INTERVAL_MS".into(), "200".into()),
        // The webhook scenario's receiver is on 127.0.0.1.
        ("LNPAYD_WEBHOOKS__ALLOW_LOOPBACK".into(), "true".into()),
    ]
}

async fn wait_stream(d: &Daemon, want_prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = d.provider_status("lnd").await;
        if s.connection.starts_with(want_prefix) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "stream never became {want_prefix:?}: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A real payment on regtest reaches a webhook receiver, signature verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_payment_reaches_a_webhook_receiver() {
    let net = NET.read().await;
    let l = Lnpayd::start(&net).await;
    webhook::a_real_payment_reaches_a_webhook_receiver(&l.d, &net).await;
}
