//! `events --follow` across daemon restarts on the same data dir and port:
//! the CLI reconnects by itself and prints every event once, in order.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use testkit::daemon::Daemon;
use testkit::process::free_port;

use crate::{s, Cli};

/// The follower, killed when the test ends (also on failure).
struct Follower {
    child: Child,
    sequences: mpsc::Receiver<u64>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Follower {
    fn start(cli: &Cli, after: u64, stderr: &std::path::Path) -> Follower {
        let after = after.to_string();
        let mut cmd = cli.command(&["events", "--follow", "--after", &after]);
        cmd.stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr).unwrap());
        let mut child = cmd.spawn().expect("spawn lnpayd-cli");
        let stdout = child.stdout.take().unwrap();
        let (tx, sequences) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
                let _ = tx.send(v["sequence"].as_u64().expect("a sequence"));
            }
        });
        Follower { child, sequences }
    }

    /// The next `n` sequences printed.
    fn next(&self, n: usize) -> Vec<u64> {
        (0..n)
            .map(|i| {
                self.sequences
                    .recv_timeout(Duration::from_secs(20))
                    .unwrap_or_else(|_| panic!("event {} of {n} not printed within 20 s", i + 1))
            })
            .collect()
    }
}

fn create(cli: &Cli, what: &str) -> String {
    let inv = cli.json(&["create", "--amount-sat", "10", "--description", what]);
    s(&inv["id"]).to_string()
}

#[test]
fn follow_resumes_after_the_last_printed_sequence_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let listen = ["--listen", addr.as_str()];
    let mut d = Daemon::start(dir.path(), &listen, &[]);
    assert_eq!(d.addr, addr);
    let cli = Cli::of(&d);
    for i in 1..=3 {
        create(&cli, &format!("before {i}"));
    }

    let stderr = dir.path().join("follow.stderr");
    let follower = Follower::start(&cli, 1, &stderr);
    let mut seen = follower.next(2);
    assert_eq!(seen, [2, 3], "the replay after the cursor");
    let live = create(&cli, "live");
    cli.json(&["simulate", &live]);
    seen.extend(follower.next(2));

    // kill -9: the connection breaks mid-stream. Events happen right after
    // the restart, before the follower is back: its replay must bring them.
    d.kill9();
    let mut d = Daemon::start(dir.path(), &listen, &[]);
    let after_kill = create(&cli, "after kill");
    create(&cli, "after kill 2");
    cli.json(&["simulate", &after_kill]);
    seen.extend(follower.next(3));

    // SIGTERM: the daemon ends the stream itself on its way down.
    assert!(d.terminate().success());
    let _d = Daemon::start(dir.path(), &listen, &[]);
    create(&cli, "after term");
    seen.extend(follower.next(1));

    assert_eq!(seen, (2..=9).collect::<Vec<u64>>(), "no gap, no duplicate");
    // Nothing more trails in: no event was printed twice.
    let late = follower.sequences.recv_timeout(Duration::from_millis(1500));
    assert!(late.is_err(), "printed again: {late:?}");
    let log = std::fs::read_to_string(&stderr).unwrap();
    eprintln!("follower stderr:\n{log}");
    let reconnects = log.matches("reconnecting").count();
    assert!(reconnects >= 2, "a notice per lost stream: {log}");
    assert!(log.contains("after sequence 5"), "{log}");
}
