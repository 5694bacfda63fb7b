//! The `lnpayd.v1.Admin` service.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use super::status::invalid;
use crate::app::App;
use crate::proto;
use crate::store::{AuditCursor, AuditQuery};
use crate::time::{from_timestamp, to_timestamp};

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
            return Err(invalid("ID_REQUIRED", "id", "set id"));
        }
        let inv = self.app.simulate_payment(&r.id, r.amount_msat).await?;
        Ok(Response::new(convert::invoice(inv)))
    }

    async fn list_audit_log(
        &self,
        req: Request<proto::ListAuditLogRequest>,
    ) -> Result<Response<proto::ListAuditLogResponse>, Status> {
        let r = req.into_inner();
        let limit = match r.page_size {
            0 => 100,
            n if n > 1000 => {
                return Err(invalid(
                    "PAGE_SIZE_TOO_LARGE",
                    "page_size",
                    "page_size is at most 1000",
                ))
            }
            n => n as usize,
        };
        let before = match r.page_token.as_str() {
            "" => None,
            t => match hex::decode(t) {
                Ok(k) if k.starts_with(b"a/") => Some(AuditCursor(k)),
                _ => {
                    return Err(invalid(
                        "INVALID_PAGE_TOKEN",
                        "page_token",
                        "page_token is not one this server issued",
                    ))
                }
            },
        };
        let bad_time = |field| {
            invalid(
                "INVALID_TIMESTAMP",
                field,
                format!("{field} is before 1970"),
            )
        };
        let query = AuditQuery {
            before,
            since_ms: r
                .since
                .map(|t| from_timestamp(&t).ok_or_else(|| bad_time("since")))
                .transpose()?,
            until_ms: r
                .until
                .map(|t| from_timestamp(&t).ok_or_else(|| bad_time("until")))
                .transpose()?,
            invoice_id: Some(r.invoice_id).filter(|s| !s.is_empty()),
            provider: Some(r.provider).filter(|s| !s.is_empty()),
            limit,
        };
        let (page, more) = self
            .app
            .store
            .audit_page(&query)
            .map_err(crate::error::Error::from)?;
        let next_page_token = match (more, page.last()) {
            (true, Some((cursor, _))) => hex::encode(&cursor.0),
            _ => String::new(),
        };
        let entries = page
            .into_iter()
            .map(|(_, e)| proto::AuditEntry {
                at: Some(to_timestamp(e.at_ms)),
                kind: e.kind,
                invoice_id: e.invoice_id.unwrap_or_default(),
                provider: e.provider.unwrap_or_default(),
                action: e.action,
                outcome: e.outcome,
                duration_ms: e.duration_ms.unwrap_or_default(),
                request_id: e.request_id.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(proto::ListAuditLogResponse {
            entries,
            next_page_token,
        }))
    }
}
