//! The settlement half: bob pays alice one invoice at a time, and the instant
//! each payment reaches alice's SubscribeInvoices and lnpayd's SubscribeEvents.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fedimint_tonic_lnd::lnrpc;
use lnpayd::proto::{self, EventType};
use lnpayd::providers::lnd::conn::LndClient;
use testkit::daemon::{create_req, Daemon, Invoices};
use testkit::lnd::Network;
use tokio::sync::mpsc;

use crate::common::loadavg;
use crate::config::{Config, PAY_SAT};

// ---------------------------------------------------------------- settlement

pub(crate) struct Paid {
    /// Bob's payment call started / returned.
    pub(crate) pay_start: Instant,
    pub(crate) pay_done: Instant,
    /// The SETTLED invoice on alice's SubscribeInvoices / the PAID event on lnpayd's SubscribeEvents.
    pub(crate) t_lnd: Instant,
    pub(crate) t_lnpayd: Instant,
}

enum Payer {
    /// lnrpc SendPaymentSync over gRPC with bob's admin macaroon.
    Grpc(Box<LndClient>),
    /// `lncli payinvoice` (routerrpc SendPaymentV2), if LND refuses the former.
    Lncli,
}

async fn pay(payer: &mut Payer, net: &Arc<Network>, bolt11: &str) -> Result<(), String> {
    if let Payer::Grpc(c) = payer {
        // Deprecated in favour of routerrpc, which this crate's features leave out; it still works.
        #[allow(deprecated)]
        let r = c
            .lightning()
            .send_payment_sync(lnrpc::SendRequest {
                payment_request: bolt11.into(),
                ..Default::default()
            })
            .await;
        match r {
            Ok(r) => {
                let r = r.into_inner();
                return if r.payment_error.is_empty() {
                    Ok(())
                } else {
                    Err(r.payment_error)
                };
            }
            Err(s) if s.code() == tonic::Code::Unimplemented => {
                eprintln!(
                    "bench: SendPaymentSync unimplemented ({}); paying with lncli",
                    s.message()
                );
                *payer = Payer::Lncli;
            }
            Err(s) => return Err(format!("{:?}: {}", s.code(), s.message())),
        }
    }
    let net = net.clone();
    let b = bolt11.to_string();
    tokio::task::spawn_blocking(move || net.bob_pays(&b))
        .await
        .map_err(|e| e.to_string())?
}

type Arrivals = mpsc::UnboundedReceiver<(String, Instant)>;

/// Alice's own invoice stream: (payment hash, instant received) of each SETTLED invoice.
fn lnd_subscriber(mut client: LndClient) -> (tokio::task::JoinHandle<()>, Arrivals) {
    let (tx, rx) = mpsc::unbounded_channel();
    let h = tokio::spawn(async move {
        let mut stream = client
            .lightning()
            .subscribe_invoices(lnrpc::InvoiceSubscription::default())
            .await
            .expect("SubscribeInvoices on alice")
            .into_inner();
        loop {
            match stream.message().await {
                Ok(Some(inv)) => {
                    let t = Instant::now();
                    if inv.state == lnrpc::invoice::InvoiceState::Settled as i32
                        && tx.send((hex::encode(&inv.r_hash), t)).is_err()
                    {
                        return;
                    }
                }
                Ok(None) => panic!("alice's invoice stream ended"),
                Err(s) => panic!("alice's invoice stream failed: {s}"),
            }
        }
    });
    (h, rx)
}

/// lnpayd's SubscribeEvents, PAID only: (payment hash, instant received).
fn lnpayd_subscriber(
    mut inv: Invoices,
    after_sequence: u64,
) -> (tokio::task::JoinHandle<()>, Arrivals) {
    let (tx, rx) = mpsc::unbounded_channel();
    let h = tokio::spawn(async move {
        let mut stream = inv
            .subscribe_events(proto::SubscribeEventsRequest {
                after_sequence,
                types: vec![EventType::InvoicePaid as i32],
                ..Default::default()
            })
            .await
            .expect("lnpayd SubscribeEvents")
            .into_inner();
        loop {
            match stream.message().await {
                Ok(Some(ev)) => {
                    let t = Instant::now();
                    let hash = ev.invoice.map(|i| i.payment_hash).unwrap_or_default();
                    if tx.send((hash, t)).is_err() {
                        return;
                    }
                }
                Ok(None) => panic!("lnpayd's event stream ended"),
                Err(s) => panic!("lnpayd's event stream failed: {s}"),
            }
        }
    });
    (h, rx)
}

async fn wait_arrival(
    rx: &mut Arrivals,
    seen: &mut HashMap<String, Instant>,
    hash: &str,
    what: &str,
) -> Instant {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(t) = seen.get(hash) {
            return *t;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((h, t))) => {
                seen.insert(h, t);
            }
            Ok(None) => panic!("{what}: subscriber gone"),
            Err(_) => panic!("{what}: no event for {hash} within 60 s"),
        }
    }
}

pub(crate) async fn settlement(
    cfg: &Config,
    net: &Arc<Network>,
    d: &Daemon,
    alice: &LndClient,
    bob: &LndClient,
) -> Vec<Paid> {
    let after = d
        .admin()
        .await
        .get_status(proto::GetStatusRequest {})
        .await
        .expect("GetStatus")
        .into_inner()
        .last_event_sequence;
    let (h1, mut lnd_rx) = lnd_subscriber(alice.clone());
    let (h2, mut lnpayd_rx) = lnpayd_subscriber(d.invoices().await, after);
    let (mut lnd_seen, mut lnpayd_seen) = (HashMap::new(), HashMap::new());
    let mut inv = d.invoices().await;
    let mut payer = Payer::Grpc(Box::new(bob.clone()));
    let mut out = vec![];
    let total = cfg.payment_warmup + cfg.payments;
    for i in 0..total {
        let created = inv
            .create_invoice(create_req(PAY_SAT, "settlement bench"))
            .await
            .expect("CreateInvoice")
            .into_inner();
        let pay_start = Instant::now();
        pay(&mut payer, net, &created.payment_request)
            .await
            .unwrap_or_else(|e| panic!("payment {i} failed: {e}"));
        let pay_done = Instant::now();
        let hash = created.payment_hash;
        let t_lnd = wait_arrival(
            &mut lnd_rx,
            &mut lnd_seen,
            &hash,
            "alice's SubscribeInvoices",
        )
        .await;
        let t_lnpayd = wait_arrival(
            &mut lnpayd_rx,
            &mut lnpayd_seen,
            &hash,
            "lnpayd's SubscribeEvents",
        )
        .await;
        if i >= cfg.payment_warmup {
            out.push(Paid {
                pay_start,
                pay_done,
                t_lnd,
                t_lnpayd,
            });
        }
        if (i + 1) % 50 == 0 {
            eprintln!("bench: {} / {total} payments (load {})", i + 1, loadavg());
        }
    }
    if let Payer::Lncli = payer {
        eprintln!("bench: payments were made with lncli payinvoice");
    }
    h1.abort();
    h2.abort();
    out
}
