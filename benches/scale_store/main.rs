//! The store at scale: the release lnpayd (`--dev`) driven to N stored
//! invoices, then measured as an operator would see it.
//!
//! ```text
//! cargo bench --bench scale_store                  # N = 1,000,000
//! cargo bench --bench scale_store -- --quick       # N = 50,000
//! cargo bench --bench scale_store -- --quick --compare /tmp/lnpayd-main
//! cargo bench --bench scale_store -- --n 200000 --backend both   # sled, then fjall
//! ```
//!
//! `--backend sled|fjall` chooses the daemon's `[store] backend` (through
//! `LNPAYD_STORE__BACKEND`; fjall by default); `both` runs sled and then
//! fjall, each in a child of this bench, back to back on the same machine
//! state. `--convert` ends the sled run by starting the daemon on fjall, the
//! default, on the same data dir: the in-place conversion an upgrade does,
//! timed from spawn to ready.
//!
//! Reports: create throughput per tenth of the run (per 100k at 1M); bytes
//! on disk per invoice (each with its CREATED event and audit lines); RSS at
//! N, and 5 s after a restart; restart-to-serving time; GetInvoice (by id, by
//! external_ref) and ListInvoices (no filter, each status filter, a time
//! range, status + time range, a status 5 invoices of N have) p50/p99 at c=8.
//!
//! `--compare PATH` first runs the same measurements against the lnpayd
//! binary at PATH (say, a release build of main before a change), in a child
//! of this bench, so both appear in one run on the same machine state.
//!
//! Knobs: `--n N` (overrides the size), `SCALE_CONCURRENCY` (creates in
//! flight, default 64), `SCALE_QUERIES` (requests per read measurement,
//! default 2,000), `SCALE_DAEMON_ENV` (`K=V,K=V` for the daemon, say
//! `LNPAYD_STORE__CACHE_MB=32,_RJEM_MALLOC_CONF=narenas:2`, to tell what the memory
//! is). The daemon logs at `info`, the level operators run, unless
//! `SCALE_DAEMON_ENV` sets `LNPAYD_LOG__LEVEL`. Data dirs live under
//! `target/tmp` (the same disk as the build) and
//! are removed at the end.

#[path = "../common/mod.rs"]
mod common;
mod config;
mod footprint;
mod load;
mod phases;

use common::{cpu_model, loadavg};
use std::path::PathBuf;

use config::args;
use phases::run;

fn main() {
    let a = args();
    if a.backend == "both" {
        for backend in ["sled", "fjall"] {
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--n", &a.n.to_string(), "--backend", backend])
                .args(a.convert.then_some("--convert"))
                .status()
                .expect("run one backend");
            assert!(status.success(), "the {backend} run failed");
        }
        return;
    }
    let bin = std::env::var_os("SCALE_BIN").map(PathBuf::from);
    if let Some(old) = &a.compare {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--n", &a.n.to_string()])
            .env("SCALE_BIN", old)
            .status()
            .expect("run the comparison");
        assert!(status.success(), "the comparison run failed");
    }
    let label = match &bin {
        Some(p) => {
            testkit::daemon::set_lnpayd_bin(p);
            p.display().to_string()
        }
        None => "this tree's release build".into(),
    };
    println!(
        "\n## scale_store: N = {}, backend: {}, binary: {label}",
        a.n, a.backend
    );
    println!("cpu: {} x{}, load {}", cpu_model(), num_cpus(), loadavg());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(a.n, &a.backend, a.convert));
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
