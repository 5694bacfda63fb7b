//! The store's health as clients see it: `grpc.health.v1` NOT_SERVING while
//! the store cannot write (load balancers and orchestrators stop sending
//! requests that would all fail), and the `store` field of `GetStatus`.

use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use super::{admin::AdminApi, invoices::InvoicesApi};
use crate::proto::{self, admin_server::AdminServer, invoices_server::InvoicesServer};
use crate::store::StoreHealth;
use crate::time::to_timestamp;

/// The services whose health follows the store's; "" is the server as a whole.
const SERVICES: [&str; 3] = [
    "",
    InvoicesServer::<InvoicesApi>::NAME,
    AdminServer::<AdminApi>::NAME,
];

/// Mirrors the store's health into the health service until shutdown.
pub async fn report(
    reporter: HealthReporter,
    mut health: tokio::sync::watch::Receiver<StoreHealth>,
    shutdown: CancellationToken,
) {
    loop {
        let serving = match *health.borrow_and_update() {
            StoreHealth::Ok => ServingStatus::Serving,
            StoreHealth::Failing { .. } => ServingStatus::NotServing,
        };
        for service in SERVICES {
            reporter.set_service_status(service, serving).await;
        }
        tokio::select! {
            changed = health.changed() => if changed.is_err() { return },
            _ = shutdown.cancelled() => return,
        }
    }
}

pub fn status(health: &StoreHealth) -> proto::StoreStatus {
    match health {
        StoreHealth::Ok => proto::StoreStatus {
            state: proto::StoreState::Ok as i32,
            failing_since: None,
            last_error: String::new(),
        },
        StoreHealth::Failing { since_ms, error } => proto::StoreStatus {
            state: proto::StoreState::Failing as i32,
            failing_since: Some(to_timestamp(*since_ms)),
            last_error: error.clone(),
        },
    }
}
