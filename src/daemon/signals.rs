//! SIGTERM/SIGINT stop the daemon; SIGHUP reloads the log level, the
//! catalog and the tokens in place, without touching the server or any
//! open stream.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::ReloadLogLevel;
use crate::api::auth::Tokens;

/// The signals lnpayd handles, installed before anything else so that a
/// SIGTERM arriving right after READY=1 (systemd may send one) is handled
/// gracefully instead of killing the process unflushed.
pub(super) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    pub(super) fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }
}

pub(super) async fn wait_for_signal(
    signals: Signals,
    shutdown: CancellationToken,
    tokens: Arc<Tokens>,
    catalog: Arc<crate::catalog::Catalog>,
    reload_log_level: ReloadLogLevel,
) {
    let Signals {
        mut term,
        mut int,
        mut hup,
    } = signals;
    loop {
        tokio::select! {
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
            _ = int.recv() => { tracing::info!("SIGINT: shutting down"); break; }
            _ = hup.recv() => {
                match reload_log_level() {
                    Ok(fresh) => {
                        tracing::info!(level = %fresh.log.level, "SIGHUP: log level reloaded");
                        catalog.reload(&fresh);
                    }
                    Err(e) => tracing::error!(error = %e, "SIGHUP: configuration not reloaded; the log level and catalog are unchanged"),
                }
                match tokens.reload() {
                    Ok(()) => tracing::info!("SIGHUP: tokens reloaded"),
                    Err(e) => tracing::error!(error = %e, "SIGHUP: tokens not reloaded; the old ones stay valid"),
                }
            }
        }
    }
    crate::systemd::notify_stopping();
    shutdown.cancel();
}
