//! The two btcd: the backend ("chain") and the miner that pays bob; btcctl
//! against either, and mining.

use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;

use super::{text, Network, RPC_PASS, RPC_USER};
use crate::process::{spawn_tied, wait_until};

impl Network {
    pub(super) fn start_btcd(&mut self, name: &'static str, extra: &[String]) {
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
}
