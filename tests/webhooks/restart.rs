//! `kill -9` of lnpayd while deliveries are pending and in flight: after a
//! restart every event arrives, and no event ever arrives under two
//! different webhook-ids.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use lnpayd::proto::EventType;

use crate::harness::Daemon;
use crate::receiver::{create_endpoint, free_port, url, wait_deliveries, Kind, Receiver};

const EVENTS: usize = 12;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_with_deliveries_pending_loses_none_and_keeps_their_webhook_ids() {
    let dir = tempfile::tempdir().unwrap();
    let env = [(
        "LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS",
        "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
    )];
    let mut d = Daemon::start(dir.path(), &[], &env);
    let mut admin = d.admin().await;
    let port = free_port();
    let (endpoint_id, secret) =
        create_endpoint(&mut admin, &url(port), &[EventType::InvoiceCreated]).await;

    // Receiver down: every event gets a failed first attempt and a retry time.
    let mut invoices = HashSet::new();
    for i in 0..EVENTS {
        invoices.insert(d.create(1_000 + i as u64, &format!("pending {i}")).await.id);
    }
    wait_deliveries(&mut admin, &endpoint_id, Duration::from_secs(10), |ds| {
        ds.len() == EVENTS && ds.iter().all(|d| !d.attempts.is_empty())
    })
    .await;

    // A slow receiver comes up; kill -9 lnpayd once some are in flight.
    let slow = Receiver::start(Kind::Python, port, &secret, &[("SLEEP_SECS", "0.5")]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while slow.posts().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no retry reached the receiver"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.kill9();
    drop(slow);

    let r = Receiver::start(Kind::Python, port, &secret, &[]);
    let d = Daemon::start(dir.path(), &[], &env);
    let got = r
        .wait_accepted(Duration::from_secs(20), |a| {
            a.iter()
                .map(|l| l["invoice_id"].as_str().unwrap().to_string())
                .collect::<HashSet<_>>()
                == invoices
        })
        .await;

    // One webhook-id per event, the same before and after the crash.
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for l in &got {
        ids.entry(l["sequence"].as_str().unwrap().into())
            .or_default()
            .insert(l["webhook_id"].as_str().unwrap().into());
    }
    assert_eq!(ids.len(), EVENTS);
    for (seq, set) in &ids {
        assert_eq!(
            set,
            &HashSet::from([format!("msg_{endpoint_id}_{seq}")]),
            "event {seq} arrived under several ids"
        );
    }
    let mut admin = d.admin().await;
    wait_deliveries(&mut admin, &endpoint_id, Duration::from_secs(10), |ds| {
        ds.len() == EVENTS
            && ds
                .iter()
                .all(|d| d.state() == lnpayd::proto::WebhookDeliveryState::Delivered)
    })
    .await;
}
