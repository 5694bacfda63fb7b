//! The expiry timer over the in-memory store.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;
use crate::config::FailoverConfig;
use crate::domain::{EventKind, Invoice};
use crate::store::contract::invoice;
use crate::store::{
    AuditCursor, AuditQuery, CursorUpdate, IdempotencyRecord, Inserted, ListQuery, MemoryStore,
    Pruned, StoreError, StoreHealth, Transition, Transitioned,
};

struct Harness {
    store: Arc<MemoryStore>,
    reads: Arc<Reads>,
    scheduler: ExpiryScheduler,
    shutdown: CancellationToken,
    timer: tokio::task::JoinHandle<()>,
}

impl Harness {
    fn start(store: Arc<MemoryStore>) -> Self {
        let settler = Arc::new(Settler::new(store.clone()));
        let router = Arc::new(Router::new(vec![], FailoverConfig::default()));
        let reads = Arc::new(Reads {
            inner: store.clone(),
            largest_batch: AtomicUsize::new(0),
            full_loads: AtomicUsize::new(0),
        });
        let (scheduler, timer) = ExpiryTimer::new(reads.clone(), settler, router);
        let shutdown = CancellationToken::new();
        let timer = tokio::spawn(timer.run(shutdown.clone()));
        Self {
            store,
            reads,
            scheduler,
            shutdown,
            timer,
        }
    }

    async fn stop(self) -> Arc<MemoryStore> {
        self.shutdown.cancel();
        self.timer.await.expect("the timer ends cleanly");
        self.store
    }

    fn status(&self, inv: &Invoice) -> InvoiceStatus {
        self.store.invoice(&inv.id).unwrap().unwrap().status
    }

