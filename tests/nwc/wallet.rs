//! The NIP-47 wallet service for tests: `wallet-service/service.mjs`
//! (Alby's `NWCWalletService`, npm-pinned) backed by alice's LND over gRPC.
//! Its node_modules come from `scripts/ensure-tools.sh nwc-wallet`
//! (`.tools/nwc-wallet-node`). Each instance has its own wallet and client
//! keys; the test gets the connection URI lnpayd is given.
//! (Harness code: meant to move to testkit/src/nostr.rs.)

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nostr::Keys;

use super::network::Network;

pub struct WalletService {
    child: Child,
    dir: tempfile::TempDir,
    /// The wallet's key: signs answers and notifications.
    pub wallet: Keys,
    /// lnpayd's key for this connection (the URI's secret).
    pub client: Keys,
    pub relays: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Offers {
    /// NIP-44 v2 and NIP-04, as NWCWalletService announces.
    Both,
    /// NIP-04 only: no encryption tag, NIP-44 requests not understood.
    Nip04Only,
}

fn node_modules() -> PathBuf {
    std::env::var_os("NWC_TEST_WALLET_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/nwc-wallet-node"))
        .join("node_modules")
}

impl WalletService {
    pub fn start(net: &Network, relays: &[String], offers: Offers) -> WalletService {
        let modules = node_modules();
        assert!(
            modules.join("@getalby/sdk").exists(),
            "no {}: run scripts/ensure-tools.sh nwc-wallet (scripts/test does)",
            modules.display()
        );
        // ESM resolves packages next to the script: run a copy beside a link.
        let dir = tempfile::Builder::new()
            .prefix("lnpayd-nwc-wallet")
            .tempdir()
            .unwrap();
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/nwc/wallet-service");
        for f in ["service.mjs", "lnd.proto", "package.json"] {
            std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
        }
        std::os::unix::fs::symlink(&modules, dir.path().join("node_modules")).unwrap();
        let (wallet, client) = (Keys::generate(), Keys::generate());
        let log = std::fs::File::create(dir.path().join("service.log")).unwrap();
        let mut cmd = Command::new("node");
        // nostr-tools needs a global WebSocket: Node 20 has it behind this flag.
        cmd.arg("--experimental-websocket")
            .arg(dir.path().join("service.mjs"))
            .current_dir(dir.path())
            .env("NWC_RELAYS", relays.join(","))
            .env("NWC_WALLET_SECRET", wallet.secret_key().to_secret_hex())
            .env("NWC_CLIENT_PUBKEY", client.public_key().to_hex())
            .env("LND_RPC", net.alice.rpc_addr())
            .env("LND_CERT", net.alice.tls_cert())
            .env("LND_MACAROON", net.alice.macaroon("admin"))
            .env(
                "NWC_NIP04_ONLY",
                if offers == Offers::Nip04Only {
                    "1"
                } else {
                    "0"
                },
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(std::io::Error::from)
            });
        }
        let mut child = cmd.spawn().expect("spawn node");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line == "READY" {
                    let _ = tx.send(());
                }
            }
        });
        let service = WalletService {
            child,
            dir,
            wallet,
            client,
            relays: relays.to_vec(),
        };
        if rx.recv_timeout(Duration::from_secs(30)).is_err() {
            panic!("the wallet service did not start:\n{}", service.log());
        }
        service
    }

    /// The connection URI lnpayd is given (holds the client secret).
    pub fn uri(&self) -> String {
        let relays: String = self
            .relays
            .iter()
            .map(|r| {
                format!(
                    "relay={}&",
                    url::form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
                )
            })
            .collect();
        format!(
            "nostr+walletconnect://{}?{relays}secret={}",
            self.wallet.public_key().to_hex(),
            self.client.secret_key().to_secret_hex()
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
    }
}

impl Drop for WalletService {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- wallet service log\n{}", self.log());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
