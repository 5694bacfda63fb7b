//! Wiring and lifecycle: open the store, build the providers and the app,
//! start every background task under one shutdown signal, serve, and on
//! SIGTERM/SIGINT stop in order and await everything.

mod signals;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api;
use crate::api::auth::{Tokens, ADMIN_TOKEN_FILE, INVOICE_TOKEN_FILE};
use crate::app::App;
use crate::config::{Config, ProviderConfig};
use crate::leader::LeaderWork;
use crate::providers::{DevProvider, DynProvider, Router, WatchContext};
use crate::settlement::{ExpiryTimer, Settler};
use crate::store::Store;
use crate::tasks::{TaskFailure, Tasks};
use signals::{wait_for_signal, Signals};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("data directory {path}: {source}")]
    Datadir {
        path: String,
        source: std::io::Error,
    },
    #[error("tokens: {0}")]
    Tokens(std::io::Error),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    #[error("no provider is configured: configure one, or run with --dev for the dev provider")]
    NoProvider,
    #[error(transparent)]
    Provider(#[from] crate::providers::SetupError),
    #[error("webhooks: {0}")]
    Webhooks(#[from] crate::webhooks::WebhookError),
    #[error("gRPC server: {0}")]
    Server(#[from] tonic::transport::Error),
    #[error(transparent)]
    Task(#[from] TaskFailure),
}

/// Writes a secret readable by the owner only.
pub fn write_secret_file(path: &Path, contents: &str) -> std::io::Result<()> {
    write_secret_bytes(path, contents.as_bytes())
}

pub fn write_secret_bytes(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

fn datadir_error(path: &Path) -> impl FnOnce(std::io::Error) -> DaemonError + '_ {
    move |source| DaemonError::Datadir {
        path: path.display().to_string(),
        source,
    }
}

/// Called on SIGHUP to re-read the configuration and apply its log level;
/// returns the configuration read (the daemon reloads its catalog from it).
pub type ReloadLogLevel = Box<dyn Fn() -> Result<Config, String> + Send + Sync>;

pub async fn run(config: Config, reload_log_level: ReloadLogLevel) -> Result<(), DaemonError> {
    let signals = Signals::install().map_err(DaemonError::Signals)?;
    crate::providers::lnd::install_crypto_provider();
    let datadir = config.datadir.clone();
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&datadir)
            .map_err(datadir_error(&datadir))?;
    }
    let tokens = Tokens::load(&datadir, &config.auth).map_err(DaemonError::Tokens)?;

    // In the configured order: the order is the priority for new invoices.
    let mut providers: Vec<DynProvider> = Vec::new();
    for cfg in &config.providers {
        if matches!(cfg, ProviderConfig::Lnd(_)) && !config.failover.enable_lnd {
            tracing::warn!("LND is configured but failover.enable_lnd is false: not used");
            continue;
        }
        providers.push(crate::providers::build(cfg, &datadir).await?);
    }
    if config.dev {
        tracing::warn!("dev provider enabled: invoices are regtest and payments are simulated; never use this with real money");
        providers.push(Arc::new(
            DevProvider::load_or_create(&datadir).map_err(datadir_error(&datadir))?,
        ));
    }
    if providers.is_empty() {
        return Err(DaemonError::NoProvider);
    }

    // `shutdown` stops the server and the tasks serving it; the store's
    // flusher (or listener) has its own signal, given only after they are
    // all done, so every write they make is flushed.
    let shutdown = CancellationToken::new();
    let store_shutdown = CancellationToken::new();
    let opened = crate::store::open(&config.store, &datadir, store_shutdown.clone()).await?;
    let store: Arc<dyn Store> = opened.store.clone();
    let tasks = Tasks::new(shutdown.clone());
    // Supervised like the others (a flusher that dies would leave writes
    // undurable), but stopped last, by its own signal.
    let flusher = Tasks::new(shutdown.clone());
    let (store_task, run_store_task) = opened.task;
    flusher.spawn(store_task, run_store_task);

    // One round of health checks before serving, so a wrong certificate,
    // macaroon, key or address is named at start-up (lnpayd still starts: the
    // provider may come back) and GetStatus has facts from the first call.
    let router = Arc::new(Router::new(providers, config.failover.clone()));
    router.check_all().await;
    for r in router.reports() {
        match &r.last_error {
            None => tracing::info!(provider = r.name, details = ?r.details, "provider healthy"),
            Some(e) => {
                tracing::error!(provider = r.name, error = %e, "provider not usable at start-up")
            }
        }
    }
    tasks.spawn(
        "health_checks",
        router.clone().run_health_checks(shutdown.clone()),
    );
    tasks.spawn(
        "alerts",
        crate::alerts::run(
            config.alerts.clone(),
            router.clone(),
            shutdown.clone(),
            tasks.tracker(),
        ),
    );

    let settler = Arc::new(Settler::new(store.clone()));
    // Read before the API serves, so every intent here is a dead process's.
    let orphans = store.intents()?;
    if !orphans.is_empty() {
        tasks.spawn(
            "intent_recovery",
            crate::app::intent::recover(
                store.clone(),
                router.clone(),
                settler.clone(),
                orphans,
                shutdown.clone(),
            ),
        );
    }
    let inbound = WatchContext {
        store: store.clone(),
        settler: settler.clone(),
    };
    let (expiry, expiry_timer) = ExpiryTimer::new(store.clone(), settler.clone(), router.clone());
    let webhooks = crate::webhooks::Webhooks::new(
        opened.webhooks.clone(),
        config.webhooks.clone(),
        config.dev,
        config.alerts.clone(),
        shutdown.clone(),
        tasks.clone(),
    );
    let leader_work = LeaderWork {
        store: store.clone(),
        router: router.clone(),
        settler: settler.clone(),
        expiry_timer,
        expiry: expiry.clone(),
        webhooks: webhooks.clone(),
        config: config.clone(),
        shared_store: opened.postgres.is_some(),
    };
    // PostgreSQL: elected through the lease row, fenced by its epoch.
    let election = match opened.postgres.as_ref() {
        Some(pg) => {
            let table: Arc<dyn crate::leader::LeaseTable> =
                Arc::new(crate::leader::PgLease::new(pg.lease_pool()?));
            let fence: Arc<dyn crate::leader::Fence> = pg.clone();
            Some((table, fence))
        }
        None => None,
    };
    let leadership =
        crate::leader::begin(leader_work, election, &config.cluster, &tasks, &shutdown).await?;

    // Bound before the app exists: links to the page name its address.
    let checkout = crate::checkout::bind(&config)
        .await
        .map_err(|(addr, source)| DaemonError::Listen { addr, source })?;
    let checkout_addr = checkout.as_ref().map(|(_, a)| *a);
    let commerce = crate::checkout::commerce(&config, checkout_addr);
    let catalog = commerce.catalog.clone();
    let app = Arc::new(
        App::new(
            store.clone(),
            router.clone(),
            settler,
            expiry,
            config.limits(),
            config.dev,
            config.events.max_streams,
            shutdown.clone(),
            tasks.tracker(),
            webhooks,
        )
        .with_commerce(commerce)
        .with_leadership(leadership.clone()),
    );

    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| DaemonError::Listen {
                addr: config.listen,
                source,
            })?;
    let addr = listener
        .local_addr()
        .map_err(|source| DaemonError::Listen {
            addr: config.listen,
            source,
        })?;
    let metrics_addr = if config.metrics.enabled {
        let l = crate::metrics::bind(config.metrics.listen)
            .await
            .map_err(|source| DaemonError::Listen {
                addr: config.metrics.listen,
                source,
            })?;
        let a = l.local_addr().map_err(|source| DaemonError::Listen {
            addr: config.metrics.listen,
            source,
        })?;
        tasks.spawn(
            "metrics",
            crate::metrics::serve(
                l,
                router.clone(),
                store.clone(),
                shutdown.clone(),
                tasks.tracker(),
            ),
        );
        Some(a)
    } else {
        None
    };
    if let Some((l, _)) = checkout {
        // Providers' inbound webhooks (DazNode's) share the checkout listener;
        // config validation makes sure there is one when a webhook is set.
        let hooks = router
            .providers()
            .into_iter()
            .filter_map(|p| p.inbound_webhook().map(|h| (p.name(), h)))
            .collect();
        tasks.spawn(
            "checkout",
            crate::checkout::server::serve(
                l,
                app.clone(),
                config.rate_limit.checkout,
                hooks,
                shutdown.clone(),
                tasks.tracker(),
            ),
        );
        // Every instance confirms the calls it received; only the leader
        // watches (see Provider::serve_inbound).
        for p in router.providers() {
            if let Some(f) = p.clone().serve_inbound(inbound.clone(), shutdown.clone()) {
                tasks.spawn(format!("{}_inbound", p.name()), f);
            }
        }
    }
    let server = tokio::spawn(api::serve(
        app,
        tokens.clone(),
        listener,
        api::rate_limit::ApiLimits::new(&config.rate_limit),
        shutdown.clone(),
    ));

    if leadership.known(Duration::from_secs(5)).await.is_none() {
        tracing::warn!(
            "the first election round has not answered within 5 s; serving as `unknown`"
        );
    }
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    tracing::info!(%addr, metrics = ?metrics_addr, datadir = %datadir.display(), dev = config.dev, workers, runtime = %config.runtime(), "lnpayd ready");
    announce(&config, addr, metrics_addr, checkout_addr);
    crate::systemd::notify_ready();
    tasks.spawn(
        "systemd_watchdog",
        crate::systemd::watchdog(shutdown.clone()),
    );

    let signal = tokio::spawn(wait_for_signal(
        signals,
        shutdown.clone(),
        tokens,
        catalog,
        reload_log_level,
    ));
    let served = server.await;
    shutdown.cancel();
    signal.abort();
    if !tasks
        .join(Duration::from_secs(config.shutdown_grace_secs))
        .await
    {
        tracing::warn!("background tasks did not stop within the grace period");
    }
    leadership.release().await;
    store_shutdown.cancel();
    flusher.join_all().await;
    tracing::info!("lnpayd stopped");
    if let Some(failure) = tasks.failure().or_else(|| flusher.failure()) {
        return Err(failure.into());
    }
    match served {
        Ok(result) => Ok(result?),
        Err(join) => Err(TaskFailure {
            task: "grpc_server".into(),
            reason: format!("panicked: {join}"),
        }
        .into()),
    }
}

