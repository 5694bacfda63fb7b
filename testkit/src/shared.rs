//! One expensive fixture (a regtest network, an LNbits) for every test of a
//! test binary, started by the first test that asks for it.
//!
//! `cargo test` runs the tests of one binary on parallel threads. A test
//! takes the fixture shared ([`Shared::read`]) when it leaves it as it found
//! it, or exclusive ([`Shared::write`]) when it stops or restarts a part of
//! it, or needs it quiet (counting a node's invoices, say): exclusive tests
//! run one at a time and never beside a shared one. The lock is fair, so an
//! exclusive test is not starved.
//!
//! The fixture is dropped (its processes stopped, its directories removed)
//! when the test binary exits; if the process is killed instead, its
//! children die with it (see [`crate::process::spawn_tied`]).

use std::sync::{Mutex, Once};

use tokio::sync::{OnceCell, RwLock, RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};

/// A lazily started, process-wide fixture; see the module doc.
///
/// ```ignore
/// static NET: Shared<Network> = Shared::new(Network::start);
/// let net = NET.read().await;
/// ```
pub struct Shared<T> {
    start: fn() -> T,
    /// The fixture, or why it did not start (every later test fails fast
    /// with that reason instead of trying again).
    cell: OnceCell<Result<RwLock<Option<T>>, String>>,
    cleanup: Once,
}

impl<T: Send + Sync + 'static> Shared<T> {
    /// `start` runs once, on a blocking thread, when the first test asks.
    pub const fn new(start: fn() -> T) -> Self {
        Shared {
            start,
            cell: OnceCell::const_new(),
            cleanup: Once::new(),
        }
    }

    /// The fixture, beside other tests that take it shared.
    pub async fn read(&'static self) -> RwLockReadGuard<'static, T> {
        let guard = self.lock().await.read().await;
        RwLockReadGuard::map(guard, |v| v.as_ref().expect("dropped at exit"))
    }

    /// The fixture, for this test alone.
    pub async fn write(&'static self) -> RwLockMappedWriteGuard<'static, T> {
        let guard = self.lock().await.write().await;
        RwLockWriteGuard::map(guard, |v| v.as_mut().expect("dropped at exit"))
    }

    async fn lock(&'static self) -> &'static RwLock<Option<T>> {
        let started = self
            .cell
            .get_or_init(|| async {
                match tokio::task::spawn_blocking(self.start).await {
                    Ok(v) => Ok(RwLock::new(Some(v))),
                    Err(e) => Err(match e.try_into_panic() {
                        Ok(p) => p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "a panic".into()),
                        Err(e) => e.to_string(),
                    }),
                }
            })
            .await;
        let lock = match started {
            Ok(lock) => lock,
            Err(why) => panic!("the shared fixture did not start: {why}"),
        };
        self.cleanup.call_once(|| {
            at_exit(Box::new(|| {
                // A test still holding it (a hung one) keeps it: its children
                // die with the process anyway.
                if let Ok(mut v) = lock.try_write() {
                    drop(v.take());
                }
            }))
        });
        lock
    }
}

type Cleanup = Box<dyn FnOnce() + Send>;

static AT_EXIT: Mutex<Vec<Cleanup>> = Mutex::new(Vec::new());

/// Runs `f` when the process exits normally: the test harness returns from
/// `main`, or calls `exit` after a failure. Last registered, first run.
pub fn at_exit(f: Cleanup) {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a plain `extern "C" fn` with the C runtime.
        let rc = unsafe { nix::libc::atexit(run_at_exit) };
        assert_eq!(rc, 0, "atexit failed");
    });
    AT_EXIT.lock().unwrap_or_else(|p| p.into_inner()).push(f);
}

extern "C" fn run_at_exit() {
    let all = std::mem::take(&mut *AT_EXIT.lock().unwrap_or_else(|p| p.into_inner()));
    for f in all.into_iter().rev() {
        // A panic must not unwind into the C runtime.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    }
}
