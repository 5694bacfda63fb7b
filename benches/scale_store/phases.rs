//! The run in order: fill the store, read, restart, read again, and (with
//! `--convert`) convert sled to fjall; each step's footprint printed.

use std::path::Path;
use std::time::{Duration, Instant};

use lnpayd::proto::get_invoice_request::Lookup;
use lnpayd::proto::{GetInvoiceRequest, SimulatePaymentRequest};
use testkit::daemon::Daemon;

use crate::config::daemon_env;
use crate::footprint::{dir_bytes, disk_line, live_line, rss_mb, store_dir};
use crate::load::{create_all, reads};

/// Invoices paid: the rare status ListInvoices must find without a scan.
const PAID: usize = 5;

pub(crate) async fn run(n: usize, backend: &str, convert: bool) {
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
