//! The in-place conversion of a sled data dir: whole and verified, kept
//! aside, and safe to interrupt anywhere.

use super::{convert_in_place, FjallStore, SLED_KEPT};
use crate::store::contract::fixtures::{assert_serves_the_same, populated_sled};
use crate::store::contract::invoice;
use crate::store::{Inserted, SledStore, Store, StoreError};

async fn sled_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    drop(populated_sled(&dir.path().join("store")).await);
    dir
}

#[tokio::test]
async fn a_sled_data_dir_is_converted_whole_and_kept_aside() {
    let dir = sled_data_dir().await;
    let done = convert_in_place(dir.path()).unwrap().expect("converted");
    let keys: u64 = done.trees.iter().map(|(_, n, _)| n).sum();
    assert!(keys > 100, "{done:?}");
    assert!(!dir.path().join("store").exists());
    assert_eq!(done.kept, dir.path().join(SLED_KEPT));

    let fjall = FjallStore::open(&dir.path().join("fjall"), 1 << 20).unwrap();
    let sled = SledStore::open(&done.kept, 1 << 20).unwrap();
    assert_serves_the_same(&*fjall, &*sled);
    // The log continues where sled's ended.
    let next = fjall
        .insert_invoice(&invoice(99, 9_000, 99_000), None, &[])
        .unwrap();
    assert!(matches!(next, Inserted::New(e) if e.sequence == 41));
    drop(fjall);
    // A second start has nothing to do.
    assert!(convert_in_place(dir.path()).unwrap().is_none());
}

#[tokio::test]
async fn an_interrupted_copy_is_thrown_away_and_done_again() {
    let dir = sled_data_dir().await;
    let junk = dir.path().join("fjall.converting");
    std::fs::create_dir_all(junk.join("partitions")).unwrap();
    std::fs::write(junk.join("half-written"), b"x").unwrap();
    convert_in_place(dir.path()).unwrap().expect("converted");
    assert!(!junk.exists());
    let fjall = FjallStore::open(&dir.path().join("fjall"), 1 << 20).unwrap();
    assert_eq!(fjall.events_after(0, 100).unwrap().len(), 40);
}

#[tokio::test]
async fn a_stop_between_the_renames_is_finished_at_the_next_start() {
    let dir = sled_data_dir().await;
    let done = convert_in_place(dir.path()).unwrap().unwrap();
    // As if the process had stopped before moving the sled dir aside.
    std::fs::rename(&done.kept, dir.path().join("store")).unwrap();
    assert!(convert_in_place(dir.path()).unwrap().is_none());
    assert!(!dir.path().join("store").exists());
    assert!(dir.path().join(SLED_KEPT).join("conf").exists());
}

#[tokio::test]
async fn a_fjall_store_beside_a_sled_one_is_used_and_sled_left_alone() {
    // What an earlier opt-in left: a fresh fjall store next to the sled one.
    let dir = sled_data_dir().await;
    drop(FjallStore::open(&dir.path().join("fjall"), 1 << 20).unwrap());
    assert!(convert_in_place(dir.path()).unwrap().is_none());
    assert!(dir.path().join("store").join("conf").exists());
    assert!(!dir.path().join(SLED_KEPT).exists());
}

#[tokio::test]
async fn a_sled_store_with_a_tree_lnpayd_does_not_know_is_not_converted() {
    let dir = sled_data_dir().await;
    {
        let db = sled::open(dir.path().join("store")).unwrap();
        db.open_tree("someone_elses")
            .unwrap()
            .insert(b"k", b"v")
            .unwrap();
        db.flush().unwrap();
    }
    let err = convert_in_place(dir.path()).unwrap_err();
    assert!(
        matches!(&err, StoreError::Config(m) if m.contains("someone_elses")),
        "{err:?}"
    );
    assert!(dir.path().join("store").join("conf").exists(), "untouched");
    assert!(!dir.path().join("fjall").exists());
    assert!(!dir.path().join("fjall.converting").exists());
}

#[test]
fn nothing_to_convert_in_a_new_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    assert!(convert_in_place(dir.path()).unwrap().is_none());
}
