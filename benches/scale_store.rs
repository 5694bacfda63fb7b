//! The store at scale: the release lnpayd (`--dev`) driven to N stored
//! invoices, then measured as an operator would see it.
//!
//! ```text
//! cargo bench --bench scale_store                  # N = 1,000,000
//! cargo bench --bench scale_store -- --quick       # N = 50,000
//! cargo bench --bench scale_store -- --quick --compare /tmp/lnpayd-main
//! cargo bench --bench scale_store -- --n 200000 --backend both   # sled, then fjall
//! ```
//!
//! `--backend sled|fjall` chooses the daemon's `[store] backend` (through
//! `LNPAYD_STORE__BACKEND`; fjall by default); `both` runs sled and then
//! fjall, each in a child of this bench, back to back on the same machine
//! state. `--convert` ends the sled run by starting the daemon on fjall, the
//! default, on the same data dir: the in-place conversion an upgrade does,
//! timed from spawn to ready.
//!
//! Reports: create throughput per tenth of the run (per 100k at 1M); bytes
//! on disk per invoice (each with its CREATED event and audit lines); RSS at
//! N, and 5 s after a restart; restart-to-serving time; GetInvoice (by id, by
//! external_ref) and ListInvoices (no filter, each status filter, a time
//! range, status + time range, a status 5 invoices of N have) p50/p99 at c=8.
//!
//! `--compare PATH` first runs the same measurements against the lnpayd
//! binary at PATH (say, a release build of main before a change), in a child
//! of this bench, so both appear in one run on the same machine state.
//!
//! Knobs: `--n N` (overrides the size), `SCALE_CONCURRENCY` (creates in
//! flight, default 64), `SCALE_QUERIES` (requests per read measurement,
//! default 2,000), `SCALE_DAEMON_ENV` (`K=V,K=V` for the daemon, say
//! `LNPAYD_STORE__CACHE_MB=32,_RJEM_MALLOC_CONF=narenas:2`, to tell what the memory
//! is). The daemon logs at `info`, the level operators run, unless
//! `SCALE_DAEMON_ENV` sets `LNPAYD_LOG__LEVEL`. Data dirs live under
//! `target/tmp` (the same disk as the build) and
//! are removed at the end.

mod common;
use common::{cpu_model, env_num, loadavg};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lnpayd::proto::get_invoice_request::Lookup;
use lnpayd::proto::{
    CreateInvoiceRequest, GetInvoiceRequest, InvoiceStatus, ListInvoicesRequest,
    SimulatePaymentRequest,
};
use testkit::daemon::{create_req, Daemon, Invoices};

/// Invoices paid: the rare status ListInvoices must find without a scan.
const PAID: usize = 5;
const READERS: usize = 8;
const PAGE: u32 = 50;

struct Args {
    n: usize,
    compare: Option<PathBuf>,
    backend: String,
    convert: bool,
}

fn args() -> Args {
    let mut a = Args {
        n: 1_000_000,
        compare: None,
        backend: "fjall".into(),
        convert: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => a.n = 50_000,
            "--n" => a.n = it.next().and_then(|v| v.parse().ok()).expect("--n N"),
            "--compare" => a.compare = Some(it.next().expect("--compare PATH").into()),
            "--backend" => a.backend = it.next().expect("--backend sled|fjall|both"),
            "--convert" => a.convert = true,
            _ => {} // cargo's own (--bench)
        }
    }
    a
}

fn main() {
    let a = args();
    if a.backend == "both" {
        for backend in ["sled", "fjall"] {
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--n", &a.n.to_string(), "--backend", backend])
                .args(a.convert.then_some("--convert"))
                .status()
                .expect("run one backend");
            assert!(status.success(), "the {backend} run failed");
        }
        return;
    }
    let bin = std::env::var_os("SCALE_BIN").map(PathBuf::from);
    if let Some(old) = &a.compare {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--n", &a.n.to_string()])
            .env("SCALE_BIN", old)
            .status()
            .expect("run the comparison");
        assert!(status.success(), "the comparison run failed");
    }
    let label = match &bin {
        Some(p) => {
            testkit::daemon::set_lnpayd_bin(p);
            p.display().to_string()
        }
        None => "this tree's release build".into(),
    };
    println!(
        "\n## scale_store: N = {}, backend: {}, binary: {label}",
        a.n, a.backend
    );
    println!("cpu: {} x{}, load {}", cpu_model(), num_cpus(), loadavg());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(a.n, &a.backend, a.convert));
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The store's directory in a data dir (`src/store/open.rs`).
fn store_dir(datadir: &Path) -> PathBuf {
    let fjall = std::env::var("LNPAYD_STORE__BACKEND").is_ok_and(|b| b == "fjall");
    datadir.join(if fjall { "fjall" } else { "store" })
}

