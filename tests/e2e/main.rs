//! End-to-end tests: the real `lnpayd` binary in dev mode, spoken to over gRPC.

use testkit::daemon as harness;

mod alerts;
mod audit;
mod auth;
mod convert;
mod crash;
mod events;
mod flow;
mod grpcurl;
mod idempotency;
mod lifecycle;
mod metrics;
mod store_health;
mod systemd;
mod tasks;
mod validation;
