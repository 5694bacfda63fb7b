//! The `lnpayd.v1.Invoices` service: request parsing and type conversion only.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

use super::auth::Role;
use super::convert;
use super::request_id;
use super::status::{for_role, invalid};
use crate::app::{App, Lookup};
use crate::domain::CreateParams;
use crate::error::Reason;
use crate::events::EventFilter;
use crate::proto::{self, create_invoice_request as create, get_invoice_request as get};
use crate::store::ListQuery;
use crate::time::from_timestamp;

const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 500;
const DEFAULT_WAIT: Duration = Duration::from_secs(60);
const MAX_WAIT: Duration = Duration::from_secs(3600);

pub struct InvoicesApi {
    pub app: Arc<App>,
}

impl InvoicesApi {
    pub(super) fn links(&self) -> &crate::checkout::Links {
        &self.app.commerce().links
    }

    /// Opens the event stream a `SubscribeEvents` request asks for.
    pub(super) fn open_events(
        &self,
        r: proto::SubscribeEventsRequest,
    ) -> Result<crate::events::Subscription, Status> {
        let mut kinds = Vec::with_capacity(r.types.len());
        for t in &r.types {
            match proto::EventType::try_from(*t)
                .ok()
                .and_then(convert::event_kind_from)
            {
                Some(k) => kinds.push(k),
                None => {
                    return Err(invalid(
                        Reason::InvalidEventType,
                        "types",
                        format!("unknown event type {t}"),
                    ))
                }
            }
        }
        let filter = EventFilter {
            kinds,
            invoice_id: Some(r.invoice_id).filter(|s| !s.is_empty()),
        };
        Ok(self.app.subscribe(r.after_sequence, filter)?)
    }
}

fn required_id(id: String) -> Result<String, Status> {
    if id.is_empty() {
        return Err(invalid(Reason::IdRequired, "id", "set id"));
    }
    Ok(id)
}

/// The role the auth interceptor found for the caller's token.
fn role<T>(req: &Request<T>) -> Option<Role> {
    req.extensions().get::<Role>().copied()
}

