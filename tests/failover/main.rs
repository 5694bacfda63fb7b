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

mod faults;

use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, InvoiceStatus, OverallHealth};
use tokio_stream::StreamExt;
use tonic_types::StatusExt;

use faults::{CircuitLog, Hang};
use testkit::daemon::{blocking, create_req, reason, Daemon};
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

/// The secrets lnpayd handles, by name; none may reach its log.
fn secrets(d: &Daemon, net: &Network, lnb: &LnBits) -> Vec<(&'static str, String)> {
    let macaroon = std::fs::read(net.alice.macaroon("invoice")).unwrap();
    vec![
        ("the admin token", d.token("admin")),
        ("the invoice token", d.token("invoice")),
        ("alice's invoice macaroon (hex)", hex::encode(&macaroon)),
        (
            "alice's invoice macaroon (HEX)",
            hex::encode_upper(&macaroon),
        ),
        ("the merchant's invoice key", lnb.merchant.inkey.clone()),
        ("the merchant's admin key", lnb.merchant.adminkey.clone()),
        ("the payer's invoice key", lnb.payer.inkey.clone()),
        ("the payer's admin key", lnb.payer.adminkey.clone()),
    ]
}

/// Each secret found in a log: what it is, how often, from which tracing targets.
fn leaks(which: &str, log: &str, secrets: &[(&str, String)]) -> Vec<String> {
    assert!(
        log.contains("TRACE"),
        "{which}: the log is not at trace level"
    );
    let mut leaks = Vec::new();
    for (what, secret) in secrets {
        assert!(!secret.is_empty(), "{what} is empty");
        let lines: Vec<String> = log
            .lines()
            .filter(|l| l.contains(secret.as_str()))
            .map(strip_ansi)
            .collect();
        if let Some(first) = lines.first() {
            let mut targets: Vec<&str> = lines.iter().filter_map(|l| target_of(l)).collect();
            targets.sort_unstable();
            targets.dedup();
            let shown: String = first.chars().take(300).collect();
            leaks.push(format!(
                "{which}: {what}: {} line(s), from {targets:?}; first: {shown}",
                lines.len()
            ));
        }
    }
    leaks
}

