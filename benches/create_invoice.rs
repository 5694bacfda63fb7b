//! CreateInvoice benchmark: lnpayd (gRPC, dev provider, durable writes) against
//! LNbits 1.6.2 (REST, FakeWallet, SQLite) in the same run, on 127.0.0.1.
//!
//! ```text
//! cargo bench --bench create_invoice
//! ```
//!
//! Knobs (environment):
//! - `BENCH_SECONDS` (default 10): measured window per system and concurrency.
//! - `BENCH_WARMUP_SECONDS` (default 2): unmeasured warm-up before each window.
//! - `BENCH_LEVELS` (default `1,16,64`): concurrency levels.
//! - `BENCH_CHANNELS` (default `1`): number of tonic Channels (HTTP/2
//!   connections) the lnpayd tasks share, round-robin. A list (`1,4`) runs
//!   lnpayd once per entry; the ratios use the first entry.
//! - `BENCH_MAX_REQUESTS` (default 2000000): cap on requests per window.
//! - `BENCH_LNPAYD_BIN`: the lnpayd binary (default: the one cargo built).
//! - `BENCH_STORE_BACKEND`: lnpayd's `[store] backend` (default: its own),
//!   to compare the embedded engines against the same LNbits.
//!
//! For each level the two systems run back to back (lnpayd, then LNbits), so
//! noise on this shared machine hits both; results are reported as ratios
//! against LNbits measured in the same run. See BENCHMARKS.md.
//!
//! Both servers are child processes killed on exit or panic (Drop guards;
//! lnpayd also gets PR_SET_PDEATHSIG, LNbits' fixture stops when its stdin
//! pipe closes).

mod common;
use common::{clk_tck, cpu_model, env_list, env_num, loadavg, Outcome};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use lnpayd::proto::create_invoice_request::{Amount, Memo};
use lnpayd::proto::invoices_client::InvoicesClient;
use lnpayd::proto::CreateInvoiceRequest;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const AMOUNT_SAT: u64 = 1_000;
const MEMO: &str = "lnpayd benchmark invoice";

// ---------------------------------------------------------------- config

struct Config {
    seconds: f64,
    warmup: f64,
    levels: Vec<usize>,
    channels: Vec<usize>,
    max_requests: u64,
}

impl Config {
    fn from_env() -> Self {
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

// ---------------------------------------------------------------- processes

/// A child process that is stopped when dropped (also while unwinding from a panic).
struct Guard {
    name: &'static str,
    child: Option<Child>,
    /// Signal the whole process group (the child leads it).
    group: bool,
    /// Kept open: LNbits' fixture stops when its stdin reaches EOF.
    stdin: Option<ChildStdin>,
}

impl Guard {
    fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        self.signal_pid(&child, Signal::SIGTERM);
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(6);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    eprintln!(
                        "bench: {} did not stop within 6 s of SIGTERM; SIGKILL",
                        self.name
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        if self.group {
            // Anything left in the group (uvicorn, normally already gone).
            let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
        }
    }

    fn signal_pid(&self, child: &Child, sig: Signal) {
        let pid = Pid::from_raw(child.id() as i32);
        let _ = if self.group {
            killpg(pid, sig)
        } else {
            kill(pid, sig)
        };
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Waits for the first stdout line that `parse` accepts; keeps draining stdout afterwards.
fn wait_for_line<T: Send + 'static>(
    stdout: impl Read + Send + 'static,
    timeout: Duration,
    parse: impl Fn(&str) -> Option<T> + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(v) = parse(&line) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(v);
                }
            }
        }
    });
    rx.recv_timeout(timeout).ok()
}

struct Lnpayd {
    guard: Guard,
    addr: String,
    token: String,
}

