//! The request every CreateInvoice sends, and the bench's knobs from the
//! environment.

use std::time::Duration;

use crate::common::{env_list, env_num};

pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const AMOUNT_SAT: u64 = 1_000;
pub(crate) const MEMO: &str = "lnpayd benchmark invoice";

// ---------------------------------------------------------------- config

pub(crate) struct Config {
    pub(crate) seconds: f64,
    pub(crate) warmup: f64,
    pub(crate) levels: Vec<usize>,
    pub(crate) channels: Vec<usize>,
    pub(crate) max_requests: u64,
}

impl Config {
    pub(crate) fn from_env() -> Self {
        let c = Config {
            seconds: env_num("BENCH_SECONDS", 10.0),
            warmup: env_num("BENCH_WARMUP_SECONDS", 2.0),
            levels: env_list("BENCH_LEVELS", &[1, 16, 64]),
            channels: env_list("BENCH_CHANNELS", &[1]),
            max_requests: env_num("BENCH_MAX_REQUESTS", 2_000_000),
        };
        assert!(
            c.seconds > 0.0 && c.seconds <= 600.0,
            "BENCH_SECONDS must be in (0, 600]"
        );
        assert!(
            c.warmup >= 0.0 && c.warmup <= 60.0,
            "BENCH_WARMUP_SECONDS must be in [0, 60]"
        );
        assert!(
            c.levels.iter().all(|&l| l <= 1024),
            "BENCH_LEVELS: at most 1024"
        );
        assert!(
            c.channels.iter().all(|&l| l <= 64),
            "BENCH_CHANNELS: at most 64"
        );
        c
    }
}
