//! The webhook RPCs of `lnpayd.v1.Admin`; `admin.rs` delegates here. Types
//! are converted, the work is `crate::webhooks::Webhooks`'.

use std::collections::HashMap;

use tonic::{Code, Request, Response, Status};

use super::convert;
use super::status::{invalid, status};
use crate::app::App;
use crate::domain::EventKind;
use crate::error::Reason;
use crate::proto;
use crate::store::webhooks::{Attempt, Delivery, DeliveryQuery, DeliveryState, DisabledReason};
use crate::time::{from_timestamp, to_timestamp};
use crate::webhooks::{EndpointUpdate, EndpointView, Redeliver, WebhookError};

impl From<WebhookError> for Status {
    fn from(e: WebhookError) -> Status {
        let msg = e.to_string();
        let meta = |k: &str, v: String| HashMap::from([(k.to_string(), v)]);
        match e {
            WebhookError::NotFound(id) => status(
                Code::NotFound,
                Reason::WebhookEndpointNotFound,
                msg,
                meta("endpoint_id", id),
            ),
            WebhookError::DeliveryNotFound { sequence, .. } => status(
                Code::NotFound,
                Reason::WebhookDeliveryNotFound,
                msg,
                meta("sequence", sequence.to_string()),
            ),
            WebhookError::UrlRefused(r) => {
                let mut details = tonic_types::ErrorDetails::with_error_info(
                    r.reason().as_str(),
                    super::status::DOMAIN,
                    meta("field", "url".into()),
                );
                details.add_bad_request_violation("url", r.to_string());
                <Status as tonic_types::StatusExt>::with_error_details(
                    Code::InvalidArgument,
                    msg,
                    details,
                )
            }
            WebhookError::FromConfig(id) => status(
                Code::FailedPrecondition,
                Reason::WebhookEndpointFromConfig,
                msg,
                meta("endpoint_id", id),
            ),
            WebhookError::SecretFile { .. } | WebhookError::Store(_) => {
                tracing::error!(error = %e, "webhooks");
                status(
                    Code::Internal,
                    Reason::StoreError,
                    "internal storage error",
                    HashMap::new(),
                )
            }
        }
    }
}

fn kinds(types: &[i32]) -> Result<Vec<EventKind>, Status> {
    types
        .iter()
        .map(|t| {
            proto::EventType::try_from(*t)
                .ok()
                .and_then(convert::event_kind_from)
                .ok_or_else(|| {
                    invalid(
                        Reason::InvalidEventType,
                        "event_types",
                        format!("{t} is not an event type"),
                    )
                })
        })
        .collect()
}

/// Bounds on what an endpoint stores: a URL browsers would take, a short note.
const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;

fn check_lengths(url: Option<&str>, description: Option<&str>) -> Result<(), Status> {
    if url.is_some_and(|u| u.len() > MAX_URL) {
        return Err(invalid(
            Reason::UrlTooLong,
            "url",
            format!("url is at most {MAX_URL} bytes"),
        ));
    }
    if description.is_some_and(|d| d.len() > MAX_DESCRIPTION) {
        return Err(invalid(
            Reason::DescriptionTooLong,
            "description",
            format!("description is at most {MAX_DESCRIPTION} bytes"),
        ));
    }
    Ok(())
}

fn required_id(id: &str, field: &'static str) -> Result<(), Status> {
    if id.is_empty() {
        return Err(invalid(Reason::IdRequired, field, format!("set {field}")));
    }
    Ok(())
}

fn endpoint(v: EndpointView) -> proto::WebhookEndpoint {
    let ep = v.endpoint;
    proto::WebhookEndpoint {
        id: ep.id,
        url: ep.url,
        event_types: ep
            .event_types
            .into_iter()
            .map(|k| convert::event_kind(k) as i32)
            .collect(),
        description: ep.description,
        enabled: ep.enabled,
        disabled_reason: match ep.disabled_reason {
            Some(DisabledReason::FailingTooLong) => "failing_too_long".into(),
            None => String::new(),
        },
        from_config: ep.from_config,
        created_at: Some(to_timestamp(ep.created_at_ms)),
        updated_at: Some(to_timestamp(ep.updated_at_ms)),
        previous_secret_expires_at: ep.previous_secret.map(|p| to_timestamp(p.valid_until_ms)),
        backlog_seconds: v.backlog_ms / 1000,
        last_error: v.health.last_error.unwrap_or_default(),
        failing_since: v.health.failing_since_ms.map(to_timestamp),
        last_success_at: v.health.last_success_ms.map(to_timestamp),
    }
}

