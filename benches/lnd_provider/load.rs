//! The throughput half: CreateInvoice load on lnpayd, on the relay and on LND
//! directly (and GetInvoice on lnpayd), window by window, with the CPU each
//! process spent.

use std::time::Duration;

use fedimint_tonic_lnd::lnrpc;
use lnpayd::proto;
use lnpayd::proto::invoices_client::InvoicesClient;
use lnpayd::providers::lnd::conn::LndClient;
use testkit::daemon::{create_req, Bearer, Daemon, Invoices};
use testkit::lnd as network;

use crate::common::{drive, loadavg, Load};
use crate::config::{Config, AMOUNT_SAT, MEMO, RELAY, REQUEST_TIMEOUT};
use crate::layout::Layout;
use crate::procfs::cpu_of_pid;
use crate::relay;
use crate::stats::{ms_us, pct};

// ---------------------------------------------------------------- throughput

pub(crate) fn lnd_connect(node: &network::Node, macaroon: &str) -> LndClient {
    let cert = std::fs::read(node.tls_cert()).expect("tls.cert");
    let mac = std::fs::read(node.macaroon(macaroon)).expect("macaroon");
    lnpayd::providers::lnd::conn::connect(
        &format!("https://{}", node.rpc_addr()),
        &cert,
        &mac,
        Duration::from_secs(10),
    )
    .expect("connect to lnd")
}

#[derive(Clone)]
enum Target {
    Lnpayd(Invoices),
    /// CreateInvoice on the relay: lnpayd's two gRPC hops and nothing else.
    Relay(Invoices),
    Direct(Box<LndClient>),
    /// GetInvoice on lnpayd: a gRPC hop and a store read, no provider call.
    /// The floor of what any request through lnpayd adds to LND's latency.
    LnpaydGet(Invoices, String),
}

impl Target {
    fn name(&self) -> &'static str {
        match self {
            Target::Lnpayd(_) => "lnpayd CreateInvoice",
            Target::Relay(_) => RELAY,
            Target::Direct(_) => "LND AddInvoice",
            Target::LnpaydGet(..) => "lnpayd GetInvoice (hop only)",
        }
    }
}

impl Load for Target {
    async fn one(&mut self, _task: usize) -> Result<(), String> {
        match self {
            Target::Lnpayd(c) | Target::Relay(c) => {
                let inv = c
                    .create_invoice(create_req(AMOUNT_SAT, MEMO))
                    .await
                    .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?
                    .into_inner();
                if inv.payment_request.is_empty() || inv.id.is_empty() {
                    return Err("response without payment_request/id".into());
                }
            }
            Target::Direct(c) => {
                // What lnpayd's LND provider sends for the same request.
                let inv = lnrpc::Invoice {
                    value_msat: (AMOUNT_SAT * 1000) as i64,
                    expiry: 3600,
                    memo: MEMO.into(),
                    ..Default::default()
                };
                let r = c
                    .lightning()
                    .add_invoice(inv)
                    .await
                    .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?
                    .into_inner();
                if r.payment_request.is_empty() {
                    return Err("response without payment_request".into());
                }
            }
            Target::LnpaydGet(c, id) => {
                let req = proto::GetInvoiceRequest {
                    lookup: Some(proto::get_invoice_request::Lookup::Id(id.clone())),
                };
                let inv = c
                    .get_invoice(req)
                    .await
                    .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?
                    .into_inner();
                if inv.id != *id {
                    return Err(format!("asked for {id}, got {}", inv.id));
                }
            }
        }
        Ok(())
    }
}

/// One system at one level in one layout, pooled over rounds.
pub(crate) struct Window {
    pub(crate) layout: Layout,
    pub(crate) system: &'static str,
    pub(crate) concurrency: usize,
    pub(crate) elapsed: f64,
    latencies_us: Vec<u32>,
    pub(crate) errors: u64,
    pub(crate) error_samples: Vec<String>,
    /// Throughput of each round, in run order.
    pub(crate) per_round: Vec<f64>,
    /// lnpayd's CPU; the relay's in the relay's windows.
    pub(crate) middle_cpu: f64,
    /// lnpayd's store flushes (fsyncs) during its own windows.
    pub(crate) flushes: Option<f64>,
    pub(crate) lnd_cpu: f64,
    pub(crate) client_cpu: f64,
}

impl Window {
    fn new(layout: Layout, system: &'static str, concurrency: usize) -> Self {
        Window {
            layout,
            system,
            concurrency,
            elapsed: 0.0,
            latencies_us: vec![],
            errors: 0,
            error_samples: vec![],
            per_round: vec![],
            middle_cpu: 0.0,
            flushes: None,
            lnd_cpu: 0.0,
            client_cpu: 0.0,
        }
    }

    pub(crate) fn ok(&self) -> u64 {
        self.latencies_us.len() as u64
    }
    pub(crate) fn throughput(&self) -> f64 {
        self.ok() as f64 / self.elapsed
    }
    pub(crate) fn p(&self, p: f64) -> f64 {
        ms_us(pct(&self.latencies_us, p))
    }
}

