//! Fan-out scale benchmark (issue 11): CreateInvoice throughput and p99 at
//! c=16 with 0, 1,000 and 10,000 open SubscribeEvents streams, as ratios to
//! 0 in the same run; the daemon's RSS with the streams open and idle; and a
//! check that every stream got every event it asked for, in order, once.
//!
//! ```text
//! cargo bench --bench scale_fanout              # full size
//! cargo bench --bench scale_fanout -- --quick   # 0 / 200 / 2,000 (both shapes), short windows
//! BENCH_LNPAYD_BIN=/path/to/lnpayd cargo bench --bench scale_fanout   # another build
//! ```
//!
//! Two shapes of listener, each a level of its own:
//! - `N` (the worst case): all but four streams listen for INVOICE_PAID
//!   (an order service's wait), four listen to everything (an auditor), so
//!   every payment goes to all N;
//! - `N/invoice` (checkout pages, WaitInvoice): four listen to everything,
//!   the others each to one invoice of their own, created before the level;
//!   the payer pays those invoices, so a payment goes to one stream.
//!
//! They are spread over a few HTTP/2 connections. During each window a payer
//! simulates a few payments per second, so every stream has events to check:
//! the unfiltered ones must see every sequence from the start to the end,
//! gap-free; the others exactly the sequences of their kind (or invoice) the
//! unfiltered ones saw. The load runs on its own connection. Knobs:
//! `BENCH_SECONDS` (10), `BENCH_WARMUP_SECONDS` (2), `BENCH_LEVELS`
//! (`0,1000,10000,10000/invoice`),
//! `BENCH_STREAM_CONNECTIONS` (4), `BENCH_PAYMENTS_PER_SEC` (4),
//! `BENCH_DELIVERY_TIMEOUT_SECS` (120).

mod common;
use common::{clk_tck, cpu_model, env_num, loadavg};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lnpayd::proto::admin_client::AdminClient;
use lnpayd::proto::invoices_client::InvoicesClient;
use lnpayd::proto::{EventType, SimulatePaymentRequest, SubscribeEventsRequest};
use testkit::daemon::{create_req, Bearer, Daemon, Invoices};
use tonic::transport::Channel;

const CONCURRENCY: usize = 16;
const UNFILTERED: usize = 4;
const SETTLE: Duration = Duration::from_secs(2);

struct Cfg {
    seconds: f64,
    warmup: f64,
    levels: Vec<Shape>,
    connections: usize,
    payments_per_sec: f64,
    /// How long the streams get to receive everything after a window.
    delivery_timeout: Duration,
}

