//! Per-key async locks (idempotency keys): requests with the same key run one
//! at a time, requests with different keys never wait on each other.
//!
//! A key's entry lives exactly as long as someone holds or waits for it: each
//! holder and waiter counts itself in, and its drop counts itself out, which
//! also covers a waiter whose future is dropped (client gone, timeout) and a
//! holder that panics. The map cannot grow with keys no one uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OwnedMutexGuard;

#[derive(Default)]
pub struct KeyLocks(Mutex<HashMap<String, Slot>>);

struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    /// Holders and waiters.
    users: usize,
}

/// Holds a key's lock until dropped.
pub struct KeyGuard<'a> {
    _held: OwnedMutexGuard<()>,
    _user: User<'a>,
}

/// One holder's or waiter's count in its key's entry.
struct User<'a> {
    locks: &'a KeyLocks,
    key: String,
}

impl KeyLocks {
    pub async fn lock(&self, key: &str) -> KeyGuard<'_> {
        let (user, lock) = {
            let mut map = self.map();
            let slot = map.entry(key.to_string()).or_insert_with(|| Slot {
                lock: Arc::default(),
                users: 0,
            });
            slot.users += 1;
            let user = User {
                locks: self,
                key: key.to_string(),
            };
            (user, slot.lock.clone())
        };
        // Dropped while waiting: `user` drops with the future and counts out.
        let held = lock.lock_owned().await;
        KeyGuard {
            _held: held,
            _user: user,
        }
    }

    /// Keys held or waited for.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // Never held across a panic of ours; a poisoned map is still consistent.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for User<'_> {
    fn drop(&mut self) {
        let mut map = self.locks.map();
        if let Some(slot) = map.get_mut(&self.key) {
            slot.users -= 1;
            if slot.users == 0 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_holder_per_key() {
        let locks = Arc::new(KeyLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (locks, inside) = (locks.clone(), inside.clone());
            tasks.spawn(async move {
                let _g = locks.lock("k").await;
                assert_eq!(
                    inside.fetch_add(1, Ordering::SeqCst),
                    0,
                    "two holders of one key"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn other_keys_do_not_wait() {
        let locks = KeyLocks::default();
        let _a = locks.lock("a").await;
        let b = tokio::time::timeout(Duration::from_secs(1), locks.lock("b")).await;
        assert!(b.is_ok(), "key b waited on key a");
        assert_eq!(locks.len(), 2);
        drop(b);
        assert_eq!(locks.len(), 1);
    }

    #[tokio::test]
    async fn a_cancelled_waiter_leaves_nothing_behind() {
        let locks = KeyLocks::default();
        let held = locks.lock("k").await;
        let waited = tokio::time::timeout(Duration::from_millis(20), locks.lock("k")).await;
        assert!(waited.is_err(), "the key is held");
        assert_eq!(locks.len(), 1);
        drop(held);
        assert!(locks.is_empty(), "the cancelled waiter's entry leaked");
        // And the key still works.
        drop(locks.lock("k").await);
        assert!(locks.is_empty());
    }

    #[tokio::test]
    async fn a_waiter_dropped_after_the_holder_left_leaves_nothing_behind() {
        let locks = KeyLocks::default();
        let held = locks.lock("k").await;
        let mut waiter = Box::pin(locks.lock("k"));
        assert!(futures::poll!(&mut waiter).is_pending());
        // The lock passes to the waiter, which is dropped before it runs.
        drop(held);
        assert_eq!(locks.len(), 1);
        drop(waiter);
        assert!(locks.is_empty(), "the never-polled waiter's entry leaked");
    }

    #[tokio::test]
    async fn a_panicking_holder_leaves_nothing_behind() {
        let locks = Arc::new(KeyLocks::default());
        let l = locks.clone();
        let panicked = tokio::spawn(async move {
            let _g = l.lock("k").await;
            panic!("holder fails");
        })
        .await;
        assert!(panicked.unwrap_err().is_panic());
        assert!(locks.is_empty());
        let again = tokio::time::timeout(Duration::from_secs(1), locks.lock("k")).await;
        assert!(
            again.is_ok(),
            "the key stayed locked after its holder panicked"
        );
    }
}