async fn run(n: usize, backend: &str, convert: bool) {
    // The daemon inherits it, and `store_dir` reads it.
    std::env::set_var("LNPAYD_STORE__BACKEND", backend);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp");
    std::fs::create_dir_all(&root).unwrap();
    let tmp = tempfile::tempdir_in(root).unwrap();
    let env = daemon_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if !env.is_empty() {
        println!("daemon environment: {env:?}");
    }
    let mut daemon = Daemon::start(tmp.path(), &[], &env);

    let ids = create_all(&daemon, n).await;
    let admin = daemon.admin().await;
    for i in 0..PAID {
        let id = ids[(i + 1) * n / (PAID + 1)].clone();
        let req = SimulatePaymentRequest { id, amount_msat: 0 };
        admin.clone().simulate_payment(req).await.expect("pay");
    }
    // The group commit has written everything; let sled's background flush
    // settle before the disk is measured.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let disk = dir_bytes(&store_dir(&daemon.datadir));
    println!(
        "disk: {} MB, {:.0} bytes per invoice",
        disk / 1_000_000,
        disk as f64 / n as f64
    );
    println!("RSS at N: {} MB", rss_mb(&daemon.datadir));
    reads(&daemon, &ids).await;
    disk_line("disk after the reads", &daemon.datadir, n);

    daemon.terminate();
    disk_line("disk after shutdown", &daemon.datadir, n);
    live_line(&daemon.datadir, n);
    let started = Instant::now();
    daemon = Daemon::start(tmp.path(), &[], &env);
    let restart = started.elapsed();
    let mut client = daemon.invoices().await;
    let req = GetInvoiceRequest {
        lookup: Some(Lookup::Id(ids[n / 2].clone())),
    };
    client.get_invoice(req).await.expect("serves after restart");
    println!(
        "restart to serving: {:.2} s (spawn to ready line; then one GetInvoice answered in {:.2} s total)",
        restart.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!("RSS 5 s after the restart: {} MB", rss_mb(&daemon.datadir));
    disk_line("disk 5 s after the restart", &daemon.datadir, n);
    reads(&daemon, &ids).await;
    daemon.terminate();
    disk_line("disk after the second shutdown", &daemon.datadir, n);
    if convert && backend == "sled" {
        convert_to_fjall(tmp.path(), &env, &ids).await;
    }
}

/// Starts the default engine on the sled data dir just measured: the
/// conversion an upgrade makes, timed from spawn to ready.
async fn convert_to_fjall(dir: &Path, env: &[(&str, &str)], ids: &[String]) {
    std::env::set_var("LNPAYD_STORE__BACKEND", "fjall");
    std::env::set_var("TESTKIT_READY_SECS", "3600");
    let started = Instant::now();
    let daemon = Daemon::start(dir, &[], env);
    let took = started.elapsed().as_secs_f64();
    println!(
        "sled to fjall at start-up: {took:.1} s spawn to ready, {:.0} invoices/s",
        ids.len() as f64 / took
    );
    for line in daemon.log_text().lines().filter(|l| {
        l.contains("converted and verified") || l.contains("converting the data dir to fjall")
    }) {
        println!("  {}", line.trim());
    }
    let req = GetInvoiceRequest {
        lookup: Some(Lookup::Id(ids[ids.len() / 2].clone())),
    };
    daemon
        .invoices()
        .await
        .get_invoice(req)
        .await
        .expect("serves after the conversion");
    println!("RSS after the conversion: {} MB", rss_mb(&daemon.datadir));
    disk_line(
        "fjall disk after the conversion",
        &daemon.datadir,
        ids.len(),
    );
}

fn daemon_env() -> Vec<(String, String)> {
    // The level operators run (the harness's default is debug, which writes
    // a line per RPC: ~4 % of the daemon's CPU in a GetInvoice profile).
    let mut env = vec![("LNPAYD_LOG__LEVEL".to_string(), "info".to_string())];
    let v = std::env::var("SCALE_DAEMON_ENV").unwrap_or_default();
    env.extend(
        v.split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string())),
    );
    env
}

