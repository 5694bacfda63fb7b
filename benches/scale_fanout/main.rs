//! Fan-out scale benchmark (issue 11): CreateInvoice throughput and p99 at
//! c=16 with 0, 1,000 and 10,000 open SubscribeEvents streams, as ratios to
//! 0 in the same run; the daemon's RSS with the streams open and idle; and a
//! check that every stream got every event it asked for, in order, once.
//!
//! ```text
//! cargo bench --bench scale_fanout              # full size
//! cargo bench --bench scale_fanout -- --quick   # 0 / 200 / 2,000 (both shapes), short windows
//! BENCH_LNPAYD_BIN=/path/to/lnpayd cargo bench --bench scale_fanout   # another build
//! ```
//!
//! Two shapes of listener, each a level of its own:
//! - `N` (the worst case): all but four streams listen for INVOICE_PAID
//!   (an order service's wait), four listen to everything (an auditor), so
//!   every payment goes to all N;
//! - `N/invoice` (checkout pages, WaitInvoice): four listen to everything,
//!   the others each to one invoice of their own, created before the level;
//!   the payer pays those invoices, so a payment goes to one stream.
//!
//! They are spread over a few HTTP/2 connections. During each window a payer
//! simulates a few payments per second, so every stream has events to check:
//! the unfiltered ones must see every sequence from the start to the end,
//! gap-free; the others exactly the sequences of their kind (or invoice) the
//! unfiltered ones saw. The load runs on its own connection. Knobs:
//! `BENCH_SECONDS` (10), `BENCH_WARMUP_SECONDS` (2), `BENCH_LEVELS`
//! (`0,1000,10000,10000/invoice`),
//! `BENCH_STREAM_CONNECTIONS` (4), `BENCH_PAYMENTS_PER_SEC` (4),
//! `BENCH_DELIVERY_TIMEOUT_SECS` (120).

#[path = "../common/mod.rs"]
mod common;
mod config;
mod level;
mod load;
mod procfs;
mod report;
mod streams;

use testkit::daemon::Daemon;

use config::Cfg;
use level::{level, Level};
use procfs::daemon_pid;
use report::report;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if let Some(bin) = std::env::var_os("BENCH_LNPAYD_BIN") {
        testkit::daemon::set_lnpayd_bin(bin);
    }
    let cfg = Cfg::new(quick);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = rt.block_on(run(&cfg));
    report(&cfg, &results);
    if results.iter().any(|l| !l.delivered_ok) {
        std::process::exit(1);
    }
}

async fn run(cfg: &Cfg) -> Vec<Level> {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(dir.path(), &[], &[("LNPAYD_LOG__LEVEL", "warn")]);
    let pid = daemon_pid(&daemon);
    let mut out = Vec::new();
    for &shape in &cfg.levels {
        out.push(level(cfg, &daemon, pid, shape).await);
    }
    out
}
