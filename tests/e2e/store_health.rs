//! A store that cannot write (a full disk) takes the daemon out of service
//! and puts it back by itself. The disk is made to fail through the debug
//! build's flush fault hook (`DEBUG_LNPAYD_FAIL_FLUSH_IF`): a real full disk
//! needs a small filesystem this test cannot mount.

use std::time::Duration;

use lnpayd::proto::{self, OverallHealth, StoreState};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};

use crate::harness::{create_req, reason, Daemon};

const SERVICES: [&str; 3] = ["", "lnpayd.v1.Invoices", "lnpayd.v1.Admin"];

async fn health_of(d: &Daemon) -> Vec<ServingStatus> {
    let mut health = HealthClient::new(d.channel().await);
    let mut out = Vec::new();
    for service in SERVICES {
        let req = HealthCheckRequest {
            service: service.into(),
        };
        out.push(health.check(req).await.unwrap().into_inner().status());
    }
    out
}

async fn status(d: &Daemon) -> proto::GetStatusResponse {
    let req = proto::GetStatusRequest {};
    d.admin().await.get_status(req).await.unwrap().into_inner()
}

/// Polls until every service reports `want`, for up to `secs`.
async fn wait_health(d: &Daemon, want: ServingStatus, secs: u64) {
    for _ in 0..secs * 10 {
        if health_of(d).await.iter().all(|s| *s == want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health is {:?}, not all {want:?}", health_of(d).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_cannot_write_is_not_serving_until_it_can_again() {
    let dir = tempfile::tempdir().unwrap();
    let disk_full = dir.path().join("disk-full");
    let hook = disk_full.to_str().unwrap();
    let d = Daemon::start(dir.path(), &[], &[("DEBUG_LNPAYD_FAIL_FLUSH_IF", hook)]);
    let mut invoices = d.invoices().await;

    invoices
        .create_invoice(create_req(10, "before"))
        .await
        .unwrap();
    wait_health(&d, ServingStatus::Serving, 1).await;
    let s = status(&d).await;
    assert_eq!(s.store.unwrap().state(), StoreState::Ok);

    std::fs::write(&disk_full, b"").unwrap();
    let err = invoices
        .create_invoice(create_req(10, "while full"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Internal);
    assert_eq!(reason(&err), "STORE_ERROR");
    wait_health(&d, ServingStatus::NotServing, 5).await;
    let s = status(&d).await;
    assert_eq!(s.health(), OverallHealth::Down, "GetStatus names the store");
    let store = s.store.unwrap();
    assert_eq!(store.state(), StoreState::Failing);
    assert!(
        store.last_error.contains("No space left"),
        "{}",
        store.last_error
    );
    assert!(store.failing_since.is_some());
    // Still failing without anyone writing: the probe does not heal it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(health_of(&d)
        .await
        .iter()
        .all(|s| *s == ServingStatus::NotServing));

    // Space again: health recovers with no client write and no restart.
    std::fs::remove_file(&disk_full).unwrap();
    wait_health(&d, ServingStatus::Serving, 10).await;
    let s = status(&d).await;
    assert_eq!(s.store.as_ref().unwrap().state(), StoreState::Ok);
    assert_ne!(s.health(), OverallHealth::Down);
    invoices
        .create_invoice(create_req(10, "after"))
        .await
        .unwrap();
}
