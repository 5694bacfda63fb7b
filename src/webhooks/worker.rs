//! One delivery worker per enabled endpoint. It moves new events from the
//! log into the endpoint's retry index (advancing its durable cursor in the
//! same transaction), then attempts whatever is due, at most
//! `max_in_flight` at once. A failed attempt goes back into the index at its
//! next time, so it never holds up newer events, and a restart resumes the
//! schedule from the index as it was.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::deliver::post;
use super::metrics::webhook_metrics;
use super::{backlog_ms, signing, Shared};
use crate::store::webhooks::{Attempt, Delivery, DeliveryState, DisabledReason, WebhookEndpoint};
use crate::store::StoreError;
use crate::time::now_ms;

/// Events read from the log per batch.
const BATCH: usize = 256;
/// How often the backlog gauge is refreshed while nothing else happens.
const GAUGE_EVERY: Duration = Duration::from_secs(15);

pub struct Worker {
    pub shared: Arc<Shared>,
    pub endpoint_id: String,
    pub stop: CancellationToken,
    pub wake: Arc<Notify>,
    /// Called when the endpoint looks gone or disabled; true: stop now.
    pub confirm_exit: Box<dyn Fn() -> bool + Send + Sync>,
}

impl Worker {
    pub async fn run(self) {
        let id = self.endpoint_id.clone();
        let permits = Arc::new(Semaphore::new(self.shared.cfg.max_in_flight));
        let in_flight: Arc<Mutex<HashSet<u64>>> = Arc::default();
        let done = Arc::new(Notify::new());
        let mut durable = self.shared.store.durable_sequence();
        let mut gauge_at = Instant::now();
        tracing::debug!(endpoint = %id, "webhook worker started");
        loop {
            durable.borrow_and_update();
            let pass = self.pass(&permits, &in_flight, &done).await;
            let next_due = match pass {
                Ok(Pass::Stop) if (self.confirm_exit)() => break,
                Ok(Pass::Stop) => continue,
                Ok(Pass::More) => continue,
                Ok(Pass::Idle) => {
                    // Everything after the cursor is delivered: nothing waits.
                    webhook_metrics().set_backlog(&id, 0);
                    gauge_at = Instant::now();
                    None
                }
                Ok(Pass::Wait(next_due)) => next_due,
                Err(e) => {
                    tracing::error!(endpoint = %id, error = %e, "webhook worker: store error; retrying in 1 s");
                    Some(now_ms() + 1000)
                }
            };
            // A scan of every pending delivery: not after each attempt.
            if gauge_at.elapsed() >= GAUGE_EVERY {
                gauge_at = Instant::now();
                if let Ok(ms) = backlog_ms(self.shared.store.as_ref(), &id) {
                    webhook_metrics().set_backlog(&id, ms);
                }
            }
            let sleep = next_due
                .map(|at| Duration::from_millis(at.saturating_sub(now_ms())))
                .unwrap_or(GAUGE_EVERY)
                .min(GAUGE_EVERY);
            tokio::select! {
                _ = self.stop.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = done.notified() => {}
                changed = durable.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        tracing::debug!(endpoint = %id, "webhook worker stopped");
    }

    /// Ingests new events and starts the due attempts.
    async fn pass(
        &self,
        permits: &Arc<Semaphore>,
        in_flight: &Arc<Mutex<HashSet<u64>>>,
        done: &Arc<Notify>,
    ) -> Result<Pass, StoreError> {
        let store = &self.shared.store;
        let Some(ep) = store.endpoint(&self.endpoint_id)? else {
            return Ok(Pass::Stop);
        };
        if !ep.enabled {
            return Ok(Pass::Stop);
        }
        let more = self.ingest(&ep)?;
        let now = now_ms();
        let busy = in_flight.lock().expect("in-flight set").len();
        let mut next_due = None;
        let due = store.due(&ep.id, busy + self.shared.cfg.max_in_flight + 1)?;
        if due.is_empty() && !more {
            return Ok(Pass::Idle);
        }
        for (at, seq) in due {
            if in_flight.lock().expect("in-flight set").contains(&seq) {
                continue;
            }
            if at > now {
                next_due = Some(at);
                break;
            }
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                // Every slot is busy: a finishing attempt wakes the loop.
                break;
            };
            in_flight.lock().expect("in-flight set").insert(seq);
            let attempt = AttemptTask {
                shared: self.shared.clone(),
                endpoint: ep.clone(),
                sequence: seq,
                stop: self.stop.clone(),
            };
            let (in_flight, done) = (in_flight.clone(), done.clone());
            self.shared.tasks.spawn("webhook_attempt", async move {
                attempt.run(permit).await;
                in_flight.lock().expect("in-flight set").remove(&seq);
                done.notify_one();
            });
        }
        Ok(if more {
            Pass::More
        } else {
            Pass::Wait(next_due)
        })
    }

    /// Moves events after the cursor into the retry index, due now. True
    /// when the batch was full (more may be waiting).
    fn ingest(&self, ep: &WebhookEndpoint) -> Result<bool, StoreError> {
        let store = &self.shared.store;
        let cursor = store.webhook_cursor(&ep.id)?;
        let events = store.events_after(cursor, BATCH)?;
        let Some(last) = events.last().map(|e| e.sequence) else {
            return Ok(false);
        };
        let now = now_ms();
        let new: Vec<Delivery> = events
            .iter()
            .filter(|e| ep.wants(e.kind))
            .map(|e| Delivery {
                endpoint_id: ep.id.clone(),
                sequence: e.sequence,
                kind: e.kind,
                invoice_id: e.invoice.id.clone(),
                occurred_at_ms: e.occurred_at_ms,
                state: DeliveryState::Pending,
                attempts: 0,
                scheduled_attempts: 0,
                next_attempt_at_ms: Some(now),
                updated_at_ms: now,
            })
            .collect();
        // Not synced here: a lost ingest is redone from the old cursor, and
        // the attempt that follows syncs before it is reported anywhere.
        store.ingest(&ep.id, &new, last)?;
        Ok(events.len() == BATCH)
    }
}

enum Pass {
    Stop,
    /// The log has more events than one batch: go again now.
    More,
    /// Nothing pending, nothing in flight.
    Idle,
    /// Sleep until this time (or something happens).
    Wait(Option<u64>),
}

struct AttemptTask {
    shared: Arc<Shared>,
    endpoint: WebhookEndpoint,
    sequence: u64,
    stop: CancellationToken,
}

impl AttemptTask {
    async fn run(self, _permit: OwnedSemaphorePermit) {
        let ep = self.endpoint.id.clone();
        let seq = self.sequence;
        tokio::select! {
            r = self.attempt() => if let Err(e) = r {
                tracing::error!(endpoint = %ep, sequence = seq, error = %e, "webhook attempt not recorded");
            },
            // Nothing is recorded: after a restart the same message (same
            // webhook-id) is attempted again.
            _ = self.stop.cancelled() => {}
        }
    }

