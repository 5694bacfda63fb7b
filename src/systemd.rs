//! systemd integration: `sd_notify` READY/STOPPING and watchdog pings.
//! (Being written.) All functions do nothing when not run by systemd.

use tokio_util::sync::CancellationToken;

/// Tells systemd the daemon is ready (store open, gRPC port bound).
pub fn notify_ready() {}

/// Tells systemd the daemon is stopping.
pub fn notify_stopping() {}

/// Pings the watchdog at half of `WATCHDOG_USEC` until shutdown.
pub async fn watchdog(shutdown: CancellationToken) {
    shutdown.cancelled().await;
}