/// Creates `n` invoices, `SCALE_CONCURRENCY` in flight, and prints the
/// throughput of each tenth. Each has an external_ref `scale-<i>`.
async fn create_all(daemon: &Daemon, n: usize) -> Vec<String> {
    let concurrency = env_num("SCALE_CONCURRENCY", 64usize);
    let step = (n / 10).max(1);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let clients: Vec<Invoices> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(daemon.invoices().await);
        }
        v
    };
    for t in 0..concurrency {
        let mut client = clients[t % clients.len()].clone();
        let (next, done) = (next.clone(), done.clone());
        tasks.spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return made;
                }
                let req = CreateInvoiceRequest {
                    external_ref: format!("scale-{i}"),
                    ..create_req(1_000, "lnpayd scale benchmark invoice")
                };
                let inv = client.create_invoice(req).await.expect("create");
                made.push((i, inv.into_inner().id));
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    println!("| invoices stored | create/s in this tenth | peak RSS MB in it | load |");
    println!("|---|---|---|---|");
    let mut mark = (Instant::now(), 0usize);
    let mut peak = 0;
    let mut tick = 0u32;
    while mark.1 < n {
        tokio::time::sleep(Duration::from_millis(100)).await;
        tick += 1;
        if tick % 5 == 0 {
            peak = peak.max(rss_mb(&daemon.datadir));
        }
        let d = done.load(Ordering::Relaxed);
        if d >= mark.1 + step || d == n {
            let rate = (d - mark.1) as f64 / mark.0.elapsed().as_secs_f64();
            peak = peak.max(rss_mb(&daemon.datadir));
            println!("| {d} | {rate:.0} | {peak} | {} |", loadavg());
            mark = (Instant::now(), d);
            peak = 0;
        }
    }
    let mut ids = vec![String::new(); n];
    while let Some(made) = tasks.join_next().await {
        for (i, id) in made.unwrap() {
            ids[i] = id;
        }
    }
    ids
}

/// p50/p99 of GetInvoice and of ListInvoices with each filter, at c=8.
async fn reads(daemon: &Daemon, ids: &[String]) {
    let queries = env_num("SCALE_QUERIES", 2_000usize);
    let client = daemon.invoices().await;
    let n = ids.len();
    let ids = Arc::new(ids.to_vec());
    // Creation times come from the ids (UUIDv7): a window of 1% of the run.
    let first = created_ms(&ids[0]);
    let span = created_ms(&ids[n - 1]).saturating_sub(first).max(100);
    let window = move |seed: usize| {
        let start = first + (seed as u64 * 7_919) % span;
        (start, start + span / 100)
    };
    println!("| read (c={READERS}, {queries} requests) | p50 ms | p99 ms | rows/page | load |");
    println!("|---|---|---|---|---|");
    let by_id = move |i: usize| Lookup::Id(ids[(i * 104_729) % n].clone());
    let one_at_a_time = by_id.clone();
    measure_at(1, "GetInvoice by id, c=1", queries, &client, move |c, i| {
        let lookup = one_at_a_time(i);
        Box::pin(async move { get(c, lookup).await })
    })
    .await;
    measure("GetInvoice by id", queries, &client, move |c, i| {
        let lookup = by_id(i);
        Box::pin(async move { get(c, lookup).await })
    })
    .await;
    measure(
        "GetInvoice by external_ref",
        queries,
        &client,
        move |c, i| {
            let lookup = Lookup::ExternalRef(format!("scale-{}", (i * 104_729) % n));
            Box::pin(async move { get(c, lookup).await })
        },
    )
    .await;
    let lists: [(&str, Option<InvoiceStatus>, bool); 6] = [
        ("ListInvoices, no filter", None, false),
        (
            "ListInvoices status=PENDING",
            Some(InvoiceStatus::Pending),
            false,
        ),
        (
            "ListInvoices status=PAID (5 of N)",
            Some(InvoiceStatus::Paid),
            false,
        ),
        ("ListInvoices time range (1%)", None, true),
        (
            "ListInvoices PENDING + time range",
            Some(InvoiceStatus::Pending),
            true,
        ),
        (
            "ListInvoices PAID + time range",
            Some(InvoiceStatus::Paid),
            true,
        ),
    ];
    for (name, status, ranged) in lists {
        let queries = queries / 4;
        measure(name, queries, &client, move |mut c, i| {
            let mut req = ListInvoicesRequest {
                status: status.map_or(0, |s| s as i32),
                page_size: PAGE,
                ..Default::default()
            };
            if ranged {
                let (from, to) = window(i);
                req.created_after = Some(timestamp(from));
                req.created_before = Some(timestamp(to));
            }
            Box::pin(async move {
                let page = c.list_invoices(req).await.expect("list").into_inner();
                page.invoices.len()
            })
        })
        .await;
    }
}

type Call = std::pin::Pin<Box<dyn std::future::Future<Output = usize> + Send>>;

/// Runs `queries` calls of `call`, READERS at a time, and prints p50/p99.
async fn measure(
    name: &str,
    queries: usize,
    client: &Invoices,
    call: impl Fn(Invoices, usize) -> Call + Send + Sync + 'static,
) {
    measure_at(READERS, name, queries, client, call).await
}

