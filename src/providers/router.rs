//! Failover between providers. New invoices go to the first provider, in
//! priority order, whose circuit lets calls through; each attempt has a
//! timeout, transient errors are retried with backoff, then the next provider
//! is tried. Existing invoices stay pinned to the provider that issued them.
//! Health checks run in parallel on a timer and double as the half-open probe,
//! so new invoices return to the primary as soon as it is healthy again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::breaker::{Breaker, CircuitState};
use super::{DynProvider, HealthDetails, InvoiceRequest, IssuedInvoice, ProviderError};
use crate::config::FailoverConfig;
use crate::health::percentile;
use crate::time::now_ms;

/// Latencies kept per provider for the percentiles GetStatus shows.
const LATENCY_SAMPLES: usize = 200;
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
    pub connection: Option<String>,
    pub last_latency_ms: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub last_check_at_ms: Option<u64>,
    pub last_error: Option<String>,
    pub details: Vec<(String, String)>,
}

#[derive(Default)]
struct Stats {
    calls: VecDeque<CallRecord>,
    /// (time, up) of every health check.
    checks: VecDeque<(u64, bool)>,
    online: Option<bool>,
    latencies: VecDeque<u64>,
    last_latency_ms: u64,
    last_check_at_ms: Option<u64>,
    last_error: Option<String>,
    details: Vec<(String, String)>,
}

struct Entry {
    provider: DynProvider,
    breaker: Mutex<Breaker>,
    stats: Mutex<Stats>,
}

pub struct Router {
    entries: Vec<Entry>,
    cfg: FailoverConfig,
}

/// One call the circuit let through. Dropped before its outcome is recorded
/// (a caller's deadline cancelled the request), it gives the half-open probe
/// slot back rather than leave the circuit stuck.
struct Permit<'a> {
    entry: &'a Entry,
    recorded: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.recorded {
            self.entry.breaker.lock().expect("breaker lock").abandon();
        }
    }
}

impl Entry {
    fn name(&self) -> &'static str {
        self.provider.name()
    }

    /// A permit for one call when the circuit lets it through.
    fn allow(&self) -> Option<Permit<'_>> {
        let allowed = self
            .breaker
            .lock()
            .expect("breaker lock")
            .allow(Instant::now());
        allowed.then_some(Permit {
            entry: self,
            recorded: false,
        })
    }

    /// Records a call's outcome. A definite refusal is not a failure of the
    /// provider (it answered), so only transient errors count against it.
    fn record(
        &self,
        operation: &'static str,
        latency: Duration,
        result: Result<(), &ProviderError>,
        counted: bool,
    ) {
        let ms = latency.as_millis() as u64;
        let error_kind = result.err().map(ProviderError::kind);
        crate::metrics::metrics().call(
            self.name(),
            operation,
            error_kind.unwrap_or("ok"),
            latency.as_secs_f64(),
        );
        {
            let mut s = self.stats.lock().expect("stats lock");
            s.calls.push_back(CallRecord {
                at_ms: now_ms(),
                latency_ms: ms,
                operation,
                error_kind,
            });
            if s.calls.len() > HISTORY {
                s.calls.pop_front();
            }
            if operation == "health_check" {
                s.checks.push_back((now_ms(), result.is_ok()));
                if s.checks.len() > HISTORY {
                    s.checks.pop_front();
                }
            }
            s.last_latency_ms = ms;
            s.latencies.push_back(ms);
            if s.latencies.len() > LATENCY_SAMPLES {
                s.latencies.pop_front();
            }
            match result {
                Ok(()) => s.online = Some(true),
                Err(e) if e.is_outage() => {
                    s.online = Some(false);
                    s.last_error = Some(e.to_string());
                }
                Err(e) => s.last_error = Some(e.to_string()),
            }
        }
        if counted {
            let ok = !matches!(result, Err(e) if e.is_outage());
            let changed = self
                .breaker
                .lock()
                .expect("breaker lock")
                .record(ok, Instant::now());
            if let Some(state) = changed {
                tracing::warn!(
                    provider = self.name(),
                    circuit = state.as_str(),
                    "circuit breaker changed state"
                );
            }
        }
    }

    async fn check(&self, timeout: Duration) {
        // The check is the half-open probe when the circuit is open and cooled
        // down; while it is open and cooling, it still runs, for the status.
        let mut permit = self.allow();
        let started = Instant::now();
        let result = match tokio::time::timeout(timeout, self.provider.check_health()).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::Timeout(timeout)),
        };
        let took = started.elapsed();
        let outcome: Result<HealthDetails, ProviderError> = result;
        self.record(
            "health_check",
            took,
            outcome.as_ref().map(drop),
            permit.is_some(),
        );
        if let Some(p) = permit.as_mut() {
            p.recorded = true;
        }
        let mut s = self.stats.lock().expect("stats lock");
        s.last_check_at_ms = Some(now_ms());
        match outcome {
            Ok(h) => {
                s.details = h.details;
                s.last_error = None;
            }
            Err(e) => tracing::warn!(provider = self.name(), error = %e, "health check failed"),
        }
    }

    fn report(&self) -> ProviderReport {
        let s = self.stats.lock().expect("stats lock");
        let mut sorted: Vec<u64> = s.latencies.iter().copied().collect();
        sorted.sort_unstable();
        ProviderReport {
            name: self.name(),
            online: s.online.unwrap_or(false),
            circuit: self.breaker.lock().expect("breaker lock").state(),
            connection: self.provider.connection_state(),
            last_latency_ms: s.last_latency_ms,
            p50_ms: percentile(&sorted, 0.50),
            p95_ms: percentile(&sorted, 0.95),
            last_check_at_ms: s.last_check_at_ms,
            last_error: s.last_error.clone(),
            details: s.details.clone(),
        }
    }
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
        'providers: for e in &self.entries {
            let mut retry = 0u32;
            loop {
                let Some(mut permit) = e.allow() else {
                    errors.push((e.name().to_string(), ProviderError::CircuitOpen));
                    continue 'providers;
                };
                let started = Instant::now();
                let result =
                    match tokio::time::timeout(timeout, e.provider.create_invoice(req)).await {
                        Ok(r) => r,
                        Err(_) => Err(ProviderError::Timeout(timeout)),
                    };
                let took = started.elapsed();
                e.record("create_invoice", took, result.as_ref().map(drop), true);
                permit.recorded = true;
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
                        tokio::time::sleep(crate::settlement::backoff(0, base)).await;
                        retry += 1;
                    }
                    Err(err) if err.is_transient() => {
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

    /// Checks every provider every `failover.health_check_interval_ms` until shutdown.
    pub async fn run_health_checks(self: Arc<Self>, shutdown: CancellationToken) {
        let every = Duration::from_millis(self.cfg.health_check_interval_ms);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.check_all() => {}
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

    /// Records a call made outside the router (a cancel, a lookup) in the
    /// provider's metrics and history; it does not move the circuit.
    pub fn observe(
        &self,
        provider: &str,
        operation: &'static str,
        latency: Duration,
        result: Result<(), &ProviderError>,
    ) {
        if let Some(e) = self.entries.iter().find(|e| e.name() == provider) {
            e.record(operation, latency, result, false);
        }
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
