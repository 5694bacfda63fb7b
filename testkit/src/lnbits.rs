//! A real LNbits 1.6.2 (FakeWallet), the DazNode-compatible provider,
//! started by `scripts/lnbits_fixture.py` (installed by
//! `scripts/ensure-tools.sh lnbits` on first use), stopped when dropped (also
//! on panic): stdin EOF first, then its process group is killed. A small
//! client for what the tests do directly at LNbits: pay from the payer
//! wallet, inject a websocket message.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::Value;

pub use crate::process::free_port;
use crate::process::spawn_tied;

/// One LNbits wallet and its keys.
#[derive(Clone, Debug)]
pub struct Wallet {
    /// The wallet id.
    pub id: String,
    /// Its admin key (can pay).
    pub adminkey: String,
    /// Its invoice/read key: what lnpayd is given.
    pub inkey: String,
}

/// A running LNbits with two wallets: the merchant's (lnpayd's) and a
/// funded payer.
pub struct LnBits {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    _dir: tempfile::TempDir,
    /// Its data dir (and `lnbits.log`).
    pub dir: PathBuf,
    /// Its HTTP port on 127.0.0.1.
    pub port: u16,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The wallet lnpayd uses.
    pub merchant: Wallet,
    /// The wallet the tests pay from.
    pub payer: Wallet,
    http: reqwest::Client,
}

fn wallet(v: &Value) -> Wallet {
    let s = |k: &str| v[k].as_str().expect(k).to_string();
    Wallet {
        id: s("id"),
        adminkey: s("adminkey"),
        inkey: s("inkey"),
    }
}

impl LnBits {
    /// With the fixture's own settings.
    pub fn start() -> LnBits {
        Self::start_with(&[])
    }

    /// With LNbits settings over the fixture's own (`LNBITS_NAME=VALUE`).
    pub fn start_with(settings: &[&str]) -> LnBits {
        let root = crate::repo_root();
        let ensure = Command::new(root.join("scripts/ensure-tools.sh"))
            .arg("lnbits")
            .current_dir(&root)
            .output()
            .expect("run scripts/ensure-tools.sh");
        assert!(
            ensure.status.success(),
            "scripts/ensure-tools.sh lnbits failed: {}{}",
            String::from_utf8_lossy(&ensure.stdout),
            String::from_utf8_lossy(&ensure.stderr)
        );
        // tmpfs makes the first start (one fsync per default setting) faster.
        let shm = std::path::Path::new("/dev/shm");
        let tmp = if shm.is_dir() {
            tempfile::Builder::new()
                .prefix("lnpayd-lnbits")
                .tempdir_in(shm)
        } else {
            tempfile::Builder::new().prefix("lnpayd-lnbits").tempdir()
        }
        .unwrap();
        let dir = tmp.path().to_path_buf();
        let started = Instant::now();
        for attempt in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(root.join(".tools/lnbits-venv/bin/python"));
            cmd.arg(root.join("scripts/lnbits_fixture.py"))
                .args(["--port", &port.to_string(), "--data-dir"])
                .arg(&dir)
                .args(settings.iter().flat_map(|s| ["--setting", s]))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(dir.join("fixture.err"))
                        .unwrap(),
                )
                .process_group(0);
            // The fixture dies with the test process, even on SIGKILL (and uvicorn with it).
            let mut child = spawn_tied(cmd, Signal::SIGTERM).expect("spawn lnbits_fixture.py");
            let stdin = child.stdin.take();
            let stdout = child.stdout.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            });
            let line = rx
                .recv_timeout(Duration::from_secs(150))
                .unwrap_or_default();
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            match serde_json::from_str::<Value>(line.trim()) {
                Ok(v) => {
                    let lnbits = LnBits {
                        child: Some(child),
                        stdin,
                        _dir: tmp,
                        dir,
                        port,
                        url: v["url"].as_str().unwrap().to_string(),
                        merchant: wallet(&v["merchant"]),
                        payer: wallet(&v["payer"]),
                        http,
                    };
                    eprintln!("LNbits up in {:?} at {}", started.elapsed(), lnbits.url);
                    return lnbits;
                }
                Err(_) => {
                    stop_child(stdin, child);
                    let err = std::fs::read_to_string(dir.join("fixture.err")).unwrap_or_default();
                    // A port taken between free_port() and the fixture: try another.
                    if attempt == 2 || !err.contains("cannot use 127.0.0.1") {
                        panic!("LNbits fixture did not start: {err}");
                    }
                }
            }
        }
        unreachable!()
    }

    fn stop(&mut self) {
        if let Some(c) = self.child.take() {
            stop_child(self.stdin.take(), c);
        }
    }

    /// `127.0.0.1:<port>`, for a proxy in front of it.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        // The test's own calls wait out a rate limit a test may have set.
        for _ in 0..40 {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.url));
            if let Some(k) = key {
                req = req.header("X-Api-Key", k);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req.send().await.expect("LNbits request");
            let status = resp.status().as_u16();
            if status == 429 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            let text = resp.text().await.unwrap_or_default();
            return (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            );
        }
        panic!("LNbits kept answering 429 to {path}");
    }

    /// The payer wallet pays a BOLT11 (an internal payment).
    pub async fn pay(&self, bolt11: &str) -> Value {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/payments",
                Some(&self.payer.adminkey),
                Some(serde_json::json!({"out": true, "bolt11": bolt11})),
            )
            .await;
        assert!(status == 201 || status == 200, "pay: {status} {body}");
        body
    }

    /// LNbits' own view of a merchant payment.
    pub async fn merchant_payment(&self, hash: &str) -> Value {
        self.call(
            reqwest::Method::GET,
            &format!("/api/v1/payments/{hash}"),
            Some(&self.merchant.inkey),
            None,
        )
        .await
        .1
    }

    /// Injects what LNbits' own payment frame would say for this invoice, as
    /// anyone could: a success the API has not confirmed.
    pub async fn forge_paid_frame(&self, payment_hash: &str, bolt11: &str, amount_msat: u64) {
        let forged = serde_json::json!({
            "wallet_balance": 1_000_000,
            "payment": {
                "payment_hash": payment_hash,
                "checking_id": payment_hash,
                "amount": amount_msat,
                "status": "success",
                "bolt11": bolt11,
            }
        });
        let sent = self.inject_ws(&forged.to_string()).await;
        assert_eq!(sent["sent"], true, "{sent}");
    }

    /// The unauthenticated injection: `GET /api/v1/ws/{id}/{data}` sends
    /// `data` to everyone listening on the merchant's websocket.
    pub async fn inject_ws(&self, data: &str) -> Value {
        let enc: String = url::form_urlencoded::byte_serialize(data.as_bytes()).collect();
        // form encoding writes spaces as '+': use %20 in a path.
        let enc = enc.replace('+', "%20");
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/ws/{}/{enc}", self.merchant.inkey),
                None,
                None,
            )
            .await;
        assert_eq!(status, 200, "inject: {body}");
        body
    }
}

/// EOF on stdin (the fixture stops uvicorn and exits), then SIGKILL to
/// whatever is left of its process group (the fixture is the group leader).
fn stop_child(stdin: Option<ChildStdin>, mut c: Child) {
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(8);
    while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let pgid = nix::unistd::Pid::from_raw(c.id() as i32);
    let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
    let _ = c.kill();
    let _ = c.wait();
}

impl Drop for LnBits {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.dir.join("lnbits.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!(
                "--- tail of lnbits.log\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        self.stop();
    }
}
