use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::registry::{Listener, Registry};
use super::*;
use crate::domain::{AuditEntry, Invoice};
use crate::error::Error;
use crate::store::contract::{audit, invoice};
use crate::store::tail::RING;
use crate::store::{MemoryStore, Store, Transition};

fn audit_now() -> AuditEntry {
    audit(1, None, None)
}

fn create(store: &MemoryStore, n: u64) -> Invoice {
    let inv = invoice(n, 1_000 + n, 99_000);
    store.insert_invoice(&inv, None, &[]).unwrap();
    inv
}

fn pay(store: &MemoryStore, inv: &Invoice) {
    let paid = Transition::Paid {
        amount_received_msat: 1,
        at_ms: 2_000,
    };
    store.transition(&inv.id, paid, None, &audit_now()).unwrap();
}

async fn next(rx: &mut Subscription) -> Arc<Event> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("an event in time")
        .expect("the stream is open")
        .expect("not an error")
}

async fn nothing_more(rx: &mut Subscription) {
    let more = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await;
    assert!(more.is_err(), "unexpected: {:?}", more.unwrap());
}

/// Reads `from..=to` and fails on any gap, duplicate or reordering.
async fn expect_run(rx: &mut Subscription, from: u64, to: u64) {
    for want in from..=to {
        assert_eq!(next(rx).await.sequence, want);
    }
}

struct Sub {
    hub: Arc<Hub>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Sub {
    fn new(store: &Arc<MemoryStore>) -> Self {
        Self::capped(store, 10_000)
    }

    fn capped(store: &Arc<MemoryStore>, max: usize) -> Self {
        let (shutdown, tasks) = (CancellationToken::new(), TaskTracker::new());
        let hub = Hub::start(store.clone(), max, shutdown.clone(), tasks.clone());
        Self {
            hub,
            shutdown,
            tasks,
        }
    }

    fn open(&self, after: u64, filter: EventFilter) -> Result<Subscription> {
        self.hub.subscribe(after, filter)
    }

    fn all(&self, after: u64) -> Subscription {
        self.open(after, EventFilter::default()).unwrap()
    }
}

#[tokio::test]
async fn replays_from_the_cursor_then_follows_without_gaps() {
    let store = MemoryStore::new();
    for n in 1..=3 {
        create(&store, n);
    }
    store.sync().await.unwrap();
    let sub = Sub::new(&store);
    let mut rx = sub.all(1);
    expect_run(&mut rx, 2, 3).await;
    nothing_more(&mut rx).await;

    // Committed but not durable: not shown yet.
    let inv = create(&store, 4);
    nothing_more(&mut rx).await;
    store.sync().await.unwrap();
    let live = next(&mut rx).await;
    assert_eq!((live.sequence, &live.invoice.id), (4, &inv.id));

    // More than a batch at once arrives whole and in order.
    for n in 5..(5 + BATCH as u64 + 10) {
        create(&store, n);
    }
    store.sync().await.unwrap();
    expect_run(&mut rx, 5, 4 + BATCH as u64 + 10).await;
    sub.shutdown.cancel();
    assert!(matches!(rx.recv().await, Some(Err(Error::ShuttingDown))));
}

#[tokio::test]
async fn filters_by_kind_and_invoice() {
    let store = MemoryStore::new();
    let a = create(&store, 1);
    let b = create(&store, 2);
    pay(&store, &a);
    pay(&store, &b);
    store.sync().await.unwrap();
    let sub = Sub::new(&store);
    let only_paid = EventFilter {
        kinds: vec![EventKind::InvoicePaid],
        invoice_id: None,
    };
    let mut rx = sub.open(0, only_paid).unwrap();
    expect_run(&mut rx, 3, 4).await;
    nothing_more(&mut rx).await;

    let only_b = EventFilter {
        kinds: vec![],
        invoice_id: Some(b.id.clone()),
    };
    let mut rx = sub.open(0, only_b).unwrap();
    assert_eq!(next(&mut rx).await.sequence, 2);
    assert_eq!(next(&mut rx).await.sequence, 4);
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn a_cursor_past_the_log_is_refused() {
    let store = MemoryStore::new();
    create(&store, 1);
    store.sync().await.unwrap();
    let sub = Sub::new(&store);
    assert!(sub.open(1, EventFilter::default()).is_ok());
    let ahead = sub.open(2, EventFilter::default());
    assert!(matches!(
        ahead,
        Err(Error::CursorAhead { after: 2, last: 1 })
    ));
}

#[tokio::test]
async fn a_dropped_subscriber_ends_its_reader_and_frees_its_slot() {
    let store = MemoryStore::new();
    for n in 1..=(BUFFER as u64 * 4) {
        create(&store, n);
    }
    store.sync().await.unwrap();
    let sub = Sub::capped(&store, 1);
    // Far behind and never read: it is catching up when dropped.
    let rx = sub.all(0);
    assert!(matches!(
        sub.open(0, EventFilter::default()),
        Err(Error::StreamLimit { max: 1 })
    ));
    drop(rx);
    let live = sub.all(BUFFER as u64 * 4);
    drop(live);
    sub.shutdown.cancel();
    sub.tasks.close();
    tokio::time::timeout(Duration::from_secs(2), sub.tasks.wait())
        .await
        .expect("every reader stops once its subscriber is gone");
}

#[tokio::test]
async fn streams_beyond_the_cap_are_refused_until_one_closes() {
    let store = MemoryStore::new();
    let sub = Sub::capped(&store, 2);
    let a = sub.all(0);
    let _b = sub.open(0, EventFilter::default()).unwrap();
    let refused = sub.open(0, EventFilter::default());
    assert!(matches!(refused, Err(Error::StreamLimit { max: 2 })));
    drop(a);
    assert!(sub.open(0, EventFilter::default()).is_ok());
}

#[tokio::test]
async fn behind_the_tail_reads_the_store_then_rejoins_without_gap_or_duplicate() {
    let store = MemoryStore::new();
    let before = RING as u64 + 300;
    for n in 1..=before {
        create(&store, n);
    }
    store.sync().await.unwrap();
    assert!(
        store.tail().after(0, 1).is_none(),
        "event 1 is out of the ring"
    );
    let sub = Sub::new(&store);
    let mut old = sub.all(0);
    let mut mid = sub.all(before - 10);
    // Live events keep arriving while they catch up.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for n in (before + 1)..=(before + 500) {
                create(&store, n);
                if n % 7 == 0 {
                    store.sync().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
            store.sync().await.unwrap();
        })
    };
    expect_run(&mut mid, before - 9, before + 500).await;
    expect_run(&mut old, 1, before + 500).await;
    writer.await.unwrap();
    nothing_more(&mut old).await;
    nothing_more(&mut mid).await;
}

