//! Child processes that never outlive the test process, free ports, and
//! polling.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked a child exits, not
//! the process. Tests run on short-lived threads (one per test, and the
//! worker threads of each test's runtime), so a node started by one test and
//! used by the next would be killed as soon as the first test ended. Every
//! fixture therefore forks on one thread that lives as long as the process:
//! [`spawn_tied`].

use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

type SpawnJob = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `cmd` so that the kernel sends it `signal` when the test process
/// exits, however it exits (SIGKILL included). Dropping the [`Child`] does
/// not stop it: the fixture holding it does, in its `Drop`.
pub fn spawn_tied(mut cmd: Command, signal: Signal) -> io::Result<Child> {
    // SAFETY: prctl is async-signal-safe; nothing is allocated between fork
    // and exec.
    unsafe {
        cmd.pre_exec(move || nix::sys::prctl::set_pdeathsig(signal).map_err(io::Error::from));
    }
    static SPAWNER: OnceLock<mpsc::Sender<SpawnJob>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnJob>();
        // The sender lives in a static, so this thread ends with the process.
        std::thread::Builder::new()
            .name("testkit-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("start the spawner thread");
        tx
    });
    let (reply, answer) = mpsc::channel();
    spawner
        .send((cmd, reply))
        .expect("the spawner thread is gone");
    answer.recv().expect("the spawner thread is gone")
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

/// `n` distinct ports on 127.0.0.1 that were free a moment ago.
pub fn free_ports(n: usize) -> Vec<u16> {
    // Held open together so the ports are distinct.
    let socks: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    socks
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect()
}

/// Polls `f` every 100 ms until it returns `Some`; panics naming `what`
/// after `timeout`.
pub fn wait_until<T>(timeout: Duration, what: &str, f: impl FnMut() -> Option<T>) -> T {
    wait_until_or(timeout, f)
        .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}"))
}

/// Polls `f` every 100 ms until it returns `Some`, or `None` after `timeout`.
pub fn wait_until_or<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