fn state(s: DeliveryState) -> proto::WebhookDeliveryState {
    match s {
        DeliveryState::Pending => proto::WebhookDeliveryState::Pending,
        DeliveryState::Delivered => proto::WebhookDeliveryState::Delivered,
        DeliveryState::Failed => proto::WebhookDeliveryState::Failed,
    }
}

fn delivery(d: Delivery, attempts: Vec<Attempt>) -> proto::WebhookDelivery {
    proto::WebhookDelivery {
        webhook_id: crate::webhooks::signing::message_id(&d.endpoint_id, d.sequence),
        endpoint_id: d.endpoint_id,
        sequence: d.sequence,
        event_type: convert::event_kind(d.kind) as i32,
        invoice_id: d.invoice_id,
        state: state(d.state) as i32,
        next_attempt_at: d.next_attempt_at_ms.map(to_timestamp),
        attempts: attempts
            .into_iter()
            .map(|a| proto::WebhookAttempt {
                number: a.number,
                at: Some(to_timestamp(a.at_ms)),
                http_status: a.outcome.http_status().map_or(0, u32::from),
                error: if a.outcome.is_success() {
                    String::new()
                } else {
                    a.outcome.describe()
                },
                duration_ms: a.duration_ms,
                next_attempt_at: a.next_attempt_at_ms.map(to_timestamp),
            })
            .collect(),
    }
}

pub async fn create(
    app: &App,
    req: Request<proto::CreateWebhookEndpointRequest>,
) -> Result<Response<proto::CreateWebhookEndpointResponse>, Status> {
    let r = req.into_inner();
    if r.url.is_empty() {
        return Err(invalid(Reason::UrlRequired, "url", "set url"));
    }
    check_lengths(Some(&r.url), Some(&r.description))?;
    let ep = app
        .webhooks()
        .create(r.url, kinds(&r.event_types)?, r.description)
        .await?;
    let secret = ep.secret.expose().to_string();
    let view = app.webhooks().get(&ep.id)?;
    Ok(Response::new(proto::CreateWebhookEndpointResponse {
        endpoint: Some(endpoint(view)),
        secret,
    }))
}

pub async fn list(
    app: &App,
    _req: Request<proto::ListWebhookEndpointsRequest>,
) -> Result<Response<proto::ListWebhookEndpointsResponse>, Status> {
    let endpoints = app.webhooks().list()?.into_iter().map(endpoint).collect();
    Ok(Response::new(proto::ListWebhookEndpointsResponse {
        endpoints,
    }))
}

pub async fn get(
    app: &App,
    req: Request<proto::GetWebhookEndpointRequest>,
) -> Result<Response<proto::WebhookEndpoint>, Status> {
    let r = req.into_inner();
    required_id(&r.id, "id")?;
    Ok(Response::new(endpoint(app.webhooks().get(&r.id)?)))
}

pub async fn update(
    app: &App,
    req: Request<proto::UpdateWebhookEndpointRequest>,
) -> Result<Response<proto::WebhookEndpoint>, Status> {
    let r = req.into_inner();
    required_id(&r.id, "id")?;
    check_lengths(r.url.as_deref(), r.description.as_deref())?;
    let change = EndpointUpdate {
        url: r.url,
        event_types: r.event_types.map(|t| kinds(&t.types)).transpose()?,
        enabled: r.enabled,
        description: r.description,
    };
    Ok(Response::new(endpoint(
        app.webhooks().update(&r.id, change).await?,
    )))
}

pub async fn delete(
    app: &App,
    req: Request<proto::DeleteWebhookEndpointRequest>,
) -> Result<Response<proto::DeleteWebhookEndpointResponse>, Status> {
    let r = req.into_inner();
    required_id(&r.id, "id")?;
    app.webhooks().delete(&r.id).await?;
    Ok(Response::new(proto::DeleteWebhookEndpointResponse {}))
}

