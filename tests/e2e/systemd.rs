//! systemd integration, seen from outside: the notify protocol as systemd
//! receives it, and the shipped unit file as systemd-analyze judges it.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::harness::Daemon;

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/lnpayd.service");

/// Receives datagrams until `pred` accepts one or `within` passes; returns
/// every message received, in order.
fn recv_until(
    sock: &UnixDatagram,
    within: Duration,
    mut pred: impl FnMut(&str) -> bool,
) -> (Vec<String>, bool) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (got, false);
        }
        sock.set_read_timeout(Some(left)).unwrap();
        match sock.recv(&mut buf) {
            Ok(n) => {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let done = pred(&msg);
                got.push(msg);
                if done {
                    return (got, true);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return (got, false)
            }
            Err(e) => panic!("recv on the notify socket: {e}"),
        }
    }
}

fn has_line(msg: &str, line: &str) -> bool {
    msg.lines().any(|l| l == line)
}

#[test]
fn notifies_ready_watchdog_and_stopping() {
    // The harness can add environment variables, not remove them: a
    // WATCHDOG_PID inherited from whatever runs the tests would name another
    // process and (rightly) switch the pings off.
    assert!(
        std::env::var_os("WATCHDOG_PID").is_none(),
        "unset WATCHDOG_PID before running this test"
    );
    let dir = tempfile::tempdir().unwrap();
    let notify_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).unwrap();

    let mut d = Daemon::start(
        dir.path(),
        &[],
        &[
            ("NOTIFY_SOCKET", notify_path.to_str().unwrap()),
            // 200 ms: pings every 100 ms.
            ("WATCHDOG_USEC", "200000"),
        ],
    );

    // READY=1 comes first, with a status line ...
    let (msgs, ready) = recv_until(&notify, Duration::from_secs(10), |m| has_line(m, "READY=1"));
    assert!(ready, "no READY=1; got {msgs:?}; log:\n{}", d.log_text());
    assert_eq!(msgs.len(), 1, "READY=1 is the first message: {msgs:?}");
    assert!(
        msgs[0].lines().any(|l| l.starts_with("STATUS=")),
        "{msgs:?}"
    );
    // ... and by then the gRPC port accepts connections.
    std::net::TcpStream::connect_timeout(&d.addr.parse().unwrap(), Duration::from_secs(2))
        .unwrap_or_else(|e| panic!("gRPC port {} not accepting after READY=1: {e}", d.addr));

    // Watchdog pings at half of WATCHDOG_USEC: about ten in a second.
    let start = Instant::now();
    let mut pings = 0;
    let (msgs, _) = recv_until(&notify, Duration::from_secs(1), |m| {
        if m == "WATCHDOG=1\n" {
            pings += 1;
        }
        false
    });
    assert!(
        pings >= 2,
        "{pings} WATCHDOG=1 pings in {:?}; messages: {msgs:?}",
        start.elapsed()
    );
    assert!(
        msgs.iter().all(|m| m == "WATCHDOG=1\n"),
        "only pings while running: {msgs:?}"
    );

    // SIGTERM: STOPPING=1, then a clean exit. (Datagrams sent before the
    // exit stay queued on our socket.)
    let exit = d.terminate();
    assert!(
        exit.success(),
        "exit status {exit:?}; log:\n{}",
        d.log_text()
    );
    let (msgs, stopping) = recv_until(&notify, Duration::from_secs(5), |m| {
        has_line(m, "STOPPING=1")
    });
    assert!(stopping, "no STOPPING=1 after SIGTERM; got {msgs:?}");
    // Nothing claims readiness again while stopping.
    assert!(!msgs.iter().any(|m| has_line(m, "READY=1")), "{msgs:?}");
}

#[test]
fn the_notify_socket_may_be_abstract() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("lnpayd-e2e-{}-{}", std::process::id(), line!());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let notify = UnixDatagram::bind_addr(&addr).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path(), &[], &[("NOTIFY_SOCKET", &format!("@{name}"))]);
    let (msgs, ready) = recv_until(&notify, Duration::from_secs(10), |m| has_line(m, "READY=1"));
    assert!(ready, "no READY=1 on @{name}; got {msgs:?}");
    assert!(d.terminate().success());
}

