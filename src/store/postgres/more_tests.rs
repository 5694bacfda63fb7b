//! The PostgreSQL store's webhook tables, the import, and a
//! PostgreSQL restart under the store.

use std::time::Duration;

use testkit::postgres::Postgres;

use super::tests::{fresh_url, open_on};
use super::{import_store, ImportError};
use crate::store::contract::fixtures::{self, populated_sled};
use crate::store::contract::invoice;
use crate::store::{Store, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_tables_keep_the_webhook_store_contract() {
    let (store, _g) = open_on(&fresh_url().await).await;
    crate::store::sled_webhooks::tests::retry_index_follows_every_delivery_through_its_life(
        &*store,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_store_imports_whole_and_verified_and_only_into_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let sled = populated_sled(dir.path()).await;
    let url = fresh_url().await;
    let lines = std::sync::Mutex::new(Vec::new());
    let report = import_store(sled.as_ref(), &url, 10, &|l| lines.lock().unwrap().push(l))
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
    fixtures::assert_serves_the_same(&*pg, &*sled);
    // The log continues where sled's ended.
    let next = pg
        .insert_invoice(&invoice(99, 9_000, 99_000), None, &[])
        .unwrap();
    assert!(matches!(next, crate::store::Inserted::New(e) if e.sequence == 41));

    let again = import_store(sled.as_ref(), &url, 10, &|_| {}).await;
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
