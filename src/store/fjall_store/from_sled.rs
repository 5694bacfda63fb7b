//! A sled data dir becomes a fjall one, in place, when the daemon starts on
//! it with the fjall backend (the default): `<datadir>/store` is copied key
//! for key into `<datadir>/fjall`. Both engines hold the same keys and
//! records, so this is a copy, not a re-encoding; sled's own conversions of
//! older releases' records run first, as sled opens.
//!
//! Crash-safe by its order: the copy is written to `fjall.converting` (a
//! leftover one is thrown away and redone), persisted, re-opened and checked
//! against the source's count and SHA-256 per tree, marked, and only then
//! renamed to `fjall`. The sled dir is then renamed to
//! `store.sled-converted` and kept, never deleted: the operator removes it
//! once satisfied. A crash between the two renames is finished at the next
//! start, recognised by the marker.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fjall::{PartitionCreateOptions, PersistMode};

use crate::store::{sled_webhooks, Checksum, SledStore, StoreError};

/// Written into the fjall dir, last, before it is renamed into place.
const MARKER: &str = "converted-from-sled";
/// Where the sled dir is kept after a conversion.
pub const SLED_KEPT: &str = "store.sled-converted";
/// The trees lnpayd writes, by the name both engines give them.
const TREES: [&str; 2] = ["lnpayd_v1", sled_webhooks::TREE];
/// Keys per atomic write batch.
const BATCH: usize = 5_000;
/// A progress line (and a systemd status) every this many keys.
const REPORT_EVERY: u64 = 200_000;

/// A fjall keyspace lives in `dir` (fjall's own marker file is there).
pub fn is_store(dir: &Path) -> bool {
    dir.join("version").exists()
}

