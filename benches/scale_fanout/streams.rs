//! The SubscribeEvents streams: opening them, folding what each receives into
//! a digest, and checking that every one got every event it asked for.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lnpayd::proto::invoices_client::InvoicesClient;
use lnpayd::proto::{EventType, SubscribeEventsRequest};
use testkit::daemon::{Bearer, Daemon, Invoices};

use crate::config::{Cfg, UNFILTERED};

/// What one stream received, folded as it arrives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Digest {
    count: u64,
    last: u64,
    /// Any sequence not above the previous one (a duplicate or reordering),
    /// or, for an unfiltered stream, not exactly the next one (a gap).
    broken: bool,
    /// Over the INVOICE_PAID sequences seen.
    paid_count: u64,
    paid_hash: u64,
    /// An unfiltered stream's events by invoice, for a per-invoice level:
    /// (count, order-sensitive hash), as a per-invoice stream folds its own.
    by_invoice: std::collections::HashMap<String, (u64, u64)>,
}

fn fold(hash: u64, seq: u64) -> u64 {
    (hash ^ seq).wrapping_mul(0x100_0000_01b3)
}

impl Digest {
    fn add(&mut self, seq: u64, paid: bool, gap_free: bool) {
        let bad = seq <= self.last || (gap_free && self.count > 0 && seq != self.last + 1);
        self.broken |= bad;
        self.count += 1;
        self.last = seq;
        if paid {
            self.paid_count += 1;
            self.paid_hash = fold(self.paid_hash, seq);
        }
    }
}

/// Opens `n` streams after `start` over `cfg.connections` connections; each
/// is read by a task folding into its digest. Returns once all are open.
pub(crate) async fn open_streams(
    cfg: &Cfg,
    daemon: &Daemon,
    n: usize,
    start: u64,
    targets: Option<Arc<Vec<String>>>,
) -> (
    Vec<(bool, Arc<Mutex<Digest>>)>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let token = Some(daemon.token("invoice"));
    let mut conns: Vec<Invoices> = Vec::new();
    for _ in 0..cfg.connections.max(1) {
        conns.push(InvoicesClient::with_interceptor(
            daemon.channel().await,
            Bearer(token.clone()),
        ));
    }
    let mut out = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    let mut opening = Vec::new();
    for i in 0..n {
        let unfiltered = i < UNFILTERED;
        let digest = Arc::new(Mutex::new(Digest::default()));
        out.push((unfiltered, digest.clone()));
        let mut client = conns[i % conns.len()].clone();
        let (opened, is_open) = tokio::sync::oneshot::channel();
        opening.push(is_open);
        let own = match (&targets, unfiltered) {
            (Some(t), false) => Some(t[i - UNFILTERED].clone()),
            _ => None,
        };
        let by_invoice = targets.is_some() && unfiltered;
        readers.push(tokio::spawn(async move {
            let req = SubscribeEventsRequest {
                after_sequence: start,
                types: if unfiltered || own.is_some() {
                    vec![]
                } else {
                    vec![EventType::InvoicePaid as i32]
                },
                invoice_id: own.clone().unwrap_or_default(),
            };
            let mut stream = client
                .subscribe_events(req)
                .await
                .expect("stream opens")
                .into_inner();
            let _ = opened.send(());
            while let Ok(Some(e)) = stream.message().await {
                let invoice = e.invoice.map(|i| i.id).unwrap_or_default();
                // A per-invoice stream counts every event it gets (of its invoice).
                let paid = own.is_some() || e.r#type == EventType::InvoicePaid as i32;
                let mut d = digest.lock().unwrap();
                d.add(e.sequence, paid, unfiltered);
                if by_invoice {
                    let (count, hash) = d.by_invoice.entry(invoice).or_default();
                    *count += 1;
                    *hash = fold(*hash, e.sequence);
                } else if own.as_ref().is_some_and(|o| *o != invoice) {
                    d.broken = true;
                }
            }
        }));
        // Opened in waves, so the server is not asked for 10,000 at once.
        if opening.len() == 500 {
            for o in opening.drain(..) {
                o.await.expect("stream opens");
            }
        }
    }
    for o in opening {
        o.await.expect("stream opens");
    }
    (out, readers)
}

/// Waits until every stream has what it asked for; (ok, what went wrong).
/// `targets`: at a per-invoice level, the invoice each filtered stream follows.
pub(crate) async fn check(
    digests: &[(bool, Arc<Mutex<Digest>>)],
    targets: Option<&[String]>,
    start: u64,
    end: u64,
    timeout: Duration,
) -> (bool, String) {
    let n = digests.len();
    if n == 0 {
        return (true, "no streams".into());
    }
    let deadline = Instant::now() + timeout;
    loop {
        let snap: Vec<(bool, Digest)> = digests
            .iter()
            .map(|(u, d)| (*u, d.lock().unwrap().clone()))
            .collect();
        let reference = snap
            .iter()
            .find(|(u, _)| *u)
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        // What filtered stream `i` should have: (count, hash).
        let expected = |i: usize| match targets {
            Some(t) => reference
                .by_invoice
                .get(&t[i - UNFILTERED])
                .copied()
                .unwrap_or_default(),
            None => (reference.paid_count, reference.paid_hash),
        };
        let unfiltered_done = snap
            .iter()
            .filter(|(u, _)| *u)
            .all(|(_, d)| d.last == end && d.count == end - start);
        let incomplete = snap
            .iter()
            .enumerate()
            .filter(|(i, (u, d))| {
                if *u {
                    d.last != end
                } else {
                    (d.paid_count, d.paid_hash) != expected(*i)
                }
            })
            .count();
        let broken = snap.iter().filter(|(_, d)| d.broken).count();
        if broken > 0 {
            return (
                false,
                format!("{broken} streams saw a gap, duplicate, reordering or another invoice"),
            );
        }
        if unfiltered_done && incomplete == 0 {
            let detail = match targets {
                Some(_) => {
                    let fed = snap.iter().filter(|(u, d)| !*u && d.count > 0).count();
                    format!(
                        "{n} streams: all {} events to the unfiltered; {fed} per-invoice streams got their invoice's events, the others none, in order, once",
                        end - start
                    )
                }
                None => format!(
                    "{n} streams: all {} events to the unfiltered, {} INVOICE_PAID to the others, in order, once",
                    end - start,
                    reference.paid_count
                ),
            };
            return (true, detail);
        }
        if Instant::now() > deadline {
            return (
                false,
                format!("{incomplete} of {n} streams incomplete after {timeout:?}"),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