fn start_lnpayd(dir: &Path) -> Lnpayd {
    let datadir = dir.join("lnpayd");
    let log = dir.join("lnpayd.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let bin = std::env::var_os("BENCH_LNPAYD_BIN").unwrap_or(env!("CARGO_BIN_EXE_lnpayd").into());
    let mut cmd = Command::new(bin);
    cmd.arg("--dev")
        .arg("--datadir")
        .arg(&datadir)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("LNPAYD_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    // Keep the default configuration: drop any LNPAYD_* overrides from the caller.
    for (k, _) in std::env::vars() {
        if k.starts_with("LNPAYD_") {
            cmd.env_remove(k);
        }
    }
    if let Ok(b) = std::env::var("BENCH_STORE_BACKEND") {
        cmd.env("LNPAYD_STORE__BACKEND", b);
    }
    unsafe {
        use std::os::unix::process::CommandExt;
        // Dies with the benchmark even if the benchmark is SIGKILLed.
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn().expect("spawn lnpayd");
    let stdout = child.stdout.take().unwrap();
    let mut guard = Guard {
        name: "lnpayd",
        child: Some(child),
        group: false,
        stdin: None,
    };
    let addr = wait_for_line(stdout, Duration::from_secs(60), |l| {
        // `grpc=<addr>`, then other listeners (`metrics=`, `checkout=`).
        l.strip_prefix("lnpayd ready: grpc=")
            .and_then(|a| a.split_whitespace().next())
            .map(str::to_string)
    });
    let Some(addr) = addr else {
        guard.stop();
        panic!(
            "lnpayd did not become ready; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    };
    let token = std::fs::read_to_string(datadir.join("invoice.token"))
        .expect("read invoice.token")
        .trim()
        .to_string();
    Lnpayd { guard, addr, token }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct LnbitsStarting {
    guard: Guard,
    stdout: std::process::ChildStdout,
    stderr_path: PathBuf,
}

struct Lnbits {
    guard: Guard,
    url: String,
    inkey: String,
}

fn lnbits_python() -> PathBuf {
    let py = repo().join(".tools/lnbits-venv/bin/python");
    if !py.exists() {
        eprintln!("bench: LNbits venv missing; running scripts/ensure-tools.sh lnbits");
        let st = Command::new(repo().join("scripts/ensure-tools.sh"))
            .arg("lnbits")
            .current_dir(repo())
            .status()
            .expect("run scripts/ensure-tools.sh");
        assert!(st.success(), "scripts/ensure-tools.sh lnbits failed: {st}");
    }
    py
}

fn spawn_lnbits(dir: &Path) -> LnbitsStarting {
    use std::os::unix::process::CommandExt;
    let py = lnbits_python();
    let stderr_path = dir.join("lnbits_fixture.stderr");
    let mut child = Command::new(&py)
        .arg(repo().join("scripts/lnbits_fixture.py"))
        .arg("--port")
        .arg(free_port().to_string())
        .arg("--data-dir")
        .arg(dir.join("lnbits"))
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .process_group(0)
        .spawn()
        .expect("spawn lnbits_fixture.py");
    let stdout = child.stdout.take().unwrap();
    let stdin = child.stdin.take();
    LnbitsStarting {
        guard: Guard {
            name: "lnbits",
            child: Some(child),
            group: true,
            stdin,
        },
        stdout,
        stderr_path,
    }
}

fn finish_lnbits(s: LnbitsStarting) -> Lnbits {
    let LnbitsStarting {
        mut guard,
        stdout,
        stderr_path,
    } = s;
    let line = wait_for_line(stdout, Duration::from_secs(150), |l| {
        serde_json::from_str::<serde_json::Value>(l).ok()
    });
    let Some(v) = line else {
        guard.stop();
        panic!(
            "LNbits fixture printed no JSON line; its stderr:\n{}",
            std::fs::read_to_string(&stderr_path).unwrap_or_default()
        );
    };
    Lnbits {
        guard,
        url: v["url"].as_str().expect("url").to_string(),
        inkey: v["merchant"]["inkey"]
            .as_str()
            .expect("merchant.inkey")
            .to_string(),
    }
}

// ---------------------------------------------------------------- /proc

/// (pgrp, utime+stime in ticks) from /proc/<pid>/stat.
fn proc_stat(pid: &str) -> Option<(i32, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((
        f.get(2)?.parse().ok()?,
        f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
    ))
}

/// CPU seconds used so far by one process.
fn cpu_of_pid(pid: i32) -> f64 {
    proc_stat(&pid.to_string())
        .map(|(_, t)| t as f64 / clk_tck())
        .unwrap_or(0.0)
}

/// CPU seconds used so far by the live processes of a process group.
fn cpu_of_group(pgrp: i32) -> f64 {
    let mut ticks = 0;
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some((g, t)) = proc_stat(&name) {
                if g == pgrp {
                    ticks += t;
                }
            }
        }
    }
    ticks as f64 / clk_tck()
}

/// Bytes written to storage so far (`write_bytes` in /proc/<pid>/io), summed over `pids`.
fn write_bytes(pids: &[i32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/io")).ok())
        .filter_map(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("write_bytes:")
                    .and_then(|v| v.trim().parse::<u64>().ok())
            })
        })
        .sum()
}

fn group_pids(pgrp: i32) -> Vec<i32> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Ok(pid) = name.parse::<i32>() {
                if proc_stat(&name).is_some_and(|(g, _)| g == pgrp) {
                    out.push(pid);
                }
            }
        }
    }
    out
}

