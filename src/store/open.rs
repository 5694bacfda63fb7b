//! Opens the configured store: fjall (the default) or sled in the data dir,
//! or PostgreSQL.

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;
use tokio_util::sync::CancellationToken;

use super::{FjallStore, PgStore, SledStore, Store, StoreError, WebhookStore};
use crate::config::{StoreBackend, StoreConfig};

pub struct Opened {
    pub store: Arc<dyn Store>,
    pub webhooks: Arc<dyn WebhookStore>,
    /// Set with `backend = "postgres"`: what leader election shares.
    pub postgres: Option<Arc<PgStore>>,
    /// The store's own task, named: sled's group-commit flusher, or
    /// PostgreSQL's event listener. Runs until the signal given to
    /// [`open`], which the daemon gives last.
    pub task: (&'static str, BoxFuture<'static, ()>),
}

pub async fn open(
    cfg: &StoreConfig,
    datadir: &Path,
    shutdown: CancellationToken,
) -> Result<Opened, StoreError> {
    match cfg.backend {
        StoreBackend::Sled => {
            let sled = SledStore::open(&datadir.join("store"), cfg.cache_mb * 1024 * 1024)?;
            Ok(Opened {
                store: sled.clone(),
                webhooks: sled.clone(),
                postgres: None,
                task: ("store_flusher", sled.run_flusher(shutdown).boxed()),
            })
        }
        StoreBackend::Fjall => {
            // A sled data dir was converted by main.rs before the runtime
            // started (`convert_in_place`), so that its memory goes with the
            // image it re-executes from.
            let fjall = FjallStore::open(&datadir.join("fjall"), cfg.cache_mb * 1024 * 1024)?;
            Ok(Opened {
                store: fjall.clone(),
                webhooks: fjall.clone(),
                postgres: None,
                task: ("store_flusher", fjall.run_flusher(shutdown).boxed()),
            })
        }
        StoreBackend::Postgres => {
            let url = cfg
                .postgres_url()
                .map_err(|e| StoreError::Config(format!("store.url_file: {e}")))?;
            let pg = PgStore::open(url.expose(), cfg.pool_size).await?;
            Ok(Opened {
                store: pg.clone(),
                webhooks: pg.clone(),
                postgres: Some(pg.clone()),
                task: ("store_listener", pg.run_listener(shutdown).boxed()),
            })
        }
    }
}