/// What a conversion copied, per tree: name, keys, SHA-256.
#[derive(Debug)]
pub struct Converted {
    pub trees: Vec<(&'static str, u64, String)>,
    pub elapsed: Duration,
    /// Where the sled dir is now.
    pub kept: PathBuf,
}

/// Converts `<datadir>/store` into `<datadir>/fjall` when the data dir has
/// the first and not the second; `None` when there was nothing to do.
pub fn convert_in_place(datadir: &Path) -> Result<Option<Converted>, StoreError> {
    let sled_dir = datadir.join("store");
    let fjall_dir = datadir.join("fjall");
    let kept = datadir.join(SLED_KEPT);
    let has_sled = sled_dir.join("conf").exists();
    if is_store(&fjall_dir) {
        if has_sled && fjall_dir.join(MARKER).exists() {
            // Converted, then stopped before the sled dir was moved aside.
            rename(&sled_dir, &kept)?;
        } else if has_sled {
            tracing::warn!(sled = %sled_dir.display(), fjall = %fjall_dir.display(),
                "both a sled and a fjall store are in the data dir; serving fjall's, sled's is not read");
        }
        return Ok(None);
    }
    if !has_sled {
        return Ok(None);
    }
    if fjall_dir.exists() {
        // Not a keyspace (fjall writes its marker first): nothing lnpayd
        // would have made, so nothing to delete on its behalf.
        return Err(StoreError::Config(format!(
            "{} is in the way of converting the sled store: it is not a fjall store; move it away",
            fjall_dir.display()
        )));
    }
    let started = Instant::now();
    tracing::info!(from = %sled_dir.display(), to = %fjall_dir.display(),
        "converting the sled data dir to fjall; the sled dir is kept as {SLED_KEPT}");
    let work = datadir.join("fjall.converting");
    if work.exists() {
        tracing::info!("throwing away an interrupted conversion");
        std::fs::remove_dir_all(&work).map_err(|e| io("removing", &work, e))?;
    }
    // sled's cache only speeds up this one sequential read.
    let sled = SledStore::open(&sled_dir, 64 * 1024 * 1024)?;
    let copied = copy(&sled, &work, started).inspect_err(|_| {
        // A full disk, most likely: leave no half copy behind.
        std::fs::remove_dir_all(&work).ok();
    })?;
    drop(sled);
    let found = digests(&work)?;
    if found != copied {
        std::fs::remove_dir_all(&work).ok();
        return Err(StoreError::Corrupt {
            key: work.display().to_string(),
            detail: format!("the copy does not match its source: copied {copied:?}, read back {found:?}; the sled store is untouched"),
        });
    }
    std::fs::write(work.join(MARKER), marker_text(&copied)).map_err(|e| io("writing", &work, e))?;
    sync_dir(&work)?;
    rename(&work, &fjall_dir)?;
    rename(&sled_dir, &kept)?;
    let elapsed = started.elapsed();
    for (tree, keys, sha) in &copied {
        tracing::info!(tree, keys, sha256 = %sha, "converted and verified");
    }
    tracing::info!(secs = elapsed.as_secs_f64(), kept = %kept.display(),
        "the data dir is on fjall now; remove the sled dir once satisfied");
    Ok(Some(Converted {
        trees: copied,
        elapsed,
        kept,
    }))
}

type Digests = Vec<(&'static str, u64, String)>;

/// Copies every key of lnpayd's trees; refuses a sled store holding keys
/// anywhere else (they would be lost).
fn copy(sled: &SledStore, to: &Path, started: Instant) -> Result<Digests, StoreError> {
    let db = sled.db();
    for name in db.tree_names() {
        let name = String::from_utf8_lossy(&name).into_owned();
        if !TREES.contains(&name.as_str()) && !db.open_tree(&name)?.is_empty() {
            return Err(StoreError::Config(format!(
                "the sled store holds a tree lnpayd does not know ({name}); not converting it"
            )));
        }
    }
    let keyspace = fjall::Config::new(to).open()?;
    let mut total = 0u64;
    let mut out = Vec::new();
    for name in TREES {
        let tree = db.open_tree(name)?;
        let part = keyspace.open_partition(name, PartitionCreateOptions::default())?;
        let mut sum = Checksum::default();
        let mut batch = keyspace.batch();
        for item in tree.iter() {
            let (k, v) = item?;
            sum.add(&[&k, &v]);
            batch.insert(&part, k.to_vec(), v.to_vec());
            total += 1;
            if total % BATCH as u64 == 0 {
                std::mem::replace(&mut batch, keyspace.batch()).commit()?;
            }
            if total % REPORT_EVERY == 0 {
                progress(total, started);
            }
        }
        batch.commit()?;
        let (keys, sha) = sum.finish();
        out.push((name, keys, sha));
    }
    keyspace.persist(PersistMode::SyncAll)?;
    Ok(out)
}

/// The copy as fjall reads it back, after re-opening it.
fn digests(dir: &Path) -> Result<Digests, StoreError> {
    let keyspace = fjall::Config::new(dir).open()?;
    let mut out = Vec::new();
    for name in TREES {
        let part = keyspace.open_partition(name, PartitionCreateOptions::default())?;
        let mut sum = Checksum::default();
        for item in part.iter() {
            let (k, v) = item?;
            sum.add(&[&k, &v]);
        }
        let (keys, sha) = sum.finish();
        out.push((name, keys, sha));
    }
    Ok(out)
}

fn progress(keys: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let rate = keys as f64 / secs.max(0.001);
    tracing::info!(
        keys,
        secs,
        per_sec = rate as u64,
        "converting the data dir to fjall"
    );
    crate::systemd::notify_progress(
        &format!("converting the data dir to fjall: {keys} keys in {secs:.0} s"),
        Duration::from_secs(60),
    );
}

fn marker_text(trees: &Digests) -> String {
    let mut s = format!(
        "converted from sled by lnpayd {}\n",
        env!("CARGO_PKG_VERSION")
    );
    for (name, keys, sha) in trees {
        s.push_str(&format!("{name} {keys} {sha}\n"));
    }
    s
}

fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::rename(from, to).map_err(|e| io("renaming", from, e))?;
    sync_dir(to.parent().unwrap_or(Path::new(".")))
}

/// A rename is durable once its directory is synced.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("syncing", dir, e))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unwritable(format!("{what} {}: {e}", path.display()))
}
