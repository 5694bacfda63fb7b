//! lnpayd's test harness, shared by the integration tests (`tests/*`) and the
//! benches: a dev-only crate of the workspace, never published.
//!
//! One module per thing a test runs or talks to:
//!
//! | module | what |
//! |---|---|
//! | [`daemon`] | the real `lnpayd` binary on a free port, with gRPC clients |
//! | [`proxy`] | a TCP proxy that cuts connections or holds websocket frames |
//! | [`lnd`] | a regtest network: two btcd, two LND nodes and their channels |
//! | [`lnbits`] | a real LNbits (FakeWallet), the DazNode-compatible provider |
//! | [`postgres`] | a throwaway PostgreSQL cluster, a database per test |
//! | [`shared`] | one expensive fixture for every test of a binary |
//! | [`process`] | children that die with the test process; ports; polling |
//!
//! Every server binds 127.0.0.1, and every process a fixture starts is
//! stopped when the fixture is dropped (a [`shared::Shared`] one when the
//! test binary exits), and killed by the kernel if the test process dies.
//!
//! A new external system (a webhook receiver, an NWC relay, PostgreSQL) gets
//! its own module here, with the same contract.

#![warn(missing_docs)]

pub mod daemon;
pub mod lnbits;
pub mod lnd;
pub mod postgres;
pub mod process;
pub mod proxy;
pub mod shared;

use std::path::PathBuf;

/// The repository's root: where `scripts/` and `.tools/` are.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ is in the repository")
        .to_path_buf()
}
