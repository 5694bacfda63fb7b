//! One level: open its streams, drive CreateInvoice while a payer pays, then
//! check every stream's delivery and sum up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lnpayd::proto::invoices_client::InvoicesClient;
use testkit::daemon::{Bearer, Daemon};

use crate::common::clk_tck;
use crate::config::{Cfg, Shape, SETTLE, UNFILTERED};
use crate::load::{drive, make_targets, pay};
use crate::procfs::{cpu_ticks, rss_kb};
use crate::streams::{check, open_streams};

pub(crate) struct Level {
    pub(crate) shape: Shape,
    pub(crate) invoices: u64,
    pub(crate) per_sec: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) cpu_ms_per_invoice: f64,
    pub(crate) idle_rss_mb: f64,
    pub(crate) delivered_ok: bool,
    pub(crate) detail: String,
}

pub(crate) async fn level(cfg: &Cfg, daemon: &Daemon, pid: u32, shape: Shape) -> Level {
    let streams = shape.streams;
    let load = InvoicesClient::with_interceptor(
        daemon.channel().await,
        Bearer(Some(daemon.token("invoice"))),
    );
    // A per-invoice level's invoices, one per filtered stream, made first.
    let targets = match shape.per_invoice {
        true => Some(Arc::new(
            make_targets(&load, streams.saturating_sub(UNFILTERED)).await,
        )),
        false => None,
    };
    let start = daemon.last_sequence().await;
    let stop = Arc::new(AtomicBool::new(false));
    let (digests, readers) = open_streams(cfg, daemon, streams, start, targets.clone()).await;
    tokio::time::sleep(SETTLE).await;
    let idle_rss_mb = rss_kb(pid) as f64 / 1024.0;

    let newest = Arc::new(Mutex::new(None::<String>));
    let payer = tokio::spawn(pay(
        daemon.admin().await,
        newest.clone(),
        targets.clone(),
        cfg.payments_per_sec,
        stop.clone(),
    ));
    drive(&load, &newest, Duration::from_secs_f64(cfg.warmup)).await;
    let cpu_before = cpu_ticks(pid);
    let mut lat = drive(&load, &newest, Duration::from_secs_f64(cfg.seconds)).await;
    let cpu = (cpu_ticks(pid) - cpu_before) as f64 / clk_tck();
    stop.store(true, Ordering::SeqCst);
    payer.await.unwrap();

    let end = daemon.last_sequence().await;
    let (delivered_ok, detail) = check(
        &digests,
        targets.as_deref().map(Vec::as_slice),
        start,
        end,
        cfg.delivery_timeout,
    )
    .await;
    // Closes the streams, so the next level starts from none.
    for r in readers {
        r.abort();
    }
    tokio::time::sleep(SETTLE).await;
    lat.sort_unstable();
    let n = lat.len().max(1);
    let pct = |p: f64| {
        lat.get(((n as f64 * p) as usize).min(n - 1))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    Level {
        shape,
        invoices: lat.len() as u64,
        per_sec: lat.len() as f64 / cfg.seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        cpu_ms_per_invoice: cpu * 1000.0 / lat.len().max(1) as f64,
        idle_rss_mb,
        delivered_ok,
        detail,
    }
}
