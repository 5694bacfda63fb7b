//! The report: one line per level, throughput as a ratio to no streams, and
//! whether delivery held.

use crate::common::{cpu_model, loadavg};
use crate::config::{Cfg, CONCURRENCY};
use crate::level::Level;

pub(crate) fn report(cfg: &Cfg, levels: &[Level]) {
    println!(
        "\nscale_fanout: {} | cpu {} x {} | load {} | window {} s, c={CONCURRENCY}, {} stream connections, {} payments/s",
        testkit::daemon::lnpayd_bin().display(),
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg(),
        cfg.seconds,
        cfg.connections,
        cfg.payments_per_sec,
    );
    let base = levels.iter().find(|l| l.shape.streams == 0);
    println!(
        "{:>16} {:>9} {:>8} {:>8} {:>8} {:>8} {:>12} {:>9}  delivery",
        "streams", "invoices", "per s", "x none", "p50 ms", "p99 ms", "cpu ms/inv", "RSS MB"
    );
    for l in levels {
        let ratio = base.map_or(f64::NAN, |b| l.per_sec / b.per_sec);
        println!(
            "{:>16} {:>9} {:>8.0} {:>8.2} {:>8.1} {:>8.1} {:>12.3} {:>9.1}  {} {}",
            match l.shape.per_invoice {
                true => format!("{}/invoice", l.shape.streams),
                false => l.shape.streams.to_string(),
            },
            l.invoices,
            l.per_sec,
            ratio,
            l.p50_ms,
            l.p99_ms,
            l.cpu_ms_per_invoice,
            l.idle_rss_mb,
            if l.delivered_ok { "OK" } else { "FAILED" },
            l.detail
        );
    }
}
