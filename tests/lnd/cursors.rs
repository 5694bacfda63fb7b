//! lnpayd's stored cursors against alice's indexes: paid while lnpayd is
//! stopped, her indexes behind the cursors, her invoices moved to native SQL.

use std::time::Duration;

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use super::{wait_stream, Lnpayd, NET};
use testkit::daemon::{blocking, Daemon};
use testkit::lnd::{Exclusive, Network};

/// Moves one of lnpayd's stored cursors (keeping its anchor) while lnpayd is
/// stopped. LND's own counters cannot be reset on a live node; lnpayd's
/// cursor ahead of the node is the same mismatch seen from lnpayd's side.
async fn set_cursor(datadir: &std::path::Path, name: &str, value: u64) {
    use lnpayd::store::{CursorUpdate, FjallStore, Store};
    let store = FjallStore::open(&datadir.join("fjall"), 1 << 20).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let flusher = tokio::spawn(store.run_flusher(stop.clone()));
    let anchor = store
        .cursor(name)
        .unwrap()
        .map(|c| c.anchor)
        .unwrap_or_default();
    store
        .set_cursor(&CursorUpdate {
            name: name.into(),
            value,
            anchor,
        })
        .unwrap();
    store.sync().await.unwrap();
    stop.cancel();
    flusher.await.unwrap();
}

/// Bob pays while lnpayd is stopped: PAID after restart, one event.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_while_lnpayd_is_stopped() {
    let net = NET.read().await;
    let Lnpayd {
        mut d,
        dir,
        env,
        proxy: _proxy,
    } = Lnpayd::start(&net).await;

    let created = d.create(3000, "while down").await;
    assert!(d.terminate().success());
    blocking(|| net.bob_pays(&created.payment_request)).unwrap();
    d = Daemon::start_env(dir.path(), &env);
    let paid = d.wait_invoice(&created.id, 60).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 3_000_000);
    let mut paid_events = d
        .invoices()
        .await
        .subscribe_events(proto::SubscribeEventsRequest {
            invoice_id: created.id.clone(),
            types: vec![EventType::InvoicePaid as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    paid_events.next().await.unwrap().unwrap();
    // The stream's replay and the reconciliation both see it: still one event.
    assert!(
        tokio::time::timeout(Duration::from_secs(2), paid_events.next())
            .await
            .is_err()
    );
}

/// LND's indexes behind lnpayd's cursors (an index reset): detected, nothing
/// missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lnd_indexes_behind_our_cursors() {
    let net = NET.read().await;
    let Lnpayd {
        mut d,
        dir,
        env,
        proxy: _proxy,
    } = Lnpayd::start(&net).await;
    // A settlement on the stream anchors the settle cursor to an invoice, as
    // in any lnpayd that has been paid before: the reset is told by that
    // anchor.
    let first = d.create(700, "anchors the settle cursor").await;
    blocking(|| net.bob_pays(&first.payment_request)).unwrap();
    assert_eq!(
        d.wait_invoice(&first.id, 30).await.status(),
        InvoiceStatus::Paid
    );

    wait_stream(&d, "connected").await;
    let while_down = d.create(800, "paid while the cursor is ahead").await;
    let later = d.create(900, "settled on the stream").await;
    let warnings = |d: &Daemon, what: &str| {
        d.log_text()
            .lines()
            .filter(|l| l.contains(what) && l.contains("WARN"))
            .count()
    };

    // settle_index: LND drops live settlements at or below the index a
    // client subscribes with, so a cursor taken at its word would hide
    // every payment from here on.
    assert!(d.terminate().success());
    set_cursor(&d.datadir, "lnd.settle_index", 1_000_000).await;
    blocking(|| net.bob_pays(&while_down.payment_request)).unwrap();
    d = Daemon::start_env(dir.path(), &env);
    let paid = d.wait_invoice(&while_down.id, 60).await;
    assert_eq!(
        paid.status(),
        InvoiceStatus::Paid,
        "found by reconciliation"
    );
    wait_stream(&d, "connected").await;
    blocking(|| net.bob_pays(&later.payment_request)).unwrap();
    let paid = d.wait_invoice(&later.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 900_000);
    let mismatch = "settle_index does not match our cursor";
    assert_eq!(warnings(&d, mismatch), 1);
    // The cursor follows the node again: the next settlement is ordinary.
    let next = d.create(950, "after the reset").await;
    blocking(|| net.bob_pays(&next.payment_request)).unwrap();
    assert_eq!(
        d.wait_invoice(&next.id, 30).await.status(),
        InvoiceStatus::Paid
    );
    assert_eq!(warnings(&d, mismatch), 1);

    // add_index: seen at connect; both cursors restart from zero.
    let pending = d.create(1000, "add index reset").await;
    assert!(d.terminate().success());
    set_cursor(&d.datadir, "lnd.add_index", 1_000_000).await;
    d = Daemon::start_env(dir.path(), &env);
    wait_stream(&d, "connected").await;
    assert_eq!(warnings(&d, "add_index is behind our cursor"), 1);
    // The settle cursor written by the stream checks out against the node.
    assert_eq!(warnings(&d, mismatch), 1);
    blocking(|| net.bob_pays(&pending.payment_request)).unwrap();
    assert_eq!(
        d.wait_invoice(&pending.id, 30).await.status(),
        InvoiceStatus::Paid
    );
}

/// Alice's invoices move to native SQL: her settle counter restarts, no
/// payment is missed. Exclusive: it restarts alice, and counts the live
/// events its lnpayd sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(external_lnd, ignore = "migrates alice's store: needs a local lnd")]
async fn alice_moves_to_native_sql_no_payment_missed() {
    let mut net = Exclusive::of(&NET).await;
    let l = Lnpayd::start(&net).await;
    let d = &l.d;

    let settle_index = |net: &Network, hash: &str| -> u64 {
        blocking(|| net.alice_invoice(hash))["settle_index"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    wait_stream(d, "connected").await;
    // The cursor is at the node's newest settlement before the move.
    let before = d.create(1100, "before the migration").await;
    blocking(|| net.bob_pays(&before.payment_request)).unwrap();
    assert_eq!(
        d.wait_invoice(&before.id, 30).await.status(),
        InvoiceStatus::Paid
    );
    let old_index = settle_index(&net, &before.payment_hash);
    let log_before = d.log_text().len();

    blocking(|| net.migrate_alice_to_native_sql());
    wait_stream(d, "connected").await;
    let after = d.create(1300, "after the migration").await;
    blocking(|| net.bob_pays(&after.payment_request)).unwrap();
    let new_index = settle_index(&net, &after.payment_hash);
    assert!(
        new_index <= old_index,
        "the scenario needs lnd's counter to restart: {new_index} after {old_index}"
    );
    let paid = d.wait_invoice(&after.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 1_300_000);
    // Seen on the stream as it happened, not found by a later reconcile.
    let audit = d.audit_of(&after.id).await;
    assert_eq!(audit[0].outcome, "settled via stream", "{audit:?}");
    // Said once, for the operator.
    let since = d.log_text()[log_before..].to_string();
    let behind = since
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("settle_index is behind our cursor"))
        .count();
    assert_eq!(behind, 1, "{since}");
    // The live subscription carried live settlements only (the warm-up
    // payment of alice's restart, maybe, and this one), not a replay of
    // her invoices: an add index past the SQL store's range replays all.
    let live = since
        .lines()
        .filter(|l| l.contains("LND invoice event") && l.contains("feed=Live"))
        .count();
    assert!((1..=2).contains(&live), "{live} live events:\n{since}");
}
