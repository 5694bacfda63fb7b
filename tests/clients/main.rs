//! The TypeScript (clients/typescript) and Python (clients/python) clients
//! against the real `lnpayd --dev`: each client's own test suite (node's
//! test runner, pytest) runs as a child process with the daemon's address
//! and tokens in its environment, and this test fails with its output when
//! it exits non-zero.
//!
//! A suite asks for a `kill -9` and restart by creating `restart-requested`
//! in LNPAYD_TEST_SIGNAL_DIR; this side kills the daemon, starts it again on
//! the same data dir and port, creates two invoices (events the client
//! must catch up on), and creates `restarted`.
//!
//! Needs `scripts/ensure-tools.sh clients` (node_modules, the Python venv).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::daemon::Daemon;

fn suite_timeout() -> Duration {
    Duration::from_secs(180)
}

/// Runs `cmd` against a fresh daemon, serving its restart requests, and
/// panics with its output unless it exits 0.
async fn run_suite(name: &str, mut cmd: Command) {
    let dir = tempfile::tempdir().unwrap();
    let signals = dir.path().join("signals");
    std::fs::create_dir(&signals).unwrap();
    let mut daemon = Daemon::start(dir.path(), &[], &[]);
    let addr = daemon.addr.clone();

    let out = dir.path().join("suite.out");
    let log = std::fs::File::create(&out).unwrap();
    cmd.env("LNPAYD_TEST_ADDR", &addr)
        .env("LNPAYD_TEST_INVOICE_TOKEN", daemon.token("invoice"))
        .env("LNPAYD_TEST_ADMIN_TOKEN", daemon.token("admin"))
        .env("LNPAYD_TEST_SIGNAL_DIR", &signals)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let mut child = testkit::process::spawn_tied(cmd, nix::sys::signal::Signal::SIGKILL)
        .unwrap_or_else(|e| panic!("{name}: cannot start the suite: {e}"));

    let deadline = Instant::now() + suite_timeout();
    let mut restarts = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        if signals.join("restart-requested").exists() {
            std::fs::remove_file(signals.join("restart-requested")).unwrap();
            daemon = restart(daemon, dir.path(), &addr).await;
            restarts += 1;
            std::fs::write(signals.join("restarted"), restarts.to_string()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let output = std::fs::read_to_string(&out).unwrap_or_default();
    println!("---- {name} output ----\n{output}\n---- end of {name} output ----");
    match status {
        Some(s) if s.success() => {}
        Some(s) => panic!(
            "{name} failed ({s}); daemon log:\n{}",
            tail(&daemon.log_text(), 60)
        ),
        None => panic!("{name} did not finish within {:?}", suite_timeout()),
    }
    assert_eq!(restarts, 1, "{name} should ask for exactly one restart");
}

/// kill -9, then the same data dir and port, then two invoices the client
/// has not seen yet.
async fn restart(mut daemon: Daemon, dir: &Path, addr: &str) -> Daemon {
    daemon.kill9();
    let daemon = Daemon::start(dir, &["--listen", addr], &[]);
    assert_eq!(daemon.addr, addr, "restarted on another address");
    for i in 0..2 {
        daemon
            .create(200 + i, &format!("created during the restart {i}"))
            .await;
    }
    daemon
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn repo() -> PathBuf {
    testkit::repo_root()
}

#[tokio::test(flavor = "multi_thread")]
async fn typescript_client() {
    let pkg = repo().join("clients/typescript");
    assert!(
        pkg.join("node_modules/@connectrpc/connect-node").exists(),
        "{} has no node_modules: run scripts/ensure-tools.sh clients",
        pkg.display()
    );
    let mut cmd = Command::new("node");
    cmd.current_dir(&pkg)
        .args(["--test", "--test-reporter=spec", "test/"]);
    run_suite("node --test (clients/typescript)", cmd).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_client() {
    let python = repo().join(".tools/clients-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/ensure-tools.sh clients",
        python.display()
    );
    let pkg = repo().join("clients/python");
    let mut cmd = Command::new(python);
    cmd.current_dir(&pkg)
        .env("PYTHONPATH", pkg.join("src"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["-m", "pytest", "-v", "-p", "no:cacheprovider", "tests"]);
    run_suite("pytest (clients/python)", cmd).await;
}
