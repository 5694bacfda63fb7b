//! Every instance serves the whole API: idempotent creates through any of
//! them, one event log, live events across instances, shared tokens.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use lnpayd::proto::{self, ClusterRole, EventType};
use testkit::daemon::{create_req, reason};
use tokio_stream::StreamExt;

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn creates_through_every_instance_make_one_invoice_per_key_and_one_gap_free_log() {
    let url = PG.read().await.fresh_database();
    let c = Cluster::start(url, 3, 10).await;

    // Each instance knows itself and agrees on the leader.
    let mut leaders = HashSet::new();
    for (i, n) in c.nodes.iter().enumerate() {
        let s = try_cluster(n).await.expect("status");
        assert_eq!(s.instance_id, name(i));
        let want = if i == 0 {
            ClusterRole::Leader
        } else {
            ClusterRole::Follower
        };
        assert_eq!(s.role, want as i32, "{s:?}");
        assert!(s.leader_since.is_some() && s.leader_epoch >= 1, "{s:?}");
        leaders.insert(s.leader_id);
    }
    assert_eq!(leaders, HashSet::from(["a".to_string()]));

    // A live subscriber on b, from the start of the log.
    let mut live = invoices(&c.nodes[1])
        .await
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();

    // 20 keys, each sent to all three instances at once, three times over.
    let mut calls = tokio::task::JoinSet::new();
    for key in 0..20 {
        for round in 0..3 {
            for n in &c.nodes {
                let mut client = invoices(n).await;
                calls.spawn(async move {
                    let mut req = create_req(1000 + key, "ha");
                    req.idempotency_key = format!("key-{key}");
                    let _ = round;
                    let inv = client.create_invoice(req).await.map(|r| r.into_inner());
                    (key, inv)
                });
            }
        }
    }
    let mut by_key: HashMap<u64, HashSet<String>> = HashMap::new();
    while let Some(r) = calls.join_next().await {
        let (key, inv) = r.unwrap();
        let inv = inv.unwrap_or_else(|s| panic!("create failed: {} {s:?}", reason(&s)));
        by_key.entry(key).or_default().insert(inv.id);
    }
    assert_eq!(by_key.len(), 20);
    for (key, ids) in &by_key {
        assert_eq!(ids.len(), 1, "key-{key} made {ids:?}");
    }

    // One INVOICE_CREATED per key in the log, read through c.
    let log = whole_log(&c.nodes[2]).await;
    assert_eq!(log.len(), 20);
    assert!(log
        .iter()
        .all(|e| e.r#type == EventType::InvoiceCreated as i32));

    // Paid through a, seen live on b, in order, after the creates.
    let first: Vec<String> = by_key
        .values()
        .flat_map(|s| s.iter().cloned())
        .take(5)
        .collect();
    let mut a_admin = admin(&c.nodes[0]).await;
    for id in &first {
        a_admin
            .simulate_payment(proto::SimulatePaymentRequest {
                id: id.clone(),
                amount_msat: 0,
            })
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < 25 {
        let e = tokio::time::timeout(Duration::from_secs(10), live.next())
            .await
            .expect("b's subscriber stalled")
            .unwrap()
            .unwrap();
        seen.push(e);
    }
    let seqs: Vec<u64> = seen.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=25).collect::<Vec<_>>());
    let paid: Vec<String> = seen[20..]
        .iter()
        .map(|e| e.invoice.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(paid, first, "b sees a's payments in a's order");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_rotated_in_the_shared_file_is_accepted_by_every_instance_after_sighup() {
    let url = PG.read().await.fresh_database();
    let c = Cluster::start(url, 2, 10).await;
    std::fs::write(c.token_path("invoice"), "rotated-invoice-token\n").unwrap();
    for n in &c.nodes {
        n.signal(nix::sys::signal::Signal::SIGHUP);
    }
    for n in &c.nodes {
        let mut fresh = n.invoices_with(Some("rotated-invoice-token".into())).await;
        let mut old = invoices(n).await;
        let mut accepted = false;
        for _ in 0..50 {
            if fresh
                .create_invoice(create_req(10, "rotated"))
                .await
                .is_ok()
            {
                accepted = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(accepted, "the rotated token is not accepted");
        let refused = old.create_invoice(create_req(10, "old")).await.unwrap_err();
        assert_eq!(reason(&refused), "TOKEN_UNKNOWN");
        assert!(
            !n.log_text().contains("rotated-invoice-token"),
            "a token reached the log"
        );
    }
    assert!(c.shared_dir().join("admin.token").exists());
}
