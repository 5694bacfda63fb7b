//! Which tokio scheduler runs lnpayd, from `worker_threads`.
//!
//! `worker_threads = 1` asks for one thread of async work. tokio's
//! multi-thread scheduler with one worker still polls the daemon's main
//! future on a second thread and hands wake-ups between the two; its
//! current-thread scheduler does all of it on one. On the 2-core bench host
//! that cut lnpayd's CPU per LND invoice by 11 % at concurrency 1 and 6 % at
//! 32, and left concurrency 8 as it was (five interleaved pairs;
//! BENCHMARKS.md, issue 16, session 9), where the multi-thread scheduler
//! with one worker saved nothing.

use super::{Config, StoreBackend};

/// The scheduler `main` builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// tokio's current-thread scheduler: every task on the thread that
    /// runs the daemon (blocking work still goes to tokio's blocking pool).
    OneThread,
    /// tokio's multi-thread scheduler with this many workers; `None` is
    /// tokio's default, one per CPU.
    Workers(Option<usize>),
}

impl Config {
    pub fn runtime(&self) -> Runtime {
        Runtime::for_threads(self.worker_threads, self.store.backend)
    }
}

impl Runtime {
    /// `worker_threads` as configured, for a daemon on `backend`.
    pub fn for_threads(threads: usize, backend: StoreBackend) -> Runtime {
        match threads {
            0 => Runtime::Workers(None),
            // The PostgreSQL store bridges its synchronous trait to the async
            // driver with `block_in_place`, which only the multi-thread
            // scheduler has.
            1 if backend == StoreBackend::Postgres => Runtime::Workers(Some(1)),
            1 => Runtime::OneThread,
            n => Runtime::Workers(Some(n)),
        }
    }

    pub fn build(self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut b = match self {
            Runtime::OneThread => tokio::runtime::Builder::new_current_thread(),
            Runtime::Workers(n) => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                if let Some(n) = n {
                    b.worker_threads(n);
                }
                b
            }
        };
        b.enable_all().build()
    }
}

/// For the start-up log line and the bench's report.
impl std::fmt::Display for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Runtime::OneThread => f.write_str("one thread (current-thread scheduler)"),
            Runtime::Workers(None) => f.write_str("multi-thread scheduler, one worker per CPU"),
            Runtime::Workers(Some(n)) => write!(f, "multi-thread scheduler, {n} workers"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(threads: usize, backend: StoreBackend) -> Runtime {
        let mut c = Config {
            worker_threads: threads,
            ..Config::default()
        };
        c.store.backend = backend;
        c.runtime()
    }

    #[test]
    fn one_thread_is_the_current_thread_scheduler_except_under_postgres() {
        assert_eq!(with(0, StoreBackend::Fjall), Runtime::Workers(None));
        assert_eq!(with(1, StoreBackend::Fjall), Runtime::OneThread);
        assert_eq!(with(1, StoreBackend::Sled), Runtime::OneThread);
        assert_eq!(with(1, StoreBackend::Postgres), Runtime::Workers(Some(1)));
        assert_eq!(with(4, StoreBackend::Fjall), Runtime::Workers(Some(4)));
    }

    #[test]
    fn the_one_thread_runtime_is_current_thread() {
        let rt = Runtime::OneThread.build().unwrap();
        assert_eq!(
            rt.handle().runtime_flavor(),
            tokio::runtime::RuntimeFlavor::CurrentThread
        );
        let rt = Runtime::Workers(Some(1)).build().unwrap();
        assert_eq!(
            rt.handle().runtime_flavor(),
            tokio::runtime::RuntimeFlavor::MultiThread
        );
    }
}
