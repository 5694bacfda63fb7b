//! LND settlement watcher: LND's invoice stream, resumed from the stored
//! cursor, plus a live-only subscription no cursor can filter, with every
//! pending LND invoice reconciled by lookup on each (re)connect. The streams
//! are the normal path, reconciliation the safety net (it also catches
//! CANCELED, which the stream never carries).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fedimint_tonic_lnd::lnrpc;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::conn::StreamedInvoice;
use super::{classify, secs_to_ms, LndProvider};
use crate::domain::SettlePath;
use crate::providers::supervisor::{keep_connected, ConnectionState, PushSession, StateCell};
use crate::providers::{store_err, ProviderError};
use crate::settlement::{Settlement, Settler};
use crate::store::{CursorUpdate, Store};
use crate::time::now_ms;

pub const ADD_INDEX: &str = "lnd.add_index";
pub const SETTLE_INDEX: &str = "lnd.settle_index";
const ADD_CURSOR_EVERY: Duration = Duration::from_secs(5);

/// How many settled payment hashes are remembered to drop the second copy.
const RECENT: usize = 256;
/// An add index no invoice reaches: LND sends a client no add at or below
/// its index. Not u64::MAX nor i64::MAX: LND's SQL store replays from
/// `int64(index + 1)`, which either wraps to a replay of every invoice.
const NO_ADDS: u64 = i64::MAX as u64 - 1;

/// The resume subscription once the settle cursor names an invoice: a
/// replay of that settlement (its first answer, the sign that LND has
/// registered it), and no adds.
fn resume_without_adds(settle_index: u64) -> lnrpc::InvoiceSubscription {
    lnrpc::InvoiceSubscription {
        add_index: NO_ADDS,
        settle_index: settle_index - 1,
    }
}

/// Which subscription an invoice came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Feed {
    Resume,
    Live,
}

/// Settlements (and each stream's end) go to the watcher's loop; adds only
/// raise the shared add index (see `subscribe`).
type FeedSender = mpsc::Sender<(Feed, Result<StreamedInvoice, ProviderError>)>;

pub(super) const SETTLED: i32 = lnrpc::invoice::InvoiceState::Settled as i32;
pub(super) const CANCELED: i32 = lnrpc::invoice::InvoiceState::Canceled as i32;

pub struct LndWatcher {
    pub lnd: Arc<LndProvider>,
    pub store: Arc<dyn Store>,
    pub settler: Arc<Settler>,
}

#[async_trait::async_trait]
impl PushSession for LndWatcher {
    const WHAT: &'static str = "LND invoice stream";

    fn state(&self) -> &StateCell {
        &self.lnd.stream_state
    }

    async fn session(&self, failures: &mut u32) -> ProviderError {
        match self.session_inner(failures).await {
            Ok(never) => match never {},
            Err(e) => e,
        }
    }
}

impl LndWatcher {
    pub async fn run(self, reconnect_max: Duration, shutdown: CancellationToken) {
        keep_connected(&self, reconnect_max, shutdown).await
    }

