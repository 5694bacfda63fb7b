//! The load: CreateInvoice back to back on lnpayd (gRPC) and LNbits (REST),
//! one window per system and level, with the CPU and disk writes each spent.

use lnpayd::proto::create_invoice_request::{Amount, Memo};
use lnpayd::proto::invoices_client::InvoicesClient;
use lnpayd::proto::CreateInvoiceRequest;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use crate::common::{drive, loadavg, Load};
use crate::config::{Config, AMOUNT_SAT, MEMO, REQUEST_TIMEOUT};
use crate::procfs::{cpu_of_group, cpu_of_pid, group_pids, write_bytes};
use crate::servers::{Lnbits, Lnpayd};

// ---------------------------------------------------------------- load

pub(crate) struct Window {
    pub(crate) system: String,
    pub(crate) concurrency: usize,
    pub(crate) elapsed: f64,
    latencies_us: Vec<u32>,
    pub(crate) errors: u64,
    pub(crate) error_samples: Vec<String>,
    pub(crate) server_cpu: f64,
    pub(crate) client_cpu: f64,
    pub(crate) server_write_bytes: u64,
}

impl Window {
    pub(crate) fn ok(&self) -> u64 {
        self.latencies_us.len() as u64
    }
    pub(crate) fn throughput(&self) -> f64 {
        self.ok() as f64 / self.elapsed
    }
    /// Nearest-rank percentile in ms (latencies sorted).
    pub(crate) fn pct(&self, p: f64) -> f64 {
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

impl Load for Target {
    async fn one(&mut self, task: usize) -> Result<(), String> {
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
                    .header("X-Api-Key", key.as_str())
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
        let (w, _) = drive(
            &m.target,
            concurrency,
            cfg.warmup,
            cfg.max_requests,
            REQUEST_TIMEOUT,
        )
        .await;
        if w.latencies_us.is_empty() {
            panic!(
                "{}: no successful request during warm-up at c={concurrency}: {:?}",
                m.name, w.error_samples
            );
        }
    }
    let me = std::process::id() as i32;
    let (s0, c0, w0) = ((m.cpu)(), cpu_of_pid(me), (m.written)());
    let (mut out, elapsed) = drive(
        &m.target,
        concurrency,
        cfg.seconds,
        cfg.max_requests,
        REQUEST_TIMEOUT,
    )
    .await;
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

pub(crate) async fn run(cfg: &Config, lnpayd: &Lnpayd, lnbits: &Lnbits) -> Vec<Window> {
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
