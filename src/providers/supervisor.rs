//! Keeps a provider's push connection (LND's invoice stream, DazNode's
//! websocket) up under one reconnect policy, and says in a typed
//! [`ConnectionState`] where it stands, for GetStatus, metrics and alerts.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::ProviderError;

/// Where a provider's push connection stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// The watcher has not tried yet (start-up).
    NotConnectedYet,
    /// Connecting, or connected and still catching up on what it missed.
    Connecting,
    /// Following the provider's pushes.
    Connected,
    /// Down; the supervisor retries after a backoff. The cause is redacted.
    Disconnected { cause: String },
}

impl ConnectionState {
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected)
    }
}

/// The texts GetStatus has always shown; tests and dashboards read them.
impl std::fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotConnectedYet => f.write_str("not connected yet"),
            Self::Connecting => f.write_str("connecting"),
            Self::Connected => f.write_str("connected"),
            Self::Disconnected { cause } => write!(f, "disconnected: {cause}"),
        }
    }
}

/// A connection state shared between a watcher (which writes it) and the
/// provider (which shows it), and the provider's way to cut a reconnect
/// backoff short.
#[derive(Debug)]
pub struct StateCell {
    state: Mutex<ConnectionState>,
    wake: Notify,
}

impl Default for StateCell {
    fn default() -> Self {
        Self {
            state: Mutex::new(ConnectionState::NotConnectedYet),
            wake: Notify::new(),
        }
    }
}

impl StateCell {
    pub fn get(&self) -> ConnectionState {
        self.state.lock().expect("state lock").clone()
    }

    pub fn set(&self, state: ConnectionState) {
        *self.state.lock().expect("state lock") = state;
    }

    /// The node answers again: a supervisor waiting out its backoff
    /// reconnects at once. Nothing happens while connected or connecting.
    pub fn wake(&self) {
        if matches!(self.get(), ConnectionState::Disconnected { .. }) {
            self.wake.notify_one();
        }
    }
}

/// One provider's push connection, kept up by [`keep_connected`].
#[async_trait::async_trait]
pub trait PushSession: Send + Sync {
    /// How logs name it ("LND invoice stream").
    const WHAT: &'static str;
    /// Where GetStatus reads the connection state.
    fn state(&self) -> &StateCell;
    /// Connects, reconciles, then follows the pushes; returns only when the
    /// connection fails. Sets [`ConnectionState::Connected`] and resets
    /// `failures` once connected.
    async fn session(&self, failures: &mut u32) -> ProviderError;
    /// The error as it may be shown (redacted where it could carry a secret).
    fn describe(&self, e: &ProviderError) -> String {
        e.to_string()
    }
}

/// Runs sessions until shutdown, reconnecting with capped exponential backoff.
pub async fn keep_connected<S: PushSession>(
    s: &S,
    reconnect_max: Duration,
    shutdown: CancellationToken,
) {
    let mut failures: u32 = 0;
    loop {
        s.state().set(ConnectionState::Connecting);
        let error = tokio::select! {
            e = s.session(&mut failures) => e,
            _ = shutdown.cancelled() => return,
        };
        failures = failures.saturating_add(1);
        let delay = backoff(failures, reconnect_max);
        let cause = s.describe(&error);
        tracing::warn!(error = %cause, retry_in_ms = delay.as_millis() as u64, "{} down", S::WHAT);
        s.state().set(ConnectionState::Disconnected { cause });
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = s.state().wake.notified() => {
                // The node answered: start the backoff over.
                tracing::info!("{}: the node answers again; reconnecting now", S::WHAT);
                failures = 0;
            }
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Capped exponential backoff with full jitter in its upper half.
pub fn backoff(failures: u32, max: Duration) -> Duration {
    let base = Duration::from_millis(250)
        .saturating_mul(1 << failures.min(16))
        .min(max);
    let half = base / 2;
    half + half.mul_f64(rand::thread_rng().gen::<f64>())
}

/// Invoices expired or canceled this recently are still looked up on
/// reconnect: providers that cannot cancel (LNbits, NWC) may still be paid.
pub const LATE_WINDOW_MS: u64 = 2 * 86_400_000;

/// What a reconnect reconciles for `provider`: every pending invoice it
/// issued, and those it issued that expired or were canceled within
/// [`LATE_WINDOW_MS`].
pub fn reconcile_candidates(
    store: &dyn crate::store::Store,
    provider: &str,
) -> Result<Vec<crate::domain::Invoice>, crate::providers::ProviderError> {
    use crate::domain::InvoiceStatus;
    let store_err = |e: crate::store::StoreError| {
        crate::providers::ProviderError::Unavailable(format!("store: {e}"))
    };
    let mut candidates = store.pending_invoices().map_err(store_err)?;
    for status in [InvoiceStatus::Expired, InvoiceStatus::Canceled] {
        let (recent, _) = store
            .list_invoices(&crate::store::ListQuery {
                status: Some(status),
                created_after_ms: Some(crate::time::now_ms().saturating_sub(LATE_WINDOW_MS)),
                limit: 10_000,
                ..Default::default()
            })
            .map_err(store_err)?;
        candidates.extend(recent);
    }
    candidates.retain(|i| i.provider == provider);
    Ok(candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let max = Duration::from_secs(30);
        for f in 0..40 {
            let d = backoff(f, max);
            assert!(d <= max, "{f}: {d:?}");
        }
        assert!(backoff(1, max) <= Duration::from_millis(500));
        assert!(backoff(20, max) >= Duration::from_secs(15));
    }

    #[test]
    fn states_show_as_before() {
        assert_eq!(ConnectionState::Connected.to_string(), "connected");
        let down = ConnectionState::Disconnected {
            cause: "refused".into(),
        };
        assert_eq!(down.to_string(), "disconnected: refused");
        assert!(!down.is_connected());
    }

    struct Flaky {
        state: StateCell,
        sessions: std::sync::atomic::AtomicU32,
    }

    #[async_trait::async_trait]
    impl PushSession for Flaky {
        const WHAT: &'static str = "test stream";

        fn state(&self) -> &StateCell {
            &self.state
        }

        async fn session(&self, _failures: &mut u32) -> ProviderError {
            self.sessions
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ProviderError::Unavailable("refused".into())
        }
    }

    #[tokio::test]
    async fn the_node_answering_cuts_the_backoff_short() {
        let s = std::sync::Arc::new(Flaky {
            state: StateCell::default(),
            sessions: Default::default(),
        });
        let shutdown = CancellationToken::new();
        let run = {
            let (s, shutdown) = (s.clone(), shutdown.clone());
            tokio::spawn(
                async move { keep_connected(&*s, Duration::from_secs(600), shutdown).await },
            )
        };
        let sessions = || s.sessions.load(std::sync::atomic::Ordering::SeqCst);
        while sessions() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Now backing off for seconds (250 ms × 2^3, and growing).
        let before = sessions();
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.state.wake();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(sessions(), before + 1, "reconnected at once");
        shutdown.cancel();
        run.await.unwrap();
    }
}