pub async fn rotate(
    app: &App,
    req: Request<proto::RotateWebhookSecretRequest>,
) -> Result<Response<proto::RotateWebhookSecretResponse>, Status> {
    let r = req.into_inner();
    required_id(&r.id, "id")?;
    let ep = app.webhooks().rotate(&r.id).await?;
    let secret = ep.secret.expose().to_string();
    Ok(Response::new(proto::RotateWebhookSecretResponse {
        endpoint: Some(endpoint(app.webhooks().get(&ep.id)?)),
        secret,
    }))
}

pub async fn deliveries(
    app: &App,
    req: Request<proto::ListWebhookDeliveriesRequest>,
) -> Result<Response<proto::ListWebhookDeliveriesResponse>, Status> {
    let r = req.into_inner();
    let limit = match r.page_size {
        0 => 50,
        n if n > 500 => {
            return Err(invalid(
                Reason::PageSizeTooLarge,
                "page_size",
                "page_size is at most 500",
            ))
        }
        n => n as usize,
    };
    let before = match r.page_token.as_str() {
        "" => None,
        t => match hex::decode(t) {
            Ok(k) if k.starts_with(b"d/") => Some(k),
            _ => {
                return Err(invalid(
                    Reason::InvalidPageToken,
                    "page_token",
                    "page_token is not one this server issued",
                ))
            }
        },
    };
    let state = match proto::WebhookDeliveryState::try_from(r.state) {
        Ok(proto::WebhookDeliveryState::Unspecified) => None,
        Ok(proto::WebhookDeliveryState::Pending) => Some(DeliveryState::Pending),
        Ok(proto::WebhookDeliveryState::Delivered) => Some(DeliveryState::Delivered),
        Ok(proto::WebhookDeliveryState::Failed) => Some(DeliveryState::Failed),
        Err(_) => {
            return Err(invalid(
                Reason::InvalidDeliveryState,
                "state",
                format!("{} is not a delivery state", r.state),
            ))
        }
    };
    let query = DeliveryQuery {
        endpoint_id: Some(r.endpoint_id).filter(|s| !s.is_empty()),
        sequence: Some(r.sequence).filter(|s| *s > 0),
        invoice_id: Some(r.invoice_id).filter(|s| !s.is_empty()),
        state,
        before,
        limit,
    };
    let (page, next) = app.webhooks().deliveries(&query)?;
    Ok(Response::new(proto::ListWebhookDeliveriesResponse {
        deliveries: page.into_iter().map(|(d, a)| delivery(d, a)).collect(),
        next_page_token: next.map(hex::encode).unwrap_or_default(),
    }))
}

pub async fn redeliver(
    app: &App,
    req: Request<proto::RedeliverWebhookRequest>,
) -> Result<Response<proto::RedeliverWebhookResponse>, Status> {
    use proto::redeliver_webhook_request::Target;
    let r = req.into_inner();
    required_id(&r.endpoint_id, "endpoint_id")?;
    let what = match r.target {
        Some(Target::Sequence(seq)) if seq > 0 => Redeliver::One(seq),
        Some(Target::FailedSince(t)) => {
            Redeliver::FailedSince(from_timestamp(&t).ok_or_else(|| {
                invalid(
                    Reason::InvalidTimestamp,
                    "failed_since",
                    "failed_since is before 1970",
                )
            })?)
        }
        _ => {
            return Err(invalid(
                Reason::TargetRequired,
                "target",
                "set sequence (above 0) or failed_since",
            ))
        }
    };
    let n = app.webhooks().redeliver(&r.endpoint_id, what).await?;
    Ok(Response::new(proto::RedeliverWebhookResponse {
        scheduled: n as u32,
    }))
}

/// GetStatus' webhook lines.
pub fn statuses(app: &App) -> Vec<proto::WebhookEndpointStatus> {
    match app.webhooks().list() {
        Ok(views) => views
            .into_iter()
            .map(|v| proto::WebhookEndpointStatus {
                id: v.endpoint.id,
                enabled: v.endpoint.enabled,
                backlog_seconds: v.backlog_ms / 1000,
                last_error: v.health.last_error.unwrap_or_default(),
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "webhook status unavailable");
            Vec::new()
        }
    }
}
