//! Once the settle cursor names an invoice, LND sends lnpayd no add events:
//! every invoice lnpayd creates used to come back on the resume stream,
//! costing both processes CPU for nothing (BENCHMARKS.md, issue 16).

use std::time::{Duration, Instant};

use lnpayd::proto::InvoiceStatus;

use super::{Lnpayd, NET};
use testkit::daemon::blocking;

/// The add cursor lnpayd stored (it follows every add LND sent).
fn stored_add_cursor(datadir: &std::path::Path) -> u64 {
    use lnpayd::store::{FjallStore, Store};
    let store = FjallStore::open(&datadir.join("fjall"), 1 << 20).unwrap();
    let settled = store.cursor("lnd.settle_index").unwrap();
    assert!(
        settled.is_some(),
        "this is lnpayd's store: it holds the settle cursor"
    );
    store
        .cursor("lnd.add_index")
        .unwrap()
        .map_or(0, |c| c.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_settlement_lnd_sends_no_adds() {
    let net = NET.read().await;
    let Lnpayd {
        mut d,
        proxy: _proxy,
        dir: _dir,
        ..
    } = Lnpayd::start(&net).await;

    let first = d.create(5, "the first payment").await;
    blocking(|| net.bob_pays(&first.payment_request)).unwrap();
    assert_eq!(
        d.wait_invoice(&first.id, 60).await.status(),
        InvoiceStatus::Paid
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !d
        .log_text()
        .contains("resume stream replaced by one without adds")
    {
        assert!(Instant::now() < deadline, "resume was never replaced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let later = d.create(5, "after the switch").await;
    let later_add = blocking(|| net.alice_invoice(&later.payment_hash))["add_index"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    // Settlements still arrive, on the stream that carries no adds.
    blocking(|| net.bob_pays(&later.payment_request)).unwrap();
    assert_eq!(
        d.wait_invoice(&later.id, 60).await.status(),
        InvoiceStatus::Paid
    );
    // The add cursor follows every add LND sends, saved every 5 s
    // (`ADD_CURSOR_EVERY`): one save after `later` was created.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(d.terminate().success());
    let cursor = stored_add_cursor(&d.datadir);
    assert!(
        cursor < later_add,
        "LND still sent the add of an invoice created after the switch: cursor {cursor}, its add_index {later_add}"
    );
}
