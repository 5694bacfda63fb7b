//! The numbers in BENCHMARKS.md ("NWC"): CreateInvoice through NWC (a relay
//! round trip to the wallet service and alice's AddInvoice), and bob's
//! payment to the PAID event (notification path). Ignored by default:
//! `cargo test --release --test nwc latency -- --ignored --nocapture`.
//! `NWC_BENCH_CREATES` (default 100) and `NWC_BENCH_PAYMENTS` (default 30).

use std::time::{Duration, Instant};

use super::*;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    eprintln!(
        "{what}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        samples.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement, not a test: see BENCHMARKS.md"]
async fn latency() {
    let net = network();
    let relay = blocking(Relay::start);
    let w = blocking(|| WalletService::start(net, &[relay.url()], Offers::Both));
    let dir = tempfile::tempdir().unwrap();
    let mut env = nwc_env("LNPAYD_NWC__URI", &w.uri());
    env[0].1 = "info".into();
    let d = Daemon::start_env(dir.path(), &env);
    wait_ready(&d).await;
    let mut client = d.invoices().await;
    // Warm-up: connections, caches.
    for _ in 0..5 {
        client
            .create_invoice(harness::create_req(10, "warm-up"))
            .await
            .unwrap();
    }
    let mut creates = Vec::new();
    let mut invoices = Vec::new();
    for i in 0..knob("NWC_BENCH_CREATES", 100) {
        let t = Instant::now();
        let inv = client
            .create_invoice(harness::create_req(10 + i as u64, "latency"))
            .await
            .unwrap()
            .into_inner();
        creates.push(t.elapsed());
        assert_eq!(inv.provider, "nwc");
        invoices.push(inv);
    }
    let mut events = events_after(&d, d.last_sequence().await).await;
    let mut paid = Vec::new();
    for inv in invoices.iter().take(knob("NWC_BENCH_PAYMENTS", 30)) {
        let t = Instant::now();
        bob_pays(net, &inv.payment_request);
        let paid_at = {
            paid_event(&mut events, &inv.id, 30).await;
            t.elapsed()
        };
        paid.push(paid_at);
    }
    report("CreateInvoice through NWC", creates);
    report("bob's payinvoice start to the PAID event", paid);
}
