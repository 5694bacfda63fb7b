//! lnpayd on a real LND (regtest), against that same LND used directly, in the
//! same run:
//!
//! 1. **CreateInvoice throughput**: lnpayd's CreateInvoice (gRPC, LND
//!    provider, durable writes) against `AddInvoice` called directly on alice's
//!    LND with her `invoice.macaroon`, at the same concurrency, interleaved,
//!    once with every process free to use every CPU and once with LND on CPUs
//!    of its own. At concurrency 1, lnpayd's GetInvoice too: the cost of the
//!    hop alone.
//!    And the same CreateInvoice on a relay (`relay.rs`) that only forwards it
//!    to AddInvoice: the floor of two gRPC hops, without anything lnpayd does.
//! 2. **Settlement latency**: for the same payments (bob pays alice, one at a
//!    time), the instant the PAID event reaches a lnpayd `SubscribeEvents`
//!    subscriber against the instant the SETTLED invoice reaches a client of
//!    alice's own `SubscribeInvoices` stream. Both subscribers live in this
//!    process; added latency = t_lnpayd − t_lnd, per payment, so no payer
//!    timing is involved.
//!
//! ```text
//! cargo bench --bench lnd_provider
//! ```
//!
//! Needs the regtest binaries (`scripts/ensure-regtest.sh`, or
//! `LNPAYD_REGTEST_BIN`). Knobs (environment):
//! - `BENCH_SECONDS` (default 5): measured window per system, level and round.
//! - `BENCH_WARMUP_SECONDS` (default 1): unmeasured warm-up before each window.
//! - `BENCH_LEVELS` (default `1,8,32`): concurrency levels.
//! - `BENCH_ROUNDS` (default 2): rounds over all levels; the order of the two
//!   systems alternates (ABBA), and a level's numbers pool its rounds.
//! - `BENCH_PAYMENTS` (default 200): measured sequential payments.
//! - `BENCH_PAYMENT_WARMUP` (default 5): unrecorded payments first.
//! - `BENCH_MAX_REQUESTS` (default 2000000): cap on requests per window.
//! - `BENCH_LAYOUTS` (default `shared,split`): CPU placements to run the
//!   throughput part in (see `Layout`).
//! - `BENCH_LNPAYD_WORKERS`: lnpayd's `worker_threads` (default: its own);
//!   the relay runs on the scheduler lnpayd picks for it.
//! - `BENCH_LNPAYD_BIN`: the lnpayd binary to run (default: the one cargo
//!   built), so that a baseline build and a change can be run back to back.
//! - `BENCH_STORE_BACKEND`: lnpayd's `[store] backend` (default: its own).
//!
//! No timing asserts: the bench fails only if something does not work (no
//! successful request in a warm-up, a payment that fails, an event that never
//! comes). Every process (btcd ×2, lnd ×2, lnpayd) is a child killed on drop.

#[path = "../common/mod.rs"]
mod common;
mod config;
mod layout;
mod load;
mod procfs;
mod relay;
mod report;
mod settle;
mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lnpayd::proto;
use testkit::daemon::Daemon;
use testkit::lnd::Network;

use common::loadavg;
use config::Config;
use load::{lnd_connect, throughput, Pids};
use procfs::child_pid;
use report::report;
use settle::settlement;

// ---------------------------------------------------------------- main

async fn wait_lnd_stream(d: &Daemon) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = d
            .admin()
            .await
            .get_status(proto::GetStatusRequest {})
            .await
            .expect("GetStatus")
            .into_inner();
        let lnd = s.providers.into_iter().find(|p| p.name == "lnd");
        if lnd
            .as_ref()
            .is_some_and(|p| p.connection.starts_with("connected"))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "lnpayd's LND stream never connected: {lnd:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn main() {
    relay::serve_if_asked();
    // `cargo bench` passes `--bench`; nothing to select, arguments are ignored.
    let cfg = Config::from_env();
    let _ = rustls::crypto::ring::default_provider().install_default();

    let t0 = Instant::now();
    eprintln!(
        "bench: starting the regtest network (btcd ×2, lnd alice + bob, channel bob → alice)"
    );
    let net = Arc::new(Network::start());
    eprintln!(
        "bench: network up after {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // lnpayd's data dir on the same disk as LND's (the harness' tempdir), so fsync costs alike.
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("bench-lnd-provider-")
        .tempdir_in(&base)
        .unwrap();
    let env: Vec<(String, String)> = vec![
        ("LNPAYD_LND__ADDRESS".into(), net.alice.rpc_addr()),
        (
            "LNPAYD_LND__TLS_CERT".into(),
            net.alice.tls_cert().display().to_string(),
        ),
        (
            "LNPAYD_LND__MACAROON".into(),
            net.alice.macaroon("invoice").display().to_string(),
        ),
        ("LNPAYD_LND__NETWORK".into(), "regtest".into()),
        ("LNPAYD_LND__TIMEOUT_SECS".into(), "30".into()),
        // The harness turns on debug logs for tests; a benchmark runs at the default level.
        ("LNPAYD_LOG__LEVEL".into(), "info".into()),
    ];
    let mut env = env;
    if let Some(w) = cfg.lnpayd_workers {
        env.push(("LNPAYD_WORKER_THREADS".into(), w.to_string()));
    }
    if let Ok(b) = std::env::var("BENCH_STORE_BACKEND") {
        env.push(("LNPAYD_STORE__BACKEND".into(), b));
    }
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if let Some(bin) = std::env::var_os("BENCH_LNPAYD_BIN") {
        testkit::daemon::set_lnpayd_bin(bin);
    }
    let d = Daemon::start_without_dev(tmp.path(), &[], &env_ref);
    eprintln!("bench: lnpayd ready on {}", d.addr);
    let relay = relay::Relay::start(&relay::Target {
        address: net.alice.rpc_addr(),
        tls_cert: net.alice.tls_cert(),
        macaroon: net.alice.macaroon("invoice"),
        worker_threads: cfg.lnpayd_workers.unwrap_or(0),
    });
    eprintln!("bench: relay (floor) ready on {}", relay.addr);
    let pids = Pids {
        lnpayd: child_pid("lnpayd", "--datadir").expect("lnpayd's pid"),
        relay: relay.pid(),
        alice: child_pid("lnd", "--alias=alice").expect("alice's lnd pid"),
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (windows, paid) = rt.block_on(async {
        wait_lnd_stream(&d).await;
        // The same connection settings lnpayd's provider uses (TCP_NODELAY, keepalive),
        // so the comparison measures lnpayd, not two different HTTP/2 clients.
        let alice = lnd_connect(&net.alice, "invoice");
        let bob = lnd_connect(&net.bob, "admin");
        eprintln!(
            "bench: settlement: {} payments (+{} warm-up), one at a time",
            cfg.payments, cfg.payment_warmup
        );
        let paid = settlement(&cfg, &net, &d, &alice, &bob).await;
        eprintln!(
            "bench: throughput: levels {:?}, {} round(s)",
            cfg.levels, cfg.rounds
        );
        let windows = throughput(&cfg, &d, &relay, &alice, &pids).await;
        (windows, paid)
    });
    drop(rt);
    let load = loadavg();
    drop(d);
    drop(relay);
    drop(net);
    report(&cfg, &windows, &paid, &load);
}
