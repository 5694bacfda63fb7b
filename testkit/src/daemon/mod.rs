//! The real `lnpayd` binary on a free port with its own data dir, stopped
//! when dropped (also when a test fails), and gRPC clients for it.
//!
//! The binary is the one cargo built for the test or bench being run: the
//! path in `CARGO_BIN_EXE_lnpayd` when cargo sets it at run time (newer cargo
//! does), and otherwise the `lnpayd` beside the test's own executable
//! (`target/<profile>/deps/<test>-<hash>` → `target/<profile>/lnpayd`), where
//! cargo puts the binaries an integration test or bench depends on. A test
//! can name another with [`set_lnpayd_bin`] (`env!("CARGO_BIN_EXE_lnpayd")`).
//!
//! `calls.rs` holds the gRPC side: clients for the daemon, and the calls
//! tests make through them.

mod calls;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use lnpayd::proto::admin_client::AdminClient;
use lnpayd::proto::invoices_client::InvoicesClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

static LNPAYD_BIN: OnceLock<PathBuf> = OnceLock::new();

/// Runs `path` as lnpayd from now on, instead of the binary found next to
/// the test (see the module doc). Once per process; a second call with
/// another path panics.
pub fn set_lnpayd_bin(path: impl Into<PathBuf>) {
    let path = path.into();
    let set = LNPAYD_BIN.get_or_init(|| path.clone());
    assert_eq!(*set, path, "lnpayd's binary is already {}", set.display());
}

/// The lnpayd binary the tests run (see the module doc).
pub fn lnpayd_bin() -> PathBuf {
    LNPAYD_BIN
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("CARGO_BIN_EXE_lnpayd") {
                return p.into();
            }
            let exe = std::env::current_exe().expect("the test's own path");
            let beside = exe
                .parent()
                .and_then(|deps| deps.parent())
                .map(|profile| profile.join("lnpayd"))
                .filter(|p| p.is_file());
            beside.unwrap_or_else(|| {
                panic!(
                    "no lnpayd binary beside {}: run the tests through cargo, or call testkit::daemon::set_lnpayd_bin",
                    exe.display()
                )
            })
        })
        .clone()
}

/// The harness' own knobs (`LNPAYD_TEST_*`, `LNPAYD_REGTEST_*`) share
/// lnpayd's prefix, and lnpayd refuses an `LNPAYD_` variable it does not know.
fn harness_vars() -> Vec<std::ffi::OsString> {
    std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| {
            let k = k.to_string_lossy();
            k.starts_with("LNPAYD_TEST_") || k.starts_with("LNPAYD_REGTEST_")
        })
        .collect()
}

/// One running lnpayd; killed (SIGKILL) when dropped.
pub struct Daemon {
    child: Option<Child>,
    /// Its gRPC address, `127.0.0.1:port`.
    pub addr: String,
    /// The Prometheus listener's address.
    pub metrics: Option<String>,
    /// `--datadir`: the store and the token files.
    pub datadir: PathBuf,
    /// Its stderr (the log), kept across restarts on the same dir.
    pub log: PathBuf,
}

/// Adds `authorization: Bearer <token>` to every call, when there is a token.
#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(t) = &self.0 {
            req.metadata_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        Ok(req)
    }
}

/// The Invoices client the harness hands out.
pub type Invoices = InvoicesClient<InterceptedService<Channel, Bearer>>;
/// The Admin client the harness hands out.
pub type Admin = AdminClient<InterceptedService<Channel, Bearer>>;

