//! Two lnpayd on one PostgreSQL, both on alice: a payment made while the
//! leader is dead (`kill -9`) is learned by the instance that takes over,
//! from its stored cursor and the reconcile on connect.

use std::time::{Duration, Instant};

use lnpayd::proto::{self, ClusterRole, InvoiceStatus};
use testkit::daemon::{blocking, create_req, Bearer, Daemon};
use testkit::postgres::Postgres;
use testkit::proxy::Proxy;
use testkit::shared::Shared;

use super::{lnd_env, NET};

static PG: Shared<Postgres> = Shared::new(Postgres::start);
const ADMIN: &str = "lnd-ha-admin";
const INVOICE: &str = "lnd-ha-invoice";

async fn role(d: &Daemon) -> Option<proto::ClusterStatus> {
    let ch = tonic::transport::Channel::from_shared(format!("http://{}", d.addr))
        .ok()?
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(3))
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

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_while_the_leader_is_dead_is_learned_by_the_new_leader() {
    let net = NET.read().await;
    let url = PG.read().await.fresh_database();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("admin.token"), ADMIN).unwrap();
    std::fs::write(dir.path().join("invoice.token"), INVOICE).unwrap();
    let mut proxies = Vec::new();
    let mut nodes = Vec::new();
    for id in ["a", "b"] {
        let proxy = Proxy::start(net.alice.rpc_addr());
        let mut env = lnd_env(
            proxy.port,
            &net.alice.macaroon("invoice"),
            &net.alice.tls_cert(),
        );
        for (k, v) in [
            ("LNPAYD_STORE__BACKEND", "postgres".to_string()),
            ("LNPAYD_STORE__URL", url.clone()),
            ("LNPAYD_CLUSTER__INSTANCE_ID", id.to_string()),
            ("LNPAYD_CLUSTER__LEASE_SECS", "4".to_string()),
            (
                "LNPAYD_AUTH__ADMIN_TOKEN_FILE",
                dir.path().join("admin.token").display().to_string(),
            ),
            (
                "LNPAYD_AUTH__INVOICE_TOKEN_FILE",
                dir.path().join("invoice.token").display().to_string(),
            ),
        ] {
            env.push((k.into(), v));
        }
        let home = dir.path().join(id);
        std::fs::create_dir_all(&home).unwrap();
        nodes.push(Daemon::start_env(&home, &env));
        proxies.push(proxy);
        if id == "a" {
            let until = Instant::now() + Duration::from_secs(15);
            while role(&nodes[0]).await.map(|s| s.role) != Some(ClusterRole::Leader as i32) {
                assert!(Instant::now() < until, "a never led");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let old_epoch = role(&nodes[0]).await.unwrap().leader_epoch;
    let mut b = nodes[1].invoices_with(Some(INVOICE.into())).await;
    let inv = b
        .create_invoice(create_req(2_100, "paid while a is dead"))
        .await
        .unwrap()
        .into_inner();

    blocking(|| nodes[0].kill9());
    // Paid at once: nobody leads, nobody watches alice's stream.
    blocking(|| net.bob_pays(&inv.payment_request)).unwrap();
    let paid_at = Instant::now();
    let mut last = None;
    while paid_at.elapsed() < Duration::from_secs(30) {
        let got = b
            .get_invoice(proto::GetInvoiceRequest {
                lookup: Some(proto::get_invoice_request::Lookup::Id(inv.id.clone())),
            })
            .await
            .unwrap()
            .into_inner();
        if got.status == InvoiceStatus::Paid as i32 {
            last = Some(got);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = last.unwrap_or_else(|| panic!("never PAID; b's log:\n{}", nodes[1].log_text()));
    assert_eq!(got.amount_received_msat, 2_100_000);
    let s = role(&nodes[1]).await.unwrap();
    assert_eq!(s.role, ClusterRole::Leader as i32);
    assert!(s.leader_epoch > old_epoch, "{s:?}");
    eprintln!("learned by b {:?} after the payment", paid_at.elapsed());
}