#[tokio::test]
async fn a_slow_subscriber_falls_back_and_loses_nothing_while_others_stay_live() {
    let store = MemoryStore::new();
    let sub = Sub::new(&store);
    let mut slow = sub.all(0);
    let mut fast = sub.all(0);
    let total = BUFFER as u64 * 10;
    for n in 1..=total {
        create(&store, n);
        store.sync().await.unwrap();
        assert_eq!(next(&mut fast).await.sequence, n);
    }
    // `slow` read nothing: its buffer filled and it left the live path.
    expect_run(&mut slow, 1, total).await;
    nothing_more(&mut slow).await;
    // And it is live again.
    create(&store, total + 1);
    store.sync().await.unwrap();
    assert_eq!(next(&mut slow).await.sequence, total + 1);
    assert_eq!(next(&mut fast).await.sequence, total + 1);
}

#[tokio::test]
async fn a_per_invoice_stream_wakes_only_for_its_invoice() {
    let store = MemoryStore::new();
    let mine = create(&store, 1);
    store.sync().await.unwrap();
    let sub = Sub::new(&store);
    let only_mine = EventFilter {
        kinds: vec![],
        invoice_id: Some(mine.id.clone()),
    };
    let mut rx = sub.open(1, only_mine).unwrap();
    for n in 2..=(BUFFER as u64 * 3) {
        let other = create(&store, n);
        pay(&store, &other);
        store.sync().await.unwrap();
    }
    nothing_more(&mut rx).await;
    pay(&store, &mine);
    store.sync().await.unwrap();
    let paid = next(&mut rx).await;
    assert_eq!(
        (paid.kind, &paid.invoice.id),
        (EventKind::InvoicePaid, &mine.id)
    );
}

#[test]
fn the_dispatcher_finds_only_the_listeners_an_event_concerns() {
    let store = MemoryStore::new();
    let (a, b) = (create(&store, 1), create(&store, 2));
    let mut reg = Registry::new(0);
    let listen = |kinds: Vec<EventKind>, invoice_id: Option<&Invoice>| Listener {
        tx: tokio::sync::mpsc::channel(1).0,
        filter: EventFilter {
            kinds,
            invoice_id: invoice_id.map(|i| i.id.clone()),
        },
        sent_through: 0,
    };
    reg.insert(1, listen(vec![], Some(&a)));
    reg.insert(2, listen(vec![EventKind::InvoicePaid], Some(&a)));
    reg.insert(3, listen(vec![EventKind::InvoicePaid], None));
    reg.insert(4, listen(vec![], None));
    for n in 5..1_005 {
        reg.insert(n, listen(vec![], Some(&b)));
    }
    let event = |kind, inv: &Invoice| Event {
        sequence: 1,
        kind,
        occurred_at_ms: 0,
        invoice: inv.clone(),
    };
    let sorted = |mut v: Vec<u64>| {
        v.sort();
        v
    };
    let created_a = event(EventKind::InvoiceCreated, &a);
    assert_eq!(sorted(reg.matching(&created_a)), [1, 4]);
    assert_eq!(
        sorted(reg.matching(&event(EventKind::InvoicePaid, &a))),
        [1, 2, 3, 4]
    );
    for n in 5..1_005 {
        reg.remove(n);
    }
    assert_eq!(
        sorted(reg.matching(&event(EventKind::InvoicePaid, &b))),
        [3, 4]
    );
    reg.remove(1);
    assert_eq!(sorted(reg.matching(&created_a)), [4]);
}

#[tokio::test]
async fn live_streams_survive_the_ring_moving_past_the_dispatcher() {
    let store = MemoryStore::new();
    let sub = Sub::new(&store);
    let mut live = sub.all(0);
    let only_paid = EventFilter {
        kinds: vec![EventKind::InvoicePaid],
        invoice_id: None,
    };
    let mut paid = sub.open(0, only_paid).unwrap();
    // More than the ring holds is published before the dispatcher runs (this
    // test's runtime has one thread, and nothing here yields).
    let n = RING as u64 + 100;
    let first = create(&store, 1);
    for i in 2..=n {
        create(&store, i);
    }
    pay(&store, &first);
    store.sync().await.unwrap();
    assert!(store.tail().after(0, 1).is_none());
    expect_run(&mut live, 1, n + 1).await;
    assert_eq!(next(&mut paid).await.sequence, n + 1);
    nothing_more(&mut live).await;
    nothing_more(&mut paid).await;
}
