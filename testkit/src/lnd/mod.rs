//! A real regtest network on 127.0.0.1: a backend btcd ("chain"), a miner btcd
//! that pays bob, and two LND nodes: alice (the merchant lnpayd talks to) and
//! bob (the payer), with two 1,000,000 sat channels bob → alice, one public
//! and one private (for route hints; lnd runs with `--maxpendingchannels=2`
//! so both open in one block). The recipe is
//! `scripts/regtest-smoke.sh`'s; every process is stopped when the Network is
//! dropped, also when a test panics, and dies with the test process. Setting
//! it up takes ~30 s: tests share one through [`crate::shared::Shared`].
//!
//! `LNPAYD_REGTEST_BIN` overrides where lnd, lncli, btcd and btcctl are found
//! (default `.tools/regtest/bin`, built by `scripts/ensure-regtest.sh`);
//! `LNPAYD_REGTEST_KEEP=1` keeps the network's directory (logs) after the test.
//!
//! Existing nodes instead (a Polar network, say): set `LNPAYD_TEST_ALICE_RPC`
//! and `LNPAYD_TEST_BOB_RPC` (`127.0.0.1:port` of each node's gRPC) and
//! `LNPAYD_TEST_ALICE_DIR` and `LNPAYD_TEST_BOB_DIR` (each node's lnd dir,
//! holding `tls.cert` and `data/chain/bitcoin/regtest/*.macaroon`). Bob needs
//! a channel to alice with outbound liquidity. Nothing is started or stopped
//! ([`Network::stop_alice`] panics). lnpayd's build script then sets the
//! `external_lnd` cfg, and the tests that restart alice or need the
//! harness' private channel are marked ignored with
//! `#[cfg_attr(external_lnd, ignore = "…")]`, so `cargo test` lists them as
//! ignored, with the reason, rather than passing them.
//!
//! The parts: `network.rs` sets the network up and tears it down, `btcd.rs`
//! runs the two btcd, `node.rs` the LND nodes and lncli, and `alice.rs`
//! stops and restarts alice (and holds [`Exclusive`]).

mod alice;
mod btcd;
mod network;
mod node;

pub use alice::Exclusive;
pub use node::Node;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Output};

const RPC_USER: &str = "lnpayd";
const RPC_PASS: &str = "lnpayd-regtest";

/// The network; see the module doc.
pub struct Network {
    /// Nodes given by `LNPAYD_TEST_*`: not ours to start, mine on or stop.
    external: bool,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    bin: PathBuf,
    procs: HashMap<&'static str, Child>,
    /// Extra lnd flags for alice, kept across her restarts.
    alice_args: Vec<String>,
    chain_p2p: u16,
    chain_rpc: u16,
    miner_rpc: u16,
    /// The merchant: lnpayd's LND.
    pub alice: Node,
    /// The payer, with the channels to alice.
    pub bob: Node,
}

fn text(out: Output) -> Result<String, String> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
    }
}
