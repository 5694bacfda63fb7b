//! The checkout listener: `GET /pay/{invoice id}`, its live status as
//! server-sent events at `/pay/{id}/events` (fed from the event log, like
//! SubscribeEvents), the page's own stylesheet and script, and the
//! providers' inbound webhooks, `POST /{provider}/webhook/…` (DazNode's).
//! Nothing else: no listing, no other lookup, and an unknown id is a bare 404.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, RateLimiter};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::page;
use crate::app::{App, Lookup};
use crate::config::Quota;
use crate::domain::InvoiceStatus;
use crate::error::Error;
use crate::events::EventFilter;
use crate::providers::InboundWebhook;

type Body = UnsyncBoxBody<Bytes, Infallible>;

const KEEPALIVE: Duration = Duration::from_secs(15);
/// A webhook body larger than this is refused unread: LNbits' Payment,
/// JSON-encoded twice, is a few kB.
const HOOK_BODY_MAX: usize = 64 * 1024;
/// A webhook body that takes longer than this to arrive is dropped.
const HOOK_BODY_WAIT: Duration = Duration::from_secs(10);

/// Scripts and styles from this origin only, no inline code, no framing, no
/// forms, no plugins: the page needs nothing more.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

fn respond(status: StatusCode, content_type: &str, body: Body) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("content-security-policy", CSP)
        .header("x-content-type-options", "nosniff")
        .header("x-frame-options", "DENY")
        .header("referrer-policy", "no-referrer")
        .header("cross-origin-opener-policy", "same-origin")
        .header("cross-origin-resource-policy", "same-origin")
        .header(
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        )
        .header("cache-control", "no-store")
        .body(body)
        .expect("static headers are valid")
}

fn full(s: impl Into<Bytes>) -> Body {
    Full::new(s.into()).boxed_unsync()
}

fn not_found() -> Response<Body> {
    respond(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        full("Not found\n"),
    )
}

