//! Failover between providers. New invoices go to the first provider, in
//! priority order, whose circuit lets calls through; each attempt has a
//! timeout, transient errors are retried with backoff, then the next provider
//! is tried. Existing invoices stay pinned to the provider that issued them.
//! Health checks run in parallel on a timer and double as the half-open probe,
//! so new invoices return to the primary as soon as it is healthy again.

mod entry;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::breaker::{Breaker, CircuitState};
use super::supervisor::{backoff, ConnectionState};
use super::{DynProvider, InvoiceRequest, IssuedInvoice, PaidReport, ProviderError};
use crate::config::FailoverConfig;
use entry::{Entry, Stats};

/// Latencies kept per provider for the percentiles GetStatus shows.
const LATENCY_SAMPLES: usize = 200;
/// How often a provider that is down (offline, circuit open, or push
/// connection down) is checked: the bound on how long it takes to serve
/// again once it answers.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// Calls and health checks kept per provider for GetProviderMetrics: a day
/// of checks every 30 s, and the newest calls up to this bound.
const HISTORY: usize = 100_000;

/// One call to a provider, for GetProviderMetrics.
#[derive(Clone, Debug)]
pub struct CallRecord {
    pub at_ms: u64,
    pub latency_ms: u64,
    pub operation: &'static str,
    /// None when it succeeded.
    pub error_kind: Option<&'static str>,
}

/// One provider call, for the audit log.
pub struct Attempt {
    pub provider: &'static str,
    pub duration_ms: u64,
    pub error: Option<ProviderError>,
    /// When the call ended: the audit entry's time, so it sorts before the
    /// invoice it produced (whose time is taken after the router returns).
    pub ended_at_ms: u64,
}

/// A provider's recent calls and health checks, for GetProviderMetrics.
pub struct ProviderHistory {
    pub name: &'static str,
    pub calls: Vec<CallRecord>,
    /// (time, up) of each health check.
    pub checks: Vec<(u64, bool)>,
}

/// What GetStatus shows of one provider.
#[derive(Clone, Debug)]
pub struct ProviderReport {
    pub name: &'static str,
    pub online: bool,
    pub circuit: CircuitState,
    pub connection: Option<ConnectionState>,
    pub last_latency_ms: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub last_check_at_ms: Option<u64>,
    pub last_error: Option<String>,
    pub details: Vec<(String, String)>,
}

pub struct Router {
    entries: Vec<Entry>,
    cfg: FailoverConfig,
}

impl Router {
    pub fn new(providers: Vec<DynProvider>, cfg: FailoverConfig) -> Self {
        let cooldown = Duration::from_secs(cfg.breaker_cooldown_secs);
        let entries = providers
            .into_iter()
            .map(|provider| Entry {
                provider,
                breaker: Mutex::new(Breaker::new(
                    cfg.breaker_failures,
                    cfg.breaker_window,
                    cooldown,
                )),
                stats: Mutex::new(Stats::default()),
            })
            .collect();
        Self { entries, cfg }
    }

    pub fn attempt_timeout(&self) -> Duration {
        Duration::from_millis(self.cfg.attempt_timeout_ms)
    }

    /// The provider that issued an invoice: status, settlement and cancel stay with it.
    pub fn pinned(&self, name: &str) -> Option<&DynProvider> {
        self.entries
            .iter()
            .map(|e| &e.provider)
            .find(|p| p.name() == name)
    }

    /// Every provider, in priority order.
    pub fn providers(&self) -> Vec<DynProvider> {
        self.entries.iter().map(|e| e.provider.clone()).collect()
    }

    /// Whether the provider a create tries first takes a preimage: only
    /// then is an intent worth writing (`app/intent.rs`).
    pub fn first_takes_preimage(&self) -> bool {
        self.preferred()
            .is_some_and(|e| e.provider.takes_preimage())
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(Entry::name).collect()
    }

