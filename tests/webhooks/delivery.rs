//! The happy path to both receivers, a receiver that answers 500 twice, and
//! one that is down when the event happens.

use std::time::Duration;

use lnpayd::proto::{self, EventType};

use crate::harness::Daemon;
use crate::receiver::{create_endpoint, free_port, of, pay, wait_deliveries, Kind, Receiver};

const CREATED: &str = "EVENT_TYPE_INVOICE_CREATED";
const PAID: &str = "EVENT_TYPE_INVOICE_PAID";

#[tokio::test(flavor = "multi_thread")]
async fn created_then_paid_reach_the_python_and_the_nextjs_receiver_verified() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut admin = d.admin().await;
    let mut receivers = Vec::new();
    for kind in [Kind::Python, Kind::Node] {
        let port = free_port();
        let (id, secret) = create_endpoint(&mut admin, &crate::receiver::url(port), &[]).await;
        assert!(secret.starts_with("whsec_"), "{secret}");
        receivers.push((id, Receiver::start(kind, port, &secret, &[])));
    }

    let inv = d.create(1_000, "webhook happy path").await;
    pay(&mut admin, &inv.id).await;

    for (endpoint_id, r) in &receivers {
        let got = r
            .wait_accepted(Duration::from_secs(10), |a| {
                !of(a, &inv.id, CREATED).is_empty() && !of(a, &inv.id, PAID).is_empty()
            })
            .await;
        let created = &of(&got, &inv.id, CREATED)[0];
        let paid = &of(&got, &inv.id, PAID)[0];
        // Sequences are proto3 JSON uint64: strings.
        let seq = |l: &serde_json::Value| l["sequence"].as_str().unwrap().parse::<u64>().unwrap();
        assert!(seq(created) < seq(paid), "{:?}: {got:?}", r.kind);
        for l in [created, paid] {
            assert_eq!(l["duplicate"], false);
            assert_eq!(l["webhook_id"], format!("msg_{endpoint_id}_{}", seq(l)));
        }
        let log = wait_deliveries(&mut admin, endpoint_id, Duration::from_secs(5), |ds| {
            ds.len() == 2
                && ds
                    .iter()
                    .all(|d| d.state() == proto::WebhookDeliveryState::Delivered)
        })
        .await;
        for delivery in &log {
            assert_eq!(delivery.attempts.len(), 1, "{delivery:?}");
            let a = &delivery.attempts[0];
            assert_eq!(a.http_status, 200);
            assert!(a.error.is_empty() && a.next_attempt_at.is_none(), "{a:?}");
            assert_eq!(delivery.invoice_id, inv.id);
        }
    }

    // GetStatus names each endpoint, with nothing waiting.
    let status = admin
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.webhooks.len(), 2);
    assert!(status
        .webhooks
        .iter()
        .all(|w| w.enabled && w.backlog_seconds == 0 && w.last_error.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_answering_500_twice_gets_three_attempts_with_one_webhook_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(
        dir.path(),
        &[],
        &[("LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS", "[1, 1, 1]")],
    );
    let mut admin = d.admin().await;
    let port = free_port();
    let (endpoint_id, secret) = create_endpoint(
        &mut admin,
        &crate::receiver::url(port),
        &[EventType::InvoiceCreated],
    )
    .await;
    let r = Receiver::start(Kind::Python, port, &secret, &[("FAIL_FIRST", "2")]);

    let inv = d.create(1_000, "fails twice").await;
    let got = r
        .wait_accepted(Duration::from_secs(15), |a| !a.is_empty())
        .await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["invoice_id"], inv.id);

    let posts = r.posts();
    assert_eq!(posts.len(), 3, "{posts:?}");
    let id = &posts[0]["webhook_id"];
    assert!(posts.iter().all(|p| p["webhook_id"] == *id), "{posts:?}");

    let log = wait_deliveries(&mut admin, &endpoint_id, Duration::from_secs(5), |ds| {
        ds.len() == 1 && ds[0].state() == proto::WebhookDeliveryState::Delivered
    })
    .await;
    let statuses: Vec<u32> = log[0].attempts.iter().map(|a| a.http_status).collect();
    assert_eq!(statuses, [500, 500, 200]);
    assert_eq!(log[0].webhook_id, id.as_str().unwrap());
    let (first, second) = (&log[0].attempts[0], &log[0].attempts[1]);
    assert_eq!(first.error, "HTTP 500");
    assert!(first.next_attempt_at.is_some() && second.next_attempt_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_that_happens_while_the_receiver_is_down_arrives_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(
        dir.path(),
        &[],
        &[(
            "LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS",
            "[1, 1, 1, 1, 1, 1, 1, 1]",
        )],
    );
    let mut admin = d.admin().await;
    let port = free_port();
    let (endpoint_id, secret) = create_endpoint(&mut admin, &crate::receiver::url(port), &[]).await;

    let inv = d.create(1_000, "receiver down").await;
    // The first attempt finds nobody listening.
    let log = wait_deliveries(&mut admin, &endpoint_id, Duration::from_secs(5), |ds| {
        ds.len() == 1 && !ds[0].attempts.is_empty()
    })
    .await;
    assert!(
        log[0].attempts[0].error.starts_with("connection"),
        "{:?}",
        log[0].attempts[0]
    );
    assert_eq!(log[0].state(), proto::WebhookDeliveryState::Pending);
    let status = admin
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(status.webhooks[0].last_error.starts_with("connection"));

    let r = Receiver::start(Kind::Node, port, &secret, &[]);
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| !a.is_empty())
        .await;
    assert_eq!(got[0]["invoice_id"], inv.id);
    assert_eq!(got[0]["type"], CREATED);
}
