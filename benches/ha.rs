//! Several instances on one PostgreSQL (issue 14): leader failover time, and
//! CreateInvoice throughput with 1, 2 and 3 instances on PostgreSQL against
//! one instance on sled, in the same run on the same machine.
//!
//! ```text
//! cargo bench --bench ha              # release build
//! cargo bench --profile dev --bench ha  # the debug build the tests use
//! ```
//!
//! Knobs (environment):
//! - `BENCH_KILLS` (default 10): leader kills (`kill -9`) measured.
//! - `BENCH_LEASE_SECS` (default 10, lnpayd's default): `cluster.lease_secs`.
//! - `BENCH_SECONDS` (default 5): measured window per throughput setup.
//! - `BENCH_CONCURRENCY` (default 16): CreateInvoice calls in flight, spread
//!   round-robin over the instances.
//!
//! Failover time is from the `kill -9` of the leader to the first GetStatus
//! on the survivor that reports it leads at a higher epoch (polled every
//! 50 ms). The killed instance is started again as a follower before the
//! next kill.

mod common;
use common::{cpu_model, env_num, loadavg};

use std::path::Path;
use std::time::{Duration, Instant};

use lnpayd::proto::{self, ClusterRole};
use testkit::daemon::{create_req, Bearer, Daemon};
use testkit::postgres::Postgres;

const ADMIN: &str = "bench-admin-token";
const INVOICE: &str = "bench-invoice-token";

fn start(dir: &Path, id: &str, url: Option<&str>, lease: u64) -> Daemon {
    let home = dir.join(id);
    std::fs::create_dir_all(&home).unwrap();
    let (admin, invoice) = (dir.join("admin.token"), dir.join("invoice.token"));
    let lease = lease.to_string();
    let mut env = vec![
        ("LNPAYD_LOG__LEVEL", "warn"),
        ("LNPAYD_CLUSTER__INSTANCE_ID", id),
        ("LNPAYD_CLUSTER__LEASE_SECS", lease.as_str()),
        ("LNPAYD_AUTH__ADMIN_TOKEN_FILE", admin.to_str().unwrap()),
        ("LNPAYD_AUTH__INVOICE_TOKEN_FILE", invoice.to_str().unwrap()),
    ];
    if let Some(url) = url {
        env.extend([
            ("LNPAYD_STORE__BACKEND", "postgres"),
            ("LNPAYD_STORE__URL", url),
        ]);
    }
    Daemon::start(&home, &[], &env)
}

async fn cluster_status(d: &Daemon) -> Option<proto::ClusterStatus> {
    let ch = tonic::transport::Channel::from_shared(format!("http://{}", d.addr))
        .ok()?
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .ok()?;
    proto::admin_client::AdminClient::with_interceptor(ch, Bearer(Some(ADMIN.into())))
        .get_status(proto::GetStatusRequest {})
        .await
        .ok()?
        .into_inner()
        .cluster
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn failover(pg: &Postgres, dir: &Path, kills: usize, lease: u64) {
    let url = pg.fresh_database();
    let mut nodes = vec![start(dir, "a", Some(&url), lease)];
    tokio::time::sleep(Duration::from_secs(1)).await;
    nodes.push(start(dir, "b", Some(&url), lease));
    let mut times = Vec::new();
    for _ in 0..kills {
        let (mut leader, mut epoch) = (None, 0);
        while leader.is_none() {
            for (i, n) in nodes.iter().enumerate() {
                if let Some(s) = cluster_status(n).await {
                    if s.role == ClusterRole::Leader as i32 {
                        (leader, epoch) = (Some(i), s.leader_epoch);
                    }
                }
            }
        }
        let l = leader.unwrap();
        let other = 1 - l;
        nodes[l].kill9();
        let killed = Instant::now();
        loop {
            if let Some(s) = cluster_status(&nodes[other]).await {
                if s.role == ClusterRole::Leader as i32 && s.leader_epoch > epoch {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        times.push(killed.elapsed());
        nodes[l] = start(dir, ["a", "b"][l], Some(&url), lease);
    }
    times.sort();
    println!(
        "failover, lease {lease} s, {kills} kills: p50 {:.2} s, max {:.2} s, min {:.2} s",
        percentile(&times, 0.5).as_secs_f64(),
        times.last().unwrap().as_secs_f64(),
        times[0].as_secs_f64()
    );
}

async fn throughput(label: &str, nodes: &[Daemon], seconds: f64, concurrency: usize) {
    let mut clients = Vec::new();
    for n in nodes {
        clients.push(n.invoices_with(Some(INVOICE.into())).await);
    }
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..concurrency {
        let mut c = clients[t % clients.len()].clone();
        tasks.spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < until {
                let t0 = Instant::now();
                match c.create_invoice(create_req(1000, "bench")).await {
                    Ok(_) => lat.push(t0.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        });
    }
    let (mut lat, mut errors) = (Vec::new(), 0);
    while let Some(r) = tasks.join_next().await {
        let (l, e) = r.unwrap();
        lat.extend(l);
        errors += e;
    }
    lat.sort();
    println!(
        "{label}: {:.0} creates/s, p50 {:.1} ms, p99 {:.1} ms, {errors} errors",
        lat.len() as f64 / seconds,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let kills = env_num("BENCH_KILLS", 10usize);
    let lease = env_num("BENCH_LEASE_SECS", 10u64);
    let seconds = env_num("BENCH_SECONDS", 5.0);
    let concurrency = env_num("BENCH_CONCURRENCY", 16usize);
    println!(
        "lnpayd HA bench: {} ({} CPUs), load average {}, lnpayd {}",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg(),
        testkit::daemon::lnpayd_bin().display()
    );
    let pg = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("admin.token"), ADMIN).unwrap();
    std::fs::write(dir.path().join("invoice.token"), INVOICE).unwrap();

    for n in 1..=3 {
        let url = pg.fresh_database();
        let sub = dir.path().join(format!("pg{n}"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::copy(dir.path().join("admin.token"), sub.join("admin.token")).unwrap();
        std::fs::copy(dir.path().join("invoice.token"), sub.join("invoice.token")).unwrap();
        let nodes: Vec<Daemon> = ["a", "b", "c"][..n]
            .iter()
            .map(|id| start(&sub, id, Some(&url), lease))
            .collect();
        throughput(
            &format!("postgres, {n} instance(s), c={concurrency}"),
            &nodes,
            seconds,
            concurrency,
        )
        .await;
    }
    let sled = start(dir.path(), "sled", None, lease);
    throughput(
        &format!("sled, 1 instance, c={concurrency}"),
        &[sled],
        seconds,
        concurrency,
    )
    .await;

    let fo = dir.path().join("failover");
    std::fs::create_dir_all(&fo).unwrap();
    std::fs::copy(dir.path().join("admin.token"), fo.join("admin.token")).unwrap();
    std::fs::copy(dir.path().join("invoice.token"), fo.join("invoice.token")).unwrap();
    failover(&pg, &fo, kills, lease).await;
}