/// `systemd-analyze`, or a failure telling how to get it: never a silent pass.
fn systemd_analyze(args: &[&str]) -> Output {
    match Command::new("systemd-analyze").args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "systemd-analyze is not installed, so the unit file cannot be checked: \
             run scripts/test (it installs Debian's `systemd` package), \
             or `apt-get install -y systemd`"
        ),
        Err(e) => panic!("cannot run systemd-analyze: {e}"),
    }
}

/// The shipped unit with ExecStart pointing at the binary under test, in
/// `dir` under the same name (verify names the unit after the file).
fn unit_for_this_build(dir: &Path) -> PathBuf {
    let bin = env!("CARGO_BIN_EXE_lnpayd");
    assert!(
        !bin.contains(char::is_whitespace),
        "binary path needs quoting: {bin}"
    );
    let text = std::fs::read_to_string(UNIT).unwrap();
    let from = "ExecStart=/usr/local/bin/lnpayd ";
    assert_eq!(
        text.lines().filter(|l| l.starts_with(from)).count(),
        1,
        "the unit has one ExecStart= of /usr/local/bin/lnpayd"
    );
    let path = dir.join("lnpayd.service");
    std::fs::write(&path, text.replace(from, &format!("ExecStart={bin} "))).unwrap();
    path
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `systemd-analyze verify` exits 0 even for unknown keys and unparsable
/// values (it only warns), so clean means: exit 0 and nothing on stderr.
/// It does not resolve User=/Group= (that happens when the service starts),
/// so the lnpayd user need not exist here; the command's executability is
/// checked, hence the rewritten ExecStart.
#[test]
fn the_unit_file_verifies_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_this_build(dir.path());
    let out = systemd_analyze(&["verify", "--man=no", unit.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify {}: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        unit.display(),
        out.status
    );

    // The check is not vacuous: a misspelt key is reported on stderr.
    let broken_dir = dir.path().join("broken");
    std::fs::create_dir(&broken_dir).unwrap();
    let broken = broken_dir.join("lnpayd.service");
    let misspelt = std::fs::read_to_string(&unit)
        .unwrap()
        .replace("ProtectSystem=strict", "ProtectSytem=strict");
    std::fs::write(&broken, misspelt).unwrap();
    let out = systemd_analyze(&["verify", "--man=no", broken.to_str().unwrap()]);
    assert!(
        text(&out).1.contains("ProtectSytem"),
        "verify did not report a misspelt key: {:?}",
        text(&out)
    );
}

/// The exposure `systemd-analyze security` prints last:
/// `→ Overall exposure level for lnpayd.service: 1.1 OK 🙂`.
fn overall_exposure(stdout: &str) -> Option<f64> {
    let line = stdout
        .lines()
        .find(|l| l.contains("Overall exposure level for"))?;
    let (_, rest) = line.rsplit_once(": ")?;
    rest.split_whitespace().next()?.parse().ok()
}

#[test]
fn the_unit_file_is_rated_ok_by_systemd_analyze_security() {
    // --offline=true rates a unit file that is not loaded (systemd >= 250).
    let out = systemd_analyze(&["security", "--offline=true", "--no-pager", UNIT]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "systemd-analyze security: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let exposure = overall_exposure(&stdout)
        .unwrap_or_else(|| panic!("no overall exposure in:\n{stdout}\nstderr:\n{stderr}"));
    assert!(
        exposure <= 2.0,
        "exposure {exposure} > 2.0 (must be OK or SAFE):\n{stdout}"
    );
}

#[test]
fn exposure_line_parses() {
    assert_eq!(
        overall_exposure("x\n→ Overall exposure level for lnpayd.service: 1.1 OK 🙂\n"),
        Some(1.1)
    );
    assert_eq!(
        overall_exposure("→ Overall exposure level for a.service: 9.6 UNSAFE 😨"),
        Some(9.6)
    );
    assert_eq!(overall_exposure("nothing here"), None);
}