/// The filesystem type holding `path` (longest mount-point prefix in /proc/mounts).
fn fs_type(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let mut best: (usize, String) = (0, "unknown".into());
    for l in mounts.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        if path.starts_with(f[1]) && f[1].len() >= best.0 {
            best = (f[1].len(), format!("{} ({} on {})", f[2], f[0], f[1]));
        }
    }
    best.1
}

// ---------------------------------------------------------------- load

struct Window {
    system: String,
    concurrency: usize,
    elapsed: f64,
    latencies_us: Vec<u32>,
    errors: u64,
    error_samples: Vec<String>,
    server_cpu: f64,
    client_cpu: f64,
    server_write_bytes: u64,
}

impl Window {
    fn ok(&self) -> u64 {
        self.latencies_us.len() as u64
    }
    fn throughput(&self) -> f64 {
        self.ok() as f64 / self.elapsed
    }
    /// Nearest-rank percentile in ms (latencies sorted).
    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let n = self.latencies_us.len();
        let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
        self.latencies_us[rank.min(n) - 1] as f64 / 1000.0
    }
}

#[derive(Clone)]
enum Target {
    Lnpayd {
        clients: Vec<InvoicesClient<Channel>>,
        auth: MetadataValue<Ascii>,
    },
    Lnbits {
        client: reqwest::Client,
        url: String,
        key: String,
    },
}

impl Target {
    async fn one(&self, task: usize) -> Result<(), String> {
        match self {
            Target::Lnpayd { clients, auth } => {
                let mut client = clients[task % clients.len()].clone();
                let mut req = tonic::Request::new(CreateInvoiceRequest {
                    amount: Some(Amount::AmountSat(AMOUNT_SAT)),
                    memo: Some(Memo::Description(MEMO.into())),
                    ..Default::default()
                });
                req.metadata_mut().insert("authorization", auth.clone());
                let inv = client
                    .create_invoice(req)
                    .await
                    .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?;
                let inv = inv.into_inner();
                if inv.payment_request.is_empty() || inv.id.is_empty() {
                    return Err("response without payment_request/id".into());
                }
                Ok(())
            }
            Target::Lnbits { client, url, key } => {
                let resp = client
                    .post(format!("{url}/api/v1/payments"))
                    .header("X-Api-Key", key)
                    .json(&serde_json::json!({"out": false, "amount": AMOUNT_SAT, "memo": MEMO}))
                    .send()
                    .await
                    .map_err(|e| format!("send: {e}"))?;
                let status = resp.status();
                let body = resp.bytes().await.map_err(|e| format!("body: {e}"))?;
                if status.as_u16() != 201 {
                    return Err(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    ));
                }
                if !body.windows(8).any(|w| w == b"\"bolt11\"") {
                    return Err("201 without bolt11".into());
                }
                Ok(())
            }
        }
    }
}

