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
        let providers: Vec<proto::ProviderStatus> = app
            .router
            .reports()
            .into_iter()
            .map(|r| proto::ProviderStatus {
                name: r.name.into(),
                online: r.online,
                circuit: r.circuit.as_str().into(),
                connection: r.connection.unwrap_or_default(),
                last_latency_ms: r.last_latency_ms,
                latency_p50_ms: r.p50_ms,
                latency_p95_ms: r.p95_ms,
                last_check_at: r.last_check_at_ms.map(to_timestamp),
                last_error: r.last_error.unwrap_or_default(),
                details: r.details.into_iter().collect(),
            })
            .collect();
        let serving = app.router.serving().unwrap_or_default().to_string();
        let usable = |p: &proto::ProviderStatus| p.online && p.circuit != "open";
        let health = match (
            providers.iter().filter(|p| usable(p)).count(),
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
