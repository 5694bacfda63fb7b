//! CreateInvoice benchmark: lnpayd (gRPC, dev provider, durable writes) against
//! LNbits 1.6.2 (REST, FakeWallet, SQLite) in the same run, on 127.0.0.1.
//!
//! ```text
//! cargo bench --bench create_invoice
//! ```
//!
//! Knobs (environment):
//! - `BENCH_SECONDS` (default 10): measured window per system and concurrency.
//! - `BENCH_WARMUP_SECONDS` (default 2): unmeasured warm-up before each window.
//! - `BENCH_LEVELS` (default `1,16,64`): concurrency levels.
//! - `BENCH_CHANNELS` (default `1`): number of tonic Channels (HTTP/2
//!   connections) the lnpayd tasks share, round-robin. A list (`1,4`) runs
//!   lnpayd once per entry; the ratios use the first entry.
//! - `BENCH_MAX_REQUESTS` (default 2000000): cap on requests per window.
//! - `BENCH_LNPAYD_BIN`: the lnpayd binary (default: the one cargo built).
//! - `BENCH_STORE_BACKEND`: lnpayd's `[store] backend` (default: its own),
//!   to compare the embedded engines against the same LNbits.
//!
//! For each level the two systems run back to back (lnpayd, then LNbits), so
//! noise on this shared machine hits both; results are reported as ratios
//! against LNbits measured in the same run. See BENCHMARKS.md.
//!
//! Both servers are child processes killed on exit or panic (Drop guards;
//! lnpayd also gets PR_SET_PDEATHSIG, LNbits' fixture stops when its stdin
//! pipe closes).

#[path = "../common/mod.rs"]
mod common;
mod config;
mod load;
mod procfs;
mod report;
mod servers;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use config::Config;
use load::run;
use procfs::fs_type;
use report::report;
use servers::{finish_lnbits, lnbits_python, spawn_lnbits, start_lnpayd};

// ---------------------------------------------------------------- main

fn main() {
    // `cargo bench` passes `--bench` (libtest style); there is nothing to select, so arguments are ignored.
    let cfg = Config::from_env();
    // Data dirs on the same (real) filesystem for both systems, so fsync costs the same.
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("bench-create-invoice-")
        .tempdir_in(&base)
        .unwrap();

    let t0 = Instant::now();
    eprintln!(
        "bench: starting LNbits (fixture) and lnpayd in {}",
        tmp.path().display()
    );
    let lnbits_starting = spawn_lnbits(tmp.path());
    let lnpayd = start_lnpayd(tmp.path());
    eprintln!(
        "bench: lnpayd ready on {} after {:.1} s",
        lnpayd.addr,
        t0.elapsed().as_secs_f64()
    );
    let lnbits = finish_lnbits(lnbits_starting);
    eprintln!(
        "bench: LNbits ready on {} after {:.1} s",
        lnbits.url,
        t0.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let windows = rt.block_on(run(&cfg, &lnpayd, &lnbits));
    drop(rt);

    let lnbits_version = Command::new(lnbits_python())
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('lnbits'))",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let data_fs = fs_type(tmp.path());

    // Stop the servers before printing (and before the data dirs go).
    let (mut g1, mut g2) = (lnpayd.guard, lnbits.guard);
    g1.stop();
    g2.stop();

    report(&cfg, &windows, &lnbits_version, &data_fs);
}