/// `concurrency` tasks, each sending requests back to back until `secs` have
/// passed (a request started before the deadline is waited for and counted).
async fn drive(
    target: &Target,
    concurrency: usize,
    secs: f64,
    max_requests: u64,
) -> (Outcome, f64) {
    let started = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let merged = Arc::new(Mutex::new(Outcome::default()));
    let mut tasks = Vec::with_capacity(concurrency);
    for task in 0..concurrency {
        let target = target.clone();
        let started = started.clone();
        let merged = merged.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome {
                latencies_us: Vec::with_capacity(4096),
                ..Default::default()
            };
            while Instant::now() < deadline {
                if started.fetch_add(1, Ordering::Relaxed) >= max_requests {
                    break;
                }
                let t0 = Instant::now();
                let r = tokio::time::timeout(REQUEST_TIMEOUT, target.one(task)).await;
                let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                match r {
                    Ok(Ok(())) => out.latencies_us.push(us),
                    Ok(Err(e)) => {
                        out.errors += 1;
                        if out.error_samples.len() < 3 {
                            out.error_samples.push(e);
                        }
                    }
                    Err(_) => {
                        out.errors += 1;
                        if out.error_samples.len() < 3 {
                            out.error_samples
                                .push(format!("timeout after {REQUEST_TIMEOUT:?}"));
                        }
                    }
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

struct Measured<'a> {
    name: String,
    target: Target,
    /// Server CPU seconds so far.
    cpu: Box<dyn Fn() -> f64 + 'a>,
    /// Server storage bytes written so far.
    written: Box<dyn Fn() -> u64 + 'a>,
}

async fn window(m: &Measured<'_>, concurrency: usize, cfg: &Config) -> Window {
    if cfg.warmup > 0.0 {
        let (w, _) = drive(&m.target, concurrency, cfg.warmup, cfg.max_requests).await;
        if w.latencies_us.is_empty() {
            panic!(
                "{}: no successful request during warm-up at c={concurrency}: {:?}",
                m.name, w.error_samples
            );
        }
    }
    let me = std::process::id() as i32;
    let (s0, c0, w0) = ((m.cpu)(), cpu_of_pid(me), (m.written)());
    let (mut out, elapsed) = drive(&m.target, concurrency, cfg.seconds, cfg.max_requests).await;
    let (s1, c1, w1) = ((m.cpu)(), cpu_of_pid(me), (m.written)());
    out.latencies_us.sort_unstable();
    let w = Window {
        system: m.name.clone(),
        concurrency,
        elapsed,
        latencies_us: out.latencies_us,
        errors: out.errors,
        error_samples: out.error_samples,
        server_cpu: s1 - s0,
        client_cpu: c1 - c0,
        server_write_bytes: w1.saturating_sub(w0),
    };
    eprintln!(
        "bench: {:<16} c={:<3} {:>7} ok {:>5} err {:>9.1}/s  p50 {:>8.2} ms  p99 {:>8.2} ms  (load {})",
        w.system,
        concurrency,
        w.ok(),
        w.errors,
        w.throughput(),
        w.pct(50.0),
        w.pct(99.0),
        loadavg()
    );
    for e in &w.error_samples {
        eprintln!("bench:   error sample: {e}");
    }
    w
}

// ---------------------------------------------------------------- main

fn main() {
    // `cargo bench` passes `--bench` (libtest style); there is nothing to select, so arguments are ignored.
    let cfg = Config::from_env();
    // Data dirs on the same (real) filesystem for both systems, so fsync costs the same.
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("bench-create-invoice-")
        .tempdir_in(&base)
        .unwrap();

    let t0 = Instant::now();
    eprintln!(
        "bench: starting LNbits (fixture) and lnpayd in {}",
        tmp.path().display()
    );
    let lnbits_starting = spawn_lnbits(tmp.path());
    let lnpayd = start_lnpayd(tmp.path());
    eprintln!(
        "bench: lnpayd ready on {} after {:.1} s",
        lnpayd.addr,
        t0.elapsed().as_secs_f64()
    );
    let lnbits = finish_lnbits(lnbits_starting);
    eprintln!(
        "bench: LNbits ready on {} after {:.1} s",
        lnbits.url,
        t0.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let windows = rt.block_on(run(&cfg, &lnpayd, &lnbits));
    drop(rt);

    let lnbits_version = Command::new(lnbits_python())
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('lnbits'))",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let data_fs = fs_type(tmp.path());

    // Stop the servers before printing (and before the data dirs go).
    let (mut g1, mut g2) = (lnpayd.guard, lnbits.guard);
    g1.stop();
    g2.stop();

    report(&cfg, &windows, &lnbits_version, &data_fs);
}

async fn run(cfg: &Config, lnpayd: &Lnpayd, lnbits: &Lnbits) -> Vec<Window> {
    let auth: MetadataValue<Ascii> = format!("Bearer {}", lnpayd.token).parse().unwrap();
    let mut lnpayd_targets = vec![];
    for &n in &cfg.channels {
        let mut clients = vec![];
        for _ in 0..n {
            let ch = Channel::from_shared(format!("http://{}", lnpayd.addr))
                .unwrap()
                .tcp_nodelay(true)
                .connect()
                .await
                .expect("connect to lnpayd");
            clients.push(InvoicesClient::new(ch));
        }
        let name = if cfg.channels.len() == 1 {
            "lnpayd".to_string()
        } else {
            format!("lnpayd ({n} ch)")
        };
        lnpayd_targets.push((
            name,
            Target::Lnpayd {
                clients,
                auth: auth.clone(),
            },
        ));
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .build()
        .unwrap();
    let lnbits_target = Target::Lnbits {
        client: http,
        url: lnbits.url.clone(),
        key: lnbits.inkey.clone(),
    };

    let lnpayd_pid = lnpayd.guard.pid();
    let lnbits_pgrp = lnbits.guard.pid();
    let mut systems: Vec<Measured> = lnpayd_targets
        .into_iter()
        .map(|(name, target)| Measured {
            name,
            target,
            cpu: Box::new(move || cpu_of_pid(lnpayd_pid)),
            written: Box::new(move || write_bytes(&[lnpayd_pid])),
        })
        .collect();
    systems.push(Measured {
        name: "LNbits".into(),
        target: lnbits_target,
        cpu: Box::new(move || cpu_of_group(lnbits_pgrp)),
        written: Box::new(move || write_bytes(&group_pids(lnbits_pgrp))),
    });

    let mut out = vec![];
    for &c in &cfg.levels {
        for s in &systems {
            out.push(window(s, c, cfg).await);
        }
    }
    out
}

fn report(cfg: &Config, windows: &[Window], lnbits_version: &str, data_fs: &str) {
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
