//! systemd integration: `sd_notify` READY/STOPPING and watchdog pings.
//!
//! The protocol (sd_notify(3)) is one datagram of `KEY=value` lines sent to
//! the `AF_UNIX` socket named by `$NOTIFY_SOCKET`: a filesystem path, or an
//! abstract name written with a leading `@`. Everything here does nothing
//! when not run by systemd, and a failure to notify is logged at debug and
//! never stops the daemon: systemd notices a missing READY or watchdog ping
//! on its own, by its timeouts.
//!
//! The environment is read at each call and left in place (lnpayd starts no
//! children that could mistake it for theirs).

use std::ffi::OsStr;
use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Tells systemd the daemon is ready (store open, gRPC port bound).
pub fn notify_ready() {
    notify("READY=1\nSTATUS=serving gRPC\n");
}

/// Long start-up work (converting a data dir): shows `status` in
/// `systemctl status`, moves systemd's start timeout to `more` from now, and
/// pings the watchdog (the runtime that usually does is not running yet),
/// so a big data dir is not killed half-way.
pub fn notify_progress(status: &str, more: Duration) {
    notify(&format!(
        "STATUS={status}\nEXTEND_TIMEOUT_USEC={}\nWATCHDOG=1\n",
        more.as_micros()
    ));
}

/// Tells systemd the daemon is stopping.
pub fn notify_stopping() {
    notify("STOPPING=1\nSTATUS=shutting down: finishing in-flight calls\n");
}

/// Pings the watchdog at half of `WATCHDOG_USEC` until shutdown.
///
/// Runs as a task on the daemon's runtime, so a runtime that stops making
/// progress stops the pings and systemd restarts the service.
pub async fn watchdog(shutdown: CancellationToken) {
    let timeout = match watchdog_timeout(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
    ) {
        Ok(Some(t)) => t,
        Ok(None) => return shutdown.cancelled().await,
        Err(e) => {
            tracing::debug!(error = %e, "systemd watchdog not enabled");
            return shutdown.cancelled().await;
        }
    };
    let period = timeout / 2;
    tracing::debug!(?timeout, ?period, "systemd watchdog enabled");
    let mut ticks = tokio::time::interval(period);
    // After a stall, ping once and carry on from now: no burst of pings that
    // would hide how late the runtime was.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => notify("WATCHDOG=1\n"),
        }
    }
}

/// The watchdog timeout systemd expects pings within, from `WATCHDOG_USEC`
/// and `WATCHDOG_PID`, as sd_watchdog_enabled(3) reads them: `None` when the
/// watchdog is off or meant for another process (`WATCHDOG_PID` set to a pid
/// that is not ours); an error when a value is malformed or zero.
pub fn watchdog_timeout(
    usec: Option<&str>,
    pid: Option<&str>,
    our_pid: u32,
) -> Result<Option<Duration>, String> {
    let Some(usec) = usec else {
        return Ok(None);
    };
    let usec: u64 = usec
        .parse()
        .map_err(|_| format!("WATCHDOG_USEC={usec:?} is not a number of microseconds"))?;
    if usec == 0 {
        return Err("WATCHDOG_USEC=0 is not a timeout".into());
    }
    if let Some(pid) = pid {
        let pid: u32 = pid
            .parse()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("WATCHDOG_PID={pid:?} is not a process id"))?;
        if pid != our_pid {
            return Ok(None);
        }
    }
    Ok(Some(Duration::from_micros(usec)))
}

/// Sends `state` to `$NOTIFY_SOCKET`, if set; failures are logged at debug.
fn notify(state: &str) {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    match send(&socket, state) {
        Ok(()) => tracing::trace!(state = state.trim_end(), "notified systemd"),
        Err(e) => tracing::debug!(
            error = %e,
            socket = %socket.to_string_lossy(),
            state = state.trim_end(),
            "cannot notify systemd"
        ),
    }
}

fn send(socket: &OsStr, state: &str) -> io::Result<()> {
    let addr = notify_addr(socket)?;
    let sock = UnixDatagram::unbound()?;
    let sent = sock.send_to_addr(state.as_bytes(), &addr)?;
    if sent != state.len() {
        return Err(io::Error::other(format!(
            "short write: {sent} of {} bytes",
            state.len()
        )));
    }
    Ok(())
}

/// `$NOTIFY_SOCKET` as an address: an absolute path, or `@name` for the
/// abstract name `name` (Linux only).
fn notify_addr(socket: &OsStr) -> io::Result<SocketAddr> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = socket.as_bytes();
    match bytes.first() {
        Some(b'/') => SocketAddr::from_pathname(socket),
        Some(b'@') if bytes.len() > 1 => abstract_addr(&bytes[1..]),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "NOTIFY_SOCKET is neither an absolute path nor an @abstract name",
        )),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_addr(name: &[u8]) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_addr(_name: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract socket names exist on Linux only",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: u32 = 4242;

    #[test]
    fn watchdog_usec_is_the_timeout() {
        assert_eq!(
            watchdog_timeout(Some("200000"), None, US),
            Ok(Some(Duration::from_millis(200)))
        );
        assert_eq!(
            watchdog_timeout(Some("30000000"), None, US),
            Ok(Some(Duration::from_secs(30)))
        );
        assert_eq!(
            watchdog_timeout(Some("1"), None, US),
            Ok(Some(Duration::from_micros(1)))
        );
    }

    #[test]
    fn no_watchdog_usec_means_no_watchdog() {
        assert_eq!(watchdog_timeout(None, None, US), Ok(None));
        assert_eq!(watchdog_timeout(None, Some("4242"), US), Ok(None));
    }

    #[test]
    fn watchdog_pid_selects_the_process() {
        let ours = watchdog_timeout(Some("1000"), Some("4242"), US);
        assert_eq!(ours, Ok(Some(Duration::from_millis(1))));
        assert_eq!(watchdog_timeout(Some("1000"), Some("4243"), US), Ok(None));
    }

    #[test]
    fn malformed_values_are_errors() {
        for usec in ["", "0", "-5", "1.5", "20s", " 100", "18446744073709551616"] {
            assert!(
                watchdog_timeout(Some(usec), None, US).is_err(),
                "WATCHDOG_USEC={usec:?}"
            );
        }
        for pid in ["", "0", "-1", "self", "42x"] {
            assert!(
                watchdog_timeout(Some("1000"), Some(pid), US).is_err(),
                "WATCHDOG_PID={pid:?}"
            );
        }
    }

    #[test]
    fn notify_socket_forms() {
        assert!(notify_addr(OsStr::new("/run/systemd/notify")).is_ok());
        assert!(notify_addr(OsStr::new("relative/path")).is_err());
        assert!(notify_addr(OsStr::new("")).is_err());
        assert!(notify_addr(OsStr::new("@")).is_err());
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let a = notify_addr(OsStr::new("@lnpayd/notify")).unwrap();
            assert_eq!(a.as_abstract_name(), Some(&b"lnpayd/notify"[..]));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!(
            "lnpayd-test-{}-{:?}",
            std::process::id(),
            std::time::Instant::now()
        );
        let server =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        send(OsStr::new(&format!("@{name}")), "READY=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
    }

    #[test]
    fn sends_to_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        send(path.as_os_str(), "WATCHDOG=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1\n");
    }
}
