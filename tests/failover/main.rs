//! Failover between LND and DazNode, end to end, one test per scenario: the
//! real lnpayd binary with both providers, LND = alice on a real regtest
//! network (reached through a proxy that can be cut), DazNode = the merchant
//! wallet of a real LNbits 1.6.2 (also behind a proxy). One network and one
//! LNbits serve every scenario, each with an lnpayd and proxies of its own;
//! the scenarios that stop alice take the network for themselves.
//!
//! 1. both up: LND serves, GetStatus healthy;
//! 2. alice stopped: DazNode serves; a payment from the LNbits payer wallet
//!    arrives as a PAID event (websocket path) and through WaitInvoice;
//! 7. a forged websocket message marks nothing paid;
//! 3. the websocket cut while a payment happens: reconciled on reconnect;
//! 4. alice back: new invoices go to LND again after the breaker's probe, and
//!    a DazNode invoice created during the outage still settles;
//! 6. the circuit states GetStatus showed along the way (with 4);
//! 5. a second lnpayd whose LND hangs (accepts, never answers): the attempts
//!    time out and DazNode serves within the bound the config sets;
//! 8. both providers down: UNAVAILABLE / PROVIDERS_UNAVAILABLE naming each
//!    provider's error, nothing stored;
//! 10. GetProviderMetrics;
//! 9. no token, macaroon or LNbits key in the trace-level log: checked at
//!    the end of every scenario, on each lnpayd it ran.
//!
//! In 7 and 3 DazNode serves because the scenario's LND proxy is cut, not
//! because alice is stopped, so they run beside the others. Against existing
//! nodes (`external_lnd`), 2 and 4 are ignored: they stop alice.
//!
//! Here: the set-up every scenario shares, and 1. `alice_stopped.rs`: 2, 4
//! and 6; `websocket.rs`: 7 and 3; `outages.rs`: 5, 8 and 10; `secrets.rs`:
//! 9's check; `faults.rs`: the hanging LND and the circuit recorder.

mod alice_stopped;
mod faults;
mod outages;
mod secrets;
mod websocket;

use std::time::{Duration, Instant};

use lnpayd::proto::{self, OverallHealth};

use secrets::assert_no_secret_logged;
use testkit::daemon::{create_req, Daemon};
use testkit::lnbits::LnBits;
use testkit::lnd::{Exclusive, Network};
use testkit::proxy::Proxy;
use testkit::shared::Shared;

/// Started side by side by the first scenario (it takes both at once).
static NET: Shared<Network> = Shared::new(Network::start);
static LNBITS: Shared<LnBits> = Shared::new(LnBits::start);

/// The failover knobs, short so the scenarios run in seconds.
const ATTEMPT_TIMEOUT_MS: u64 = 1500;
const MAX_RETRIES: u64 = 1;
const RETRY_DELAY_MS: u64 = 100;
const HEALTH_CHECK_MS: u64 = 500;
const BREAKER_FAILURES: u64 = 3;
const BREAKER_WINDOW: u64 = 5;
const BREAKER_COOLDOWN_SECS: u64 = 2;

/// lnpayd with LND at `lnd_addr` (alice's certificate and invoice macaroon)
/// first, then DazNode at `daz_url` with the merchant's invoice key.
fn lnpayd_env(lnd_addr: &str, net: &Network, daz_url: &str, key: &str) -> Vec<(String, String)> {
    let s = |k: &str, v: String| (k.to_string(), v);
    vec![
        s("LNPAYD_LOG__LEVEL", "trace".into()),
        s("LNPAYD_LND__ADDRESS", lnd_addr.into()),
        s(
            "LNPAYD_LND__TLS_CERT",
            net.alice.tls_cert().display().to_string(),
        ),
        s(
            "LNPAYD_LND__MACAROON",
            net.alice.macaroon("invoice").display().to_string(),
        ),
        s("LNPAYD_LND__NETWORK", "regtest".into()),
        s("LNPAYD_LND__TIMEOUT_SECS", "5".into()),
        s("LNPAYD_LND__RECONNECT_MAX_SECS", "2".into()),
        s("LNPAYD_DAZNODE__URL", daz_url.into()),
        s("LNPAYD_DAZNODE__API_KEY", key.into()),
        s("LNPAYD_DAZNODE__NETWORK", "bitcoin".into()),
        s("LNPAYD_DAZNODE__TIMEOUT_SECS", "5".into()),
        s("LNPAYD_DAZNODE__RECONNECT_MAX_SECS", "2".into()),
        s(
            "LNPAYD_FAILOVER__ATTEMPT_TIMEOUT_MS",
            ATTEMPT_TIMEOUT_MS.to_string(),
        ),
        s("LNPAYD_FAILOVER__MAX_RETRIES", MAX_RETRIES.to_string()),
        s(
            "LNPAYD_FAILOVER__RETRY_DELAY_MS",
            RETRY_DELAY_MS.to_string(),
        ),
        s(
            "LNPAYD_FAILOVER__HEALTH_CHECK_INTERVAL_MS",
            HEALTH_CHECK_MS.to_string(),
        ),
        s(
            "LNPAYD_FAILOVER__BREAKER_FAILURES",
            BREAKER_FAILURES.to_string(),
        ),
        s(
            "LNPAYD_FAILOVER__BREAKER_WINDOW",
            BREAKER_WINDOW.to_string(),
        ),
        s(
            "LNPAYD_FAILOVER__BREAKER_COOLDOWN_SECS",
            BREAKER_COOLDOWN_SECS.to_string(),
        ),
    ]
}

