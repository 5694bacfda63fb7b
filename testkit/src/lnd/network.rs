//! Setting the network up (or taking existing nodes), and tearing it down.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{Network, Node};
use crate::process::{free_ports, wait_until, wait_until_or};

impl Network {
    /// Where lnd, lncli, btcd and btcctl are (see the module doc).
    pub fn bin_dir() -> PathBuf {
        std::env::var_os("LNPAYD_REGTEST_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::repo_root().join(".tools/regtest/bin"))
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
    pub(super) fn wait_payable(&self) {
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
