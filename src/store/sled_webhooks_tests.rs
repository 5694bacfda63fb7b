//! Tests of `sled_webhooks.rs`, kept apart so that file stays readable.
use super::*;
use crate::config::Secret;
use crate::domain::EventKind;
use crate::store::webhooks::AttemptOutcome;

fn endpoint(id: &str) -> WebhookEndpoint {
    WebhookEndpoint {
        id: id.into(),
        url: "https://example.com/hook".into(),
        event_types: vec![],
        description: String::new(),
        enabled: true,
        enabled_at_ms: 0,
        disabled_reason: None,
        secret: Secret::new("whsec_AAAA"),
        previous_secret: None,
        from_config: false,
        created_at_ms: 0,
        updated_at_ms: 0,
    }
}

fn pending(id: &str, seq: u64, at: u64) -> Delivery {
    Delivery {
        endpoint_id: id.into(),
        sequence: seq,
        kind: EventKind::InvoiceCreated,
        invoice_id: format!("inv_{seq}"),
        occurred_at_ms: seq,
        state: DeliveryState::Pending,
        attempts: 0,
        scheduled_attempts: 0,
        next_attempt_at_ms: Some(at),
        updated_at_ms: at,
    }
}

fn attempt(d: &Delivery, outcome: AttemptOutcome, at: u64) -> Attempt {
    Attempt {
        endpoint_id: d.endpoint_id.clone(),
        sequence: d.sequence,
        number: d.attempts,
        at_ms: at,
        duration_ms: 1,
        outcome,
        next_attempt_at_ms: d.next_attempt_at_ms,
    }
}

#[test]
fn the_retry_index_follows_every_delivery_through_its_life() {
    let dir = tempfile::tempdir().unwrap();
    let s = SledStore::open(dir.path(), 1 << 20).unwrap();
    retry_index_follows_every_delivery_through_its_life(&*s);
}

/// The webhook store's contract, for every implementation (PostgreSQL's too).
pub(crate) fn retry_index_follows_every_delivery_through_its_life(s: &dyn WebhookStore) {
    s.create_endpoint(&endpoint("a"), 7).unwrap();
    s.create_endpoint(&endpoint("b"), 0).unwrap();
    assert_eq!(s.webhook_cursor("a").unwrap(), 7);
    s.ingest("a", &[pending("a", 8, 100), pending("a", 9, 100)], 10)
        .unwrap();
    s.ingest("b", &[pending("b", 8, 50)], 8).unwrap();
    assert_eq!(s.webhook_cursor("a").unwrap(), 10);
    assert_eq!(s.due("a", 10).unwrap(), [(100, 8), (100, 9)]);

    // A failure moves 8 behind 9; an ingest again keeps the record.
    let mut d8 = pending("a", 8, 500);
    d8.attempts = 1;
    let h = s
        .record_attempt(&d8, &attempt(&d8, AttemptOutcome::Timeout, 100))
        .unwrap();
    assert_eq!(h.failing_since_ms, Some(100));
    s.ingest("a", &[pending("a", 8, 100)], 10).unwrap();
    assert_eq!(s.due("a", 10).unwrap(), [(100, 9), (500, 8)]);

    // Success leaves the index and clears the failing clock.
    let mut d9 = pending("a", 9, 0);
    (d9.state, d9.next_attempt_at_ms, d9.attempts) = (DeliveryState::Delivered, None, 1);
    let h = s
        .record_attempt(
            &d9,
            &attempt(&d9, AttemptOutcome::Success { status: 204 }, 200),
        )
        .unwrap();
    assert_eq!((h.failing_since_ms, h.last_success_ms), (None, Some(200)));
    assert_eq!(s.due("a", 10).unwrap(), [(500, 8)]);
    assert_eq!(s.due("b", 10).unwrap(), [(50, 8)], "endpoints do not mix");

    // Failed for good, then redelivered: back in the index, fresh schedule.
    (d8.state, d8.next_attempt_at_ms, d8.attempts) = (DeliveryState::Failed, None, 2);
    d8.scheduled_attempts = 2;
    s.record_attempt(&d8, &attempt(&d8, AttemptOutcome::Timeout, 300))
        .unwrap();
    assert!(s.due("a", 10).unwrap().is_empty());
    assert_eq!(s.reschedule("a", &[8, 99], 600).unwrap(), 1);
    assert_eq!(s.due("a", 10).unwrap(), [(600, 8)]);
    let d = s.delivery("a", 8).unwrap().unwrap();
    assert_eq!(
        (d.state, d.scheduled_attempts, d.attempts),
        (DeliveryState::Pending, 0, 2)
    );
    assert_eq!(s.attempts("a", 8).unwrap().len(), 2);

    // Paging, newest first, and filters.
    let q = DeliveryQuery {
        endpoint_id: Some("a".into()),
        limit: 1,
        ..Default::default()
    };
    let (page, next) = s.deliveries(&q).unwrap();
    assert_eq!(page[0].sequence, 9);
    let (page, next) = s
        .deliveries(&DeliveryQuery {
            before: next,
            ..q.clone()
        })
        .unwrap();
    assert_eq!((page[0].sequence, next), (8, None));

    // Pruning keeps pending deliveries; deleting drops everything.
    let pruned = s.prune_webhooks(1_000).unwrap();
    assert_eq!((pruned.deliveries, pruned.attempts), (1, 3));
    assert!(s.delivery("a", 8).unwrap().is_some());
    assert!(s.delete_endpoint("a").unwrap());
    assert!(s.due("a", 10).unwrap().is_empty() && s.delivery("a", 8).unwrap().is_none());
    assert_eq!(s.endpoints().unwrap().len(), 1);
}
