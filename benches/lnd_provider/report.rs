//! The report: markdown tables of throughput, CPU and settlement latency, and
//! the per-payment values as CSV.

use std::path::PathBuf;
use std::time::Instant;

use testkit::lnd::Network;

use crate::common::cpu_model;
use crate::config::{Config, PAY_SAT, RELAY};
use crate::layout::{online_cpus, Layout};
use crate::load::Window;
use crate::settle::Paid;
use crate::stats::{ms_i, pct};

// ---------------------------------------------------------------- report

pub(crate) fn report(cfg: &Config, windows: &[Window], paid: &[Paid], load: &str) {
    use std::fmt::Write;
    let mut s = String::new();
    let nproc = online_cpus();
    let lnd_version = std::process::Command::new(Network::bin_dir().join("lnd"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    writeln!(s).unwrap();
    writeln!(s, "## lnpayd on LND vs LND directly").unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "- machine: nproc {nproc}, CPU \"{}\", load average at end {load}",
        cpu_model()
    )
    .unwrap();
    writeln!(
        s,
        "- lnpayd {} (release, LND provider, invoice.macaroon, durable writes); {lnd_version}; regtest",
        env!("CARGO_PKG_VERSION")
    )
    .unwrap();
    writeln!(
        s,
        "- throughput: {} round(s) × {} s window after {} s warm-up per system and level, order alternating (ABBA); each side over one HTTP/2 connection",
        cfg.rounds, cfg.seconds, cfg.warmup
    )
    .unwrap();
    writeln!(
        s,
        "- layouts: shared = every process on every CPU; split = alice's lnd on CPUs 0..n/2, lnpayd and this bench on the rest (taskset)"
    )
    .unwrap();
    if let Some(w) = cfg.lnpayd_workers {
        writeln!(
            s,
            "- lnpayd worker_threads = {w}; the relay on the scheduler lnpayd picks for it ({})",
            lnpayd::config::Runtime::for_threads(w, lnpayd::config::StoreBackend::Fjall)
        )
        .unwrap();
    }
    writeln!(
        s,
        "- lnpayd binary: {}",
        testkit::daemon::lnpayd_bin().display()
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "| layout | system | concurrency | requests | errors | throughput/s | p50 ms | p99 ms | per round /s |"
    )
    .unwrap();
    writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---|").unwrap();
    for w in windows {
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {} |",
            w.layout.name(),
            w.system,
            w.concurrency,
            w.ok(),
            w.errors,
            w.throughput(),
            w.p(50.0),
            w.p(99.0),
            w.per_round
                .iter()
                .map(|t| format!("{t:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .unwrap();
    }
    writeln!(s).unwrap();
    writeln!(
        s,
        "| layout | system | concurrency | throughput system/direct (target ≥ 0.9) | per round | p50 added ms | p99 added ms |"
    )
    .unwrap();
    writeln!(s, "|---|---|---:|---:|---|---:|---:|").unwrap();
    let find = |layout: Layout, c: usize, system: &str| {
        windows
            .iter()
            .find(|w| w.layout == layout && w.concurrency == c && w.system == system)
    };
    for a in windows
        .iter()
        .filter(|w| w.system == "lnpayd CreateInvoice" || w.system == RELAY)
    {
        let Some(b) = find(a.layout, a.concurrency, "LND AddInvoice") else {
            continue;
        };
        let rounds: Vec<String> = a
            .per_round
            .iter()
            .zip(&b.per_round)
            .map(|(x, y)| format!("{:.2}", x / y))
            .collect();
        writeln!(
            s,
            "| {} | {} | {} | {:.2} | {} | {:+.2} | {:+.2} |",
            a.layout.name(),
            a.system,
            a.concurrency,
            a.throughput() / b.throughput(),
            rounds.join(", "),
            a.p(50.0) - b.p(50.0),
            a.p(99.0) - b.p(99.0)
        )
        .unwrap();
    }
    writeln!(s).unwrap();
    writeln!(
        s,
        "CPU during the windows (`/proc`; 100 % = one CPU; per successful request):"
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "| layout | system | concurrency | lnpayd (relay) CPU % | lnpayd (relay) ms/req | alice lnd CPU % | alice lnd ms/req | bench client ms/req | lnpayd fsyncs/req |"
    )
    .unwrap();
    writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    for w in windows {
        let n = w.ok().max(1) as f64;
        writeln!(
            s,
            "| {} | {} | {} | {:.0} | {:.3} | {:.0} | {:.3} | {:.3} | {} |",
            w.layout.name(),
            w.system,
            w.concurrency,
            100.0 * w.middle_cpu / w.elapsed,
            1000.0 * w.middle_cpu / n,
            100.0 * w.lnd_cpu / w.elapsed,
            1000.0 * w.lnd_cpu / n,
            1000.0 * w.client_cpu / n,
            w.flushes.map_or("".into(), |f| format!("{:.2}", f / n))
        )
        .unwrap();
    }
    let errs: Vec<&Window> = windows.iter().filter(|w| w.errors > 0).collect();
    if !errs.is_empty() {
        writeln!(s).unwrap();
        writeln!(s, "Errors (not counted as requests):").unwrap();
        for w in errs {
            writeln!(
                s,
                "- {} {} c={}: {} errors, e.g. {:?}",
                w.layout.name(),
                w.system,
                w.concurrency,
                w.errors,
                w.error_samples
            )
            .unwrap();
        }
    }

    // Settlement.
    let us = |a: Instant, b: Instant| -> i64 {
        if a >= b {
            (a - b).as_micros() as i64
        } else {
            -((b - a).as_micros() as i64)
        }
    };
    let mut added: Vec<i64> = paid.iter().map(|p| us(p.t_lnpayd, p.t_lnd)).collect();
    let mut lnd_from_start: Vec<i64> = paid.iter().map(|p| us(p.t_lnd, p.pay_start)).collect();
    let mut lnpayd_from_start: Vec<i64> =
        paid.iter().map(|p| us(p.t_lnpayd, p.pay_start)).collect();
    let mut lnd_from_done: Vec<i64> = paid.iter().map(|p| us(p.t_lnd, p.pay_done)).collect();
    let mut lnpayd_from_done: Vec<i64> = paid.iter().map(|p| us(p.t_lnpayd, p.pay_done)).collect();
    for v in [
        &mut added,
        &mut lnd_from_start,
        &mut lnpayd_from_start,
        &mut lnd_from_done,
        &mut lnpayd_from_done,
    ] {
        v.sort_unstable();
    }
    writeln!(s).unwrap();
    writeln!(
        s,
        "Settlement: {} payments bob → alice ({PAY_SAT} sat each, one at a time, invoices created through lnpayd), each seen by both subscribers:",
        paid.len()
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(s, "| interval (ms) | p50 | p90 | p99 | max | min |").unwrap();
    writeln!(s, "|---|---:|---:|---:|---:|---:|").unwrap();
    for (name, v) in [
        (
            "**added: lnpayd PAID event − LND SubscribeInvoices SETTLED** (target p99 ≤ 10)",
            &added,
        ),
        ("payment call start → LND stream", &lnd_from_start),
        ("payment call start → lnpayd event", &lnpayd_from_start),
        ("payment call returned → LND stream", &lnd_from_done),
        ("payment call returned → lnpayd event", &lnpayd_from_done),
    ] {
        writeln!(
            s,
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            ms_i(pct(v, 50.0)),
            ms_i(pct(v, 90.0)),
            ms_i(pct(v, 99.0)),
            ms_i(v.last().copied()),
            ms_i(v.first().copied()),
        )
        .unwrap();
    }
    let over = added.iter().filter(|&&v| v > 10_000).count();
    let under = added.iter().filter(|&&v| v < -10_000).count();
    let negative = added.iter().filter(|&&v| v < 0).count();
    writeln!(s).unwrap();
    writeln!(
        s,
        "Added latency: {over} of {} payments above +10 ms; {under} below −10 ms and {negative} negative (lnpayd's event first: the bench's own LND subscriber was late, i.e. scheduling noise on this machine).",
        added.len()
    )
    .unwrap();
    // Raw values, for a closer look.
    let csv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-lnd-provider-settlement.csv");
    let mut raw =
        String::from("payment,added_us,start_to_lnd_us,start_to_lnpayd_us,returned_to_lnd_us\n");
    for (i, p) in paid.iter().enumerate() {
        writeln!(
            raw,
            "{i},{},{},{},{}",
            us(p.t_lnpayd, p.t_lnd),
            us(p.t_lnd, p.pay_start),
            us(p.t_lnpayd, p.pay_start),
            us(p.t_lnd, p.pay_done)
        )
        .unwrap();
    }
    if std::fs::write(&csv, raw).is_ok() {
        eprintln!("bench: per-payment values in {}", csv.display());
    }
    println!("{s}");
}