    async fn attempt(&self) -> Result<(), StoreError> {
        let store = &self.shared.store;
        let ep = &self.endpoint;
        let Some(mut d) = store.delivery(&ep.id, self.sequence)? else {
            return Ok(());
        };
        if d.state != DeliveryState::Pending {
            return Ok(());
        }
        let Some(event) = store
            .events_after(self.sequence - 1, 1)?
            .into_iter()
            .find(|e| e.sequence == self.sequence)
        else {
            return Err(StoreError::Corrupt {
                key: format!("event {}", self.sequence),
                detail: "a webhook delivery names an event the log does not hold".into(),
            });
        };
        let body = super::body::event_json(&event);
        let msg_id = signing::message_id(&ep.id, self.sequence);
        let started = Instant::now();
        let at_ms = now_ms();
        let outcome = post(&self.shared, ep, &msg_id, body, at_ms).await;
        let elapsed = started.elapsed();
        let now = now_ms();
        d.attempts += 1;
        d.scheduled_attempts += 1;
        d.updated_at_ms = now;
        let schedule = &self.shared.cfg.retry_schedule_secs;
        let retry_in = schedule.get(d.scheduled_attempts as usize - 1);
        (d.state, d.next_attempt_at_ms) = match (outcome.is_success(), retry_in) {
            (true, _) => (DeliveryState::Delivered, None),
            (false, Some(secs)) => (DeliveryState::Pending, Some(now + jittered(*secs))),
            (false, None) => (DeliveryState::Failed, None),
        };
        let attempt = Attempt {
            endpoint_id: ep.id.clone(),
            sequence: self.sequence,
            number: d.attempts,
            at_ms,
            duration_ms: elapsed.as_millis() as u64,
            outcome: outcome.clone(),
            next_attempt_at_ms: d.next_attempt_at_ms,
        };
        // Not synced: nothing waits on it, and a record lost to a crash
        // only means the same message (same webhook-id) is sent again.
        // Syncing each one cost CreateInvoice a large share of its
        // throughput with endpoints attached (BENCHMARKS.md).
        let health = store.record_attempt(&d, &attempt)?;
        webhook_metrics().attempt(&ep.id, outcome.label(), elapsed.as_secs_f64());
        if outcome.is_success() {
            tracing::debug!(endpoint = %ep.id, sequence = self.sequence, attempt = d.attempts, "webhook delivered");
            return Ok(());
        }
        tracing::warn!(
            endpoint = %ep.id,
            sequence = self.sequence,
            attempt = d.attempts,
            outcome = %outcome.describe(),
            next_attempt_at_ms = ?d.next_attempt_at_ms,
            state = ?d.state,
            "webhook attempt failed"
        );
        let failing_for = health
            .failing_since_ms
            .map(|s| now.saturating_sub(s.max(ep.enabled_at_ms)));
        if failing_for.is_some_and(|f| f >= self.shared.cfg.disable_after_secs * 1000) {
            disable_failing(&self.shared, &ep.id, &outcome.describe()).await?;
        }
        Ok(())
    }
}

/// Disables an endpoint that failed for longer than `disable_after_secs`,
/// and raises the `webhook_endpoint_disabled` alert.
async fn disable_failing(shared: &Shared, id: &str, last_error: &str) -> Result<(), StoreError> {
    let Some(mut ep) = shared.store.endpoint(id)? else {
        return Ok(());
    };
    if !ep.enabled {
        return Ok(());
    }
    ep.enabled = false;
    ep.disabled_reason = Some(DisabledReason::FailingTooLong);
    ep.updated_at_ms = now_ms();
    shared.store.update_endpoint(&ep)?;
    shared.store.sync().await?;
    webhook_metrics().disabled.inc();
    let detail = format!(
        "every attempt failed for over {} s; disabled (enable it with UpdateWebhookEndpoint); last error: {last_error}",
        shared.cfg.disable_after_secs
    );
    crate::alerts::raise_now(
        &shared.alerts,
        crate::alerts::AlertName::WebhookEndpointDisabled,
        id,
        detail,
        &shared.tasks.tracker(),
        &shared.shutdown,
    );
    Ok(())
}

/// `secs` with ±10 % jitter, so endpoints that failed together do not all
/// retry in the same instant.
fn jittered(secs: u64) -> u64 {
    use rand::Rng;
    let ms = secs * 1000;
    let spread = ms / 10;
    if spread == 0 {
        return ms;
    }
    rand::thread_rng().gen_range(ms - spread..=ms + spread)
}

#[cfg(test)]
mod tests {
    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..100 {
            let j = super::jittered(300);
            assert!((270_000..=330_000).contains(&j), "{j}");
        }
        assert_eq!(super::jittered(0), 0);
    }
}
