//! The gRPC server: lnpayd's services behind token auth, plus the standard
//! health and reflection services, which need no token.

pub mod admin;
pub mod auth;
pub(crate) mod convert;
mod event_stream;
pub mod invoices;
pub mod rate_limit;
pub mod request_id;
pub mod status;
mod store_health;
mod webhooks;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use crate::app::App;
use crate::proto::admin_server::AdminServer;
use crate::proto::invoices_server::InvoicesServer;
use auth::{require, Role, Tokens};
use rate_limit::limited;

/// `x-request-id` as the client sent it (bounded, printable), for logs and the audit log.
pub fn request_id<T>(req: &tonic::Request<T>) -> Option<String> {
    let v = req.metadata().get("x-request-id")?.to_str().ok()?;
    (!v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| v.to_string())
}

pub async fn serve(
    app: Arc<App>,
    tokens: Arc<Tokens>,
    listener: TcpListener,
    limits: Arc<rate_limit::ApiLimits>,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<InvoicesServer<invoices::InvoicesApi>>()
        .await;
    health.set_serving::<AdminServer<admin::AdminApi>>().await;
    app.tasks().spawn(store_health::report(
        health,
        app.store_health(),
        shutdown.clone(),
    ));

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the embedded descriptor set is valid");
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .expect("the embedded descriptor set is valid");

    let api = Arc::new(invoices::InvoicesApi { app: app.clone() });
    let invoices = tonic::service::interceptor::InterceptedService::new(
        event_stream::SharedEvents::new(InvoicesServer::from_arc(api.clone()), api),
        limited(require(tokens.clone(), Role::Invoice), limits.clone()),
    );
    let admin = AdminServer::with_interceptor(
        admin::AdminApi { app },
        limited(require(tokens, Role::Admin), limits),
    );

    Server::builder()
        .layer(request_id::RequestIdLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(invoices)
        .add_service(admin)
        // TCP_NODELAY: without it a unary response's trailers frame waits on
        // Nagle + delayed ACK, ~40 ms per call (BENCHMARKS.md).
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown.cancelled_owned(),
        )
        .await
}