    /// One connection: pick the node, check the cursor, reconcile, then
    /// follow the stream until it fails.
    async fn session_inner(
        &self,
        failures: &mut u32,
    ) -> Result<std::convert::Infallible, ProviderError> {
        self.lnd.forget_signer();
        self.lnd.select_node().await?;
        let mut client = self.lnd.client();
        let mut add_index = self
            .store
            .cursor(ADD_INDEX)
            .map_err(store_err)?
            .map_or(0, |c| c.value);
        let mut settle_index = self.trusted_settle_index(&mut client).await?;

        let newest = self
            .lnd
            .call(client.lightning().list_invoices(lnrpc::ListInvoiceRequest {
                num_max_invoices: 1,
                reversed: true,
                ..Default::default()
            }))
            .await?;
        let node_add_index = newest
            .invoices
            .iter()
            .map(|i| i.add_index)
            .max()
            .unwrap_or(0);
        if node_add_index < add_index {
            // LND's invoice indexes restarted (a wiped node, or the KV → SQL
            // migration): the cursor would skip new settlements. Replay all.
            tracing::warn!(
                stored = add_index,
                node = node_add_index,
                "LND's add_index is behind our cursor; resetting the cursor and reconciling"
            );
            add_index = 0;
            settle_index = 0;
            for name in [ADD_INDEX, SETTLE_INDEX] {
                self.reset_cursor(name)?;
            }
        }

        // Two subscriptions. "resume" replays what settled after our cursor
        // and carries the adds. LND drops settlements at or below the index a
        // client subscribed with, so if its counter restarted (the KV → SQL
        // invoice migration does that) resume alone would hide every new
        // payment; "live" subscribes from 0, which LND takes as no replay and
        // no filter, and with an add index no invoice reaches, so it carries
        // settlements only. LND answers a subscription with its first event,
        // so each runs in its own task.
        //
        // The lookups must not start before LND has registered resume, or a
        // payment landing in between would be on no stream and missed by the
        // lookup. Asking resume to replay the newest add makes LND answer as
        // soon as it has registered it.
        //
        // But every add LND sends costs both processes CPU for each invoice
        // lnpayd creates (BENCHMARKS.md, issue 16), and lnpayd needs none of
        // them. So once the settle cursor names an invoice, resume asks to
        // replay that one settlement instead, and no adds at all.
        let resume_add = match node_add_index {
            0 | 1 => add_index, // LND replays nothing from index 0
            n => add_index.min(n - 1),
        };
        let (tx, mut feed) = mpsc::channel(256);
        let (registered, is_registered) = oneshot::channel();
        let added = Arc::new(AtomicU64::new(add_index));
        let mut adds_free = settle_index > 0;
        let mut resume = self.subscribe(
            Feed::Resume,
            if adds_free {
                resume_without_adds(settle_index)
            } else {
                lnrpc::InvoiceSubscription {
                    add_index: resume_add,
                    settle_index,
                }
            },
            (tx.clone(), added.clone()),
            Some(registered),
        );
        let waits_for_registration = adds_free || resume_add > 0;
        let _live = self.subscribe(
            Feed::Live,
            lnrpc::InvoiceSubscription {
                add_index: NO_ADDS,
                settle_index: 0,
            },
            (tx.clone(), added.clone()),
            None,
        );
        if waits_for_registration
            && tokio::time::timeout(self.lnd.timeout(), is_registered)
                .await
                .is_err()
        {
            tracing::debug!("LND has not answered the resume subscription yet; reconciling anyway");
        }
        let reconciled = self.reconcile().await?;
        tracing::info!(
            add_index,
            settle_index,
            reconciled,
            "LND invoice stream connected"
        );
        self.lnd.stream_state.set(ConnectionState::Connected);
        *failures = 0;

        // The add cursor only saves LND replaying adds after a reconnect, so it
        // is written at most every few seconds, off the settlement path.
        let mut saved_add = add_index;
        let mut save_every = tokio::time::interval_at(
            tokio::time::Instant::now() + ADD_CURSOR_EVERY,
            ADD_CURSOR_EVERY,
        );
        save_every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let save_add = |add_index: u64| {
            self.store
                .set_cursor(&CursorUpdate {
                    name: ADD_INDEX.into(),
                    value: add_index,
                    anchor: vec![],
                })
                .map_err(store_err)
        };
        // Each live settlement comes on both feeds (unless resume filtered it);
        // the second copy is dropped here rather than applied twice.
        let mut recent: VecDeque<Vec<u8>> = VecDeque::with_capacity(RECENT);
        // A restarted counter is told and reconciled once per connection (it
        // can only restart while LND restarts, i.e. between connections).
        let mut told_behind = false;
        // A resume without adds, replacing the one with adds once LND has
        // registered it (its first event), so no settlement falls between.
        let mut replacing: Option<(AbortOnDropHandle<()>, oneshot::Receiver<()>)> = None;
        let ended = loop {
            let received = tokio::select! {
                received = feed.recv() => received,
                took = async { (&mut replacing.as_mut().expect("guarded").1).await }, if replacing.is_some() => {
                    let (new, _) = replacing.take().expect("guarded");
                    // Not registered: its task reports the failure on the feed.
                    if took.is_ok() {
                        resume = new;
                        adds_free = true;
                        tracing::debug!("LND resume stream replaced by one without adds");
                    }
                    continue;
                }
                _ = save_every.tick() => {
                    let add_index = added.load(Ordering::Relaxed);
                    if add_index != saved_add {
                        save_add(add_index)?;
                        saved_add = add_index;
                    }
                    continue;
                }
            };
            let (from, inv) = match received {
                Some((from, Ok(inv))) => (from, inv),
                Some((_, Err(e))) => break e,
                None => break ProviderError::Unavailable("the invoice streams ended".into()),
            };
            tracing::debug!(feed = ?from, add_index = inv.add_index, settle_index = inv.settle_index,
                state = inv.state, "LND invoice event");
            // Only settlements reach this loop (`subscribe` keeps the adds).
            if recent.contains(&inv.r_hash) {
                continue;
            }
            let behind = !told_behind
                && from == Feed::Live
                && inv.settle_index != 0
                && inv.settle_index <= settle_index;
            if behind {
                told_behind = true;
                tracing::warn!(
                    stored = settle_index,
                    node = inv.settle_index,
                    "LND's settle_index is behind our cursor (its counter restarted); following the node and reconciling"
                );
            }
            // The cursor only moves forward (the resume replay can trail
            // live settlements), except to follow a node that restarted.
            let move_cursor = behind || inv.settle_index > settle_index;
            if move_cursor {
                settle_index = inv.settle_index;
            }
            self.settle(&inv, SettlePath::Stream, move_cursor).await?;
            if !adds_free && replacing.is_none() && settle_index > 0 {
                let (registered, is_registered) = oneshot::channel();
                let new = self.subscribe(
                    Feed::Resume,
                    resume_without_adds(settle_index),
                    (tx.clone(), added.clone()),
                    Some(registered),
                );
                replacing = Some((new, is_registered));
            }
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(inv.r_hash);
            if behind {
                self.reconcile().await?;
            }
        };
        let add_index = added.load(Ordering::Relaxed);
        if add_index != saved_add {
            save_add(add_index)?;
        }
        drop(resume);
        Err(ended)
    }

