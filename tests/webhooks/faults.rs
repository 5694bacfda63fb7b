//! A slow endpoint beside a healthy one, refused URLs, redelivery, and an
//! endpoint disabled after failing too long.

use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, WebhookDeliveryState};

use crate::harness::{reason, Daemon};
use crate::receiver::{
    create_endpoint, deliveries, free_port, url, wait_deliveries, Kind, Receiver,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_endpoint_does_not_delay_a_healthy_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(
        dir.path(),
        &[],
        &[
            ("LNPAYD_WEBHOOKS__TIMEOUT_SECS", "2"),
            ("LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS", "[30]"),
        ],
    );
    let mut admin = d.admin().await;
    let types = [EventType::InvoiceCreated];
    let (slow_port, fast_port) = (free_port(), free_port());
    let (slow_id, slow_secret) = create_endpoint(&mut admin, &url(slow_port), &types).await;
    let (_, fast_secret) = create_endpoint(&mut admin, &url(fast_port), &types).await;
    let slow = Receiver::start(
        Kind::Python,
        slow_port,
        &slow_secret,
        &[("SLEEP_SECS", "5")],
    );
    let fast = Receiver::start(Kind::Node, fast_port, &fast_secret, &[]);

    let started = Instant::now();
    for i in 0..3 {
        d.create(1_000, &format!("slow and fast {i}")).await;
    }
    fast.wait_accepted(Duration::from_secs(10), |a| a.len() == 3)
        .await;
    let fast_done = started.elapsed();
    assert!(
        fast_done < Duration::from_millis(1_500),
        "the healthy endpoint waited {fast_done:?}"
    );
    // The slow endpoint's attempts were still running meanwhile.
    assert_eq!(slow.posts().len(), 3, "{:?}", slow.posts());
    let log = wait_deliveries(&mut admin, &slow_id, Duration::from_secs(10), |ds| {
        ds.len() == 3 && ds.iter().all(|d| !d.attempts.is_empty())
    })
    .await;
    for d in &log {
        assert_eq!(d.attempts[0].error, "timeout", "{d:?}");
        assert!(d.attempts[0].duration_ms >= 1_900, "{d:?}");
        assert_eq!(d.state(), WebhookDeliveryState::Pending);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn non_loopback_http_and_private_addresses_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut admin = d.admin().await;
    for (u, want) in [
        ("http://203.0.113.5/hook", "WEBHOOK_URL_NOT_HTTPS"),
        ("https://10.1.2.3/hook", "WEBHOOK_URL_PRIVATE_ADDRESS"),
        ("https://192.168.0.10/hook", "WEBHOOK_URL_PRIVATE_ADDRESS"),
        (
            "https://169.254.169.254/latest/meta-data",
            "WEBHOOK_URL_PRIVATE_ADDRESS",
        ),
        ("https://[fd00::1]/hook", "WEBHOOK_URL_PRIVATE_ADDRESS"),
        ("ftp://example.com/", "WEBHOOK_URL_INVALID"),
    ] {
        let err = admin
            .create_webhook_endpoint(proto::CreateWebhookEndpointRequest {
                url: u.into(),
                ..Default::default()
            })
            .await
            .expect_err(u);
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{u}: {err:?}");
        assert_eq!(reason(&err), want, "{u}: {err:?}");
        assert!(!err.message().is_empty());
    }
    // Changing a good endpoint's URL is checked the same way.
    let (id, _) = create_endpoint(&mut admin, &url(free_port()), &[]).await;
    let err = admin
        .update_webhook_endpoint(proto::UpdateWebhookEndpointRequest {
            id,
            url: Some("https://172.16.5.4/".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "WEBHOOK_URL_PRIVATE_ADDRESS");
    let list = admin
        .list_webhook_endpoints(proto::ListWebhookEndpointsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.endpoints.len(), 1, "refused endpoints are not stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_event_is_redelivered_on_request_with_its_webhook_id() {
    let dir = tempfile::tempdir().unwrap();
    // No retries: the first failure marks the event failed.
    let d = Daemon::start(
        dir.path(),
        &[],
        &[("LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS", "[]")],
    );
    let mut admin = d.admin().await;
    let port = free_port();
    let (id, secret) = create_endpoint(&mut admin, &url(port), &[EventType::InvoiceCreated]).await;
    let r = Receiver::start(Kind::Python, port, &secret, &[("FAIL_FIRST", "2")]);
    let a = d.create(1_000, "redeliver one").await;
    let b = d.create(2_000, "redeliver since").await;
    let failed = wait_deliveries(&mut admin, &id, Duration::from_secs(10), |ds| {
        ds.len() == 2 && ds.iter().all(|d| d.state() == WebhookDeliveryState::Failed)
    })
    .await;
    assert!(r.accepted().is_empty());
    let seq_of = |inv: &str| {
        failed
            .iter()
            .find(|d| d.invoice_id == inv)
            .unwrap()
            .sequence
    };

    let one = admin
        .redeliver_webhook(proto::RedeliverWebhookRequest {
            endpoint_id: id.clone(),
            target: Some(proto::redeliver_webhook_request::Target::Sequence(seq_of(
                &a.id,
            ))),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.scheduled, 1);
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| a.len() == 1)
        .await;
    assert_eq!(got[0]["invoice_id"], a.id);
    assert_eq!(got[0]["webhook_id"], format!("msg_{id}_{}", seq_of(&a.id)));

    let since = admin
        .redeliver_webhook(proto::RedeliverWebhookRequest {
            endpoint_id: id.clone(),
            target: Some(proto::redeliver_webhook_request::Target::FailedSince(
                prost_types::Timestamp::default(),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(since.scheduled, 1, "only b is still failed");
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| a.len() == 2)
        .await;
    assert_eq!(got[1]["invoice_id"], b.id);

    let log = wait_deliveries(&mut admin, &id, Duration::from_secs(5), |ds| {
        ds.iter()
            .all(|d| d.state() == WebhookDeliveryState::Delivered)
    })
    .await;
    for d in &log {
        let statuses: Vec<u32> = d.attempts.iter().map(|a| a.http_status).collect();
        assert_eq!(statuses, [500, 200], "{d:?}");
    }
    // Filters of the delivery log.
    let by_invoice = admin
        .list_webhook_deliveries(proto::ListWebhookDeliveriesRequest {
            invoice_id: b.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_invoice.deliveries.len(), 1);
    assert_eq!(by_invoice.deliveries[0].invoice_id, b.id);
    let none_failed = admin
        .list_webhook_deliveries(proto::ListWebhookDeliveriesRequest {
            endpoint_id: id.clone(),
            state: WebhookDeliveryState::Failed as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none_failed.deliveries.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_failing_too_long_is_disabled_with_an_alert_and_resumes_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(
        dir.path(),
        &[],
        &[
            ("LNPAYD_WEBHOOKS__DISABLE_AFTER_SECS", "2"),
            (
                "LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS",
                "[1, 1, 1, 1, 1, 1, 1, 1]",
            ),
        ],
    );
    let mut admin = d.admin().await;
    let port = free_port();
    let (id, secret) = create_endpoint(&mut admin, &url(port), &[EventType::InvoiceCreated]).await;
    let inv = d.create(1_000, "nobody listens").await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let ep = loop {
        let ep = admin
            .get_webhook_endpoint(proto::GetWebhookEndpointRequest { id: id.clone() })
            .await
            .unwrap()
            .into_inner();
        if !ep.enabled {
            break ep;
        }
        assert!(Instant::now() < deadline, "not disabled: {ep:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ep.disabled_reason, "failing_too_long");
    assert!(ep.failing_since.is_some() && ep.last_error.starts_with("connection"));
    let log = d.log_text();
    assert!(
        log.contains("webhook_endpoint_disabled") && log.contains("raised"),
        "no alert line"
    );
    assert!(!log.contains(&secret[6..]), "the secret reached the log");
    let metrics = d.metrics_text().await;
    assert!(
        metrics.contains("lnpayd_webhook_endpoints_disabled 1"),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "lnpayd_webhook_deliveries_total{{endpoint=\"{id}\",outcome=\"connection_error\"}}"
    )));

    // Disabled: nothing is attempted, whatever happens meanwhile.
    let attempts =
        |ds: &[proto::WebhookDelivery]| ds.iter().map(|d| d.attempts.len()).sum::<usize>();
    let before = attempts(&deliveries(&mut admin, &id).await);
    let meanwhile = d.create(2_000, "while disabled").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(attempts(&deliveries(&mut admin, &id).await), before);

    // Enabled again, with the receiver up: both events arrive.
    let r = Receiver::start(Kind::Node, port, &secret, &[]);
    let ep = admin
        .update_webhook_endpoint(proto::UpdateWebhookEndpointRequest {
            id: id.clone(),
            enabled: Some(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ep.enabled && ep.disabled_reason.is_empty());
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| a.len() == 2)
        .await;
    let ids: std::collections::HashSet<_> = got
        .iter()
        .map(|l| l["invoice_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [inv.id.as_str(), meanwhile.id.as_str()].into());
}
