//! A background task that dies takes the daemon down with a non-zero exit
//! and its name in the log, instead of leaving a half-alive process (the
//! fault hook exists in debug builds only).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the daemon when the test ends, whatever happened.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn dies_with(task: &str) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("lnpayd.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut d = Running(
        Command::new(env!("CARGO_BIN_EXE_lnpayd"))
            .arg("--dev")
            .arg("--datadir")
            .arg(dir.path().join("data"))
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("LNPAYD_CONFIG")
            .env("LNPAYD_METRICS__LISTEN", "127.0.0.1:0")
            .env("LNPAYD_FAULT_PANIC_TASK", task)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn lnpayd"),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(s) = d.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "lnpayd still runs after its {task} task panicked; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "exit {status:?}; log:\n{text}");
    assert!(
        text.contains("lnpayd ready"),
        "it was serving before: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("background task died") && l.contains(task)),
        "no log line names the {task} task: {text}"
    );
    assert!(
        text.contains("lnpayd stopped"),
        "it stopped in order: {text}"
    );
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the fault hook exists in debug builds only"
)]
fn a_panicking_expiry_timer_ends_the_daemon_non_zero() {
    dies_with("expiry_timer");
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the fault hook exists in debug builds only"
)]
fn a_panicking_watcher_ends_the_daemon_non_zero() {
    dies_with("dev_watcher");
}
