//! The report: markdown tables of each window, the ratios to LNbits, and
//! where the CPU went.

use crate::common::{cpu_model, loadavg};
use crate::config::Config;
use crate::load::Window;

pub(crate) fn report(cfg: &Config, windows: &[Window], lnbits_version: &str, data_fs: &str) {
    let mut s = String::new();
    use std::fmt::Write;
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    writeln!(s).unwrap();
    writeln!(s, "## CreateInvoice benchmark").unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "- machine: nproc {nproc}, CPU \"{}\", load average at end {}",
        cpu_model(),
        loadavg()
    )
    .unwrap();
    writeln!(
        s,
        "- lnpayd {} (release, --dev, default config: durable writes with group commit); LNbits {lnbits_version} (FakeWallet, SQLite)",
        env!("CARGO_PKG_VERSION")
    )
    .unwrap();
    writeln!(s, "- data dirs on: {data_fs}").unwrap();
    writeln!(
        s,
        "- window {} s per system and level after {} s warm-up; lnpayd over {} tonic Channel(s) (HTTP/2); LNbits over a reqwest keep-alive pool (HTTP/1.1)",
        cfg.seconds,
        cfg.warmup,
        cfg.channels.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" / ")
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "| system | concurrency | requests | errors | throughput/s | p50 ms | p99 ms |"
    )
    .unwrap();
    writeln!(s, "|---|---:|---:|---:|---:|---:|---:|").unwrap();
    for w in windows {
        writeln!(
            s,
            "| {} | {} | {} | {} | {:.1} | {:.2} | {:.2} |",
            w.system,
            w.concurrency,
            w.ok(),
            w.errors,
            w.throughput(),
            w.pct(50.0),
            w.pct(99.0)
        )
        .unwrap();
    }
    writeln!(s).unwrap();
    writeln!(s, "Ratios (same run; lnpayd = first channel setting):").unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "| concurrency | throughput lnpayd/LNbits | p99 LNbits/lnpayd | p50 LNbits/lnpayd |"
    )
    .unwrap();
    writeln!(s, "|---:|---:|---:|---:|").unwrap();
    let first = windows
        .first()
        .map(|w| w.system.clone())
        .unwrap_or_default();
    for &c in &cfg.levels {
        let a = windows
            .iter()
            .find(|w| w.concurrency == c && w.system == first);
        let b = windows
            .iter()
            .find(|w| w.concurrency == c && w.system == "LNbits");
        if let (Some(a), Some(b)) = (a, b) {
            writeln!(
                s,
                "| {c} | {:.1}x | {:.1}x | {:.1}x |",
                a.throughput() / b.throughput(),
                b.pct(99.0) / a.pct(99.0),
                b.pct(50.0) / a.pct(50.0)
            )
            .unwrap();
        }
    }
    writeln!(s).unwrap();
    writeln!(
        s,
        "Where the CPU went (from /proc during each window; 2 cores = 200%):"
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(s, "| system | concurrency | server CPU % | server CPU ms/req | client CPU % | client CPU ms/req | server disk writes KB/req |").unwrap();
    writeln!(s, "|---|---:|---:|---:|---:|---:|---:|").unwrap();
    for w in windows {
        let n = w.ok().max(1) as f64;
        writeln!(
            s,
            "| {} | {} | {:.0} | {:.3} | {:.0} | {:.3} | {:.1} |",
            w.system,
            w.concurrency,
            100.0 * w.server_cpu / w.elapsed,
            1000.0 * w.server_cpu / n,
            100.0 * w.client_cpu / w.elapsed,
            1000.0 * w.client_cpu / n,
            w.server_write_bytes as f64 / 1024.0 / n
        )
        .unwrap();
    }
    let total_errors: u64 = windows.iter().map(|w| w.errors).sum();
    if total_errors > 0 {
        writeln!(s).unwrap();
        writeln!(s, "Errors (not counted as requests):").unwrap();
        for w in windows.iter().filter(|w| w.errors > 0) {
            writeln!(
                s,
                "- {} c={}: {} errors, e.g. {:?}",
                w.system, w.concurrency, w.errors, w.error_samples
            )
            .unwrap();
        }
    }
    println!("{s}");
}
