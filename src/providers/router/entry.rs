//! One provider's place in the router: its circuit breaker, its statistics,
//! and the guarded call every operation goes through.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{CallRecord, ProviderReport, HISTORY, LATENCY_SAMPLES};
use crate::health::percentile;
use crate::providers::breaker::{Breaker, CircuitState};
use crate::providers::supervisor::ConnectionState;
use crate::providers::{DynProvider, HealthDetails, ProviderError};
use crate::time::now_ms;

#[derive(Default)]
pub(super) struct Stats {
    pub(super) calls: VecDeque<CallRecord>,
    /// (time, up) of every health check.
    pub(super) checks: VecDeque<(u64, bool)>,
    online: Option<bool>,
    latencies: VecDeque<u64>,
    last_latency_ms: u64,
    last_check_at_ms: Option<u64>,
    last_error: Option<String>,
    details: Vec<(String, String)>,
}

pub(super) struct Entry {
    pub(super) provider: DynProvider,
    pub(super) breaker: Mutex<Breaker>,
    pub(super) stats: Mutex<Stats>,
}

/// One call the circuit let through. Dropped before its outcome is recorded
/// (a caller's deadline cancelled the request), it gives the half-open probe
/// slot back rather than leave the circuit stuck.
pub(super) struct Permit<'a> {
    entry: &'a Entry,
    pub(super) recorded: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.recorded {
            self.entry.breaker.lock().expect("breaker lock").abandon();
        }
    }
}

impl Entry {
    pub(super) fn name(&self) -> &'static str {
        self.provider.name()
    }

    /// A permit for one call when the circuit lets it through.
    pub(super) fn allow(&self) -> Option<Permit<'_>> {
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
    pub(super) fn record(
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

    pub(super) async fn check(&self, timeout: Duration) {
        // The check is the half-open probe when the circuit is open and cooled
        // down; while it is open and cooling, it still runs, for the status,
        // and a success closes the circuit (below).
        let mut permit = self.allow();
        let last_error = {
            let s = self.stats.lock().expect("stats lock");
            s.last_error.clone().filter(|_| s.online == Some(false))
        };
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
                drop(s);
                if permit.is_none() {
                    // A node that answers gets new invoices back now, not
                    // after the rest of the cooldown.
                    let changed = self.breaker.lock().expect("breaker lock").answered();
                    if let Some(state) = changed {
                        tracing::warn!(
                            provider = self.name(),
                            circuit = state.as_str(),
                            "circuit breaker changed state"
                        );
                    }
                }
                // A push connection that is down may retry now rather than
                // wait out its backoff.
                self.provider.node_answered();
            }
            // While a provider is down it is checked every second: its
            // unchanged failure is told once, not every second.
            Err(e) if last_error == Some(e.to_string()) => {
                tracing::debug!(provider = self.name(), error = %e, "health check failed again")
            }
            Err(e) => tracing::warn!(provider = self.name(), error = %e, "health check failed"),
        }
    }

    /// Down, open, or with its push connection down: checked more often.
    pub(super) fn needs_watching(&self) -> bool {
        let s = self.stats.lock().expect("stats lock");
        s.online != Some(true)
            || self.breaker.lock().expect("breaker lock").state() != CircuitState::Closed
            || self.push_down()
    }

    /// Its push connection (stream, websocket) is down: payments to its
    /// invoices would be seen late, so new invoices prefer another.
    pub(super) fn push_down(&self) -> bool {
        matches!(
            self.provider.connection_state(),
            Some(ConnectionState::Disconnected { .. })
        )
    }

    /// One call through the circuit, bounded by `timeout`, recorded in the
    /// provider's statistics and breaker. A closed circuit answers
    /// [`ProviderError::CircuitOpen`] without calling.
    pub(super) async fn guarded<T>(
        &self,
        operation: &'static str,
        timeout: Duration,
        call: impl std::future::Future<Output = Result<T, ProviderError>>,
    ) -> (Result<T, ProviderError>, Duration) {
        let Some(mut permit) = self.allow() else {
            return (Err(ProviderError::CircuitOpen), Duration::ZERO);
        };
        let started = Instant::now();
        let result = match tokio::time::timeout(timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::Timeout(timeout)),
        };
        let took = started.elapsed();
        self.record(operation, took, result.as_ref().map(drop), true);
        permit.recorded = true;
        (result, took)
    }

    pub(super) fn report(&self) -> ProviderReport {
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