/// The client's gRPC deadline (`grpc-timeout`), if it sent one.
fn client_deadline<T>(req: &Request<T>) -> Option<Duration> {
    let v = req.metadata().get("grpc-timeout")?.to_str().ok()?;
    let (n, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    // The client's number: a value too large for a Duration is no deadline.
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

type EventStream = Pin<Box<dyn Stream<Item = Result<proto::Event, Status>> + Send>>;

#[tonic::async_trait]
impl proto::invoices_server::Invoices for InvoicesApi {
    async fn create_invoice(
        &self,
        req: Request<proto::CreateInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        let rid = request_id(&req);
        let role = role(&req);
        let r = req.into_inner();
        let mut p = CreateParams {
            expiry_secs: r.expiry_seconds,
            metadata: r.metadata,
            idempotency_key: r.idempotency_key,
            external_ref: r.external_ref,
            customer_email: r.customer_email,
            product_id: r.product_id,
            quantity: r.quantity,
            success_url: (!r.success_url.is_empty()).then_some(r.success_url),
            ..Default::default()
        };
        match r.amount {
            Some(create::Amount::AmountSat(v)) => p.amount_sat = Some(v),
            Some(create::Amount::AmountMsat(v)) => p.amount_msat = Some(v),
            None => {}
        }
        match r.memo {
            Some(create::Memo::Description(d)) => p.description = Some(d),
            Some(create::Memo::DescriptionHash(h)) => p.description_hash = Some(h),
            None => {}
        }
        let inv = self
            .app
            .create_invoice(p, rid)
            .await
            .map_err(|e| for_role(e, role))?;
        Ok(Response::new(convert::invoice(inv, self.links())))
    }

    async fn get_invoice(
        &self,
        req: Request<proto::GetInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        let lookup = match req.into_inner().lookup {
            Some(get::Lookup::Id(v)) if !v.is_empty() => Lookup::Id(v),
            Some(get::Lookup::PaymentHash(v)) if !v.is_empty() => Lookup::PaymentHash(v),
            Some(get::Lookup::ExternalRef(v)) if !v.is_empty() => Lookup::ExternalRef(v),
            _ => {
                return Err(invalid(
                    Reason::LookupRequired,
                    "lookup",
                    "set one of id, payment_hash or external_ref",
                ))
            }
        };
        Ok(Response::new(convert::invoice(
            self.app.get_invoice(&lookup)?,
            self.links(),
        )))
    }

    async fn list_invoices(
        &self,
        req: Request<proto::ListInvoicesRequest>,
    ) -> Result<Response<proto::ListInvoicesResponse>, Status> {
        let r = req.into_inner();
        let page_size = match r.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n > MAX_PAGE_SIZE => {
                return Err(invalid(
                    Reason::PageSizeTooLarge,
                    "page_size",
                    format!("page_size is at most {MAX_PAGE_SIZE}"),
                ))
            }
            n => n,
        };
        let before_id = match r.page_token.as_str() {
            "" => None,
            t if is_invoice_id(t) => Some(t.to_string()),
            _ => {
                return Err(invalid(
                    Reason::InvalidPageToken,
                    "page_token",
                    "page_token is not one this server issued",
                ))
            }
        };
        let status = proto::InvoiceStatus::try_from(r.status).map_err(|_| {
            invalid(
                Reason::InvalidStatus,
                "status",
                format!("unknown status {}", r.status),
            )
        })?;
        let bad_time = |field| {
            invalid(
                Reason::InvalidTimestamp,
                field,
                format!("{field} is before 1970"),
            )
        };
        let created_after_ms = r
            .created_after
            .map(|t| from_timestamp(&t).ok_or_else(|| bad_time("created_after")))
            .transpose()?;
        let created_before_ms = r
            .created_before
            .map(|t| from_timestamp(&t).ok_or_else(|| bad_time("created_before")))
            .transpose()?;
        let query = ListQuery {
            status: convert::status_from(status),
            created_after_ms,
            created_before_ms,
            before_id,
            limit: page_size as usize,
        };
        let (invoices, more) = self.app.list_invoices(&query)?;
        let next_page_token = match (more, invoices.last()) {
            (true, Some(last)) => last.id.clone(),
            _ => String::new(),
        };
        Ok(Response::new(proto::ListInvoicesResponse {
            invoices: invoices
                .into_iter()
                .map(|i| convert::invoice(i, self.links()))
                .collect(),
            next_page_token,
        }))
    }

    async fn cancel_invoice(
        &self,
        req: Request<proto::CancelInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        let rid = request_id(&req);
        let role = role(&req);
        let id = required_id(req.into_inner().id)?;
        let inv = self
            .app
            .cancel_invoice(&id, rid)
            .await
            .map_err(|e| for_role(e, role))?;
        Ok(Response::new(convert::invoice(inv, self.links())))
    }

    async fn wait_invoice(
        &self,
        req: Request<proto::WaitInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        // Answer just before the client's deadline, so it gets the invoice
        // (still pending) rather than DEADLINE_EXCEEDED.
        let client = client_deadline(&req)
            .map(|d| d.saturating_sub((d / 10).min(Duration::from_millis(250))));
        let r = req.into_inner();
        let asked = match r.timeout_seconds {
            0 => None,
            s => Some(Duration::from_secs(s.into()).min(MAX_WAIT)),
        };
        let wait = match (asked, client) {
            (Some(a), Some(c)) => a.min(c),
            (Some(a), None) => a,
            (None, Some(c)) => c.min(MAX_WAIT),
            (None, None) => DEFAULT_WAIT,
        };
        let id = required_id(r.id)?;
        let deadline = tokio::time::Instant::now() + wait;
        Ok(Response::new(convert::invoice(
            self.app.wait_invoice(&id, deadline).await?,
            self.links(),
        )))
    }

    type SubscribeEventsStream = EventStream;

    /// Served by `event_stream::SharedEvents`, which encodes each event once
    /// for all streams; this one is the plain form of the same stream.
    async fn subscribe_events(
        &self,
        req: Request<proto::SubscribeEventsRequest>,
    ) -> Result<Response<Self::SubscribeEventsStream>, Status> {
        let events = self.open_events(req.into_inner())?;
        let links = self.links().clone();
        let stream = events.map(move |item| {
            item.map(|e| convert::event(Arc::unwrap_or_clone(e), &links))
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

fn is_invoice_id(s: &str) -> bool {
    s.len() == 36
        && s.starts_with("inv_")
        && s[4..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_grpc_timeout_is_no_deadline_and_no_panic() {
        let mut req = Request::new(());
        let deadline = |req: &mut Request<()>, v: &'static str| {
            req.metadata_mut()
                .insert("grpc-timeout", v.parse().unwrap());
            client_deadline(req)
        };
        assert_eq!(deadline(&mut req, "2S"), Some(Duration::from_secs(2)));
        assert_eq!(deadline(&mut req, "18446744073709551615H"), None);
        assert_eq!(deadline(&mut req, "18446744073709551615M"), None);
        assert_eq!(deadline(&mut req, "99999999999999999999S"), None);
    }
}
