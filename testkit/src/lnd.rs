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

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::Value;

use crate::process::{free_ports, spawn_tied, wait_until, wait_until_or};
use crate::shared::Shared;

const RPC_USER: &str = "lnpayd";
const RPC_PASS: &str = "lnpayd-regtest";

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

impl Network {
    /// Where lnd, lncli, btcd and btcctl are (see the module doc).
    pub fn bin_dir() -> PathBuf {
        std::env::var_os("LNPAYD_REGTEST_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::repo_root().join(".tools/regtest/bin"))
    }

    /// False for existing nodes (`LNPAYD_TEST_*`): alice is not ours to stop.
    pub fn can_restart_alice(&self) -> bool {
        !self.external
    }

    /// Whether alice's lnd, started by us, is running (false after
    /// [`Network::stop_alice`], or if it died). Always true for existing nodes.
    pub fn alice_running(&mut self) -> bool {
        if self.external {
            return true;
        }
        self.procs
            .get_mut("alice")
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Existing nodes from `LNPAYD_TEST_*` (see the module doc), if set.
    fn existing() -> Option<Network> {
        let var = |k: &str| std::env::var(k).ok();
        let (alice_rpc, bob_rpc) = (var("LNPAYD_TEST_ALICE_RPC")?, var("LNPAYD_TEST_BOB_RPC")?);
        let (alice_dir, bob_dir) = (
            var("LNPAYD_TEST_ALICE_DIR").expect("LNPAYD_TEST_ALICE_DIR"),
            var("LNPAYD_TEST_BOB_DIR").expect("LNPAYD_TEST_BOB_DIR"),
        );
        let port = |addr: &str| -> u16 {
            let (host, port) = addr.rsplit_once(':').expect("host:port");
            assert!(
                matches!(host, "127.0.0.1" | "localhost"),
                "test nodes must be on 127.0.0.1, not {host}"
            );
            port.parse().expect("a port")
        };
        let tmp = tempfile::Builder::new()
            .prefix("lnpayd-regtest")
            .tempdir()
            .unwrap();
        let net = Network {
            external: true,
            dir: tmp.path().to_path_buf(),
            _tmp: tmp,
            bin: Self::bin_dir(),
            procs: HashMap::new(),
            alice_args: vec![],
            chain_p2p: 0,
            chain_rpc: 0,
            miner_rpc: 0,
            alice: Node {
                rpc_port: port(&alice_rpc),
                p2p_port: 0,
                dir: alice_dir.into(),
            },
            bob: Node {
                rpc_port: port(&bob_rpc),
                p2p_port: 0,
                dir: bob_dir.into(),
            },
        };
        net.wait_payable();
        eprintln!("using existing nodes: alice {alice_rpc}, bob {bob_rpc}");
        Some(net)
    }

    /// Starts everything (or takes the existing nodes) and returns once bob
    /// can pay alice.
    pub fn start() -> Network {
        Self::start_with(&[])
    }

    /// Like `start`, with extra lnd flags for alice (ignored for existing nodes).
    pub fn start_with(alice_args: &[&str]) -> Network {
        if let Some(net) = Self::existing() {
            return net;
        }
        let bin = Self::bin_dir();
        assert!(
            bin.join("lnd").exists(),
            "no lnd in {}: run scripts/ensure-regtest.sh (scripts/test does)",
            bin.display()
        );
        let tmp = tempfile::Builder::new()
            .prefix("lnpayd-regtest")
            .tempdir()
            .unwrap();
        let dir = tmp.path().to_path_buf();
        let p = free_ports(7);
        let mut net = Network {
            external: false,
            _tmp: tmp,
            bin,
            procs: HashMap::new(),
            alice_args: vec![],
            chain_p2p: p[0],
            chain_rpc: p[1],
            miner_rpc: p[2],
            alice: Node {
                rpc_port: p[3],
                p2p_port: p[4],
                dir: dir.join("alice"),
            },
            bob: Node {
                rpc_port: p[5],
                p2p_port: p[6],
                dir: dir.join("bob"),
            },
            dir,
        };
        let started = Instant::now();
        let (chain_p2p, chain_rpc) = (net.chain_p2p, net.chain_rpc);
        net.start_btcd(
            "chain",
            &[
                format!("--listen=127.0.0.1:{chain_p2p}"),
                format!("--rpclisten=127.0.0.1:{chain_rpc}"),
            ],
        );
        wait_until(Duration::from_secs(60), "chain btcd rpc", || {
            net.btcctl("chain", &["getblockcount"]).ok()
        });

        net.alice_args = alice_args.iter().map(|a| a.to_string()).collect();
        net.start_lnd("alice");
        net.start_lnd("bob");
        for n in ["alice", "bob"] {
            wait_until(Duration::from_secs(120), &format!("{n} RPC_ACTIVE"), || {
                let s = net.lncli(n, "admin", &["state"]).ok()?;
                matches!(s["state"].as_str(), Some("RPC_ACTIVE" | "SERVER_ACTIVE")).then_some(())
            });
        }
        // btcd mines to a fixed --miningaddr: a second btcd, started once bob
        // has an address, mines for him and relays to the chain btcd.
        let bob_addr = net.lncli("bob", "admin", &["newaddress", "p2wkh"]).unwrap()["address"]
            .as_str()
            .unwrap()
            .to_string();
        let miner_rpc = net.miner_rpc;
        net.start_btcd(
            "miner",
            &[
                "--nolisten".into(),
                format!("--rpclisten=127.0.0.1:{miner_rpc}"),
                format!("--connect=127.0.0.1:{chain_p2p}"),
                format!("--miningaddr={bob_addr}"),
            ],
        );
        wait_until(Duration::from_secs(60), "miner connected", || {
            let c = net.btcctl("miner", &["getconnectioncount"]).ok()?;
            (c.trim().parse::<u32>().ok()? >= 1).then_some(())
        });
        // 450, not 101: btcd's regtest activates segwit by BIP9 only at height
        // 432, and before that it refuses the (segwit) funding transaction.
        net.mine(450);
        for n in ["alice", "bob"] {
            net.wait_synced(n);
        }
        wait_until(Duration::from_secs(60), "bob's confirmed balance", || {
            let b = net.lncli("bob", "admin", &["walletbalance"]).ok()?;
            (b["confirmed_balance"].as_str()?.parse::<u64>().ok()? >= 1_000_000).then_some(())
        });

        let alice_pk = net.pubkey("alice");
        let alice_p2p = net.alice.p2p_port;
        net.lncli(
            "bob",
            "admin",
            &["connect", &format!("{alice_pk}@127.0.0.1:{alice_p2p}")],
        )
        .unwrap();
        // A public channel for payments, and a private one that alice's
        // invoices can carry as a route hint (lnd.private_route_hints).
        for extra in [&[][..], &["--private"][..]] {
            let mut args = vec![
                "openchannel".to_string(),
                format!("--node_key={alice_pk}"),
                "--local_amt=1000000".into(),
            ];
            args.extend(extra.iter().map(|a| a.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let open = net.lncli("bob", "admin", &args).unwrap();
            let txid = open["funding_txid"].as_str().unwrap().to_string();
            let in_miner = wait_until_or(Duration::from_secs(60), || {
                net.btcctl("miner", &["getrawmempool"])
                    .ok()?
                    .contains(&txid)
                    .then_some(())
            });
            if in_miner.is_none() {
                panic!(
                    "funding tx {txid} not in the miner's mempool; chain mempool: {:?}; miner mempool: {:?}; miner peers: {:?}; open: {open}",
                    net.btcctl("chain", &["getrawmempool"]),
                    net.btcctl("miner", &["getrawmempool"]),
                    net.btcctl("miner", &["getpeerinfo"]).map(|s| s.len()),
                );
            }
        }
        net.mine(6);
        for n in ["alice", "bob"] {
            net.wait_synced(n);
            net.wait_channel_active(n);
        }
        net.wait_payable();
        eprintln!(
            "regtest network up in {:?} ({})",
            started.elapsed(),
            net.dir.display()
        );
        net
    }

    /// An active channel is not yet a usable one: until both sides have
    /// exchanged channel_ready, pathfinding sees no bandwidth. Only a payment
    /// that succeeds proves the network ready.
    fn wait_payable(&self) {
        let inv = self
            .lncli(
                "alice",
                "admin",
                &["addinvoice", "--amt=1", "--memo=warm-up"],
            )
            .unwrap();
        let req = inv["payment_request"].as_str().unwrap().to_string();
        wait_until(
            Duration::from_secs(60),
            "a warm-up payment bob -> alice",
            || self.bob_pays(&req).ok(),
        );
    }

    fn node(&self, name: &str) -> &Node {
        match name {
            "alice" => &self.alice,
            "bob" => &self.bob,
            _ => panic!("no node {name}"),
        }
    }

    fn start_btcd(&mut self, name: &'static str, extra: &[String]) {
        let d = self.dir.join(name);
        std::fs::create_dir_all(d.join("home")).unwrap();
        let out = std::fs::File::create(d.join("btcd.out")).unwrap();
        let mut cmd = Command::new(self.bin.join("btcd"));
        cmd.env("HOME", d.join("home"))
            .args([
                "--regtest",
                "--txindex",
                "--rejectnonstd",
                "--nobanning",
                "--nostalldetect",
            ])
            .arg("--trickleinterval=100ms")
            .arg(format!("--rpcuser={RPC_USER}"))
            .arg(format!("--rpcpass={RPC_PASS}"))
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--logdir={}", d.join("logs").display()))
            .arg(format!("--rpccert={}", d.join("rpc.cert").display()))
            .arg(format!("--rpckey={}", d.join("rpc.key").display()))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let child = spawn_tied(cmd, Signal::SIGKILL).expect("spawn btcd");
        self.procs.insert(name, child);
    }

    fn start_lnd(&mut self, name: &'static str) {
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

    /// `btcctl` against the `chain` or the `miner` btcd; what it prints.
    pub fn btcctl(&self, name: &str, args: &[&str]) -> Result<String, String> {
        let port = if name == "chain" {
            self.chain_rpc
        } else {
            self.miner_rpc
        };
        let d = self.dir.join(name);
        let out = Command::new(self.bin.join("btcctl"))
            .env("HOME", d.join("home"))
            .args([
                "--regtest",
                &format!("--rpcuser={RPC_USER}"),
                &format!("--rpcpass={RPC_PASS}"),
            ])
            .arg(format!("--rpccert={}", d.join("rpc.cert").display()))
            .arg(format!("--rpcserver=127.0.0.1:{port}"))
            .args(args)
            .output()
            .unwrap();
        text(out)
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

    /// Mines `n` blocks and waits until the chain btcd has them.
    pub fn mine(&self, n: u32) {
        let height = |who| {
            self.btcctl(who, &["getblockcount"])
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
        };
        let target = height("chain").unwrap() + u64::from(n);
        self.btcctl("miner", &["generate", &n.to_string()]).unwrap();
        wait_until(
            Duration::from_secs(60),
            "blocks relayed to the chain btcd",
            || (height("chain")? >= target).then_some(()),
        );
    }

    fn wait_synced(&self, name: &str) {
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

    fn wait_channel_active(&self, name: &str) {
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

    /// Stops alice's lnd (gracefully) and waits for it to exit.
    pub fn stop_alice(&mut self) {
        assert!(!self.external, "alice is not ours to stop");
        let _ = self.lncli("alice", "admin", &["stop"]);
        if let Some(mut c) = self.procs.remove("alice") {
            let deadline = Instant::now() + Duration::from_secs(30);
            while c.try_wait().unwrap().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Restarts alice with lnd's native SQL invoice store: lnd migrates her
    /// invoices from the KV store on start-up. Needs alice started with
    /// `--db.backend=sqlite`.
    pub fn migrate_alice_to_native_sql(&mut self) {
        assert!(
            self.alice_args.iter().any(|a| a == "--db.backend=sqlite"),
            "alice must run on the sqlite backend to migrate"
        );
        self.stop_alice();
        self.alice_args.push("--db.use-native-sql".into());
        self.start_alice();
    }

    /// Starts alice again if a test left her stopped (or she died).
    pub fn ensure_alice_running(&mut self) {
        if !self.alice_running() {
            eprintln!("alice is not running: starting her again");
            if let Some(mut c) = self.procs.remove("alice") {
                let _ = c.kill();
                let _ = c.wait();
            }
            self.start_alice();
        }
    }

    /// Starts alice again on the same dirs and ports; returns once her channel is active.
    pub fn start_alice(&mut self) {
        self.spawn_alice();
        self.wait_alice_ready();
    }

    /// Starts alice's lnd again and returns at once, for a test that watches
    /// her come up ([`Network::alice_state`]); [`Network::wait_alice_ready`]
    /// then waits until bob can pay her.
    pub fn spawn_alice(&mut self) {
        assert!(!self.external, "alice is not ours to start");
        self.start_lnd("alice");
    }

    /// Alice's state as `lncli state` tells it (`RPC_ACTIVE`,
    /// `SERVER_ACTIVE`…); None while she does not answer.
    pub fn alice_state(&self) -> Option<String> {
        let s = self.lncli("alice", "admin", &["state"]).ok()?;
        s["state"].as_str().map(str::to_string)
    }

    /// Waits until alice, (re)started, is synced, her channels active, and
    /// bob can pay her.
    pub fn wait_alice_ready(&self) {
        self.wait_synced("alice");
        self.wait_channel_active("alice");
        self.wait_channel_active("bob");
        self.wait_payable();
    }
}

/// A shared [`Network`] for one test alone ([`Shared::write`]), with alice
/// running when it is taken and again when it is dropped: a test that fails
/// while she is stopped does not fail the tests after it.
pub struct Exclusive(tokio::sync::RwLockMappedWriteGuard<'static, Network>);

impl Exclusive {
    /// Waits for every other test using `net` to finish, then takes it.
    pub async fn of(net: &'static Shared<Network>) -> Exclusive {
        let mut net = net.write().await;
        tokio::task::block_in_place(|| net.ensure_alice_running());
        Exclusive(net)
    }
}

impl std::ops::Deref for Exclusive {
    type Target = Network;
    fn deref(&self) -> &Network {
        &self.0
    }
}

impl std::ops::DerefMut for Exclusive {
    fn deref_mut(&mut self) -> &mut Network {
        &mut self.0
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        let net = &mut *self.0;
        // Already unwinding: a second panic here would abort the whole binary.
        let _ =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| net.ensure_alice_running()));
    }
}

fn text(out: Output) -> Result<String, String> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for c in self.procs.values() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(c.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for c in self.procs.values_mut() {
            while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::env::var_os("LNPAYD_REGTEST_KEEP").is_some() {
            let kept = std::mem::replace(&mut self._tmp, tempfile::tempdir().unwrap()).keep();
            eprintln!("regtest network kept in {}", kept.display());
        }
        if std::thread::panicking() {
            for f in ["alice/lnd.out", "bob/lnd.out", "chain/btcd.out"] {
                let log = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                eprintln!(
                    "--- {f}\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
        }
    }
}
