//! Webhook delivery benchmark: the real lnpayd (release, `--dev`, default
//! configuration) delivering to an in-process HTTP receiver on 127.0.0.1
//! that answers 204 at once (signatures are proven by tests/webhooks; here
//! only lnpayd's side is measured).
//!
//! ```text
//! cargo bench --bench webhooks
//! ```
//!
//! 1. Drain rate: N endpoints (1, 10, 100) are disabled, `BENCH_EVENTS`
//!    invoices are created, then every endpoint is enabled at once; events
//!    per second delivered = N × events / time until the last 2xx.
//! 2. PAID → 2xx: one endpoint for PAID; `BENCH_PAYMENTS` invoices are paid
//!    one at a time; latency = the receiver's arrival time − the event's
//!    `occurredAt`, p50 and p99.
//! 3. CreateInvoice throughput at concurrency 16 for `BENCH_SECONDS`, with
//!    no endpoint and then with 10 endpoints attached, as a ratio.

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{cpu_model, env_num, loadavg};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use lnpayd::proto::admin_client::AdminClient;
use lnpayd::proto::create_invoice_request::{Amount, Memo};
use lnpayd::proto::invoices_client::InvoicesClient;
use lnpayd::proto::{self, EventType};
use tonic::transport::Channel;

/// Arrivals at the receiver: count, and for PAID events their latency.
#[derive(Default)]
struct Arrivals {
    count: AtomicU64,
    paid_latency_ms: Mutex<Vec<f64>>,
}

async fn receiver(arrivals: Arc<Arrivals>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let arrivals = arrivals.clone();
                        async move {
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let now_ms = lnpayd::time::now_ms() as f64;
                            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                                if v["type"] == "EVENT_TYPE_INVOICE_PAID" {
                                    let at: prost_types::Timestamp =
                                        v["occurredAt"].as_str().unwrap().parse().unwrap();
                                    let at_ms = at.seconds as f64 * 1000.0 + at.nanos as f64 / 1e6;
                                    arrivals
                                        .paid_latency_ms
                                        .lock()
                                        .unwrap()
                                        .push(now_ms - at_ms);
                                }
                            }
                            arrivals.count.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(204)
                                    .body(Full::new(Bytes::new()))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    port
}

struct Lnpayd {
    child: Child,
    addr: String,
    datadir: std::path::PathBuf,
}

impl Drop for Lnpayd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_lnpayd(dir: &Path) -> Lnpayd {
    let datadir = dir.join("data");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lnpayd"));
    cmd.arg("--dev")
        .arg("--datadir")
        .arg(&datadir)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("LNPAYD_CONFIG")
        .env("LNPAYD_METRICS__ENABLED", "false")
        .env("LNPAYD_LOG__LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("lnpayd.log")).unwrap());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("lnpayd ready: grpc=") {
                let _ = tx.send(rest.split(' ').next().unwrap().to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("lnpayd ready");
    Lnpayd {
        child,
        addr,
        datadir,
    }
}

type Auth = tonic::service::interceptor::InterceptedService<Channel, Bearer>;

#[derive(Clone)]
struct Bearer(String);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", self.0).parse().unwrap(),
        );
        Ok(req)
    }
}

impl Lnpayd {
    async fn clients(&self) -> (InvoicesClient<Auth>, AdminClient<Auth>) {
        let ch = Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let token = |n: &str| {
            std::fs::read_to_string(self.datadir.join(format!("{n}.token")))
                .unwrap()
                .trim()
                .to_string()
        };
        (
            InvoicesClient::with_interceptor(ch.clone(), Bearer(token("invoice"))),
            AdminClient::with_interceptor(ch, Bearer(token("admin"))),
        )
    }
}

fn create_req(i: u64) -> proto::CreateInvoiceRequest {
    proto::CreateInvoiceRequest {
        amount: Some(Amount::AmountSat(1_000 + i % 1000)),
        memo: Some(Memo::Description("webhook benchmark".into())),
        ..Default::default()
    }
}

