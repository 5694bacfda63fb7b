//! lnpayd: a Lightning payment daemon.
//!
//! A payment's path reads in three files: a provider reports a settlement
//! (`providers/`), `settlement/` applies it to the store in one transaction,
//! and `events/` fans the durable event out to the subscribers it concerns.

// tonic's service traits fix `tonic::Status` (176 bytes) as the error type;
// boxing it in our helpers would only add conversions at every call site.
#![allow(clippy::result_large_err)]

pub mod alerts;
pub mod api;
pub mod app;
pub mod catalog;
pub mod checkout;
pub mod config;
pub mod daemon;
pub mod domain;
pub mod error;
pub mod events;
pub mod health;
pub mod key_locks;
pub mod leader;
pub mod metrics;
pub mod providers;
pub mod rates;
pub mod settlement;
pub mod store;
pub mod systemd;
pub mod tasks;
pub mod time;
pub mod webhooks;

/// Code generated from `proto/lnpayd/v1`.
pub mod proto {
    tonic::include_proto!("lnpayd.v1");

    /// The encoded descriptor set that server reflection serves.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("lnpayd_descriptor");
}