pub(crate) struct Pids {
    pub(crate) lnpayd: i32,
    pub(crate) relay: i32,
    pub(crate) alice: i32,
}

impl Pids {
    /// The process between the bench client and LND for `target`, if any.
    fn middle(&self, target: &Target) -> i32 {
        match target {
            Target::Relay(_) => self.relay,
            _ => self.lnpayd,
        }
    }
}

async fn measure(
    target: &Target,
    c: usize,
    cfg: &Config,
    pids: &Pids,
    lnpayd: &Daemon,
    into: &mut Window,
) {
    if cfg.warmup > 0.0 {
        let (w, _) = drive(target, c, cfg.warmup, cfg.max_requests, REQUEST_TIMEOUT).await;
        assert!(
            !w.latencies_us.is_empty(),
            "{}: no successful request during warm-up at c={c}: {:?}",
            target.name(),
            w.error_samples
        );
    }
    let me = std::process::id() as i32;
    let middle = pids.middle(target);
    // lnpayd's fsyncs, in its own windows.
    let flushes = matches!(target, Target::Lnpayd(_)).then_some(lnpayd);
    let f0 = match flushes {
        Some(d) => Some(d.store_flushes().await),
        None => None,
    };
    let (l0, a0, c0) = (cpu_of_pid(middle), cpu_of_pid(pids.alice), cpu_of_pid(me));
    let (out, elapsed) = drive(target, c, cfg.seconds, cfg.max_requests, REQUEST_TIMEOUT).await;
    let (l1, a1, c1) = (cpu_of_pid(middle), cpu_of_pid(pids.alice), cpu_of_pid(me));
    if let (Some(d), Some(f0)) = (flushes, f0) {
        *into.flushes.get_or_insert(0.0) += (d.store_flushes().await - f0) as f64;
    }
    let tput = out.latencies_us.len() as f64 / elapsed;
    let mut sorted = out.latencies_us.clone();
    sorted.sort_unstable();
    eprintln!(
        "bench: {:<21} c={:<3} {:>6} ok {:>4} err {:>8.1}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  (load {})",
        target.name(),
        c,
        out.latencies_us.len(),
        out.errors,
        tput,
        ms_us(pct(&sorted, 50.0)),
        ms_us(pct(&sorted, 99.0)),
        loadavg()
    );
    for e in &out.error_samples {
        eprintln!("bench:   error sample: {e}");
    }
    into.elapsed += elapsed;
    into.latencies_us.extend_from_slice(&out.latencies_us);
    into.errors += out.errors;
    for e in out.error_samples {
        if into.error_samples.len() < 5 {
            into.error_samples.push(e);
        }
    }
    into.per_round.push(tput);
    into.middle_cpu += l1 - l0;
    into.lnd_cpu += a1 - a0;
    into.client_cpu += c1 - c0;
}

pub(crate) async fn throughput(
    cfg: &Config,
    d: &Daemon,
    relay: &relay::Relay,
    alice: &LndClient,
    pids: &Pids,
) -> Vec<Window> {
    let known = d
        .invoices()
        .await
        .create_invoice(create_req(AMOUNT_SAT, MEMO))
        .await
        .expect("an invoice for the hop-only target")
        .into_inner()
        .id;
    let relay_channel = tonic::transport::Channel::from_shared(format!("http://{}", relay.addr))
        .unwrap()
        .connect()
        .await
        .expect("connect to the relay");
    let [create, floor, direct, hop] = [
        Target::Lnpayd(d.invoices().await),
        Target::Relay(InvoicesClient::with_interceptor(
            relay_channel,
            Bearer(None),
        )),
        Target::Direct(Box::new(alice.clone())),
        Target::LnpaydGet(d.invoices().await, known),
    ];
    let mut windows: Vec<Window> = vec![];
    for &layout in &cfg.layouts {
        if layout.apply(pids).is_none() {
            eprintln!("bench: layout {} needs 2 CPUs; skipped", layout.name());
            continue;
        }
        eprintln!("bench: layout {}", layout.name());
        for round in 0..cfg.rounds {
            for (li, &c) in cfg.levels.iter().enumerate() {
                // ABBA: the order alternates by round and level.
                let mut order = if (round + li) % 2 == 0 {
                    vec![&create, &direct, &floor]
                } else {
                    vec![&floor, &direct, &create]
                };
                // The floor matters where latency is the whole story.
                if c == 1 {
                    order.push(&hop);
                }
                for t in order {
                    let i = match windows.iter().position(|w| {
                        w.layout == layout && w.concurrency == c && w.system == t.name()
                    }) {
                        Some(i) => i,
                        None => {
                            windows.push(Window::new(layout, t.name(), c));
                            windows.len() - 1
                        }
                    };
                    measure(t, c, cfg, pids, d, &mut windows[i]).await;
                }
            }
        }
    }
    // Unpinned again, as the processes started.
    Layout::Shared.apply(pids);
    for w in &mut windows {
        w.latencies_us.sort_unstable();
    }
    windows
}
