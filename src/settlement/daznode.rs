//! DazNode settlement watcher: its websocket as a hint, every payment
//! confirmed through the API. (Being written.)

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Settler;
use crate::providers::DazNodeProvider;
use crate::store::Store;

pub struct DazNodeWatcher {
    pub daz: Arc<DazNodeProvider>,
    pub store: Arc<dyn Store>,
    pub settler: Arc<Settler>,
    pub reconnect_max: Duration,
}

impl DazNodeWatcher {
    pub async fn run(self, shutdown: CancellationToken) {
        shutdown.cancelled().await;
    }
}
