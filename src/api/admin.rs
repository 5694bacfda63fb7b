//! The `lnpayd.v1.Admin` service.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert;
use super::status::invalid;
use crate::app::App;
use crate::error::Reason;
use crate::proto;
use crate::store::{AuditCursor, AuditQuery};
use crate::time::from_timestamp;

pub struct AdminApi {
    pub app: Arc<App>,
}

#[tonic::async_trait]
impl proto::admin_server::Admin for AdminApi {
    async fn get_status(
        &self,
        _req: Request<proto::GetStatusRequest>,
    ) -> Result<Response<proto::GetStatusResponse>, Status> {
        let mut status =
            convert::daemon_status(self.app.status(), self.app.commerce().rates.health());
        status.webhooks = super::webhooks::statuses(&self.app);
        Ok(Response::new(status))
    }

    async fn simulate_payment(
        &self,
        req: Request<proto::SimulatePaymentRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        let r = req.into_inner();
        if r.id.is_empty() {
            return Err(invalid(Reason::IdRequired, "id", "set id"));
        }
        let inv = self.app.simulate_payment(&r.id, r.amount_msat).await?;
        Ok(Response::new(convert::invoice(
            inv,
            &self.app.commerce().links,
        )))
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
                    Reason::PageSizeTooLarge,
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
                        Reason::InvalidPageToken,
                        "page_token",
                        "page_token is not one this server issued",
                    ))
                }
            },
        };
        let bad_time = |field| {
            invalid(
                Reason::InvalidTimestamp,
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
        let (page, more) = self.app.audit_page(&query)?;
        let next_page_token = match (more, page.last()) {
            (true, Some((cursor, _))) => hex::encode(&cursor.0),
            _ => String::new(),
        };
        let entries = page
            .into_iter()
            .map(|(_, e)| convert::audit_entry(e))
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
        let providers = self
            .app
            .provider_figures(window)
            .into_iter()
            .map(convert::provider_figures)
            .collect();
        Ok(Response::new(proto::GetProviderMetricsResponse {
            window_seconds: window,
            providers,
        }))
    }

    async fn list_products(
        &self,
        _req: Request<proto::ListProductsRequest>,
    ) -> Result<Response<proto::ListProductsResponse>, Status> {
        let products = self.app.commerce().catalog.list();
        Ok(Response::new(proto::ListProductsResponse {
            products: products.into_iter().map(convert::product).collect(),
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
