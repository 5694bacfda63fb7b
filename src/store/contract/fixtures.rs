//! A source store with a bit of everything, for the tests of the copies
//! made from it (the PostgreSQL import, the conversion to fjall), and the
//! check that a copy serves what its source served.

use crate::config::Secret;
use crate::domain::EventKind;
use crate::store::contract::{audit, invoice};
use crate::store::webhooks::{
    Attempt, AttemptOutcome, Delivery, DeliveryState, WebhookEndpoint, WebhookStore,
};
use crate::store::{
    AuditQuery, CursorUpdate, IdempotencyRecord, ListQuery, SledStore, Store, Transition,
};

pub fn endpoint(id: &str) -> WebhookEndpoint {
    WebhookEndpoint {
        id: id.into(),
        url: "https://example.com/hook".into(),
        event_types: vec![EventKind::InvoicePaid],
        description: "shop".into(),
        enabled: true,
        enabled_at_ms: 1,
        disabled_reason: None,
        secret: Secret::new("whsec_AAAA"),
        previous_secret: None,
        from_config: false,
        created_at_ms: 1,
        updated_at_ms: 1,
    }
}

/// A sled store with a bit of everything, synced; its flusher stops with it.
pub async fn populated_sled(dir: &std::path::Path) -> std::sync::Arc<SledStore> {
    let sled = SledStore::open(dir, 1 << 20).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let flusher = tokio::spawn(sled.run_flusher(stop.clone()));
    for n in 1..=30u64 {
        let mut inv = invoice(n, 1_000 + n, 50_000 + n);
        inv.external_ref = (n % 4 == 0).then(|| format!("order-{n}"));
        let key = IdempotencyRecord {
            key: format!("key-{n}"),
            fingerprint: "fp".into(),
            invoice_id: inv.id.clone(),
            created_at_ms: 1_000 + n,
        };
        let audit_lines = [audit(1_000 + n, Some(&inv.id), Some("dev"))];
        sled.insert_invoice(&inv, (n % 2 == 0).then_some(&key), &audit_lines)
            .unwrap();
        if n % 3 == 0 {
            let paid = Transition::Paid {
                amount_received_msat: 900,
                at_ms: 60_000,
            };
            let cursor = CursorUpdate {
                name: "lnd".into(),
                value: n,
                anchor: vec![n as u8; 32],
            };
            let line = audit(2_000 + n, Some(&inv.id), None);
            sled.transition(&inv.id, paid, Some(&cursor), &line)
                .unwrap();
        }
    }
    sled.create_endpoint(&endpoint("ep_a"), 3).unwrap();
    let d = Delivery {
        endpoint_id: "ep_a".into(),
        sequence: 4,
        kind: EventKind::InvoicePaid,
        invoice_id: invoice(3, 1_003, 0).id,
        occurred_at_ms: 60_000,
        state: DeliveryState::Pending,
        attempts: 1,
        scheduled_attempts: 1,
        next_attempt_at_ms: Some(70_000),
        updated_at_ms: 60_000,
    };
    sled.ingest("ep_a", std::slice::from_ref(&d), 4).unwrap();
    let a = Attempt {
        endpoint_id: "ep_a".into(),
        sequence: 4,
        number: 1,
        at_ms: 60_000,
        duration_ms: 5,
        outcome: AttemptOutcome::HttpStatus { status: 500 },
        next_attempt_at_ms: Some(70_000),
    };
    sled.record_attempt(&d, &a).unwrap();
    sled.sync().await.unwrap();
    stop.cancel();
    flusher.await.unwrap();
    sled
}

/// What `populated_sled` holds, read through `copy` and `orig` alike.
pub fn assert_serves_the_same(copy: &dyn WebhookStore, orig: &dyn WebhookStore) {
    let all = ListQuery {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        copy.list_invoices(&all).unwrap(),
        orig.list_invoices(&all).unwrap()
    );
    assert_eq!(
        copy.events_after(0, 100).unwrap(),
        orig.events_after(0, 100).unwrap()
    );
    assert_eq!(
        copy.idempotency_record("key-4").unwrap(),
        orig.idempotency_record("key-4").unwrap()
    );
    assert_eq!(
        copy.invoice_by_external_ref("order-8").unwrap(),
        orig.invoice_by_external_ref("order-8").unwrap()
    );
    let cursor = copy.cursor("lnd").unwrap().unwrap();
    assert_eq!((cursor.value, cursor.anchor), (30, vec![30; 32]));
    assert_eq!(
        copy.pending_due(None, u64::MAX, 100).unwrap(),
        orig.pending_due(None, u64::MAX, 100).unwrap()
    );
    let page = AuditQuery {
        limit: 100,
        ..Default::default()
    };
    let entries = |s: &dyn Store| -> Vec<_> {
        s.audit_page(&page)
            .unwrap()
            .0
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    };
    assert_eq!(entries(copy), entries(orig));
    assert_eq!(copy.endpoints().unwrap(), orig.endpoints().unwrap());
    assert_eq!(copy.webhook_cursor("ep_a").unwrap(), 4);
    assert_eq!(copy.due("ep_a", 10).unwrap(), vec![(70_000, 4)]);
    assert_eq!(
        copy.attempts("ep_a", 4).unwrap(),
        orig.attempts("ep_a", 4).unwrap()
    );
    assert_eq!(
        copy.endpoint_health("ep_a").unwrap(),
        orig.endpoint_health("ep_a").unwrap()
    );
}

/// Retries `f` while sled says its directory is still locked. sled frees
/// a dropped store (and its file lock) through deferred epoch-based garbage
/// collection, so a test that reopens a directory in the same process can
/// find it still locked for a moment; another process never does.
pub fn retry_while_sled_locked<T>(
    mut f: impl FnMut() -> Result<T, crate::store::StoreError>,
) -> Result<T, crate::store::StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match f() {
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r,
        }
    }
}