impl Cfg {
    fn new(quick: bool) -> Self {
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
struct Shape {
    streams: usize,
    /// Each filtered stream follows one invoice (else: INVOICE_PAID, all).
    per_invoice: bool,
}

/// What one stream received, folded as it arrives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Digest {
    count: u64,
    last: u64,
    /// Any sequence not above the previous one (a duplicate or reordering),
    /// or, for an unfiltered stream, not exactly the next one (a gap).
    broken: bool,
    /// Over the INVOICE_PAID sequences seen.
    paid_count: u64,
    paid_hash: u64,
    /// An unfiltered stream's events by invoice, for a per-invoice level:
    /// (count, order-sensitive hash), as a per-invoice stream folds its own.
    by_invoice: std::collections::HashMap<String, (u64, u64)>,
}

fn fold(hash: u64, seq: u64) -> u64 {
    (hash ^ seq).wrapping_mul(0x100_0000_01b3)
}

impl Digest {
    fn add(&mut self, seq: u64, paid: bool, gap_free: bool) {
        let bad = seq <= self.last || (gap_free && self.count > 0 && seq != self.last + 1);
        self.broken |= bad;
        self.count += 1;
        self.last = seq;
        if paid {
            self.paid_count += 1;
            self.paid_hash = fold(self.paid_hash, seq);
        }
    }
}

struct Level {
    shape: Shape,
    invoices: u64,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_ms_per_invoice: f64,
    idle_rss_mb: f64,
    delivered_ok: bool,
    detail: String,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if let Some(bin) = std::env::var_os("BENCH_LNPAYD_BIN") {
        testkit::daemon::set_lnpayd_bin(bin);
    }
    let cfg = Cfg::new(quick);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = rt.block_on(run(&cfg));
    report(&cfg, &results);
    if results.iter().any(|l| !l.delivered_ok) {
        std::process::exit(1);
    }
}

async fn run(cfg: &Cfg) -> Vec<Level> {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(dir.path(), &[], &[("LNPAYD_LOG__LEVEL", "warn")]);
    let pid = daemon_pid(&daemon);
    let mut out = Vec::new();
    for &shape in &cfg.levels {
        out.push(level(cfg, &daemon, pid, shape).await);
    }
    out
}

async fn level(cfg: &Cfg, daemon: &Daemon, pid: u32, shape: Shape) -> Level {
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

/// Opens `n` streams after `start` over `cfg.connections` connections; each
/// is read by a task folding into its digest. Returns once all are open.
async fn open_streams(
    cfg: &Cfg,
    daemon: &Daemon,
    n: usize,
    start: u64,
    targets: Option<Arc<Vec<String>>>,
) -> (
    Vec<(bool, Arc<Mutex<Digest>>)>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let token = Some(daemon.token("invoice"));
    let mut conns: Vec<Invoices> = Vec::new();
    for _ in 0..cfg.connections.max(1) {
        conns.push(InvoicesClient::with_interceptor(
            daemon.channel().await,
            Bearer(token.clone()),
        ));
    }
    let mut out = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    let mut opening = Vec::new();
    for i in 0..n {
        let unfiltered = i < UNFILTERED;
        let digest = Arc::new(Mutex::new(Digest::default()));
        out.push((unfiltered, digest.clone()));
        let mut client = conns[i % conns.len()].clone();
        let (opened, is_open) = tokio::sync::oneshot::channel();
        opening.push(is_open);
        let own = match (&targets, unfiltered) {
            (Some(t), false) => Some(t[i - UNFILTERED].clone()),
            _ => None,
        };
        let by_invoice = targets.is_some() && unfiltered;
        readers.push(tokio::spawn(async move {
            let req = SubscribeEventsRequest {
                after_sequence: start,
                types: if unfiltered || own.is_some() {
                    vec![]
                } else {
                    vec![EventType::InvoicePaid as i32]
                },
                invoice_id: own.clone().unwrap_or_default(),
            };
            let mut stream = client
                .subscribe_events(req)
                .await
                .expect("stream opens")
                .into_inner();
            let _ = opened.send(());
            while let Ok(Some(e)) = stream.message().await {
                let invoice = e.invoice.map(|i| i.id).unwrap_or_default();
                // A per-invoice stream counts every event it gets (of its invoice).
                let paid = own.is_some() || e.r#type == EventType::InvoicePaid as i32;
                let mut d = digest.lock().unwrap();
                d.add(e.sequence, paid, unfiltered);
                if by_invoice {
                    let (count, hash) = d.by_invoice.entry(invoice).or_default();
                    *count += 1;
                    *hash = fold(*hash, e.sequence);
                } else if own.as_ref().is_some_and(|o| *o != invoice) {
                    d.broken = true;
                }
            }
        }));
        // Opened in waves, so the server is not asked for 10,000 at once.
        if opening.len() == 500 {
            for o in opening.drain(..) {
                o.await.expect("stream opens");
            }
        }
    }
    for o in opening {
        o.await.expect("stream opens");
    }
    (out, readers)
}

/// CreateInvoice at c=16 for `window`; the latency of each, in µs.
async fn drive(load: &Invoices, newest: &Arc<Mutex<Option<String>>>, window: Duration) -> Vec<u32> {
    let until = Instant::now() + window;
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let mut client = load.clone();
        let newest = newest.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0u64;
            while Instant::now() < until {
                let t = Instant::now();
                let inv = client
                    .create_invoice(create_req(1_000, &format!("fanout bench {w} {i}")))
                    .await
                    .expect("CreateInvoice")
                    .into_inner();
                lat.push(t.elapsed().as_micros() as u32);
                *newest.lock().unwrap() = Some(inv.id);
                i += 1;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Creates `n` invoices at c=16; their ids.
async fn make_targets(load: &Invoices, n: usize) -> Vec<String> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (mut client, next) = (load.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let req = create_req(1_000, "fanout bench: one stream follows me");
                made.push(
                    client
                        .create_invoice(req)
                        .await
                        .expect("CreateInvoice")
                        .into_inner()
                        .id,
                );
            }
            made
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Pays a few invoices a second until `stop`: the newest one, or at a
/// per-invoice level the followed ones, in turn.
async fn pay(
    mut admin: AdminClient<tonic::service::interceptor::InterceptedService<Channel, Bearer>>,
    newest: Arc<Mutex<Option<String>>>,
    targets: Option<Arc<Vec<String>>>,
    per_sec: f64,
    stop: Arc<AtomicBool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec.max(0.1)));
    let mut paid = None;
    let mut turn = 0usize;
    while !stop.load(Ordering::SeqCst) {
        tick.tick().await;
        let id = match &targets {
            Some(t) if !t.is_empty() => {
                turn += 1;
                Some(t[(turn * 7_919) % t.len()].clone())
            }
            _ => newest.lock().unwrap().clone(),
        };
        if id.is_none() || id == paid {
            continue;
        }
        let req = SimulatePaymentRequest {
            id: id.clone().unwrap(),
            amount_msat: 0,
        };
        admin.simulate_payment(req).await.expect("SimulatePayment");
        paid = id;
    }
}

/// Waits until every stream has what it asked for; (ok, what went wrong).
/// `targets`: at a per-invoice level, the invoice each filtered stream follows.
async fn check(
    digests: &[(bool, Arc<Mutex<Digest>>)],
    targets: Option<&[String]>,
    start: u64,
    end: u64,
    timeout: Duration,
) -> (bool, String) {
    let n = digests.len();
    if n == 0 {
        return (true, "no streams".into());
    }
    let deadline = Instant::now() + timeout;
    loop {
        let snap: Vec<(bool, Digest)> = digests
            .iter()
            .map(|(u, d)| (*u, d.lock().unwrap().clone()))
            .collect();
        let reference = snap
            .iter()
            .find(|(u, _)| *u)
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        // What filtered stream `i` should have: (count, hash).
        let expected = |i: usize| match targets {
            Some(t) => reference
                .by_invoice
                .get(&t[i - UNFILTERED])
                .copied()
                .unwrap_or_default(),
            None => (reference.paid_count, reference.paid_hash),
        };
        let unfiltered_done = snap
            .iter()
            .filter(|(u, _)| *u)
            .all(|(_, d)| d.last == end && d.count == end - start);
        let incomplete = snap
            .iter()
            .enumerate()
            .filter(|(i, (u, d))| {
                if *u {
                    d.last != end
                } else {
                    (d.paid_count, d.paid_hash) != expected(*i)
                }
            })
            .count();
        let broken = snap.iter().filter(|(_, d)| d.broken).count();
        if broken > 0 {
            return (
                false,
                format!("{broken} streams saw a gap, duplicate, reordering or another invoice"),
            );
        }
        if unfiltered_done && incomplete == 0 {
            let detail = match targets {
                Some(_) => {
                    let fed = snap.iter().filter(|(u, d)| !*u && d.count > 0).count();
                    format!(
                        "{n} streams: all {} events to the unfiltered; {fed} per-invoice streams got their invoice's events, the others none, in order, once",
                        end - start
                    )
                }
                None => format!(
                    "{n} streams: all {} events to the unfiltered, {} INVOICE_PAID to the others, in order, once",
                    end - start,
                    reference.paid_count
                ),
            };
            return (true, detail);
        }
        if Instant::now() > deadline {
            return (
                false,
                format!("{incomplete} of {n} streams incomplete after {timeout:?}"),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The daemon's pid: the process whose command line names its data dir.
fn daemon_pid(daemon: &Daemon) -> u32 {
    let want = daemon.datadir.to_string_lossy().to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd);
        if cmd.contains(&want) && cmd.contains("--datadir") {
            return pid;
        }
    }
    panic!("no process runs with {want}");
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces): utime is the 14th
    // field of the line, stime the 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    num(11) + num(12)
}

fn report(cfg: &Cfg, levels: &[Level]) {
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
