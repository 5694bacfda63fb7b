//! A real Nostr relay for tests: `nostr-rs-relay` (crates.io, pinned in
//! scripts/ensure-tools.sh) on 127.0.0.1 with its own temporary data dir.
//! It can be stopped and started again on the same port and data, as a relay
//! outage. Killed when dropped, and dies with the test process.
//!
//! `NWC_TEST_RELAY_BIN` overrides the binary (default
//! `.tools/nostr-relay/bin/nostr-rs-relay`, built by `scripts/ensure-tools.sh nostr-relay`).
//! (Harness code: meant to move to testkit/src/nostr.rs.)

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Relay {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Relay {
    pub fn bin() -> PathBuf {
        std::env::var_os("NWC_TEST_RELAY_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join(".tools/nostr-relay/bin/nostr-rs-relay")
            })
    }

    pub fn start() -> Relay {
        let bin = Self::bin();
        assert!(
            bin.exists(),
            "no {}: run scripts/ensure-tools.sh nostr-relay (scripts/test does)",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::Builder::new()
            .prefix("lnpayd-relay")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("db")).unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!(
                "[info]\nrelay_url = \"ws://127.0.0.1:{port}/\"\nname = \"lnpayd test relay\"\n\
                 [database]\ndata_directory = \"{db}\"\n\
                 [network]\naddress = \"127.0.0.1\"\nport = {port}\n\
                 [options]\nreject_future_seconds = 1800\n",
                db = dir.path().join("db").display()
            ),
        )
        .unwrap();
        let mut relay = Relay {
            port,
            dir,
            child: None,
        };
        relay.start_again();
        relay
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// Starts the relay (after [`Relay::stop`]) on the same port and data.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("relay.log"))
            .unwrap();
        let mut cmd = Command::new(Self::bin());
        cmd.arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .current_dir(self.dir.path())
            .env("RUST_LOG", "warn,nostr_rs_relay=info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(std::io::Error::from)
            });
        }
        self.child = Some(cmd.spawn().expect("spawn nostr-rs-relay"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nostr-rs-relay did not listen on {} within 30 s:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the relay: every connection drops, and the ephemeral events
    /// published meanwhile reach nobody.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("relay.log")).unwrap_or_default()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            eprintln!(
                "--- relay {} log\n{}",
                self.port,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        self.stop();
    }
}