async fn status(d: &Daemon) -> proto::GetStatusResponse {
    d.admin()
        .await
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn provider<'a>(s: &'a proto::GetStatusResponse, name: &str) -> &'a proto::ProviderStatus {
    s.providers
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not in GetStatus: {s:?}"))
}

async fn wait_for(
    d: &Daemon,
    what: &str,
    timeout: Duration,
    f: impl Fn(&proto::GetStatusResponse) -> bool,
) -> proto::GetStatusResponse {
    let deadline = Instant::now() + timeout;
    loop {
        let s = status(d).await;
        if f(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "never {what} within {timeout:?}: {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create(d: &Daemon, sat: u64, description: &str) -> Result<proto::Invoice, tonic::Status> {
    d.invoices()
        .await
        .create_invoice(create_req(sat, description))
        .await
        .map(tonic::Response::into_inner)
}

/// Waits for a line of lnpayd's log that contains every one of `parts`.
async fn wait_log_line(d: &Daemon, what: &str, parts: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if d.log_text()
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no log line for {what}: {parts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn metrics(d: &Daemon, name: &str) -> proto::ProviderMetrics {
    d.admin()
        .await
        .get_provider_metrics(proto::GetProviderMetricsRequest { window_seconds: 0 })
        .await
        .unwrap()
        .into_inner()
        .providers
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not in GetProviderMetrics"))
}

/// What one provider's create may take at most: every attempt up to its
/// timeout, and the retry delays between them (each at most
/// `retry_delay_ms × 2^retry`).
fn provider_bound() -> Duration {
    let delays: u64 = (0..MAX_RETRIES).map(|r| RETRY_DELAY_MS << r).sum();
    Duration::from_millis((MAX_RETRIES + 1) * ATTEMPT_TIMEOUT_MS + delays)
}

/// The network and LNbits, shared with the other scenarios.
async fn providers() -> (
    tokio::sync::RwLockReadGuard<'static, Network>,
    tokio::sync::RwLockReadGuard<'static, LnBits>,
) {
    tokio::join!(NET.read(), LNBITS.read())
}

/// The network for this scenario alone (it stops alice), and LNbits.
async fn providers_stopping_alice() -> (Exclusive, tokio::sync::RwLockReadGuard<'static, LnBits>) {
    tokio::join!(Exclusive::of(&NET), LNBITS.read())
}

/// One scenario's lnpayd with both providers, each behind a proxy of its own.
struct Lnpayd {
    d: Daemon,
    lnd_proxy: Proxy,
    lnb_proxy: Proxy,
    _dir: tempfile::TempDir,
}

impl Lnpayd {
    fn start(net: &Network, lnb: &LnBits) -> Lnpayd {
        let lnd_proxy = Proxy::start(net.alice.rpc_addr());
        let lnb_proxy = Proxy::start(lnb.host_port());
        let dir = tempfile::tempdir().unwrap();
        let env = lnpayd_env(
            &lnd_proxy.addr(),
            net,
            &format!("http://{}", lnb_proxy.addr()),
            &lnb.merchant.inkey,
        );
        let d = Daemon::start_env(dir.path(), &env);
        Lnpayd {
            d,
            lnd_proxy,
            lnb_proxy,
            _dir: dir,
        }
    }

    /// Both providers online, circuits closed, streams connected.
    async fn both_up(&self) -> proto::GetStatusResponse {
        wait_for(
            &self.d,
            "both providers online with closed circuits and connected streams",
            Duration::from_secs(60),
            |s| {
                ["lnd", "daznode"].iter().all(|n| {
                    let p = provider(s, n);
                    p.online && p.circuit == "closed" && p.connection == "connected"
                })
            },
        )
        .await
    }

    /// LND cut off from the start (its proxy refuses every connection), so
    /// DazNode serves; returns once DazNode's websocket is connected.
    async fn daznode_serving(net: &Network, lnb: &LnBits) -> Lnpayd {
        let l = Lnpayd::start(net, lnb);
        l.lnd_proxy.cut();
        wait_for(
            &l.d,
            "DazNode connected and online",
            Duration::from_secs(30),
            |s| {
                let p = provider(s, "daznode");
                p.online && p.connection == "connected"
            },
        )
        .await;
        l
    }

    /// 9: stops lnpayd; no secret reached its trace-level log.
    fn finish(mut self, net: &Network, lnb: &LnBits) {
        assert_no_secret_logged("lnpayd", &mut self.d, net, lnb);
    }
}

/// 1. Both up: LND serves, GetStatus healthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_up_lnd_serves() {
    let (net, lnb) = providers().await;
    let l = Lnpayd::start(&net, &lnb);
    let d = &l.d;

    let s = l.both_up().await;
    let names: Vec<&str> = s.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["lnd", "daznode"], "priority order");
    assert_eq!(s.health(), OverallHealth::Healthy);
    assert_eq!(s.serving_provider, "lnd");
    assert!(!s.dev_mode);
    let inv = create(d, 1100, "both up").await.unwrap();
    assert_eq!(inv.provider, "lnd");
    assert!(
        inv.payment_request.starts_with("lnbcrt11u1"),
        "{}",
        inv.payment_request
    );

    l.finish(&net, &lnb);
}