impl Daemon {
    /// `--dev` on 127.0.0.1:0 (or the `--listen` in `args`) with `dir` as
    /// the data dir; extra args and env appended.
    pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        Self::try_start(dir, true, args, env).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Without `--dev`: the providers come from `env` (or a config file in `args`).
    pub fn start_without_dev(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        Self::try_start(dir, false, args, env).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts lnpayd (with `--dev` if `dev`) and waits up to 30 s (or
    /// `TESTKIT_READY_SECS`: a benchmark's start-up that converts a big data
    /// dir) for its ready line; Err with its log if it does not come.
    pub fn try_start(
        dir: &Path,
        dev: bool,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Daemon, String> {
        let datadir = dir.join("data");
        let log = dir.join("lnpayd.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut cmd = Command::new(lnpayd_bin());
        if dev {
            cmd.arg("--dev");
        }
        cmd.arg("--datadir").arg(&datadir);
        // A free port unless the test names one (to restart on the same address).
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd.args(args)
            .env_remove("LNPAYD_CONFIG")
            .env("LNPAYD_LOG__LEVEL", "debug")
            .env("LNPAYD_METRICS__LISTEN", "127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        for k in harness_vars() {
            cmd.env_remove(k);
        }
        for (k, v) in env {
            // An empty value removes a variable the harness would set.
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        let mut child = cmd.spawn().expect("spawn lnpayd");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("lnpayd ready: grpc=") {
                    let mut parts = rest.split(' ');
                    let addr = parts.next().unwrap_or_default().to_string();
                    let metrics = parts
                        .find_map(|p| p.strip_prefix("metrics="))
                        .map(str::to_string);
                    let _ = tx.send((addr, metrics));
                }
            }
        });
        let ready_secs = std::env::var("TESTKIT_READY_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30);
        match rx.recv_timeout(Duration::from_secs(ready_secs)) {
            Ok((addr, metrics)) => Ok(Daemon {
                child: Some(child),
                addr,
                metrics,
                datadir,
                log,
            }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                Err(format!(
                    "lnpayd did not become ready (exit {status:?}); log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ))
            }
        }
    }

    /// The `admin` or `invoice` token lnpayd wrote to its data dir.
    pub fn token(&self, name: &str) -> String {
        std::fs::read_to_string(self.datadir.join(format!("{name}.token")))
            .unwrap()
            .trim()
            .to_string()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then wait for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut c = self.child.take().expect("running");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        for _ in 0..300 {
            if let Some(s) = c.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        panic!("lnpayd did not exit within 15 s of SIGTERM");
    }

    /// Without `--dev`, with owned env pairs (as the provider tests build them).
    pub fn start_env(dir: &Path, env: &[(String, String)]) -> Daemon {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Self::start_without_dev(dir, &[], &env)
    }

    /// Sends `sig` to the running lnpayd.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let c = self.child.as_ref().expect("running");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(c.id() as i32), sig).unwrap();
    }

    /// Whether the process is still alive (false once stopped or exited).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// How the process ended, once it has (None while it runs).
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().unwrap())
    }

    /// Everything lnpayd has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
        // A failing test shows what the daemon said, even when the failure
        // was on the client's side of the connection (CI keeps no files).
        if std::thread::panicking() {
            let log = self.log_text();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            eprintln!(
                "--- the last {} lines of {}:\n{}",
                tail.len(),
                self.log.display(),
                tail.join("\n")
            );
        }
    }
}

/// The reason in a status's `google.rpc.ErrorInfo`.
pub fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

/// A CreateInvoice request for `amount_sat` with a plain description.
pub fn create_req(amount_sat: u64, description: &str) -> lnpayd::proto::CreateInvoiceRequest {
    use lnpayd::proto::create_invoice_request::{Amount, Memo};
    lnpayd::proto::CreateInvoiceRequest {
        amount: Some(Amount::AmountSat(amount_sat)),
        memo: Some(Memo::Description(description.into())),
        ..Default::default()
    }
}

/// Runs one named scenario step, printing its duration (`--nocapture`).
pub async fn step<F: std::future::Future<Output = ()>>(name: &str, f: F) {
    let t = std::time::Instant::now();
    eprintln!("== {name}");
    f.await;
    eprintln!("-- {name}: {:?}", t.elapsed());
}

/// Blocking work (lncli, process control) inside an async test.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}
