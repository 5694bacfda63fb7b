//! Secret rotation: both signatures during the overlap, then only the new one.

use std::time::Duration;

use lnpayd::proto::{self, EventType};

use crate::harness::Daemon;
use crate::receiver::{create_endpoint, free_port, url, Kind, Receiver};

/// The test server's line for the POST that carried this invoice's event.
fn post_for(r: &Receiver, invoice_seq: &str) -> serde_json::Value {
    r.posts()
        .into_iter()
        .rev()
        .find(|p| {
            p["webhook_id"]
                .as_str()
                .unwrap()
                .ends_with(&format!("_{invoice_seq}"))
        })
        .unwrap_or_else(|| panic!("no POST for event {invoice_seq}: {:?}", r.posts()))
}

#[tokio::test(flavor = "multi_thread")]
async fn both_signatures_during_the_overlap_then_only_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(
        dir.path(),
        &[],
        &[
            ("LNPAYD_WEBHOOKS__SECRET_OVERLAP_SECS", "3"),
            ("LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS", "[1, 1, 1, 1, 1, 1]"),
        ],
    );
    let mut admin = d.admin().await;
    let port = free_port();
    let (endpoint_id, old) =
        create_endpoint(&mut admin, &url(port), &[EventType::InvoiceCreated]).await;
    let check = dir.path().join("secrets");
    std::fs::write(&check, &old).unwrap();
    let check_env = ("CHECK_SECRETS_FILE", check.to_str().unwrap());
    let mut r = Receiver::start(Kind::Python, port, &old, &[check_env]);

    d.create(1_000, "before rotation").await;
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| !a.is_empty())
        .await;
    let p = post_for(&r, got[0]["sequence"].as_str().unwrap());
    assert_eq!(
        (p["signatures"].as_u64(), &p["verifies_with"]),
        (Some(1), &serde_json::json!([true]))
    );

    let rotated = admin
        .rotate_webhook_secret(proto::RotateWebhookSecretRequest {
            id: endpoint_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let new = rotated.secret;
    assert_ne!(new, old);
    let overlap_ends = rotated
        .endpoint
        .unwrap()
        .previous_secret_expires_at
        .expect("the old secret's end is shown");
    std::fs::write(&check, format!("{old}\n{new}\n")).unwrap();

    d.create(1_000, "during the overlap").await;
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| a.len() >= 2)
        .await;
    let p = post_for(&r, got[1]["sequence"].as_str().unwrap());
    assert_eq!(p["signatures"], 2, "{p}");
    assert_eq!(p["verifies_with"], serde_json::json!([true, true]));

    // After the overlap: only the new secret signs, so the receiver still on
    // the old one refuses (400) until it is given the new one.
    let end_ms = overlap_ends.seconds as u64 * 1000 + overlap_ends.nanos as u64 / 1_000_000;
    let wait = end_ms.saturating_sub(lnpayd::time::now_ms()) + 200;
    assert!(wait <= 3_500, "overlap longer than configured: {wait} ms");
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let after = d.create(1_000, "after the overlap").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let seq = loop {
        let refused = r.posts().into_iter().find(|p| {
            p["signatures"] == 1 && p["verifies_with"] == serde_json::json!([false, true])
        });
        if let Some(p) = refused {
            break p["webhook_id"]
                .as_str()
                .unwrap()
                .rsplit('_')
                .next()
                .unwrap()
                .to_string();
        }
        assert!(std::time::Instant::now() < deadline, "{:?}", r.posts());
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(
        r.accepted().len(),
        2,
        "the old secret must not verify any more"
    );

    r.stop();
    let r = Receiver::start(Kind::Python, port, &new, &[check_env]);
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| !a.is_empty())
        .await;
    assert_eq!(got[0]["invoice_id"], after.id);
    assert_eq!(got[0]["sequence"], seq.as_str());
}
