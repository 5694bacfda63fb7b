//! `SubscribeEvents` served with each event encoded once. A payment that
//! 10,000 streams wait for would otherwise be cloned, converted and
//! protobuf-encoded 10,000 times; here the first stream to send it encodes
//! it, and every other one sends the same bytes (a reference count, no copy
//! until tonic frames it). The generated route for the method stays in
//! `InvoicesServer` but is never reached: this service answers its path
//! and hands every other path to the generated one, inside the same
//! interceptor (auth, rate limits).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use prost::bytes::{BufMut, Bytes};
use prost::Message;
use tokio_stream::StreamExt;
use tonic::body::Body;
use tonic::codec::{BufferSettings, Codec, EncodeBuf, Encoder, ProstCodec};
use tonic::server::{NamedService, ServerStreamingService};
use tonic::{Request, Response, Status};

use super::convert;
use super::invoices::InvoicesApi;
use crate::checkout::Links;
use crate::domain::Event;
use crate::proto;

const PATH: &str = "/lnpayd.v1.Invoices/SubscribeEvents";
/// Encoded events kept for the streams that have not sent them yet: the
/// live ones send an event within a few dispatches of each other.
const RECENT: usize = 512;
/// A stream's first encode buffer. tonic's default (8 KiB) is most of an
/// idle stream's memory; an event is well under 1 KiB and the buffer grows
/// when a catch-up batch needs more.
const STREAM_BUFFER: usize = 1024;
/// tonic's default: a batch of this much is handed to h2 at once.
const YIELD_THRESHOLD: usize = 32 * 1024;

/// An event as it goes on the wire: a `lnpayd.v1.Event` message, encoded.
pub struct EncodedEvent(Bytes);

/// The invoices service, with `SubscribeEvents` answered by [`Subscribe`].
#[derive(Clone)]
pub struct SharedEvents<S> {
    inner: S,
    subscribe: Subscribe,
}

impl<S> SharedEvents<S> {
    pub fn new(inner: S, api: Arc<InvoicesApi>) -> Self {
        let subscribe = Subscribe {
            api,
            recent: Arc::default(),
        };
        Self { inner, subscribe }
    }
}

impl<S: NamedService> NamedService for SharedEvents<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for SharedEvents<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        if req.uri().path() != PATH {
            return Box::pin(self.inner.call(req));
        }
        let method = self.subscribe.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(SharedCodec);
            Ok(grpc.server_streaming(method, req).await)
        })
    }
}

#[derive(Clone)]
struct Subscribe {
    api: Arc<InvoicesApi>,
    recent: Arc<Recent>,
}

type EncodedStream = futures::stream::BoxStream<'static, Result<EncodedEvent, Status>>;

impl ServerStreamingService<proto::SubscribeEventsRequest> for Subscribe {
    type Response = EncodedEvent;
    type ResponseStream = EncodedStream;
    type Future = BoxFuture<'static, Result<Response<EncodedStream>, Status>>;

    fn call(&mut self, req: Request<proto::SubscribeEventsRequest>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let events = this.api.open_events(req.into_inner())?;
            let links = this.api.links().clone();
            let stream = events.map(move |item| match item {
                Ok(e) => Ok(EncodedEvent(this.recent.encoded(&e, &links))),
                Err(e) => Err(Status::from(e)),
            });
            Ok(Response::new(Box::pin(stream) as EncodedStream))
        })
    }
}

/// The newest encoded events, by sequence (a sequence names one event for
/// good, so an entry never goes stale).
#[derive(Default)]
struct Recent(Mutex<VecDeque<(u64, Bytes)>>);

impl Recent {
    fn encoded(&self, e: &Event, links: &Links) -> Bytes {
        if let Some(b) = self.find(e.sequence) {
            return b;
        }
        let bytes = Bytes::from(convert::event(e.clone(), links).encode_to_vec());
        let mut recent = self.0.lock().expect("encoded events lock");
        if !recent.iter().rev().any(|(s, _)| *s == e.sequence) {
            recent.push_back((e.sequence, bytes.clone()));
            if recent.len() > RECENT {
                recent.pop_front();
            }
        }
        bytes
    }

    fn find(&self, seq: u64) -> Option<Bytes> {
        let recent = self.0.lock().expect("encoded events lock");
        recent
            .iter()
            .rev()
            .find(|(s, _)| *s == seq)
            .map(|(_, b)| b.clone())
    }
}

/// Sends pre-encoded events; reads the request as prost would.
struct SharedCodec;

impl Codec for SharedCodec {
    type Encode = EncodedEvent;
    type Decode = proto::SubscribeEventsRequest;
    type Encoder = SharedEncoder;
    type Decoder = <ProstCodec<proto::Event, proto::SubscribeEventsRequest> as Codec>::Decoder;

    fn encoder(&mut self) -> SharedEncoder {
        SharedEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstCodec::<proto::Event, proto::SubscribeEventsRequest>::default().decoder()
    }
}

struct SharedEncoder;

impl Encoder for SharedEncoder {
    type Item = EncodedEvent;
    type Error = Status;

    fn encode(&mut self, item: EncodedEvent, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item.0);
        Ok(())
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::new(STREAM_BUFFER, YIELD_THRESHOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_bytes_are_the_message_prost_would_send() {
        let e = Event {
            sequence: 7,
            kind: crate::domain::EventKind::InvoicePaid,
            occurred_at_ms: 1_500,
            invoice: crate::domain::Invoice {
                id: "inv_0193a0b0c0d0e0f0a0b0c0d0e0f0a0b0".into(),
                payment_request: "lnbcrt10n1".into(),
                payment_hash: "00".repeat(32),
                amount_msat: 1_000,
                amount_received_msat: 1_000,
                description: "coffee".into(),
                description_hash: None,
                status: crate::domain::InvoiceStatus::Paid,
                provider: "dev".into(),
                created_at_ms: 1_000,
                expires_at_ms: 2_000,
                paid_at_ms: Some(1_500),
                updated_at_ms: 1_500,
                metadata: Default::default(),
                external_ref: None,
                customer_email: None,
                paid_late: false,
                idempotency_key: None,
                sale: None,
                success_url: None,
            },
        };
        let links = Links::default();
        let recent = Recent::default();
        let first = recent.encoded(&e, &links);
        let again = recent.encoded(&e, &links);
        assert_eq!(first.as_ptr(), again.as_ptr(), "encoded once, shared");
        assert_eq!(first, convert::event(e, &links).encode_to_vec());
    }
}
