//! Alerts: conditions an operator must hear about, evaluated on a timer from
//! the providers' live state. Each raise and each clear is one structured log
//! line (`alert=… state=raised|cleared`) and, when `alerts.webhook_url` is
//! set, one POST whose JSON `text` Slack- or Discord-style endpoints show,
//! retried with backoff.
//!
//! | alert | raised when | cleared when |
//! |---|---|---|
//! | `provider_failing` | the circuit opens (4 of the last 5 calls failed) | it closes |
//! | `slow_call` | the provider's last call took over `slow_call_ms` | a call is fast again |
//! | `provider_down` | offline for over `provider_down_secs` | online |
//! | `stream_down` | its push stream (LND's invoice stream, DazNode's websocket) is disconnected for over `stream_down_secs` | connected |

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::AlertsConfig;
use crate::providers::breaker::CircuitState;
use crate::providers::{ProviderReport, Router};

/// The conditions in the table above; each is named so in logs and webhooks.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum AlertName {
    ProviderFailing,
    SlowCall,
    ProviderDown,
    StreamDown,
    /// A webhook endpoint failed for `webhooks.disable_after_secs` and was disabled.
    WebhookEndpointDisabled,
}

impl AlertName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProviderFailing => "provider_failing",
            Self::SlowCall => "slow_call",
            Self::ProviderDown => "provider_down",
            Self::StreamDown => "stream_down",
            Self::WebhookEndpointDisabled => "webhook_endpoint_disabled",
        }
    }
}

impl std::fmt::Display for AlertName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Raised,
    Cleared,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raised => "raised",
            Self::Cleared => "cleared",
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Alert {
    pub alert: AlertName,
    pub provider: String,
    pub state: AlertState,
    pub detail: String,
    /// What a chat endpoint shows.
    pub text: String,
}

/// Tracks which alerts are active and since when conditions have held.
pub struct Evaluator {
    cfg: AlertsConfig,
    active: HashSet<(AlertName, String)>,
    offline_since: HashMap<String, Instant>,
    stream_down_since: HashMap<String, Instant>,
}

impl Evaluator {
    pub fn new(cfg: AlertsConfig) -> Self {
        Self {
            cfg,
            active: HashSet::new(),
            offline_since: HashMap::new(),
            stream_down_since: HashMap::new(),
        }
    }

    /// The raises and clears that `reports` imply now.
    pub fn evaluate(&mut self, reports: &[ProviderReport], now: Instant) -> Vec<Alert> {
        let mut out = Vec::new();
        for r in reports {
            let p = r.name.to_string();
            let offline_for = since(&mut self.offline_since, &p, !r.online, now);
            let stream_down = r.connection.as_ref().is_some_and(|c| !c.is_connected());
            let stream = r.connection.as_ref().map(ToString::to_string);
            let stream_down_for = since(&mut self.stream_down_since, &p, stream_down, now);
            let conditions = [
                (
                    AlertName::ProviderFailing,
                    r.circuit != CircuitState::Closed,
                    format!(
                        "circuit {}: most recent calls failed; last error: {}",
                        r.circuit.as_str(),
                        r.last_error.as_deref().unwrap_or("-")
                    ),
                ),
                (
                    AlertName::SlowCall,
                    r.last_latency_ms > self.cfg.slow_call_ms,
                    format!(
                        "last call took {} ms (limit {} ms)",
                        r.last_latency_ms, self.cfg.slow_call_ms
                    ),
                ),
                (
                    AlertName::ProviderDown,
                    offline_for
                        .is_some_and(|d| d > Duration::from_secs(self.cfg.provider_down_secs)),
                    format!(
                        "offline for over {} s; last error: {}",
                        self.cfg.provider_down_secs,
                        r.last_error.as_deref().unwrap_or("-")
                    ),
                ),
                (
                    AlertName::StreamDown,
                    stream_down_for
                        .is_some_and(|d| d > Duration::from_secs(self.cfg.stream_down_secs)),
                    format!(
                        "stream {} for over {} s",
                        stream.as_deref().unwrap_or("-"),
                        self.cfg.stream_down_secs
                    ),
                ),
            ];
            for (name, holds, detail) in conditions {
                let key = (name, p.clone());
                let was = self.active.contains(&key);
                if holds == was {
                    continue;
                }
                let state = if holds {
                    AlertState::Raised
                } else {
                    AlertState::Cleared
                };
                if holds {
                    self.active.insert(key);
                } else {
                    self.active.remove(&key);
                }
                let text = if holds {
                    format!("lnpayd alert {name} on {p}: {detail}")
                } else {
                    format!("lnpayd alert {name} on {p} cleared")
                };
                out.push(Alert {
                    alert: name,
                    provider: p.clone(),
                    state,
                    detail,
                    text,
                });
            }
        }
        out
    }
}