    /// Waits (up to `secs`) until `inv` has `want`.
    async fn wait_for(&self, inv: &Invoice, want: InvoiceStatus, secs: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while self.status(inv) != want {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} is {:?}, not {want:?}",
                inv.id,
                self.status(inv)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn stored(store: &MemoryStore, n: u64, expires_in_ms: i64) -> Invoice {
    let now = now_ms();
    let inv = invoice(n, now, now.saturating_add_signed(expires_in_ms));
    store.insert_invoice(&inv, None, &[]).unwrap();
    inv
}

fn audit() -> crate::domain::AuditEntry {
    crate::store::contract::audit(now_ms(), None, None)
}

#[tokio::test]
async fn expires_what_is_due_and_leaves_the_rest() {
    let store = MemoryStore::new();
    let due = stored(&store, 1, -1_000);
    let paid = stored(&store, 2, -1_000);
    let canceled = stored(&store, 3, -1_000);
    let later = stored(&store, 4, 3_600_000);
    let pay = Transition::Paid {
        amount_received_msat: 1_000,
        at_ms: now_ms() - 2_000,
    };
    store.transition(&paid.id, pay, None, &audit()).unwrap();
    let cancel = Transition::Canceled { at_ms: now_ms() };
    store
        .transition(&canceled.id, cancel, None, &audit())
        .unwrap();

    let h = Harness::start(store);
    h.wait_for(&due, InvoiceStatus::Expired, 5).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(h.status(&paid), InvoiceStatus::Paid);
    assert_eq!(h.status(&canceled), InvoiceStatus::Canceled);
    assert_eq!(h.status(&later), InvoiceStatus::Pending);
    let store = h.stop().await;
    let expired: Vec<_> = store
        .events_after(0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::InvoiceExpired)
        .map(|e| e.invoice.id)
        .collect();
    assert_eq!(
        expired,
        vec![due.id],
        "one expiry event, for the due invoice only"
    );
}

#[tokio::test]
async fn expires_many_in_batches() {
    let store = MemoryStore::new();
    let n = (BATCH * 2 + CONCURRENT + 3) as u64;
    let invs: Vec<_> = (0..n).map(|i| stored(&store, i + 1, -(i as i64))).collect();
    let h = Harness::start(store);
    for inv in &invs {
        h.wait_for(inv, InvoiceStatus::Expired, 10).await;
    }
    assert!(h.store.pending_due(None, u64::MAX, 1).unwrap().is_empty());
    assert_eq!(
        h.reads.full_loads.load(Ordering::SeqCst),
        0,
        "no full load of pending invoices"
    );
    assert_eq!(h.reads.largest_batch.load(Ordering::SeqCst), BATCH);
    h.stop().await;
}

#[tokio::test]
async fn a_new_invoice_wakes_the_sleeping_timer() {
    let store = MemoryStore::new();
    let far = stored(&store, 1, 3_600_000);
    let h = Harness::start(store);
    tokio::time::sleep(Duration::from_millis(50)).await; // asleep until `far`
    let soon = stored(&h.store, 2, 150);
    h.scheduler.schedule(soon.expires_at_ms, soon.id.clone());
    // A later expiry does not push the wake-up back.
    h.scheduler.schedule(far.expires_at_ms, far.id.clone());
    h.wait_for(&soon, InvoiceStatus::Expired, 3).await;
    assert_eq!(h.status(&far), InvoiceStatus::Pending);
    h.stop().await;
}

#[tokio::test]
async fn a_restart_finds_due_invoices_in_the_index() {
    let h = Harness::start(MemoryStore::new());
    let store = h.stop().await;
    // Stored while no timer ran (a crash, or created just before a stop).
    let due = stored(&store, 1, -10);
    let h = Harness::start(store);
    h.wait_for(&due, InvoiceStatus::Expired, 5).await;
    h.stop().await;
}

#[tokio::test]
async fn an_expiry_the_store_refused_is_tried_again() {
    let store = MemoryStore::new();
    let due = stored(&store, 1, -10);
    store.fail_writes(Some("No space left on device"));
    let h = Harness::start(store);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.status(&due), InvoiceStatus::Pending);
    assert!(!h.store.health().borrow().is_ok());
    h.store.fail_writes(None);
    h.wait_for(&due, InvoiceStatus::Expired, (RETRY_MS / 1_000) + 3)
        .await;
    assert!(
        h.store.health().borrow().is_ok(),
        "a good sync heals health"
    );
    h.stop().await;
}

/// The memory store, watched: how much the timer reads at a time.
struct Reads {
    inner: Arc<MemoryStore>,
    largest_batch: AtomicUsize,
    full_loads: AtomicUsize,
}

#[async_trait::async_trait]
impl Store for Reads {
    fn pending_due(
        &self,
        after: Option<&Due>,
        until_ms: u64,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError> {
        self.largest_batch.fetch_max(limit, Ordering::SeqCst);
        self.inner.pending_due(after, until_ms, limit)
    }
    fn pending_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        self.full_loads.fetch_add(1, Ordering::SeqCst);
        self.inner.pending_invoices()
    }
    fn insert_invoice(
        &self,
        i: &Invoice,
        k: Option<&IdempotencyRecord>,
        a: &[crate::domain::AuditEntry],
    ) -> Result<Inserted, StoreError> {
        self.inner.insert_invoice(i, k, a)
    }
    fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.idempotency_record(key)
    }
    fn invoice(&self, id: &str) -> Result<Option<Invoice>, StoreError> {
        self.inner.invoice(id)
    }
    fn invoice_by_hash(&self, h: &str) -> Result<Option<Invoice>, StoreError> {
        self.inner.invoice_by_hash(h)
    }
    fn invoice_by_external_ref(&self, r: &str) -> Result<Option<Invoice>, StoreError> {
        self.inner.invoice_by_external_ref(r)
    }
    fn list_invoices(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        self.inner.list_invoices(q)
    }
    fn transition(
        &self,
        id: &str,
        c: Transition,
        cur: Option<&CursorUpdate>,
        a: &crate::domain::AuditEntry,
    ) -> Result<Transitioned, StoreError> {
        self.inner.transition(id, c, cur, a)
    }
    fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<crate::domain::Event>, StoreError> {
        self.inner.events_after(after, limit)
    }
    fn durable_sequence(&self) -> watch::Receiver<u64> {
        self.inner.durable_sequence()
    }
    fn tail(&self) -> Arc<crate::store::Tail> {
        self.inner.tail()
    }
    fn cursor(&self, name: &str) -> Result<Option<CursorUpdate>, StoreError> {
        self.inner.cursor(name)
    }
    fn set_cursor(&self, u: &CursorUpdate) -> Result<(), StoreError> {
        self.inner.set_cursor(u)
    }
    fn append_audit(&self, e: &[crate::domain::AuditEntry]) -> Result<(), StoreError> {
        self.inner.append_audit(e)
    }
    fn audit_page(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, crate::domain::AuditEntry)>, bool), StoreError> {
        self.inner.audit_page(q)
    }
    fn prune(&self, k: u64, a: u64) -> Result<Pruned, StoreError> {
        self.inner.prune(k, a)
    }
    async fn sync(&self) -> Result<(), StoreError> {
        self.inner.sync().await
    }
    fn size_on_disk(&self) -> u64 {
        0
    }
    fn health(&self) -> watch::Receiver<StoreHealth> {
        self.inner.health()
    }
}
