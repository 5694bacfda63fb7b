//! The load drivers: CreateInvoice at c=16, the invoices per-invoice streams
//! follow, and the payer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lnpayd::proto::admin_client::AdminClient;
use lnpayd::proto::SimulatePaymentRequest;
use testkit::daemon::{create_req, Bearer, Invoices};
use tonic::transport::Channel;

use crate::config::CONCURRENCY;

/// CreateInvoice at c=16 for `window`; the latency of each, in µs.
pub(crate) async fn drive(
    load: &Invoices,
    newest: &Arc<Mutex<Option<String>>>,
    window: Duration,
) -> Vec<u32> {
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
pub(crate) async fn make_targets(load: &Invoices, n: usize) -> Vec<String> {
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
pub(crate) async fn pay(
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
