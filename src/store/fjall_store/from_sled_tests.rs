//! The in-place conversion of a sled data dir: whole and verified, kept
//! aside, and safe to interrupt anywhere.

use super::{FjallStore, SLED_KEPT};
use crate::store::contract::fixtures::{
    assert_serves_the_same, populated_sled, retry_while_sled_locked,
};
use crate::store::contract::invoice;
use crate::store::Converted;
use crate::store::{Inserted, SledStore, Store, StoreError};

fn convert_in_place(dir: &std::path::Path) -> Result<Option<Converted>, StoreError> {
    retry_while_sled_locked(|| super::convert_in_place(dir))
}

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
    let sled = retry_while_sled_locked(|| SledStore::open(&done.kept, 1 << 20)).unwrap();
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

/// A data dir two releases old (JSON records, no indexes) goes all the way:
/// sled's own conversion as it opens, then the copy to fjall.
#[tokio::test]
async fn a_store_written_by_release_06e6c72_comes_to_fjall() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-06e6c72");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("store")).unwrap();
    for f in ["conf", "db"] {
        std::fs::copy(fixture.join(f), dir.path().join("store").join(f)).unwrap();
    }
    convert_in_place(dir.path()).unwrap().expect("converted");
    let fjall = FjallStore::open(&dir.path().join("fjall"), 1 << 20).unwrap();
    let all = crate::store::ListQuery {
        limit: 100,
        ..Default::default()
    };
    let (invoices, _) = fjall.list_invoices(&all).unwrap();
    let mut status: Vec<_> = invoices.iter().map(|i| i.status).collect();
    status.sort_by_key(|s| *s as u8);
    use crate::domain::InvoiceStatus::*;
    let mut want = vec![Pending, Paid, Canceled, Expired, Paid];
    want.sort_by_key(|s| *s as u8);
    assert_eq!(status, want);
    assert_eq!(fjall.events_after(0, 100).unwrap().len(), 10);
    let paid = crate::store::ListQuery {
        status: Some(Paid),
        ..all
    };
    assert_eq!(
        fjall.list_invoices(&paid).unwrap().0.len(),
        2,
        "the status index came along"
    );
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
        let db = retry_while_sled_locked(|| Ok(sled::open(dir.path().join("store"))?)).unwrap();
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

#[tokio::test]
async fn a_stray_fjall_dir_stops_the_conversion_and_is_left_alone() {
    let dir = sled_data_dir().await;
    std::fs::create_dir(dir.path().join("fjall")).unwrap();
    std::fs::write(dir.path().join("fjall").join("notes.txt"), b"mine").unwrap();
    let err = convert_in_place(dir.path()).unwrap_err();
    assert!(
        matches!(&err, StoreError::Config(m) if m.contains("in the way")),
        "{err:?}"
    );
    assert!(dir.path().join("fjall").join("notes.txt").exists());
    assert!(dir.path().join("store").join("conf").exists());
}

#[test]
fn nothing_to_convert_in_a_new_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    assert!(convert_in_place(dir.path()).unwrap().is_none());
}