/// As [`measure`], `readers` at a time.
async fn measure_at(
    readers: usize,
    name: &str,
    queries: usize,
    client: &Invoices,
    call: impl Fn(Invoices, usize) -> Call + Send + Sync + 'static,
) {
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..readers {
        let (client, call, next) = (client.clone(), call.clone(), next.clone());
        tasks.spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= queries {
                    return out;
                }
                let t = Instant::now();
                let rows = call(client.clone(), i).await;
                out.push((t.elapsed(), rows));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.unwrap());
    }
    let rows = all.iter().map(|(_, r)| r).sum::<usize>() as f64 / all.len() as f64;
    let mut lat: Vec<Duration> = all.into_iter().map(|(d, _)| d).collect();
    lat.sort();
    let at = |q: f64| lat[((lat.len() as f64 * q).ceil() as usize).clamp(1, lat.len()) - 1];
    println!(
        "| {name} | {:.2} | {:.2} | {rows:.1} | {} |",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        loadavg()
    );
}

async fn get(mut c: Invoices, lookup: Lookup) -> usize {
    let req = GetInvoiceRequest {
        lookup: Some(lookup),
    };
    c.get_invoice(req).await.expect("get");
    1
}

fn created_ms(id: &str) -> u64 {
    u64::from_str_radix(&id[4..16], 16).expect("a UUIDv7 invoice id")
}

fn timestamp(ms: u64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: (ms / 1000) as i64,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    }
}

fn disk_line(what: &str, datadir: &Path, n: usize) {
    let disk = dir_bytes(&store_dir(datadir));
    println!(
        "{what}: {} MB, {:.0} bytes per invoice",
        disk / 1_000_000,
        disk as f64 / n as f64
    );
}

/// What the store holds, as sled's keys and values (every tree): the live
/// data, against which the allocated bytes are the log's overhead. Opened
/// while no daemon runs; the daemon's own restart follows.
fn live_line(datadir: &Path, n: usize) {
    let dir = datadir.join("store");
    if !dir.exists() {
        // fjall keeps the same keys and values (`src/store/keys.rs`): sled's line says them.
        return;
    }
    // The settings a store was made with are in its `conf`; sled refuses others.
    // (text lines, then a binary checksum)
    let conf = std::fs::read(dir.join("conf")).unwrap_or_default();
    let conf = String::from_utf8_lossy(&conf);
    let setting = |name: &str| {
        conf.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .map(str::trim)
            .map(String::from)
    };
    let mut cfg = sled::Config::new().path(&dir);
    if let Some(size) = setting("segment_size").and_then(|v| v.parse().ok()) {
        cfg = cfg.segment_size(size);
    }
    if setting("use_compression").as_deref() == Some("true") {
        cfg = cfg.use_compression(true);
    }
    let db = cfg.open().expect("open the store");
    let (mut keys, mut bytes) = (0u64, 0u64);
    // By key prefix (up to the first '/'): which records the bytes are.
    let mut by_prefix = std::collections::BTreeMap::<String, (u64, u64)>::new();
    for name in db.tree_names() {
        for kv in db.open_tree(name).unwrap().iter() {
            let (k, v) = kv.unwrap();
            keys += 1;
            bytes += (k.len() + v.len()) as u64;
            let cut = k
                .iter()
                .position(|b| *b == b'/')
                .map_or(k.len().min(2), |i| i + 1);
            let e = by_prefix
                .entry(String::from_utf8_lossy(&k[..cut]).into_owned())
                .or_default();
            e.0 += 1;
            e.1 += (k.len() + v.len()) as u64;
        }
    }
    let parts: Vec<String> = by_prefix
        .iter()
        .filter(|(_, (count, _))| *count as usize >= n / 10)
        .map(|(p, (count, b))| {
            format!(
                "{p} {:.1}x {:.0} B",
                *count as f64 / n as f64,
                *b as f64 / n as f64
            )
        })
        .collect();
    println!("live per invoice, by key prefix: {}", parts.join(", "));
    println!(
        "live: {keys} keys, {} MB of keys and values, {:.0} bytes per invoice ({:.1} keys)",
        bytes / 1_000_000,
        bytes as f64 / n as f64,
        keys as f64 / n as f64
    );
}

/// Bytes the store's files take on disk (allocated blocks, as `du`).
fn dir_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            dir_bytes(&entry.path())
        } else {
            meta.blocks() * 512
        };
    }
    total
}

/// The resident memory of the lnpayd serving `datadir`, found through /proc
/// by its command line.
fn rss_mb(datadir: &Path) -> u64 {
    let needle = datadir.to_string_lossy().to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        let Ok(cmd) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd);
        if !cmd.contains("lnpayd") || !cmd.split('\0').any(|a| a == needle) {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        if let Some(kb) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            return kb / 1024;
        }
    }
    panic!("no lnpayd process serving {needle}");
}
