//! Per-process CPU time, and the pids of this bench's children, from /proc.

use crate::common::clk_tck;

// ---------------------------------------------------------------- /proc

/// (ppid, comm, utime+stime in ticks) from /proc/<pid>/stat.
fn proc_stat(pid: i32) -> Option<(i32, String, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let comm = s[s.find('(')? + 1..s.rfind(')')?].to_string();
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((
        f.get(1)?.parse().ok()?,
        comm,
        f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
    ))
}

pub(crate) fn cpu_of_pid(pid: i32) -> f64 {
    proc_stat(pid)
        .map(|(_, _, t)| t as f64 / clk_tck())
        .unwrap_or(0.0)
}

/// The child of this process named `comm` whose command line contains `arg`.
/// (The harness keeps its `Child`ren private; /proc finds them.)
pub(crate) fn child_pid(comm: &str, arg: &str) -> Option<i32> {
    let me = std::process::id() as i32;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Some((ppid, c, _)) = proc_stat(pid) else {
            continue;
        };
        if ppid != me || c != comm {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(arg) {
            return Some(pid);
        }
    }
    None
}
