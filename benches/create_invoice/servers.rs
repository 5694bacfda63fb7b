//! The two servers as child processes: lnpayd (`--dev`) and LNbits' fixture,
//! each stopped when its guard drops.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

// ---------------------------------------------------------------- processes

/// A child process that is stopped when dropped (also while unwinding from a panic).
pub(crate) struct Guard {
    name: &'static str,
    child: Option<Child>,
    /// Signal the whole process group (the child leads it).
    group: bool,
    /// Kept open: LNbits' fixture stops when its stdin reaches EOF.
    stdin: Option<ChildStdin>,
}

impl Guard {
    pub(crate) fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        self.signal_pid(&child, Signal::SIGTERM);
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(6);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    eprintln!(
                        "bench: {} did not stop within 6 s of SIGTERM; SIGKILL",
                        self.name
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        if self.group {
            // Anything left in the group (uvicorn, normally already gone).
            let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
        }
    }

    fn signal_pid(&self, child: &Child, sig: Signal) {
        let pid = Pid::from_raw(child.id() as i32);
        let _ = if self.group {
            killpg(pid, sig)
        } else {
            kill(pid, sig)
        };
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Waits for the first stdout line that `parse` accepts; keeps draining stdout afterwards.
fn wait_for_line<T: Send + 'static>(
    stdout: impl Read + Send + 'static,
    timeout: Duration,
    parse: impl Fn(&str) -> Option<T> + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(v) = parse(&line) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(v);
                }
            }
        }
    });
    rx.recv_timeout(timeout).ok()
}

pub(crate) struct Lnpayd {
    pub(crate) guard: Guard,
    pub(crate) addr: String,
    pub(crate) token: String,
}

pub(crate) fn start_lnpayd(dir: &Path) -> Lnpayd {
    let datadir = dir.join("lnpayd");
    let log = dir.join("lnpayd.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let bin = std::env::var_os("BENCH_LNPAYD_BIN").unwrap_or(env!("CARGO_BIN_EXE_lnpayd").into());
    let mut cmd = Command::new(bin);
    cmd.arg("--dev")
        .arg("--datadir")
        .arg(&datadir)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("LNPAYD_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    // Keep the default configuration: drop any LNPAYD_* overrides from the caller.
    for (k, _) in std::env::vars() {
        if k.starts_with("LNPAYD_") {
            cmd.env_remove(k);
        }
    }
    if let Ok(b) = std::env::var("BENCH_STORE_BACKEND") {
        cmd.env("LNPAYD_STORE__BACKEND", b);
    }
    unsafe {
        use std::os::unix::process::CommandExt;
        // Dies with the benchmark even if the benchmark is SIGKILLed.
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn().expect("spawn lnpayd");
    let stdout = child.stdout.take().unwrap();
    let mut guard = Guard {
        name: "lnpayd",
        child: Some(child),
        group: false,
        stdin: None,
    };
    let addr = wait_for_line(stdout, Duration::from_secs(60), |l| {
        // `grpc=<addr>`, then other listeners (`metrics=`, `checkout=`).
        l.strip_prefix("lnpayd ready: grpc=")
            .and_then(|a| a.split_whitespace().next())
            .map(str::to_string)
    });
    let Some(addr) = addr else {
        guard.stop();
        panic!(
            "lnpayd did not become ready; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    };
    let token = std::fs::read_to_string(datadir.join("invoice.token"))
        .expect("read invoice.token")
        .trim()
        .to_string();
    Lnpayd { guard, addr, token }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) struct LnbitsStarting {
    guard: Guard,
    stdout: std::process::ChildStdout,
    stderr_path: PathBuf,
}

pub(crate) struct Lnbits {
    pub(crate) guard: Guard,
    pub(crate) url: String,
    pub(crate) inkey: String,
}

pub(crate) fn lnbits_python() -> PathBuf {
    let py = repo().join(".tools/lnbits-venv/bin/python");
    if !py.exists() {
        eprintln!("bench: LNbits venv missing; running scripts/ensure-tools.sh lnbits");
        let st = Command::new(repo().join("scripts/ensure-tools.sh"))
            .arg("lnbits")
            .current_dir(repo())
            .status()
            .expect("run scripts/ensure-tools.sh");
        assert!(st.success(), "scripts/ensure-tools.sh lnbits failed: {st}");
    }
    py
}

pub(crate) fn spawn_lnbits(dir: &Path) -> LnbitsStarting {
    use std::os::unix::process::CommandExt;
    let py = lnbits_python();
    let stderr_path = dir.join("lnbits_fixture.stderr");
    let mut child = Command::new(&py)
        .arg(repo().join("scripts/lnbits_fixture.py"))
        .arg("--port")
        .arg(free_port().to_string())
        .arg("--data-dir")
        .arg(dir.join("lnbits"))
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .process_group(0)
        .spawn()
        .expect("spawn lnbits_fixture.py");
    let stdout = child.stdout.take().unwrap();
    let stdin = child.stdin.take();
    LnbitsStarting {
        guard: Guard {
            name: "lnbits",
            child: Some(child),
            group: true,
            stdin,
        },
        stdout,
        stderr_path,
    }
}

pub(crate) fn finish_lnbits(s: LnbitsStarting) -> Lnbits {
    let LnbitsStarting {
        mut guard,
        stdout,
        stderr_path,
    } = s;
    let line = wait_for_line(stdout, Duration::from_secs(150), |l| {
        serde_json::from_str::<serde_json::Value>(l).ok()
    });
    let Some(v) = line else {
        guard.stop();
        panic!(
            "LNbits fixture printed no JSON line; its stderr:\n{}",
            std::fs::read_to_string(&stderr_path).unwrap_or_default()
        );
    };
    Lnbits {
        guard,
        url: v["url"].as_str().expect("url").to_string(),
        inkey: v["merchant"]["inkey"]
            .as_str()
            .expect("merchant.inkey")
            .to_string(),
    }
}
