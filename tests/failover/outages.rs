//! LND hanging (5), both providers down (8), and GetProviderMetrics after
//! LND was cut off (10).

use std::time::{Duration, Instant};

use lnpayd::proto::OverallHealth;
use tonic_types::StatusExt;

use super::faults::{CircuitLog, Hang};
use super::secrets::assert_no_secret_logged;
use super::{
    create, lnpayd_env, metrics, provider, provider_bound, providers, status, wait_for, Lnpayd,
    ATTEMPT_TIMEOUT_MS, HEALTH_CHECK_MS, MAX_RETRIES,
};
use testkit::daemon::{reason, Daemon};

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
