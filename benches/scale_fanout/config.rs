//! The load's fixed shape, and the bench's knobs: levels (stream counts and
//! what the filtered streams follow), windows, connections, payments.

use std::time::Duration;

use crate::common::env_num;

pub(crate) const CONCURRENCY: usize = 16;
pub(crate) const UNFILTERED: usize = 4;
pub(crate) const SETTLE: Duration = Duration::from_secs(2);

pub(crate) struct Cfg {
    pub(crate) seconds: f64,
    pub(crate) warmup: f64,
    pub(crate) levels: Vec<Shape>,
    pub(crate) connections: usize,
    pub(crate) payments_per_sec: f64,
    /// How long the streams get to receive everything after a window.
    pub(crate) delivery_timeout: Duration,
}

impl Cfg {
    pub(crate) fn new(quick: bool) -> Self {
        let (seconds, warmup, levels) = if quick {
            (3.0, 1.0, "0,200,2000,2000/invoice")
        } else {
            (10.0, 2.0, "0,1000,10000,10000/invoice")
        };
        let levels = std::env::var("BENCH_LEVELS").unwrap_or_else(|_| levels.into());
        let levels = levels
            .split(',')
            .map(|s| {
                let s = s.trim();
                let (n, per_invoice) = match s.strip_suffix("/invoice") {
                    Some(n) => (n, true),
                    None => (s, false),
                };
                let streams = n.parse().expect("BENCH_LEVELS: N or N/invoice");
                Shape {
                    streams,
                    per_invoice,
                }
            })
            .collect();
        Self {
            seconds: env_num("BENCH_SECONDS", seconds),
            warmup: env_num("BENCH_WARMUP_SECONDS", warmup),
            levels,
            connections: env_num("BENCH_STREAM_CONNECTIONS", 4),
            payments_per_sec: env_num("BENCH_PAYMENTS_PER_SEC", 4.0),
            delivery_timeout: Duration::from_secs(env_num("BENCH_DELIVERY_TIMEOUT_SECS", 120)),
        }
    }
}

/// A level: how many streams, and what the filtered ones ask for.
#[derive(Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) streams: usize,
    /// Each filtered stream follows one invoice (else: INVOICE_PAID, all).
    pub(crate) per_invoice: bool,
}
