//! The LND nodes: one [`Node`]'s files and address, starting lnd, lncli,
//! and what the tests ask the nodes (pubkeys, invoices, bob's payments).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::Value;

use super::{text, Network, RPC_PASS, RPC_USER};
use crate::process::{spawn_tied, wait_until};

/// One LND node.
pub struct Node {
    /// Its gRPC port on 127.0.0.1.
    pub rpc_port: u16,
    /// Its peer-to-peer port (0 for an existing node).
    pub p2p_port: u16,
    /// Its `--lnddir`.
    pub dir: PathBuf,
}

impl Node {
    /// The node's TLS certificate.
    pub fn tls_cert(&self) -> PathBuf {
        self.dir.join("tls.cert")
    }

    /// One of its macaroons: `admin`, `invoice`, `readonly`….
    pub fn macaroon(&self, which: &str) -> PathBuf {
        self.dir
            .join(format!("data/chain/bitcoin/regtest/{which}.macaroon"))
    }

    /// `127.0.0.1:<rpc_port>`.
    pub fn rpc_addr(&self) -> String {
        format!("127.0.0.1:{}", self.rpc_port)
    }
}

impl Network {
    fn node(&self, name: &str) -> &Node {
        match name {
            "alice" => &self.alice,
            "bob" => &self.bob,
            _ => panic!("no node {name}"),
        }
    }

    pub(super) fn start_lnd(&mut self, name: &'static str) {
        let (d, rpc, p2p) = {
            let n = self.node(name);
            (n.dir.clone(), n.rpc_port, n.p2p_port)
        };
        std::fs::create_dir_all(&d).unwrap();
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("lnd.out"))
            .unwrap();
        let mut cmd = Command::new(self.bin.join("lnd"));
        cmd.arg(format!("--lnddir={}", d.display()))
            .arg(format!("--alias={name}"))
            .args([
                "--noseedbackup",
                "--nobootstrap",
                "--norest",
                "--tlsextraip=127.0.0.1",
            ])
            .arg(format!("--rpclisten=127.0.0.1:{rpc}"))
            .arg(format!("--listen=127.0.0.1:{p2p}"))
            .args(["--bitcoin.regtest", "--bitcoin.node=btcd"])
            .arg(format!("--btcd.rpchost=127.0.0.1:{}", self.chain_rpc))
            .arg(format!("--btcd.rpcuser={RPC_USER}"))
            .arg(format!("--btcd.rpcpass={RPC_PASS}"))
            .arg(format!(
                "--btcd.rpccert={}",
                self.dir.join("chain/rpc.cert").display()
            ))
            .args([
                "--bitcoin.defaultchanconfs=1",
                "--trickledelay=50",
                "--accept-keysend",
                // Both of the harness' channels are opened in one block.
                "--maxpendingchannels=2",
            ])
            .args(["--db.batch-commit-interval=10ms", "--maxbackoff=2s"])
            .args(if name == "alice" {
                &self.alice_args[..]
            } else {
                &[]
            })
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let child = spawn_tied(cmd, Signal::SIGKILL).expect("spawn lnd");
        // A restart's old handle has been waited for in stop_alice.
        self.procs.insert(name, child);
    }

    /// `lncli` against a node with one of its macaroons; the JSON it prints.
    pub fn lncli(&self, name: &str, macaroon: &str, args: &[&str]) -> Result<Value, String> {
        let n = self.node(name);
        let out = Command::new(self.bin.join("lncli"))
            .arg(format!("--rpcserver={}", n.rpc_addr()))
            .arg(format!("--tlscertpath={}", n.tls_cert().display()))
            .arg(format!("--macaroonpath={}", n.macaroon(macaroon).display()))
            .args(args)
            .output()
            .unwrap();
        let s = text(out)?;
        serde_json::from_str(&s).map_err(|e| format!("{e}: {s}"))
    }

    /// A node's identity public key (hex).
    pub fn pubkey(&self, name: &str) -> String {
        self.lncli(name, "admin", &["getinfo"]).unwrap()["identity_pubkey"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(super) fn wait_synced(&self, name: &str) {
        let height: u64 = self
            .btcctl("chain", &["getblockcount"])
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        wait_until(
            Duration::from_secs(120),
            &format!("{name} synced to {height}"),
            || {
                let i = self.lncli(name, "admin", &["getinfo"]).ok()?;
                (i["synced_to_chain"] == true && i["block_height"].as_u64()? >= height)
                    .then_some(())
            },
        );
        wait_until(
            Duration::from_secs(60),
            &format!("{name} SERVER_ACTIVE"),
            || {
                (self.lncli(name, "admin", &["state"]).ok()?["state"] == "SERVER_ACTIVE")
                    .then_some(())
            },
        );
    }

    pub(super) fn wait_channel_active(&self, name: &str) {
        wait_until(
            Duration::from_secs(120),
            &format!("{name}'s two channels active"),
            || {
                let c = self
                    .lncli(name, "admin", &["listchannels", "--active_only"])
                    .ok()?;
                (c["channels"].as_array()?.len() >= 2).then_some(())
            },
        );
    }

    /// LND adds a private channel to an invoice's route hints only once it
    /// has the peer's policy for it, which can trail the channel going active.
    pub fn wait_private_hints(&self) {
        wait_until(
            Duration::from_secs(60),
            "a route hint in alice's private invoices",
            || {
                let inv = self
                    .lncli("alice", "admin", &["addinvoice", "--amt=1", "--private"])
                    .ok()?;
                let decoded = self
                    .lncli(
                        "alice",
                        "admin",
                        &["decodepayreq", inv["payment_request"].as_str()?],
                    )
                    .ok()?;
                (!decoded["route_hints"].as_array()?.is_empty()).then_some(())
            },
        );
    }

    /// Bob pays a BOLT11; Err with lncli's output when the payment did not succeed.
    pub fn bob_pays(&self, bolt11: &str) -> Result<(), String> {
        let n = &self.bob;
        let out = Command::new(self.bin.join("lncli"))
            .arg(format!("--rpcserver={}", n.rpc_addr()))
            .arg(format!("--tlscertpath={}", n.tls_cert().display()))
            .arg(format!("--macaroonpath={}", n.macaroon("admin").display()))
            .args(["payinvoice", "--force", "--timeout=30s", bolt11])
            .output()
            .unwrap();
        text(out).map(drop)
    }

    /// Alice's invoice as alice's own node sees it.
    pub fn alice_invoice(&self, payment_hash: &str) -> Value {
        self.lncli("alice", "invoice", &["lookupinvoice", payment_hash])
            .unwrap()
    }

    /// Whether alice has an invoice with this payment hash; panics on any
    /// answer but the invoice or LND's "unable to locate invoice".
    pub fn alice_has_invoice(&self, payment_hash: &str) -> bool {
        match self.lncli("alice", "invoice", &["lookupinvoice", payment_hash]) {
            Ok(v) => v["r_hash"].as_str() == Some(payment_hash),
            Err(e) if e.contains("unable to locate invoice") => false,
            Err(e) => panic!("lookupinvoice {payment_hash}: {e}"),
        }
    }

    /// How many invoices alice's node holds.
    pub fn alice_invoice_count(&self) -> usize {
        let v = self
            .lncli(
                "alice",
                "invoice",
                &["listinvoices", "--max_invoices=100000"],
            )
            .unwrap();
        v["invoices"].as_array().unwrap().len()
    }
}
