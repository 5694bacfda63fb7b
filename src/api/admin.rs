//! The `lnpayd.v1.Admin` service.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use crate::app::App;
use crate::proto;
use crate::time::to_timestamp;

pub struct AdminApi {
    pub app: Arc<App>,
}

#[tonic::async_trait]
impl proto::admin_server::Admin for AdminApi {
    async fn get_status(
        &self,
        _req: Request<proto::GetStatusRequest>,
    ) -> Result<Response<proto::GetStatusResponse>, Status> {
        let app = &self.app;
        let checks = futures::future::join_all(app.router.all().iter().map(|p| async move {
            let started = std::time::Instant::now();
            let result = p.check_health().await;
            (p.name(), result, started.elapsed(), p.connection_state())
        }))
        .await;
        let now = crate::time::now_ms();
        let providers: Vec<proto::ProviderStatus> = checks
            .into_iter()
            .map(|(name, result, took, connection)| {
                let (online, details, last_error) = match result {
                    Ok(h) => (true, h.details.into_iter().collect(), String::new()),
                    Err(e) => (false, Default::default(), e.to_string()),
                };
                proto::ProviderStatus {
                    name: name.into(),
                    online,
                    circuit: "closed".into(),
                    connection: connection.unwrap_or_default(),
                    last_latency_ms: took.as_millis() as u64,
                    latency_p50_ms: 0,
                    latency_p95_ms: 0,
                    last_check_at: Some(to_timestamp(now)),
                    last_error,
                    details,
                }
            })
            .collect();
        let serving = providers
            .iter()
            .find(|p| p.online)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let health = match (
            providers.iter().filter(|p| p.online).count(),
            providers.len(),
        ) {
            (0, _) => proto::OverallHealth::Down,
            (up, all) if up == all => proto::OverallHealth::Healthy,
            _ => proto::OverallHealth::Degraded,
        };
        Ok(Response::new(proto::GetStatusResponse {
            version: env!("CARGO_PKG_VERSION").into(),
            health: health as i32,
            providers,
            serving_provider: serving,
            dev_mode: app.dev_mode,
            last_event_sequence: *app.store.durable_sequence().borrow(),
            started_at: Some(to_timestamp(app.started_at_ms)),
        }))
    }

    async fn simulate_payment(
        &self,
        req: Request<proto::SimulatePaymentRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        let r = req.into_inner();
        if r.id.is_empty() {
            return Err(crate::error::Error::Invalid(crate::domain::InvalidField {
                reason: "ID_REQUIRED",
                field: "id",
                message: "set id".into(),
            })
            .into());
        }
        let inv = self.app.simulate_payment(&r.id, r.amount_msat).await?;
        Ok(Response::new(convert::invoice(inv)))
    }
}