    /// Tries providers in priority order; see the module doc.
    pub async fn create(
        &self,
        req: &InvoiceRequest,
    ) -> (
        Result<(DynProvider, IssuedInvoice), Vec<(String, ProviderError)>>,
        Vec<Attempt>,
    ) {
        let mut attempts = Vec::new();
        let mut errors = Vec::new();
        let timeout = self.attempt_timeout();
        'providers: for e in self.in_preference() {
            let mut retry = 0u32;
            loop {
                let (result, took) = e
                    .guarded("create_invoice", timeout, e.provider.create_invoice(req))
                    .await;
                if matches!(result, Err(ProviderError::CircuitOpen)) {
                    errors.push((e.name().to_string(), ProviderError::CircuitOpen));
                    continue 'providers;
                }
                attempts.push(Attempt {
                    ended_at_ms: crate::time::now_ms(),
                    provider: e.name(),
                    duration_ms: took.as_millis() as u64,
                    error: result.as_ref().err().cloned(),
                });
                match result {
                    Ok(issued) => return (Ok((e.provider.clone(), issued)), attempts),
                    Err(err) if err.is_transient() && retry < self.cfg.max_retries => {
                        let base = Duration::from_millis(self.cfg.retry_delay_ms)
                            .saturating_mul(1 << retry.min(16));
                        tokio::time::sleep(backoff(0, base)).await;
                        retry += 1;
                    }
                    Err(err) if err.tries_next() => {
                        tracing::warn!(provider = e.name(), error = %err, "provider failed; trying the next one");
                        errors.push((e.name().to_string(), err));
                        continue 'providers;
                    }
                    Err(err) => {
                        // The provider understood and refused: another would too.
                        errors.push((e.name().to_string(), err));
                        break 'providers;
                    }
                }
            }
        }
        (Err(errors), attempts)
    }

    /// Checks every provider once, in parallel.
    pub async fn check_all(&self) {
        let timeout = self.attempt_timeout();
        futures::future::join_all(self.entries.iter().map(|e| e.check(timeout))).await;
    }

    /// The providers in the order new invoices try them: priority order,
    /// those whose push connection is down last (a payment to their
    /// invoices would be seen late).
    fn in_preference(&self) -> Vec<&Entry> {
        let (up, down): (Vec<&Entry>, Vec<&Entry>) =
            self.entries.iter().partition(|e| !e.push_down());
        up.into_iter().chain(down).collect()
    }

    /// `in_preference().first()`, without its allocations: asked on every
    /// create.
    fn preferred(&self) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| !e.push_down())
            .or(self.entries.first())
    }

    /// Checks every provider every `failover.health_check_interval_ms`
    /// until shutdown, and every [`WATCH_EVERY`] those that are down, so
    /// that one coming back serves again, and reconnects its push
    /// connection, within seconds. Whether a provider is down is asked at
    /// each [`WATCH_EVERY`] tick, not once per interval: one that goes down
    /// just after a check would otherwise wait out the whole interval (30 s
    /// by default) before it is watched.
    pub async fn run_health_checks(self: Arc<Self>, shutdown: CancellationToken) {
        let every = Duration::from_millis(self.cfg.health_check_interval_ms);
        let tick = every.min(WATCH_EVERY);
        let mut next_round = tokio::time::Instant::now() + every;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(tick) => {}
            }
            let due: Vec<&Entry> = if tokio::time::Instant::now() >= next_round {
                next_round = tokio::time::Instant::now() + every;
                self.entries.iter().collect()
            } else {
                self.entries.iter().filter(|e| e.needs_watching()).collect()
            };
            let timeout = self.attempt_timeout();
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = futures::future::join_all(due.into_iter().map(|e| e.check(timeout))) => {}
            }
        }
    }

    /// Each provider's calls and health checks since `since_ms`.
    pub fn history(&self, since_ms: u64) -> Vec<ProviderHistory> {
        self.entries
            .iter()
            .map(|e| {
                let s = e.stats.lock().expect("stats lock");
                ProviderHistory {
                    name: e.name(),
                    calls: s
                        .calls
                        .iter()
                        .filter(|c| c.at_ms >= since_ms)
                        .cloned()
                        .collect(),
                    checks: s
                        .checks
                        .iter()
                        .filter(|c| c.0 >= since_ms)
                        .copied()
                        .collect(),
                }
            })
            .collect()
    }

    fn entry(&self, provider: &str) -> Result<&Entry, ProviderError> {
        self.entries
            .iter()
            .find(|e| e.name() == provider)
            .ok_or_else(|| ProviderError::Unavailable("provider is not configured".into()))
    }

    /// Cancels an invoice at the provider that issued it, under the same
    /// timeout, circuit and statistics as a create.
    pub async fn cancel(&self, provider: &str, payment_hash: &str) -> Result<(), ProviderError> {
        let e = self.entry(provider)?;
        let call = e.provider.cancel_invoice(payment_hash);
        e.guarded("cancel_invoice", self.attempt_timeout(), call)
            .await
            .0
    }

    /// Asks the provider that issued an invoice whether it was paid (the
    /// expiry timer's last question), under the same guard as a create.
    pub async fn lookup_paid(
        &self,
        provider: &str,
        payment_hash: &str,
    ) -> Result<Option<PaidReport>, ProviderError> {
        let e = self.entry(provider)?;
        let call = e.provider.lookup_paid(payment_hash);
        e.guarded("lookup_paid", self.attempt_timeout(), call)
            .await
            .0
    }

    pub fn reports(&self) -> Vec<ProviderReport> {
        self.entries.iter().map(Entry::report).collect()
    }
}

impl ProviderReport {
    /// Can take new invoices now: online, and its circuit lets calls through.
    pub fn usable(&self) -> bool {
        self.online && self.circuit != CircuitState::Open
    }
}
