//! What the daemon takes: its store's bytes on disk (allocated and live) and
//! its resident memory.

use std::path::{Path, PathBuf};

/// The store's directory in a data dir (`src/store/open.rs`).
pub(crate) fn store_dir(datadir: &Path) -> PathBuf {
    let fjall = std::env::var("LNPAYD_STORE__BACKEND").is_ok_and(|b| b == "fjall");
    datadir.join(if fjall { "fjall" } else { "store" })
}

pub(crate) fn disk_line(what: &str, datadir: &Path, n: usize) {
    let disk = dir_bytes(&store_dir(datadir));
    println!(
        "{what}: {} MB, {:.0} bytes per invoice",
        disk / 1_000_000,
        disk as f64 / n as f64
    );
}

/// What the store holds, as sled's keys and values (every tree): the live
/// data, against which the allocated bytes are the log's overhead. Opened
/// while no daemon runs; the daemon's own restart follows.
pub(crate) fn live_line(datadir: &Path, n: usize) {
    let dir = datadir.join("store");
    if !dir.exists() {
        // fjall keeps the same keys and values (`src/store/keys.rs`): sled's line says them.
        return;
    }
    // The settings a store was made with are in its `conf`; sled refuses others.
    // (text lines, then a binary checksum)
    let conf = std::fs::read(dir.join("conf")).unwrap_or_default();
    let conf = String::from_utf8_lossy(&conf);
    let setting = |name: &str| {
        conf.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .map(str::trim)
            .map(String::from)
    };
    let mut cfg = sled::Config::new().path(&dir);
    if let Some(size) = setting("segment_size").and_then(|v| v.parse().ok()) {
        cfg = cfg.segment_size(size);
    }
    if setting("use_compression").as_deref() == Some("true") {
        cfg = cfg.use_compression(true);
    }
    let db = cfg.open().expect("open the store");
    let (mut keys, mut bytes) = (0u64, 0u64);
    // By key prefix (up to the first '/'): which records the bytes are.
    let mut by_prefix = std::collections::BTreeMap::<String, (u64, u64)>::new();
    for name in db.tree_names() {
        for kv in db.open_tree(name).unwrap().iter() {
            let (k, v) = kv.unwrap();
            keys += 1;
            bytes += (k.len() + v.len()) as u64;
            let cut = k
                .iter()
                .position(|b| *b == b'/')
                .map_or(k.len().min(2), |i| i + 1);
            let e = by_prefix
                .entry(String::from_utf8_lossy(&k[..cut]).into_owned())
                .or_default();
            e.0 += 1;
            e.1 += (k.len() + v.len()) as u64;
        }
    }
    let parts: Vec<String> = by_prefix
        .iter()
        .filter(|(_, (count, _))| *count as usize >= n / 10)
        .map(|(p, (count, b))| {
            format!(
                "{p} {:.1}x {:.0} B",
                *count as f64 / n as f64,
                *b as f64 / n as f64
            )
        })
        .collect();
    println!("live per invoice, by key prefix: {}", parts.join(", "));
    println!(
        "live: {keys} keys, {} MB of keys and values, {:.0} bytes per invoice ({:.1} keys)",
        bytes / 1_000_000,
        bytes as f64 / n as f64,
        keys as f64 / n as f64
    );
}

/// Bytes the store's files take on disk (allocated blocks, as `du`).
pub(crate) fn dir_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            dir_bytes(&entry.path())
        } else {
            meta.blocks() * 512
        };
    }
    total
}

/// The resident memory of the lnpayd serving `datadir`, found through /proc
/// by its command line.
pub(crate) fn rss_mb(datadir: &Path) -> u64 {
    let needle = datadir.to_string_lossy().to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        let Ok(cmd) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd);
        if !cmd.contains("lnpayd") || !cmd.split('\0').any(|a| a == needle) {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        if let Some(kb) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            return kb / 1024;
        }
    }
    panic!("no lnpayd process serving {needle}");
}