/// How long `holds` has been true for `key`, tracking its start.
fn since(
    starts: &mut HashMap<String, Instant>,
    key: &str,
    holds: bool,
    now: Instant,
) -> Option<Duration> {
    if holds {
        Some(now - *starts.entry(key.to_string()).or_insert(now))
    } else {
        starts.remove(key);
        None
    }
}

/// Evaluates every `evaluate_interval_ms` until shutdown; logs and sends.
pub async fn run(
    cfg: AlertsConfig,
    router: Arc<Router>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    let every = Duration::from_millis(cfg.evaluate_interval_ms);
    let webhook = cfg.webhook_url.clone();
    let attempts = cfg.webhook_attempts;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a default client builds");
    let mut evaluator = Evaluator::new(cfg);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        for a in evaluator.evaluate(&router.reports(), Instant::now()) {
            let (alert, state) = (a.alert.as_str(), a.state.as_str());
            match a.state {
                AlertState::Raised => {
                    tracing::warn!(alert, state, provider = %a.provider, detail = %a.detail, "alert")
                }
                AlertState::Cleared => {
                    tracing::info!(alert, state, provider = %a.provider, "alert")
                }
            }
            if let Some(url) = &webhook {
                let (client, url, shutdown) = (client.clone(), url.clone(), shutdown.clone());
                tasks.spawn(async move {
                    tokio::select! {
                        _ = deliver(&client, url.expose(), &a, attempts) => {}
                        _ = shutdown.cancelled() => {}
                    }
                });
            }
        }
    }
}

/// Raises an alert that no evaluator watches (a webhook endpoint disabled
/// after failing too long): the same log line and, when configured, the same
/// webhook as the evaluated ones. `subject` takes the provider's place.
pub fn raise_now(
    cfg: &AlertsConfig,
    alert: AlertName,
    subject: &str,
    detail: String,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) {
    tracing::warn!(alert = alert.as_str(), state = AlertState::Raised.as_str(), provider = %subject, detail = %detail, "alert");
    let Some(url) = cfg.webhook_url.clone() else {
        return;
    };
    let a = Alert {
        alert,
        provider: subject.to_string(),
        state: AlertState::Raised,
        text: format!("lnpayd alert {} on {subject}: {detail}", alert.as_str()),
        detail,
    };
    let (attempts, shutdown) = (cfg.webhook_attempts, shutdown.clone());
    tasks.spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a default client builds");
        tokio::select! {
            _ = deliver(&client, url.expose(), &a, attempts) => {}
            _ = shutdown.cancelled() => {}
        }
    });
}

/// POSTs one alert, retrying failures with capped exponential backoff. The
/// URL often carries a secret (Slack, Discord): it is never logged.
async fn deliver(client: &reqwest::Client, url: &str, alert: &Alert, attempts: u32) {
    for attempt in 1..=attempts.max(1) {
        let outcome = match client.post(url).json(alert).send().await {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => format!("HTTP {}", r.status().as_u16()),
            Err(e) => format!("{}", e.without_url()),
        };
        tracing::warn!(alert = alert.alert.as_str(), attempt, error = %outcome, "alert webhook delivery failed");
        if attempt < attempts {
            tokio::time::sleep(crate::settlement::backoff(attempt, Duration::from_secs(60))).await;
        }
    }
    tracing::error!(
        alert = alert.alert.as_str(),
        attempts,
        "alert webhook gave up"
    );
}

#[cfg(test)]
mod tests;
