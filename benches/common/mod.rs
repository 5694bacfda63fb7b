//! Helpers both benchmarks use: knobs from the environment, and the machine
//! facts every report states.
#![allow(dead_code)]

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
