//! The PostgreSQL store's webhook tables, the sled import, and a
//! PostgreSQL restart under the store.

use std::time::Duration;

use testkit::postgres::Postgres;

use super::tests::{fresh_url, open_on};
use super::{import_sled, ImportError};
use crate::config::Secret;
use crate::domain::EventKind;
use crate::store::contract::{audit, invoice};
use crate::store::webhooks::{
    Attempt, AttemptOutcome, Delivery, DeliveryState, WebhookEndpoint, WebhookStore,
};
use crate::store::{
    AuditQuery, CursorUpdate, IdempotencyRecord, ListQuery, SledStore, Store, StoreError,
    Transition,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_tables_keep_the_webhook_store_contract() {
    let (store, _g) = open_on(&fresh_url().await).await;
    crate::store::sled_webhooks::tests::retry_index_follows_every_delivery_through_its_life(
        &*store,
    );
}

fn endpoint(id: &str) -> WebhookEndpoint {
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
async fn populated_sled(dir: &std::path::Path) -> std::sync::Arc<SledStore> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_store_imports_whole_and_verified_and_only_into_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let sled = populated_sled(dir.path()).await;
    let url = fresh_url().await;
    let lines = std::sync::Mutex::new(Vec::new());
    let report = import_sled(&sled, &url, 10, &|l| lines.lock().unwrap().push(l))
        .await
        .unwrap();
    let rows = |t: &str| report.tables.iter().find(|r| r.table == t).unwrap().rows;
    assert_eq!(rows("lnpayd_invoices"), 30);
    assert_eq!(rows("lnpayd_events"), 40);
    assert_eq!(rows("lnpayd_idempotency"), 15);
    assert_eq!(rows("lnpayd_audit"), 40);
    assert_eq!(rows("lnpayd_cursors"), 1);
    assert_eq!(rows("lnpayd_webhook_deliveries"), 1);
    assert_eq!(rows("lnpayd_webhook_attempts"), 1);
    assert_eq!(rows("lnpayd_webhook_health"), 1);
    assert_eq!(report.last_sequence, 40);
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("rows copied")));

    // What PostgreSQL now serves is what sled served.
    let (pg, _g) = open_on(&url).await;
    let all = ListQuery {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        pg.list_invoices(&all).unwrap(),
        sled.list_invoices(&all).unwrap()
    );
    assert_eq!(
        pg.events_after(0, 100).unwrap(),
        sled.events_after(0, 100).unwrap()
    );
    assert_eq!(
        pg.idempotency_record("key-4").unwrap(),
        sled.idempotency_record("key-4").unwrap()
    );
    assert_eq!(
        pg.invoice_by_external_ref("order-8").unwrap(),
        sled.invoice_by_external_ref("order-8").unwrap()
    );
    let cursor = pg.cursor("lnd").unwrap().unwrap();
    assert_eq!((cursor.value, cursor.anchor), (30, vec![30; 32]));
    assert_eq!(
        pg.pending_due(None, u64::MAX, 100).unwrap(),
        sled.pending_due(None, u64::MAX, 100).unwrap()
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
    assert_eq!(entries(&*pg), entries(&*sled));
    assert_eq!(pg.endpoints().unwrap(), sled.endpoints().unwrap());
    assert_eq!(pg.webhook_cursor("ep_a").unwrap(), 4);
    assert_eq!(pg.due("ep_a", 10).unwrap(), vec![(70_000, 4)]);
    assert_eq!(
        pg.attempts("ep_a", 4).unwrap(),
        sled.attempts("ep_a", 4).unwrap()
    );
    assert_eq!(
        pg.endpoint_health("ep_a").unwrap(),
        sled.endpoint_health("ep_a").unwrap()
    );
    // The log continues where sled's ended.
    let next = pg
        .insert_invoice(&invoice(99, 9_000, 99_000), None, &[])
        .unwrap();
    assert!(matches!(next, crate::store::Inserted::New(e) if e.sequence == 41));

    let again = import_sled(&sled, &url, 10, &|_| {}).await;
    assert!(
        matches!(
            again,
            Err(ImportError::NotEmpty {
                table: "lnpayd_invoices",
                rows: 31
            })
        ),
        "{again:?}"
    );
}

/// PostgreSQL stopped under a running store: writes fail UNAVAILABLE and
/// health turns FAILING; once it is back, health recovers without a write
/// and without a restart, and writes work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_fails_writes_unavailable_then_recovers_alone() {
    // A cluster of its own: stopping the shared one would fail other tests.
    let mut pg = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    let url = pg.fresh_database();
    let (store, _g) = open_on(&url).await;
    store
        .insert_invoice(&invoice(1, 1_000, 9_000), None, &[])
        .unwrap();
    let mut health = store.health();

    let mut pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        pg
    })
    .await
    .unwrap();
    let err = store
        .insert_invoice(&invoice(2, 1_001, 9_000), None, &[])
        .err()
        .expect("no database, no write");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(!health.borrow_and_update().is_ok(), "FAILING");

    let pg = tokio::task::spawn_blocking(move || {
        pg.start_again();
        pg
    })
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(15), health.wait_for(|h| h.is_ok()))
        .await
        .expect("health recovers without a write")
        .unwrap();
    let again = store
        .insert_invoice(&invoice(2, 1_001, 9_000), None, &[])
        .unwrap();
    assert!(matches!(again, crate::store::Inserted::New(e) if e.sequence == 2));
    drop(store);
    drop(_g);
    tokio::task::spawn_blocking(move || drop(pg)).await.unwrap();
}

#[test]
fn the_store_url_is_never_in_what_the_store_reports() {
    let c: tokio_postgres::Config = "postgresql://lnpayd:s3cret@db.example:6543/pay"
        .parse()
        .unwrap();
    let shown = super::describe(&c);
    assert_eq!(shown, "db.example:6543/pay");
    assert!(!shown.contains("s3cret"));
}

/// Not a check: how fast one instance creates invoices, one at a time and
/// from 8 tasks. `cargo test --lib pg_insert_rate -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore]
async fn pg_insert_rate() {
    let (store, _g) = open_on(&fresh_url().await).await;
    let n = 400u64;
    let started = std::time::Instant::now();
    for i in 0..n {
        store
            .insert_invoice(&invoice(i + 1, 1_000 + i, 9_000), None, &[])
            .unwrap();
        store.sync().await.unwrap();
    }
    let serial = n as f64 / started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..8u64)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..n / 8 {
                    let k = 10_000 + t * 1_000 + i;
                    store
                        .insert_invoice(&invoice(k, 1_000 + k, 9_000), None, &[])
                        .unwrap();
                    store.sync().await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let parallel = n as f64 / started.elapsed().as_secs_f64();
    println!("insert_invoice+sync: {serial:.0}/s serial, {parallel:.0}/s from 8 tasks");
}
