//! The `lnpayd.v1.Admin` service.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use super::status::invalid;
use crate::app::App;
use crate::proto;
use crate::providers::ProviderHistory;
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
        let reports = app.router.reports();
        let serving = crate::providers::serving(&reports)
            .unwrap_or_default()
            .to_string();
        let usable = reports.iter().filter(|r| r.usable()).count();
        let all = reports.len();
        let providers: Vec<proto::ProviderStatus> = reports
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
        let health = match (usable, all) {
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
            webhooks: super::webhooks::statuses(app),
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

    async fn get_provider_metrics(
        &self,
        req: Request<proto::GetProviderMetricsRequest>,
    ) -> Result<Response<proto::GetProviderMetricsResponse>, Status> {
        let window = match req.into_inner().window_seconds {
            0 => 86_400,
            w => w,
        };
        let now = crate::time::now_ms();
        let day_ago = now.saturating_sub(86_400_000);
        let hour_ago = now.saturating_sub(3_600_000);
        let since = now.saturating_sub(u64::from(window) * 1000).min(day_ago);
        let providers = self
            .app
            .router
            .history(since)
            .into_iter()
            .map(|h| {
                provider_metrics(
                    &h,
                    now.saturating_sub(u64::from(window) * 1000),
                    hour_ago,
                    day_ago,
                )
            })
            .collect();
        Ok(Response::new(proto::GetProviderMetricsResponse {
            window_seconds: window,
            providers,
        }))
    }

    async fn create_webhook_endpoint(
        &self,
        req: Request<proto::CreateWebhookEndpointRequest>,
    ) -> Result<Response<proto::CreateWebhookEndpointResponse>, Status> {
        super::webhooks::create(&self.app, req).await
    }

    async fn list_webhook_endpoints(
        &self,
        req: Request<proto::ListWebhookEndpointsRequest>,
    ) -> Result<Response<proto::ListWebhookEndpointsResponse>, Status> {
        super::webhooks::list(&self.app, req).await
    }

    async fn get_webhook_endpoint(
        &self,
        req: Request<proto::GetWebhookEndpointRequest>,
    ) -> Result<Response<proto::WebhookEndpoint>, Status> {
        super::webhooks::get(&self.app, req).await
    }

    async fn update_webhook_endpoint(
        &self,
        req: Request<proto::UpdateWebhookEndpointRequest>,
    ) -> Result<Response<proto::WebhookEndpoint>, Status> {
        super::webhooks::update(&self.app, req).await
    }

    async fn delete_webhook_endpoint(
        &self,
        req: Request<proto::DeleteWebhookEndpointRequest>,
    ) -> Result<Response<proto::DeleteWebhookEndpointResponse>, Status> {
        super::webhooks::delete(&self.app, req).await
    }

    async fn rotate_webhook_secret(
        &self,
        req: Request<proto::RotateWebhookSecretRequest>,
    ) -> Result<Response<proto::RotateWebhookSecretResponse>, Status> {
        super::webhooks::rotate(&self.app, req).await
    }

    async fn list_webhook_deliveries(
        &self,
        req: Request<proto::ListWebhookDeliveriesRequest>,
    ) -> Result<Response<proto::ListWebhookDeliveriesResponse>, Status> {
        super::webhooks::deliveries(&self.app, req).await
    }

    async fn redeliver_webhook(
        &self,
        req: Request<proto::RedeliverWebhookRequest>,
    ) -> Result<Response<proto::RedeliverWebhookResponse>, Status> {
        super::webhooks::redeliver(&self.app, req).await
    }
}

/// One provider's figures: window-bound stats over `[window_start, now]`,
/// volumes over the last hour and day.
fn provider_metrics(
    h: &ProviderHistory,
    window_start: u64,
    hour_ago: u64,
    day_ago: u64,
) -> proto::ProviderMetrics {
    let in_window: Vec<_> = h.calls.iter().filter(|c| c.at_ms >= window_start).collect();
    let checks: Vec<_> = h.checks.iter().filter(|c| c.0 >= window_start).collect();
    let mut latencies: Vec<u64> = in_window.iter().map(|c| c.latency_ms).collect();
    latencies.sort_unstable();
    let pct = |p: f64| -> u64 {
        match latencies.len() {
            0 => 0,
            n => latencies[((n as f64 * p).ceil() as usize).clamp(1, n) - 1],
        }
    };
    let mut errors_by_kind = std::collections::HashMap::new();
    for kind in in_window.iter().filter_map(|c| c.error_kind) {
        *errors_by_kind.entry(kind.to_string()).or_insert(0u64) += 1;
    }
    let ok = in_window.iter().filter(|c| c.error_kind.is_none()).count();
    let issued = |since: u64| {
        h.calls
            .iter()
            .filter(|c| {
                c.at_ms >= since && c.operation == "create_invoice" && c.error_kind.is_none()
            })
            .count() as u64
    };
    let up = checks.iter().filter(|c| c.1).count();
    proto::ProviderMetrics {
        name: h.name.into(),
        uptime_percent: if checks.is_empty() {
            0.0
        } else {
            100.0 * up as f64 / checks.len() as f64
        },
        health_checks: checks.len() as u32,
        calls: in_window.len() as u64,
        success_rate: if in_window.is_empty() {
            0.0
        } else {
            ok as f64 / in_window.len() as f64
        },
        avg_latency_ms: if latencies.is_empty() {
            0.0
        } else {
            latencies.iter().sum::<u64>() as f64 / latencies.len() as f64
        },
        latency_p50_ms: pct(0.50),
        latency_p95_ms: pct(0.95),
        latency_p99_ms: pct(0.99),
        errors_by_kind,
        invoices_last_hour: issued(hour_ago),
        invoices_last_day: issued(day_ago),
    }
}
