//! The load: creating N invoices, and the read measurements (GetInvoice,
//! ListInvoices with each filter) with their p50/p99.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lnpayd::proto::get_invoice_request::Lookup;
use lnpayd::proto::{CreateInvoiceRequest, GetInvoiceRequest, InvoiceStatus, ListInvoicesRequest};
use testkit::daemon::{create_req, Daemon, Invoices};

use crate::common::{env_num, loadavg};
use crate::footprint::rss_mb;

const READERS: usize = 8;
const PAGE: u32 = 50;

/// Creates `n` invoices, `SCALE_CONCURRENCY` in flight, and prints the
/// throughput of each tenth. Each has an external_ref `scale-<i>`.
pub(crate) async fn create_all(daemon: &Daemon, n: usize) -> Vec<String> {
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
pub(crate) async fn reads(daemon: &Daemon, ids: &[String]) {
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
