//! Where the processes may run during a throughput window (taskset), and how
//! many CPUs the machine has.

use crate::load::Pids;

// ---------------------------------------------------------------- CPU layouts

/// Where the processes may run during a throughput window.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Layout {
    /// Every process on every CPU: lnpayd's CPU comes out of LND's.
    Shared,
    /// Alice's LND alone on the first half of the CPUs; lnpayd and the bench
    /// client on the rest. Asks whether lnpayd keeps LND from its own pace,
    /// as on a host where LND is not starved by its neighbours.
    Split,
}

impl Layout {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Layout::Shared => "shared",
            Layout::Split => "split",
        }
    }

    /// Pins every thread of alice's LND, lnpayd and this process (threads
    /// started later inherit it). `None` if the machine has one CPU.
    pub(crate) fn apply(self, pids: &Pids) -> Option<()> {
        let n = online_cpus();
        let all = format!("0-{}", n - 1);
        let (lnd, rest) = match self {
            Layout::Shared => (all.clone(), all),
            Layout::Split if n < 2 => return None,
            Layout::Split => (format!("0-{}", n / 2 - 1), format!("{}-{}", n / 2, n - 1)),
        };
        let me = std::process::id() as i32;
        for (pid, cpus) in [
            (pids.alice, &lnd),
            (pids.lnpayd, &rest),
            (pids.relay, &rest),
            (me, &rest),
        ] {
            let out = std::process::Command::new("taskset")
                .args(["--all-tasks", "--cpu-list", "--pid", cpus, &pid.to_string()])
                .output()
                .expect("taskset (util-linux) runs");
            assert!(
                out.status.success(),
                "taskset {cpus} {pid}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(())
    }
}

/// The machine's CPUs, whatever this process is pinned to (which is what
/// `available_parallelism` reports).
pub(crate) fn online_cpus() -> usize {
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_default();
    // "0-1", "0", "0-3,6-7"
    online
        .trim()
        .split(',')
        .filter_map(|r| match r.split_once('-') {
            Some((a, b)) => Some(b.parse::<usize>().ok()? - a.parse::<usize>().ok()? + 1),
            None => r.parse::<usize>().ok().map(|_| 1),
        })
        .sum::<usize>()
        .max(1)
}
