//! A tower layer giving every RPC a request id: the client's `x-request-id`
//! when it sent a sane one, a fresh UUID otherwise. It is put back into the
//! request (handlers and the audit log read it), returned in the response
//! headers, and carried by the RPC's tracing span, whose closing line gives
//! the method, status and duration.

use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderValue, Request, Response};
use tower::{Layer, Service};
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

#[derive(Clone, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestId<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestId { inner }
    }
}

#[derive(Clone)]
pub struct RequestId<S> {
    inner: S,
}

fn sane(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty() && b.len() <= 128 && b.iter().all(|c| c.is_ascii_graphic())
}

impl<S, B, RB> Service<Request<B>> for RequestId<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Send + Clone + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let id = match req.headers().get(HEADER).filter(|v| sane(v)) {
            Some(v) => v.clone(),
            None => {
                let v = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                    .expect("a UUID is a valid header");
                req.headers_mut().insert(HEADER, v.clone());
                v
            }
        };
        let method = req.uri().path().to_string();
        let span =
            tracing::info_span!("rpc", %method, request_id = %id.to_str().unwrap_or_default());
        // Take the service that was polled ready, leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(
            async move {
                let started = Instant::now();
                let mut resp = inner.call(req).await?;
                resp.headers_mut().insert(HEADER, id);
                let status = resp
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("stream");
                tracing::debug!(
                    grpc_status = status,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "rpc done"
                );
                Ok(resp)
            }
            .instrument(span),
        )
    }
}
