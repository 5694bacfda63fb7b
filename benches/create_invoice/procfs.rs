//! CPU time, storage writes and process groups from /proc, and the
//! filesystem the data dirs are on.

use std::path::Path;

use crate::common::clk_tck;

// ---------------------------------------------------------------- /proc

/// (pgrp, utime+stime in ticks) from /proc/<pid>/stat.
fn proc_stat(pid: &str) -> Option<(i32, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((
        f.get(2)?.parse().ok()?,
        f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
    ))
}

/// CPU seconds used so far by one process.
pub(crate) fn cpu_of_pid(pid: i32) -> f64 {
    proc_stat(&pid.to_string())
        .map(|(_, t)| t as f64 / clk_tck())
        .unwrap_or(0.0)
}

/// CPU seconds used so far by the live processes of a process group.
pub(crate) fn cpu_of_group(pgrp: i32) -> f64 {
    let mut ticks = 0;
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some((g, t)) = proc_stat(&name) {
                if g == pgrp {
                    ticks += t;
                }
            }
        }
    }
    ticks as f64 / clk_tck()
}

/// Bytes written to storage so far (`write_bytes` in /proc/<pid>/io), summed over `pids`.
pub(crate) fn write_bytes(pids: &[i32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/io")).ok())
        .filter_map(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("write_bytes:")
                    .and_then(|v| v.trim().parse::<u64>().ok())
            })
        })
        .sum()
}

pub(crate) fn group_pids(pgrp: i32) -> Vec<i32> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Ok(pid) = name.parse::<i32>() {
                if proc_stat(&name).is_some_and(|(g, _)| g == pgrp) {
                    out.push(pid);
                }
            }
        }
    }
    out
}

/// The filesystem type holding `path` (longest mount-point prefix in /proc/mounts).
pub(crate) fn fs_type(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let mut best: (usize, String) = (0, "unknown".into());
    for l in mounts.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        if path.starts_with(f[1]) && f[1].len() >= best.0 {
            best = (f[1].len(), format!("{} ({} on {})", f[2], f[0], f[1]));
        }
    }
    best.1
}
