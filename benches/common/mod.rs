//! Helpers the benchmarks share: knobs from the environment, the machine
//! facts every report states, and the closed-loop load driver.
#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

pub fn clk_tck() -> f64 {
    let t = unsafe { nix::libc::sysconf(nix::libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
        })
        .unwrap_or_else(|| "unknown".into())
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    match std::env::var(name) {
        Ok(v) => {
            let l: Vec<usize> = v
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse()
                        .unwrap_or_else(|_| panic!("{name}={v:?}: not a list of numbers"))
                })
                .collect();
            assert!(
                !l.is_empty() && l.iter().all(|&n| n > 0 && n <= 1024),
                "{name}: need numbers in 1..=1024"
            );
            l
        }
        Err(_) => default.to_vec(),
    }
}

/// What one load window's tasks saw: every latency, and the errors apart.
#[derive(Default)]
pub struct Outcome {
    pub latencies_us: Vec<u32>,
    pub errors: u64,
    pub error_samples: Vec<String>,
}

impl Outcome {
    /// Folds one task's outcome into the window's, keeping a few error samples.
    pub fn absorb(&mut self, task: Outcome) {
        self.latencies_us.extend_from_slice(&task.latencies_us);
        self.errors += task.errors;
        for e in task.error_samples {
            if self.error_samples.len() < 5 {
                self.error_samples.push(e);
            }
        }
    }
}

/// A system a load window drives; each task gets its own clone.
pub trait Load: Clone + Send + 'static {
    /// One request from task `task`: Err with what went wrong.
    fn one(&mut self, task: usize) -> impl Future<Output = Result<(), String>> + Send;
}

/// `concurrency` tasks sending requests back to back until `secs` have
/// passed (a request started before the deadline is waited for and
/// counted), at most `max` in all, each bounded by `timeout`. Returns what
/// they saw and the elapsed seconds.
pub async fn drive<L: Load>(
    target: &L,
    concurrency: usize,
    secs: f64,
    max: u64,
    timeout: Duration,
) -> (Outcome, f64) {
    let started = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let merged = Arc::new(Mutex::new(Outcome::default()));
    let mut tasks = Vec::with_capacity(concurrency);
    for task in 0..concurrency {
        let mut target = target.clone();
        let started = started.clone();
        let merged = merged.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome {
                latencies_us: Vec::with_capacity(4096),
                ..Default::default()
            };
            while Instant::now() < deadline {
                if started.fetch_add(1, Ordering::Relaxed) >= max {
                    break;
                }
                let t0 = Instant::now();
                let r = tokio::time::timeout(timeout, target.one(task)).await;
                let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                let err = match r {
                    Ok(Ok(())) => {
                        out.latencies_us.push(us);
                        continue;
                    }
                    Ok(Err(e)) => e,
                    Err(_) => format!("timeout after {timeout:?}"),
                };
                out.errors += 1;
                if out.error_samples.len() < 3 {
                    out.error_samples.push(err);
                }
            }
            merged.lock().unwrap().absorb(out);
        }));
    }
    for t in tasks {
        t.await.expect("load task panicked");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let out = std::mem::take(&mut *merged.lock().unwrap());
    (out, elapsed)
}
