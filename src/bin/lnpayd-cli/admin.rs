//! The Admin service's RPCs: status, metrics, audit, simulate, products and
//! the webhook endpoints.

use lnpayd::proto::{self, redeliver_webhook_request::Target as Redeliver};

use crate::args::{event_types, Audit, Deliveries, ProviderMetrics, Simulate, Webhooks};
use crate::connect::Target;
use crate::exit::CliError;
use crate::output::print;
use crate::Ctx;

pub async fn status(ctx: &Ctx, target: &Target) -> Result<(), CliError> {
    let req = proto::GetStatusRequest {};
    let resp = target.admin().await?.get_status(req).await?.into_inner();
    print(ctx.format, &resp, "lnpayd.v1.GetStatusResponse")?;
    Ok(())
}

pub async fn provider_metrics(
    ctx: &Ctx,
    target: &Target,
    a: ProviderMetrics,
) -> Result<(), CliError> {
    let req = proto::GetProviderMetricsRequest {
        window_seconds: a.window_seconds,
    };
    let resp = target.admin().await?.get_provider_metrics(req).await?;
    print(
        ctx.format,
        &resp.into_inner(),
        "lnpayd.v1.GetProviderMetricsResponse",
    )?;
    Ok(())
}

pub async fn audit(ctx: &Ctx, target: &Target, a: Audit) -> Result<(), CliError> {
    let req = proto::ListAuditLogRequest {
        invoice_id: a.invoice_id,
        provider: a.provider,
        since: a.since,
        until: a.until,
        page_size: a.page_size,
        page_token: a.page_token,
    };
    let resp = target
        .admin()
        .await?
        .list_audit_log(req)
        .await?
        .into_inner();
    print(ctx.format, &resp, "lnpayd.v1.ListAuditLogResponse")?;
    Ok(())
}

pub async fn simulate(ctx: &Ctx, target: &Target, a: Simulate) -> Result<(), CliError> {
    let req = proto::SimulatePaymentRequest {
        id: a.id,
        amount_msat: a.amount_msat,
    };
    let inv = target
        .admin()
        .await?
        .simulate_payment(req)
        .await?
        .into_inner();
    print(ctx.format, &inv, "lnpayd.v1.Invoice")?;
    Ok(())
}

pub async fn products(ctx: &Ctx, target: &Target) -> Result<(), CliError> {
    let req = proto::ListProductsRequest {};
    let resp = target.admin().await?.list_products(req).await?.into_inner();
    print(ctx.format, &resp, "lnpayd.v1.ListProductsResponse")?;
    Ok(())
}

pub async fn webhooks(ctx: &Ctx, target: &Target, cmd: Webhooks) -> Result<(), CliError> {
    let mut admin = target.admin().await?;
    let f = ctx.format;
    match cmd {
        Webhooks::Create {
            url,
            event_types: types,
            description,
        } => {
            let req = proto::CreateWebhookEndpointRequest {
                url,
                event_types: event_types(&types),
                description,
            };
            let resp = admin.create_webhook_endpoint(req).await?.into_inner();
            print(f, &resp, "lnpayd.v1.CreateWebhookEndpointResponse")?;
        }
        Webhooks::List => {
            let req = proto::ListWebhookEndpointsRequest {};
            let resp = admin.list_webhook_endpoints(req).await?.into_inner();
            print(f, &resp, "lnpayd.v1.ListWebhookEndpointsResponse")?;
        }
        Webhooks::Get(a) => {
            let req = proto::GetWebhookEndpointRequest { id: a.id };
            let resp = admin.get_webhook_endpoint(req).await?.into_inner();
            print(f, &resp, "lnpayd.v1.WebhookEndpoint")?;
        }
        Webhooks::Update(a) => {
            // Only what is given is set: an unset field keeps the endpoint's value.
            let types = (a.all_event_types || !a.event_types.is_empty()).then(|| {
                proto::WebhookEventTypes {
                    types: event_types(&a.event_types),
                }
            });
            let req = proto::UpdateWebhookEndpointRequest {
                id: a.id,
                url: a.url,
                event_types: types,
                enabled: a.enabled,
                description: a.description,
            };
            let resp = admin.update_webhook_endpoint(req).await?.into_inner();
            print(f, &resp, "lnpayd.v1.WebhookEndpoint")?;
        }
        Webhooks::Delete(a) => {
            let req = proto::DeleteWebhookEndpointRequest { id: a.id };
            let resp = admin.delete_webhook_endpoint(req).await?.into_inner();
            print(f, &resp, "lnpayd.v1.DeleteWebhookEndpointResponse")?;
        }
        Webhooks::RotateSecret(a) => {
            let req = proto::RotateWebhookSecretRequest { id: a.id };
            let resp = admin.rotate_webhook_secret(req).await?.into_inner();
            print(f, &resp, "lnpayd.v1.RotateWebhookSecretResponse")?;
        }
        Webhooks::Deliveries(a) => deliveries(ctx, &mut admin, a).await?,
        Webhooks::Redeliver(a) => {
            let target = match (a.sequence, a.failed_since) {
                (Some(seq), _) => Redeliver::Sequence(seq),
                (None, Some(t)) => Redeliver::FailedSince(t),
                // clap's group requires one of the two.
                (None, None) => {
                    return Err(CliError::Usage("give --sequence or --failed-since".into()))
                }
            };
            let req = proto::RedeliverWebhookRequest {
                endpoint_id: a.endpoint_id,
                target: Some(target),
            };
            let resp = admin.redeliver_webhook(req).await?.into_inner();
            print(f, &resp, "lnpayd.v1.RedeliverWebhookResponse")?;
        }
    }
    Ok(())
}

async fn deliveries(
    ctx: &Ctx,
    admin: &mut crate::connect::Admin,
    a: Deliveries,
) -> Result<(), CliError> {
    let state = a
        .state
        .map_or(proto::WebhookDeliveryState::Unspecified, Into::into);
    let req = proto::ListWebhookDeliveriesRequest {
        endpoint_id: a.endpoint_id,
        sequence: a.sequence,
        invoice_id: a.invoice_id,
        state: state as i32,
        page_size: a.page_size,
        page_token: a.page_token,
    };
    let resp = admin.list_webhook_deliveries(req).await?.into_inner();
    print(ctx.format, &resp, "lnpayd.v1.ListWebhookDeliveriesResponse")?;
    Ok(())
}
