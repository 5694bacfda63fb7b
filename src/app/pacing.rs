//! How long an intent's fsync may wait for company.
//!
//! An intent only has to be on disk by the time the provider answers
//! (`intent.rs`). A create alone in flight flushes at once: that overlap is
//! what intents are for at concurrency 1. With other creates in flight, the
//! flush may start up to half the provider's recent latency later, capped,
//! so that the intents and invoices written meanwhile share it. Without
//! this every invoice paid for an fsync of its own under load: creates
//! reach lnpayd one at a time, as LND answers the ones before, and a flush
//! takes less time than the gap between them (BENCHMARKS.md, issue 16).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest an intent's flush waits for others, whatever the provider's
/// latency: bounds what an answer that comes back early can wait for.
/// High enough that a slow provider (a loaded node answers in tens of ms)
/// still gathers about half the creates in flight per flush.
const MAX_WAIT: Duration = Duration::from_millis(20);

#[derive(Default)]
pub(super) struct FlushPacing {
    in_flight: AtomicUsize,
    /// Moving average of the provider's successful create calls, in µs.
    latency_us: AtomicU64,
}

/// One create in flight; counted until dropped.
pub(super) struct InFlight<'a> {
    pacing: &'a FlushPacing,
    started: Instant,
}

impl FlushPacing {
    /// Counts a create in flight, and says how long its intent's flush may wait.
    pub fn enter(&self) -> (InFlight<'_>, Duration) {
        let others = self.in_flight.fetch_add(1, Ordering::Relaxed);
        let wait = if others == 0 {
            Duration::ZERO
        } else {
            (Duration::from_micros(self.latency_us.load(Ordering::Relaxed)) / 2).min(MAX_WAIT)
        };
        let flight = InFlight {
            pacing: self,
            started: Instant::now(),
        };
        (flight, wait)
    }
}

impl InFlight<'_> {
    /// The provider answered with an invoice: its latency joins the average.
    pub fn issued(&self) {
        let took = self.started.elapsed().as_micros() as u64;
        let avg = &self.pacing.latency_us;
        // Racing updates lose a sample at worst; this is an estimate.
        let old = avg.load(Ordering::Relaxed);
        let new = if old == 0 {
            took
        } else {
            old - old / 8 + took / 8
        };
        avg.store(new, Ordering::Relaxed);
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.pacing.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alone_it_flushes_at_once_and_in_company_it_waits_half_the_latency_capped() {
        let p = FlushPacing::default();
        p.latency_us.store(3_000, Ordering::Relaxed);
        let (first, wait) = p.enter();
        assert_eq!(wait, Duration::ZERO, "alone: no one to share a flush with");
        let (second, wait) = p.enter();
        assert_eq!(wait, Duration::from_micros(1_500));
        drop((first, second));
        let (_alone_again, wait) = p.enter();
        assert_eq!(wait, Duration::ZERO, "the others left");

        p.latency_us.store(300_000, Ordering::Relaxed);
        let (_other, wait) = p.enter();
        assert_eq!(wait, MAX_WAIT);
    }

    #[test]
    fn the_average_starts_at_the_first_answer_and_then_moves_an_eighth() {
        let p = FlushPacing::default();
        let (f, _) = p.enter();
        std::thread::sleep(Duration::from_millis(2));
        f.issued();
        let first = p.latency_us.load(Ordering::Relaxed);
        assert!(first >= 2_000, "{first}");
        p.latency_us.store(8_000, Ordering::Relaxed);
        let (f, _) = p.enter();
        f.issued();
        let moved = p.latency_us.load(Ordering::Relaxed);
        assert!(
            (7_000..8_000).contains(&moved),
            "{moved}: 8000 - 1000 + a fresh sample / 8"
        );
    }
}