/// `inv_` and 32 lowercase hex digits: anything else is not looked up at all.
fn invoice_id(s: &str) -> Option<&str> {
    let hex = s.strip_prefix("inv_")?;
    (hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(s)
}

fn status_frame(s: InvoiceStatus) -> Result<Frame<Bytes>, Infallible> {
    Ok(Frame::data(Bytes::from(format!(
        "event: status\ndata: {}\n\n",
        page::status_name(s)
    ))))
}

/// A provider's inbound webhook, by the provider's name (the path's first segment).
pub type Hooks = Vec<(&'static str, Arc<dyn InboundWebhook>)>;

struct Checkout {
    app: Arc<App>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    hooks: Hooks,
}

impl Checkout {
    /// The hook and the rest of the path, for `/{provider}/webhook/{rest}`.
    fn hook_for<'a>(&self, path: &'a str) -> Option<(&dyn InboundWebhook, &'a str)> {
        let (name, rest) = path.strip_prefix('/')?.split_once("/webhook/")?;
        let (_, hook) = self.hooks.iter().find(|(n, _)| *n == name)?;
        Some((&**hook, rest))
    }

    /// A provider's webhook: 404 unless the URL is one it handed out (the
    /// body unread), else 200 as soon as the body is in; the call is a hint
    /// the provider's watcher confirms. Not under the per-IP limit: the
    /// provider calls from one address, and a refused call is never
    /// retried; a call without a valid token costs one HMAC.
    async fn hook(
        &self,
        hook: &dyn InboundWebhook,
        rest: &str,
        req: Request<hyper::body::Incoming>,
    ) -> Response<Body> {
        if req.method() != Method::POST || !hook.knows(rest) {
            return not_found();
        }
        let limited = http_body_util::Limited::new(req.into_body(), HOOK_BODY_MAX);
        let body = match tokio::time::timeout(HOOK_BODY_WAIT, limited.collect()).await {
            Ok(Ok(b)) => b.to_bytes(),
            Ok(Err(_)) => {
                return respond(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain; charset=utf-8",
                    full("Too large\n"),
                )
            }
            Err(_) => {
                return respond(
                    StatusCode::REQUEST_TIMEOUT,
                    "text/plain; charset=utf-8",
                    full("Too slow\n"),
                )
            }
        };
        hook.receive(rest, &body);
        respond(StatusCode::OK, "text/plain; charset=utf-8", full("ok\n"))
    }

    async fn handle(&self, req: Request<hyper::body::Incoming>, ip: IpAddr) -> Response<Body> {
        let path = req.uri().path().to_owned();
        if let Some((hook, rest)) = self.hook_for(&path) {
            return self.hook(hook, rest, req).await;
        }
        if let Some(limiter) = &self.per_ip {
            if let Err(not_until) = limiter.check_key(&ip) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                crate::metrics::metrics().rate_limited("checkout");
                let mut r = respond(
                    StatusCode::TOO_MANY_REQUESTS,
                    "text/plain; charset=utf-8",
                    full("Too many requests\n"),
                );
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                r.headers_mut().insert(
                    "retry-after",
                    secs.max(1).to_string().parse().expect("digits"),
                );
                return r;
            }
        }
        if req.method() != Method::GET {
            return not_found();
        }
        let path = req.uri().path();
        match path {
            "/assets/checkout.css" => {
                return respond(StatusCode::OK, "text/css; charset=utf-8", full(page::CSS))
            }
            "/assets/checkout.js" => {
                return respond(
                    StatusCode::OK,
                    "text/javascript; charset=utf-8",
                    full(page::JS),
                )
            }
            _ => {}
        }
        let Some(rest) = path.strip_prefix("/pay/") else {
            return not_found();
        };
        let (id, events) = match rest.strip_suffix("/events") {
            Some(id) => (id, true),
            None => (rest, false),
        };
        let Some(id) = invoice_id(id) else {
            return not_found();
        };
        // Taken before the invoice is read: an event after it is then
        // either in what we read or delivered by the subscription.
        let after = self.app.status().last_event_sequence;
        let inv = match self.app.get_invoice(&Lookup::Id(id.into())) {
            Ok(inv) => inv,
            Err(Error::NotFound(_)) => return not_found(),
            Err(e) => {
                tracing::error!(error = %e, "checkout page: cannot read the invoice");
                return respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain; charset=utf-8",
                    full("Please retry\n"),
                );
            }
        };
        if !events {
            let html = page::render(&inv, &self.app.commerce().links);
            return respond(StatusCode::OK, "text/html; charset=utf-8", full(html));
        }
        self.events(id, inv.status, after)
    }

    /// `event: status` with the status name, now and on every change, until
    /// the invoice leaves PENDING.
    fn events(&self, id: &str, now: InvoiceStatus, after: u64) -> Response<Body> {
        let first = futures::stream::once(async move { status_frame(now) });
        let live = if now == InvoiceStatus::Pending {
            let filter = EventFilter {
                kinds: Vec::new(),
                invoice_id: Some(id.to_string()),
            };
            match self.app.subscribe(after, filter) {
                // Up to and including the first final status. An error ends
                // the stream: EventSource reconnects and reads the state again.
                // A comment every KEEPALIVE keeps proxies from closing an idle stream.
                Ok(rx) => futures::stream::unfold(Some(rx), |rx| async move {
                    let mut rx = rx?;
                    tokio::select! {
                        e = rx.recv() => match e {
                            Some(Ok(e)) => {
                                let s = e.invoice.status;
                                Some((status_frame(s), (s == InvoiceStatus::Pending).then_some(rx)))
                            }
                            _ => None,
                        },
                        _ = tokio::time::sleep(KEEPALIVE) => {
                            Some((Ok(Frame::data(Bytes::from_static(b": keepalive\n\n"))), Some(rx)))
                        }
                    }
                })
                .boxed(),
                Err(_) => futures::stream::empty().boxed(),
            }
        } else {
            futures::stream::empty().boxed()
        };
        respond(
            StatusCode::OK,
            "text/event-stream",
            StreamBody::new(first.chain(live)).boxed_unsync(),
        )
    }
}

/// Serves the checkout page until shutdown; every connection is a tracked task.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    per_ip: Option<Quota>,
    hooks: Hooks,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    let checkout = Arc::new(Checkout {
        app,
        per_ip: per_ip.map(|q| RateLimiter::keyed(crate::api::rate_limit::quota(q))),
        hooks,
    });
    let mut forget = tokio::time::interval(Duration::from_secs(60));
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = forget.tick() => {
                // Keys whose bucket is full again carry no state worth keeping.
                if let Some(l) = &checkout.per_ip {
                    l.retain_recent();
                }
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "checkout listener accept failed");
                    continue;
                }
            },
        };
        let (checkout, shutdown) = (checkout.clone(), shutdown.clone());
        tasks.spawn(async move {
            let svc = service_fn(move |req| {
                let checkout = checkout.clone();
                async move { Ok::<_, Infallible>(checkout.handle(req, peer.ip()).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.cancelled() => conn.as_mut().graceful_shutdown(),
            }
        });
    }
}