async fn endpoints(
    admin: &mut AdminClient<Auth>,
    port: u16,
    n: usize,
    types: &[EventType],
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let r = admin
            .create_webhook_endpoint(proto::CreateWebhookEndpointRequest {
                url: format!("http://127.0.0.1:{port}/ep/{i}"),
                event_types: types.iter().map(|t| *t as i32).collect(),
                description: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        ids.push(r.endpoint.unwrap().id);
    }
    ids
}

async fn set_enabled(admin: &mut AdminClient<Auth>, ids: &[String], enabled: bool) {
    for id in ids {
        admin
            .update_webhook_endpoint(proto::UpdateWebhookEndpointRequest {
                id: id.clone(),
                enabled: Some(enabled),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

/// Creates `n` invoices at concurrency 16.
async fn create_many(inv: &InvoicesClient<Auth>, n: u64) {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (mut c, next) = (inv.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    return;
                }
                c.create_invoice(create_req(i)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn wait_count(arrivals: &Arrivals, want: u64, within: Duration) -> Duration {
    let t0 = Instant::now();
    while arrivals.count.load(Ordering::SeqCst) < want {
        assert!(
            t0.elapsed() < within,
            "only {} of {want} deliveries within {within:?}",
            arrivals.count.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    t0.elapsed()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// CreateInvoice calls completed in `secs` at concurrency 16.
async fn throughput(inv: &InvoicesClient<Auth>, secs: f64) -> f64 {
    let stop = Instant::now() + Duration::from_secs_f64(secs);
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..16u64 {
        let (mut c, done) = (inv.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while Instant::now() < stop {
                c.create_invoice(create_req(i)).await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
                i += 16;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::SeqCst) as f64 / secs
}

#[tokio::main]
async fn main() {
    lnpayd::providers::lnd::install_crypto_provider();
    let events: u64 = env_num("BENCH_EVENTS", 1000);
    let payments: usize = env_num("BENCH_PAYMENTS", 200);
    let secs: f64 = env_num("BENCH_SECONDS", 10.0);
    println!("webhooks benchmark: {} | load {}", cpu_model(), loadavg());

    let mut drain = HashMap::new();
    for n in [1usize, 10, 100] {
        let dir = tempfile::tempdir().unwrap();
        let d = start_lnpayd(dir.path());
        let (inv, mut admin) = d.clients().await;
        let arrivals = Arc::new(Arrivals::default());
        let port = receiver(arrivals.clone()).await;
        let ids = endpoints(&mut admin, port, n, &[EventType::InvoiceCreated]).await;
        set_enabled(&mut admin, &ids, false).await;
        create_many(&inv, events).await;
        let t0 = Instant::now();
        set_enabled(&mut admin, &ids, true).await;
        let want = events * n as u64;
        wait_count(&arrivals, want, Duration::from_secs(600)).await;
        let rate = want as f64 / t0.elapsed().as_secs_f64();
        println!(
            "drain: {n:>3} endpoints × {events} events: {rate:>8.0} deliveries/s ({:.2} s)",
            t0.elapsed().as_secs_f64()
        );
        drain.insert(n, rate);
    }

    {
        let dir = tempfile::tempdir().unwrap();
        let d = start_lnpayd(dir.path());
        let (mut inv, mut admin) = d.clients().await;
        let arrivals = Arc::new(Arrivals::default());
        let port = receiver(arrivals.clone()).await;
        endpoints(&mut admin, port, 1, &[EventType::InvoicePaid]).await;
        for i in 0..payments {
            let id = inv
                .create_invoice(create_req(i as u64))
                .await
                .unwrap()
                .into_inner()
                .id;
            admin
                .simulate_payment(proto::SimulatePaymentRequest { id, amount_msat: 0 })
                .await
                .unwrap();
            wait_count(&arrivals, i as u64 + 1, Duration::from_secs(30)).await;
        }
        let mut l = arrivals.paid_latency_ms.lock().unwrap().clone();
        l.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "PAID -> 2xx over {payments} payments: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            pct(&l, 0.50),
            pct(&l, 0.99),
            l[l.len() - 1]
        );
    }

    {
        let dir = tempfile::tempdir().unwrap();
        let d = start_lnpayd(dir.path());
        let (inv, mut admin) = d.clients().await;
        let arrivals = Arc::new(Arrivals::default());
        let port = receiver(arrivals.clone()).await;
        create_many(&inv, 200).await; // warm-up
        let none = throughput(&inv, secs).await;
        endpoints(&mut admin, port, 10, &[]).await;
        let ten = throughput(&inv, secs).await;
        let none_again = {
            let list = admin
                .list_webhook_endpoints(proto::ListWebhookEndpointsRequest {})
                .await
                .unwrap()
                .into_inner();
            for e in list.endpoints {
                admin
                    .delete_webhook_endpoint(proto::DeleteWebhookEndpointRequest { id: e.id })
                    .await
                    .unwrap();
            }
            throughput(&inv, secs).await
        };
        let base = (none + none_again) / 2.0;
        println!(
            "CreateInvoice c=16: none {none:.0}/s, 10 endpoints {ten:.0}/s, none again {none_again:.0}/s; ratio {:.2} (10 endpoints / mean of none)",
            ten / base
        );
        println!(
            "webhook deliveries during the 10-endpoint window: {}",
            arrivals.count.load(Ordering::SeqCst)
        );
    }
}