/// A log line without its colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The tracing target of a human-format line: `<time> <LEVEL> <target>: …`.
fn target_of(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    words.next()?;
    words.next()?;
    words.next()?.strip_suffix(':')
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

/// 9. No secret in lnpayd's trace-level log: stops `d` and reads it.
fn assert_no_secret_logged(which: &str, d: &mut Daemon, net: &Network, lnb: &LnBits) {
    let secrets = secrets(d, net, lnb);
    assert!(d.terminate().success());
    let log = d.log_text();
    eprintln!("{which} log: {} bytes", log.len());
    let found = leaks(which, &log, &secrets);
    assert!(
        found.is_empty(),
        "secrets in lnpayd's log:\n{}",
        found.join("\n")
    );
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

/// 2. LND stopped: DazNode serves; paid from the payer wallet → PAID event
/// and WaitInvoice. Alice runs again when the scenario ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(external_lnd, ignore = "stops alice: needs a local lnd")]
async fn lnd_stopped_daznode_serves_paid_through_websocket() {
    let (mut net, lnb) = providers_stopping_alice().await;
    let l = Lnpayd::start(&net, &lnb);
    let d = &l.d;
    l.both_up().await;

    blocking(|| net.stop_alice());
    // Right away, maybe before the circuit opened: LND fails, DazNode serves.
    let t = Instant::now();
    let first = create(d, 2200, "LND just went down").await.unwrap();
    eprintln!(
        "create right after alice stopped: {:?} by {}",
        t.elapsed(),
        first.provider
    );
    assert_eq!(first.provider, "daznode");
    assert!(
        first.payment_request.starts_with("lnbc22u1"),
        "{}",
        first.payment_request
    );
    let s = wait_for(d, "lnd's circuit open", Duration::from_secs(30), |s| {
        provider(s, "lnd").circuit == "open"
    })
    .await;
    let lnd = provider(&s, "lnd");
    assert!(!lnd.online, "{lnd:?}");
    assert!(!lnd.last_error.is_empty(), "{lnd:?}");
    eprintln!("lnd while down: last_error {:?}", lnd.last_error);
    assert_eq!(s.serving_provider, "daznode");
    assert_eq!(s.health(), OverallHealth::Degraded);

    let mut client = d.invoices().await;
    let mut events = client
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: s.last_event_sequence,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let t = Instant::now();
    let inv = create(d, 777, "paid through the websocket").await.unwrap();
    eprintln!("create with lnd's circuit open: {:?}", t.elapsed());
    assert_eq!(inv.provider, "daznode");
    let ev = events.next().await.unwrap().unwrap();
    assert_eq!(ev.r#type(), EventType::InvoiceCreated);
    assert_eq!(ev.invoice.as_ref().unwrap().id, inv.id);
    let waiter = d.spawn_wait(&inv.id, 30).await;
    let t = Instant::now();
    lnb.pay(&inv.payment_request).await;
    let ev = tokio::time::timeout(Duration::from_secs(15), events.next())
        .await
        .expect("a PAID event within 15 s")
        .unwrap()
        .unwrap();
    eprintln!("LNbits payment → PAID event: {:?}", t.elapsed());
    assert_eq!(ev.r#type(), EventType::InvoicePaid);
    assert_eq!(ev.invoice.as_ref().unwrap().id, inv.id);
    let paid = waiter.await.unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 777_000);
    assert_eq!(paid.provider, "daznode");
    wait_log_line(
        d,
        "settled through the websocket",
        &["invoice paid", &inv.id, "Stream"],
    )
    .await;

    l.finish(&net, &lnb);
}

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

/// 4. LND back: new invoices go to LND again; the outage's DazNode invoice
/// settles. 6. The circuit breaker's transitions GetStatus showed on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(external_lnd, ignore = "stops and restarts alice: needs a local lnd")]
async fn lnd_back_serves_again_outage_invoice_settles() {
    let (mut net, lnb) = providers_stopping_alice().await;
    let l = Lnpayd::start(&net, &lnb);
    let d = &l.d;
    l.both_up().await;
    let circuits = CircuitLog::start(d.admin().await, Duration::from_millis(25));

    // The outage: alice stops, DazNode takes an invoice.
    blocking(|| net.stop_alice());
    wait_for(d, "lnd's circuit open", Duration::from_secs(30), |s| {
        provider(s, "lnd").circuit == "open"
    })
    .await;
    let outage = create(d, 3300, "created while LND is down").await.unwrap();
    assert_eq!(outage.provider, "daznode");

    let t = Instant::now();
    blocking(|| net.start_alice());
    eprintln!("alice back and payable in {:?}", t.elapsed());
    let t = Instant::now();
    let s = wait_for(
        d,
        "lnd online with a closed circuit, serving",
        Duration::from_secs(60),
        |s| {
            let l = provider(s, "lnd");
            l.online && l.circuit == "closed" && s.serving_provider == "lnd"
        },
    )
    .await;
    eprintln!(
        "alice payable → lnpayd serving lnd again: {:?}",
        t.elapsed()
    );
    assert_eq!(s.health(), OverallHealth::Healthy);
    let inv = create(d, 4400, "LND is back").await.unwrap();
    assert_eq!(inv.provider, "lnd");
    blocking(|| net.bob_pays(&inv.payment_request)).unwrap();
    let paid = d.wait_invoice(&inv.id, 60).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 4_400_000);

    assert_eq!(
        d.get_invoice(&outage.id).await.status(),
        InvoiceStatus::Pending
    );
    lnb.pay(&outage.payment_request).await;
    let paid = d.wait_invoice(&outage.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.provider, "daznode");
    assert_eq!(paid.amount_received_msat, 3_300_000);

    // 6. The breaker's moves, as GetStatus showed them.
    let lnd_states = circuits.states("lnd");
    let lnd_sequence = circuits.describe("lnd");
    let daz_sequence = circuits.describe("daznode");
    circuits.stop().await;
    eprintln!("lnd circuit: {lnd_sequence}");
    eprintln!("daznode circuit: {daz_sequence}");
    assert_eq!(
        lnd_states.first().map(String::as_str),
        Some("closed"),
        "{lnd_sequence}"
    );
    let open = lnd_states
        .iter()
        .position(|c| c == "open")
        .unwrap_or_else(|| panic!("lnd's circuit never open: {lnd_sequence}"));
    assert!(
        lnd_states[open..]
            .iter()
            .any(|c| c == "half_open" || c == "closed"),
        "{lnd_sequence}"
    );
    assert_eq!(
        lnd_states.last().map(String::as_str),
        Some("closed"),
        "{lnd_sequence}"
    );
    // Only the breaker's moves (open → closed when a poll missed half_open).
    for w in lnd_states.windows(2) {
        assert!(
            matches!(
                (w[0].as_str(), w[1].as_str()),
                ("closed", "open")
                    | ("open", "half_open")
                    | ("open", "closed")
                    | ("half_open", "open")
                    | ("half_open", "closed")
            ),
            "{} → {} in {lnd_sequence}",
            w[0],
            w[1]
        );
    }
    let log = d.log_text();
    for state in ["open", "closed"] {
        assert!(
            log.lines()
                .any(|l| l.contains("circuit breaker changed state")
                    && l.contains("lnd")
                    && l.contains(&format!("\"{state}\""))),
            "no log line for lnd's circuit {state}"
        );
    }

    l.finish(&net, &lnb);
}

/// 5. LND hangs: the attempts time out, DazNode serves within the configured
/// bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lnd_hangs_daznode_serves_within_the_bound() {
    let (net, lnb) = providers().await;
    let hang = Hang::start();
    let hang_dir = tempfile::tempdir().unwrap();

    let env = lnpayd_env(&hang.addr(), &net, &lnb.url, &lnb.merchant.inkey);
    let t = Instant::now();
    let mut d2 = Daemon::start_env(hang_dir.path(), &env);
    eprintln!("second lnpayd (LND hanging) ready in {:?}", t.elapsed());
    let hang_circuits = CircuitLog::start(d2.admin().await, Duration::from_millis(25));
    // Both providers' creates at most, and a second for the rest (gRPC, store, checks).
    let bound = provider_bound() * 2 + Duration::from_secs(1);
    let t = Instant::now();
    let inv = create(&d2, 5500, "LND hangs").await.unwrap();
    let took = t.elapsed();
    eprintln!("create with LND hanging: {took:?} (bound {bound:?})");
    assert_eq!(inv.provider, "daznode");
    assert!(took <= bound, "took {took:?}, bound {bound:?}");
    let audit = d2.audit_of(&inv.id).await;
    let lnd_attempts: Vec<_> = audit
        .iter()
        .filter(|e| e.provider == "lnd" && e.action == "create_invoice")
        .collect();
    eprintln!(
        "lnd attempts: {:?}",
        lnd_attempts
            .iter()
            .map(|e| (&e.outcome, e.duration_ms))
            .collect::<Vec<_>>()
    );
    assert!(
        !lnd_attempts.is_empty() && lnd_attempts.len() as u64 <= MAX_RETRIES + 1,
        "{audit:?}"
    );
    for a in &lnd_attempts {
        assert!(a.outcome.contains("timed out"), "{a:?}");
        assert!(
            (ATTEMPT_TIMEOUT_MS - 50..ATTEMPT_TIMEOUT_MS + 1000).contains(&a.duration_ms),
            "{a:?}"
        );
    }
    assert!(
        audit
            .iter()
            .any(|e| e.provider == "daznode" && e.outcome == "ok"),
        "{audit:?}"
    );
    // A hanging probe lasts a whole attempt timeout: half_open shows.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let states = hang_circuits.states("lnd");
        if let Some(open) = states.iter().position(|c| c == "open") {
            if states[open..].iter().any(|c| c == "half_open") {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no half_open seen: {}",
            hang_circuits.describe("lnd")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let l = provider(&status(&d2).await, "lnd").clone();
    assert!(!l.online, "{l:?}");
    assert!(l.last_error.contains("timed out"), "{l:?}");
    let m = metrics(&d2, "lnd").await;
    eprintln!(
        "hanging lnd: errors_by_kind {:?}, uptime {:.1}%",
        m.errors_by_kind, m.uptime_percent
    );
    assert!(m.errors_by_kind.get("timeout").copied().unwrap_or(0) >= 2);
    assert_eq!(m.uptime_percent, 0.0);
    eprintln!(
        "lnd circuit with LND hanging: {}",
        hang_circuits.describe("lnd")
    );
    hang_circuits.stop().await;

    assert_no_secret_logged("lnpayd with LND hanging", &mut d2, &net, &lnb);
    drop(hang);
}

/// 8. Both providers down: UNAVAILABLE, PROVIDERS_UNAVAILABLE, nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_down_unavailable_nothing_stored() {
    let (net, lnb) = providers().await;
    let l = Lnpayd::start(&net, &lnb);
    let (d, lnd_proxy, lnb_proxy) = (&l.d, &l.lnd_proxy, &l.lnb_proxy);
    l.both_up().await;

    let count = d.invoice_count().await;
    let sequence = status(d).await.last_event_sequence;
    lnd_proxy.cut();
    lnb_proxy.cut();
    let check = |err: &tonic::Status, when: &str| {
        assert_eq!(err.code(), tonic::Code::Unavailable, "{when}: {err:?}");
        assert_eq!(reason(err), "PROVIDERS_UNAVAILABLE", "{when}: {err:?}");
        let info = err.get_details_error_info().unwrap();
        assert_eq!(info.domain, "lnpayd");
        for p in ["lnd", "daznode"] {
            let e = info.metadata.get(p).map(String::as_str).unwrap_or_default();
            assert!(
                !e.is_empty(),
                "{when}: no error for {p}: {:?}",
                info.metadata
            );
            assert!(!e.contains(&lnb.merchant.inkey), "{when}: {e}");
        }
        eprintln!("{when}: {:?}", info.metadata);
        info.metadata
    };
    let t = Instant::now();
    let err = create(d, 800, "nobody home").await.unwrap_err();
    eprintln!("both just cut: failed in {:?}", t.elapsed());
    let first = check(&err, "both just cut");
    assert!(
        t.elapsed() <= provider_bound() * 2 + Duration::from_secs(1),
        "{:?}",
        t.elapsed()
    );
    assert!(
        first
            .values()
            .all(|e| e.contains("unavailable") || e.contains("timed out") || e.contains("circuit")),
        "{first:?}"
    );
    let s = wait_for(
        d,
        "both circuits open, health DOWN",
        Duration::from_secs(30),
        |s| s.providers.iter().all(|p| p.circuit == "open") && s.health() == OverallHealth::Down,
    )
    .await;
    assert_eq!(s.serving_provider, "");
    let t = Instant::now();
    let err = create(d, 801, "nobody home, circuits open")
        .await
        .unwrap_err();
    eprintln!("both circuits open: failed in {:?}", t.elapsed());
    check(&err, "both circuits open");
    assert_eq!(d.invoice_count().await, count, "an invoice was stored");
    assert_eq!(
        status(d).await.last_event_sequence,
        sequence,
        "an event was published"
    );
    lnd_proxy.restore();
    lnb_proxy.restore();

    l.finish(&net, &lnb);
}

/// 10. GetProviderMetrics: both providers, LND's errors and uptime, after
/// two invoices on LND, then LND cut off and five on DazNode.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn provider_metrics_both_providers_lnd_errors_and_uptime() {
    let (net, lnb) = providers().await;
    let l = Lnpayd::start(&net, &lnb);
    let d = &l.d;
    l.both_up().await;
    for sat in [1100, 4400] {
        assert_eq!(create(d, sat, "LND up").await.unwrap().provider, "lnd");
    }
    l.lnd_proxy.cut();
    for sat in [2200, 777, 3300, 500, 1234] {
        let inv = create(d, sat, "LND cut off").await.unwrap();
        assert_eq!(inv.provider, "daznode");
    }
    wait_for(d, "lnd's circuit open", Duration::from_secs(30), |s| {
        provider(s, "lnd").circuit == "open"
    })
    .await;
    // A health check or two that find LND down.
    tokio::time::sleep(Duration::from_millis(3 * HEALTH_CHECK_MS)).await;

    let lnd = metrics(d, "lnd").await;
    let daz = metrics(d, "daznode").await;
    eprintln!("lnd metrics: {lnd:?}");
    eprintln!("daznode metrics: {daz:?}");
    assert!(lnd.calls > 0 && daz.calls > 0);
    assert!(lnd.health_checks > 0 && daz.health_checks > 0);
    assert!(
        lnd.errors_by_kind.get("unavailable").copied().unwrap_or(0) > 0,
        "{:?}",
        lnd.errors_by_kind
    );
    assert!(
        lnd.uptime_percent > 0.0 && lnd.uptime_percent < 100.0,
        "{}",
        lnd.uptime_percent
    );
    assert!(lnd.success_rate < 1.0);
    // Two went to LND, five to DazNode.
    assert!(lnd.invoices_last_hour >= 2, "{lnd:?}");
    assert!(daz.invoices_last_hour >= 5, "{daz:?}");

    l.finish(&net, &lnb);
}
