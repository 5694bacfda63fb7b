//! The bench's fixed request shapes and its knobs from the environment.

use std::time::Duration;

use crate::common::{env_list, env_num};
use crate::layout::Layout;

pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const AMOUNT_SAT: u64 = 1_000;
pub(crate) const MEMO: &str = "lnpayd benchmark invoice";
pub(crate) const PAY_SAT: u64 = 10;
pub(crate) const RELAY: &str = "relay CreateInvoice (floor)";

// ---------------------------------------------------------------- config

pub(crate) struct Config {
    pub(crate) seconds: f64,
    pub(crate) warmup: f64,
    pub(crate) levels: Vec<usize>,
    pub(crate) rounds: usize,
    pub(crate) payments: usize,
    pub(crate) payment_warmup: usize,
    pub(crate) max_requests: u64,
    pub(crate) layouts: Vec<Layout>,
    pub(crate) lnpayd_workers: Option<usize>,
}

impl Config {
    pub(crate) fn from_env() -> Self {
        let c = Config {
            seconds: env_num("BENCH_SECONDS", 5.0),
            warmup: env_num("BENCH_WARMUP_SECONDS", 1.0),
            levels: env_list("BENCH_LEVELS", &[1, 8, 32]),
            rounds: env_num("BENCH_ROUNDS", 2),
            payments: env_num("BENCH_PAYMENTS", 200),
            payment_warmup: env_num("BENCH_PAYMENT_WARMUP", 5),
            max_requests: env_num("BENCH_MAX_REQUESTS", 2_000_000),
            layouts: std::env::var("BENCH_LAYOUTS")
                .unwrap_or_else(|_| "shared,split".into())
                .split(',')
                .map(|l| match l.trim() {
                    "shared" => Layout::Shared,
                    "split" => Layout::Split,
                    other => panic!("BENCH_LAYOUTS: unknown layout {other:?} (shared, split)"),
                })
                .collect(),
            lnpayd_workers: std::env::var("BENCH_LNPAYD_WORKERS")
                .ok()
                .map(|w| w.parse().expect("BENCH_LNPAYD_WORKERS: a number")),
        };
        assert!(
            c.seconds > 0.0 && c.seconds <= 600.0,
            "BENCH_SECONDS must be in (0, 600]"
        );
        assert!(
            (0.0..=60.0).contains(&c.warmup),
            "BENCH_WARMUP_SECONDS must be in [0, 60]"
        );
        assert!(c.rounds <= 100, "BENCH_ROUNDS: at most 100");
        // 10 sat each over a 1,000,000 sat channel.
        assert!(
            c.payments + c.payment_warmup <= 50_000,
            "BENCH_PAYMENTS: at most 50000"
        );
        c
    }
}
