//! Whether the store can write. A disk that fills up (or any storage error)
//! turns it FAILING; the next flush that reaches the disk turns it OK again,
//! so health recovers by itself without a restart.

use tokio::sync::watch;

use crate::time::now_ms;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreHealth {
    Ok,
    /// Writes or flushes fail; every acknowledgement is refused meanwhile.
    Failing {
        since_ms: u64,
        error: String,
    },
}

impl StoreHealth {
    pub fn is_ok(&self) -> bool {
        matches!(self, StoreHealth::Ok)
    }
}

/// The health an implementation reports through [`super::Store::health`].
pub struct HealthCell(watch::Sender<StoreHealth>);

impl Default for HealthCell {
    fn default() -> Self {
        Self(watch::channel(StoreHealth::Ok).0)
    }
}

impl HealthCell {
    pub fn subscribe(&self) -> watch::Receiver<StoreHealth> {
        self.0.subscribe()
    }

    pub fn is_failing(&self) -> bool {
        !self.0.borrow().is_ok()
    }

    /// A write or flush failed. Keeps the first failure's time, the newest error.
    pub fn failed(&self, error: impl std::fmt::Display) {
        let error = error.to_string();
        self.0.send_if_modified(|h| {
            let since_ms = match h {
                StoreHealth::Failing {
                    since_ms,
                    error: old,
                } if *old == error => return false,
                StoreHealth::Failing { since_ms, .. } => *since_ms,
                StoreHealth::Ok => {
                    tracing::error!(%error, "store writes failing; reporting NOT_SERVING");
                    now_ms()
                }
            };
            *h = StoreHealth::Failing { since_ms, error };
            true
        });
    }

    /// Something reached the disk: writes work (again).
    pub fn recovered(&self) {
        self.0.send_if_modified(|h| {
            if h.is_ok() {
                return false;
            }
            tracing::warn!("store writes succeed again; reporting SERVING");
            *h = StoreHealth::Ok;
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_keeps_its_start_and_recovers_on_success() {
        let cell = HealthCell::default();
        let mut rx = cell.subscribe();
        assert!(rx.borrow_and_update().is_ok());
        cell.failed("No space left on device");
        let StoreHealth::Failing { since_ms, error } = rx.borrow_and_update().clone() else {
            panic!("a failed write makes the store FAILING");
        };
        assert_eq!(error, "No space left on device");
        cell.failed("No space left on device");
        assert!(
            !rx.has_changed().unwrap(),
            "the same failure again is no news"
        );
        cell.failed("another error");
        assert_eq!(
            *rx.borrow_and_update(),
            StoreHealth::Failing {
                since_ms,
                error: "another error".into()
            },
            "a new error keeps the time the failure began"
        );
        cell.recovered();
        assert!(rx.borrow_and_update().is_ok());
        cell.recovered();
        assert!(!rx.has_changed().unwrap());
    }
}