    /// Applies a settled invoice; `move_cursor` also stores its settle index
    /// (with the invoice as its anchor) in the same transaction.
    pub(super) async fn settle(
        &self,
        inv: &StreamedInvoice,
        path: SettlePath,
        move_cursor: bool,
    ) -> Result<(), ProviderError> {
        let cursor = (move_cursor && inv.settle_index != 0).then(|| CursorUpdate {
            name: SETTLE_INDEX.into(),
            value: inv.settle_index,
            anchor: inv.r_hash.clone(),
        });
        let settled_at_ms = secs_to_ms(inv.settle_date).unwrap_or_else(now_ms);
        self.settler
            .settle(Settlement {
                provider: LndProvider::NAME,
                payment_hash: hex::encode(&inv.r_hash),
                amount_received_msat: u64::try_from(inv.amt_paid_msat).unwrap_or(0),
                settled_at_ms,
                path,
                cursor,
            })
            .await
            .map_err(|e| {
                ProviderError::Unavailable(format!("recording a settlement failed: {e}"))
            })?;
        Ok(())
    }

    /// Forwards one subscription's settlements, then its end, into `tx`.
    /// An add (lnpayd's own invoices, mostly: it stores each one before
    /// answering) only raises `added`, the add cursor, without waking the
    /// watcher's loop. `registered` fires when LND answers, i.e. once it
    /// has registered the subscription.
    fn subscribe(
        &self,
        from: Feed,
        req: lnrpc::InvoiceSubscription,
        (tx, added): (FeedSender, Arc<AtomicU64>),
        registered: Option<oneshot::Sender<()>>,
    ) -> AbortOnDropHandle<()> {
        let mut client = self.lnd.client();
        AbortOnDropHandle::new(tokio::spawn(async move {
            let ended = match client.invoice_stream(req).await {
                Err(s) => classify(&s),
                Ok(mut stream) => {
                    if let Some(r) = registered {
                        let _ = r.send(());
                    }
                    loop {
                        match stream.message().await {
                            Ok(Some(inv)) if inv.state != SETTLED => {
                                added.fetch_max(inv.add_index, Ordering::Relaxed);
                            }
                            Ok(Some(inv)) => {
                                if tx.send((from, Ok(inv))).await.is_err() {
                                    return;
                                }
                            }
                            Ok(None) => {
                                break ProviderError::Unavailable(format!(
                                    "the {from:?} invoice stream ended"
                                ))
                            }
                            Err(s) => break classify(&s),
                        }
                    }
                }
            };
            let _ = tx.send((from, Err(ended))).await;
        }))
    }
}