/// The line tests and scripts wait for, and, in dev mode, where to start.
fn announce(
    config: &Config,
    addr: std::net::SocketAddr,
    metrics: Option<std::net::SocketAddr>,
    checkout: Option<std::net::SocketAddr>,
) {
    let mut out = std::io::stdout().lock();
    if config.dev {
        let dir = config.datadir.display();
        let _ = writeln!(
            out,
            "lnpayd dev mode: regtest invoices signed by a local key; pay them with Admin.SimulatePayment.\n  \
             admin token:   {dir}/{ADMIN_TOKEN_FILE}\n  \
             invoice token: {dir}/{INVOICE_TOKEN_FILE}\n\
             Try:\n  \
             grpcurl -plaintext -H \"authorization: Bearer $(cat {dir}/{INVOICE_TOKEN_FILE})\" \
             -d '{{\"amount_sat\": 1000, \"description\": \"coffee\"}}' {addr} lnpayd.v1.Invoices/CreateInvoice"
        );
    }
    let mut ready = format!("lnpayd ready: grpc={addr}");
    if let Some(m) = metrics {
        ready.push_str(&format!(" metrics={m}"));
    }
    if let Some(c) = checkout {
        ready.push_str(&format!(" checkout=http://{c}"));
    }
    writeln!(out, "{ready}").ok();
    let _ = out.flush();
}
