//! Several real lnpayd instances on one real (throwaway) PostgreSQL: one
//! leader elected through the lease row, every instance serving the API.
//! Each scenario takes a database of its own; those that stop PostgreSQL
//! take the cluster exclusively.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lnpayd::proto::{self, ClusterRole};
use testkit::daemon::{Admin, Daemon, Invoices};
use testkit::postgres::Postgres;
use testkit::shared::Shared;
use tokio_stream::StreamExt;

mod failover;
mod leader_work;
mod serving;

static PG: Shared<Postgres> = Shared::new(Postgres::start);

/// The instances of one scenario: their database, their shared token files.
struct Cluster {
    dir: tempfile::TempDir,
    url: String,
    lease_secs: u64,
    nodes: Vec<Daemon>,
}

const ADMIN: &str = "admin-token-shared-by-every-instance";
const INVOICE: &str = "invoice-token-shared-by-every-instance";

impl Cluster {
    /// `n` instances named a, b, c… started one after the other: the first leads.
    async fn start(url: String, n: usize, lease_secs: u64) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("admin.token"), ADMIN).unwrap();
        std::fs::write(dir.path().join("invoice.token"), INVOICE).unwrap();
        let mut c = Cluster {
            dir,
            url,
            lease_secs,
            nodes: Vec::new(),
        };
        for i in 0..n {
            let node = c.spawn(&name(i));
            c.nodes.push(node);
            if i == 0 {
                c.wait_for_leader(Duration::from_secs(15)).await;
            }
        }
        c
    }

    fn spawn(&self, id: &str) -> Daemon {
        let dir = self.dir.path().join(id);
        std::fs::create_dir_all(&dir).unwrap();
        let lease = self.lease_secs.to_string();
        let admin = self.token_path("admin");
        let invoice = self.token_path("invoice");
        Daemon::start(
            &dir,
            &[],
            &[
                ("LNPAYD_STORE__BACKEND", "postgres"),
                ("LNPAYD_STORE__URL", &self.url),
                ("LNPAYD_STORE__POOL_SIZE", "8"),
                ("LNPAYD_CLUSTER__INSTANCE_ID", id),
                ("LNPAYD_CLUSTER__LEASE_SECS", &lease),
                ("LNPAYD_AUTH__ADMIN_TOKEN_FILE", admin.to_str().unwrap()),
                ("LNPAYD_AUTH__INVOICE_TOKEN_FILE", invoice.to_str().unwrap()),
                ("LNPAYD_INVOICES__MIN_EXPIRY_SECS", "1"),
            ],
        )
    }

    fn token_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.token"))
    }

    fn shared_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The index of the instance that says it leads, once one does.
    async fn wait_for_leader(&self, within: Duration) -> usize {
        let until = Instant::now() + within;
        loop {
            for (i, n) in self.nodes.iter().enumerate() {
                if let Some(s) = try_cluster(n).await {
                    if s.role == ClusterRole::Leader as i32 {
                        return i;
                    }
                }
            }
            assert!(Instant::now() < until, "no leader within {within:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn name(i: usize) -> String {
    ((b'a' + i as u8) as char).to_string()
}

async fn invoices(d: &Daemon) -> Invoices {
    d.invoices_with(Some(INVOICE.into())).await
}

async fn admin(d: &Daemon) -> Admin {
    d.admin_with(Some(ADMIN.into())).await
}

/// An Admin client, or None when the instance does not answer.
async fn try_admin(d: &Daemon) -> Option<Admin> {
    let ch = tonic::transport::Channel::from_shared(format!("http://{}", d.addr))
        .ok()?
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(3))
        .connect()
        .await
        .ok()?;
    Some(proto::admin_client::AdminClient::with_interceptor(
        ch,
        testkit::daemon::Bearer(Some(ADMIN.into())),
    ))
}

/// The invoice as `d` reads it.
async fn get(d: &Daemon, id: &str) -> proto::Invoice {
    invoices(d)
        .await
        .get_invoice(proto::GetInvoiceRequest {
            lookup: Some(proto::get_invoice_request::Lookup::Id(id.into())),
        })
        .await
        .unwrap()
        .into_inner()
}

/// The instance's ClusterStatus; None when it does not answer.
async fn try_cluster(d: &Daemon) -> Option<proto::ClusterStatus> {
    try_admin(d)
        .await?
        .get_status(proto::GetStatusRequest {})
        .await
        .ok()?
        .into_inner()
        .cluster
}

/// Every event in the log, read through `d`, checked gap-free from 1.
async fn whole_log(d: &Daemon) -> Vec<proto::Event> {
    let last = admin(d)
        .await
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner()
        .last_event_sequence;
    let mut stream = invoices(d)
        .await
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while events.len() < last as usize {
        let e = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("the replay stalled")
            .expect("stream open")
            .unwrap();
        events.push(e);
    }
    let seqs: Vec<u64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "the log has a gap");
    events
}
