//! A circuit breaker per provider: it opens after `threshold` failures among
//! the last `window` calls, lets one probe through after `cooldown`
//! (half-open), and closes again when the probe succeeds.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

pub struct Breaker {
    window: usize,
    threshold: usize,
    cooldown: Duration,
    /// true = failure, newest last.
    outcomes: VecDeque<bool>,
    state: CircuitState,
    opened_at: Option<Instant>,
    probe_in_flight: bool,
}

impl Breaker {
    pub fn new(threshold: u32, window: u32, cooldown: Duration) -> Self {
        Self {
            window: window as usize,
            threshold: threshold as usize,
            cooldown,
            outcomes: VecDeque::with_capacity(window as usize),
            state: CircuitState::Closed,
            opened_at: None,
            probe_in_flight: false,
        }
    }

    pub fn state(&self) -> CircuitState {
        self.state
    }

    /// May a call go through now? In half-open state, only one at a time.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.state {
            CircuitState::Closed => true,
            CircuitState::Open if self.opened_at.is_some_and(|at| now >= at + self.cooldown) => {
                self.state = CircuitState::HalfOpen;
                self.probe_in_flight = true;
                true
            }
            CircuitState::Open => false,
            CircuitState::HalfOpen if !self.probe_in_flight => {
                self.probe_in_flight = true;
                true
            }
            CircuitState::HalfOpen => false,
        }
    }

    /// The provider answered a health check that was not the probe (the
    /// circuit was cooling down): close the circuit now rather than after
    /// the cooldown, so that new invoices return to a node that is back.
    /// Returns the new state when it changed. A probe in flight decides
    /// for itself.
    pub fn answered(&mut self) -> Option<CircuitState> {
        if self.state != CircuitState::Open {
            return None;
        }
        self.state = CircuitState::Closed;
        self.outcomes.clear();
        self.opened_at = None;
        Some(self.state)
    }

    /// Gives the probe slot back when a call `allow` let through ended with
    /// no outcome (its caller gave up): otherwise the circuit would stay
    /// half-open, refusing everything, forever.
    pub fn abandon(&mut self) {
        if self.state == CircuitState::HalfOpen {
            self.probe_in_flight = false;
        }
    }

    /// Records the outcome of a call that `allow` let through; returns the
    /// new state when it changed.
    pub fn record(&mut self, ok: bool, now: Instant) -> Option<CircuitState> {
        let before = self.state;
        self.outcomes.push_back(!ok);
        while self.outcomes.len() > self.window {
            self.outcomes.pop_front();
        }
        match self.state {
            CircuitState::HalfOpen => {
                self.probe_in_flight = false;
                if ok {
                    self.state = CircuitState::Closed;
                    self.outcomes.clear();
                } else {
                    self.state = CircuitState::Open;
                    self.opened_at = Some(now);
                }
            }
            CircuitState::Closed
                if self.outcomes.iter().filter(|f| **f).count() >= self.threshold =>
            {
                self.state = CircuitState::Open;
                self.opened_at = Some(now);
            }
            _ => {}
        }
        (self.state != before).then_some(self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_4_of_5_then_probes_and_closes() {
        let t0 = Instant::now();
        let mut b = Breaker::new(4, 5, Duration::from_secs(30));
        for ok in [false, true, false, false] {
            assert!(b.allow(t0));
            assert_eq!(b.record(ok, t0), None);
        }
        assert!(b.allow(t0));
        assert_eq!(b.record(false, t0), Some(CircuitState::Open));
        assert!(!b.allow(t0 + Duration::from_secs(29)));
        // Cooldown over: one probe, not two.
        assert!(b.allow(t0 + Duration::from_secs(30)));
        assert_eq!(b.state(), CircuitState::HalfOpen);
        assert!(!b.allow(t0 + Duration::from_secs(30)));
        assert_eq!(
            b.record(true, t0 + Duration::from_secs(31)),
            Some(CircuitState::Closed)
        );
        assert!(b.allow(t0 + Duration::from_secs(31)));
    }

    #[test]
    fn a_failed_probe_reopens_for_another_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(1, 1, Duration::from_secs(10));
        assert!(b.allow(t0));
        assert_eq!(b.record(false, t0), Some(CircuitState::Open));
        let t1 = t0 + Duration::from_secs(10);
        assert!(b.allow(t1));
        assert_eq!(b.record(false, t1), Some(CircuitState::Open));
        assert!(!b.allow(t1 + Duration::from_secs(9)));
        assert!(b.allow(t1 + Duration::from_secs(10)));
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_one_through() {
        let t0 = Instant::now();
        let mut b = Breaker::new(1, 1, Duration::from_secs(10));
        b.allow(t0);
        b.record(false, t0);
        let t1 = t0 + Duration::from_secs(10);
        assert!(b.allow(t1));
        assert!(!b.allow(t1));
        b.abandon();
        assert!(b.allow(t1));
        assert_eq!(b.record(true, t1), Some(CircuitState::Closed));
    }

    #[test]
    fn old_failures_slide_out_of_the_window() {
        let t0 = Instant::now();
        let mut b = Breaker::new(4, 5, Duration::from_secs(30));
        for ok in [false, false, false, true, true, false, true, false] {
            b.allow(t0);
            b.record(ok, t0);
        }
        assert_eq!(b.state(), CircuitState::Closed);
    }

    #[test]
    fn an_answer_during_the_cooldown_closes_the_circuit() {
        let t0 = Instant::now();
        let mut b = Breaker::new(1, 1, Duration::from_secs(30));
        assert!(b.allow(t0));
        assert_eq!(b.record(false, t0), Some(CircuitState::Open));
        assert!(!b.allow(t0));
        assert_eq!(b.answered(), Some(CircuitState::Closed));
        assert!(b.allow(t0));
        assert_eq!(b.answered(), None);
        // A probe in flight is left to decide.
        assert_eq!(b.record(false, t0), Some(CircuitState::Open));
        let later = t0 + Duration::from_secs(31);
        assert!(b.allow(later));
        assert_eq!(b.state(), CircuitState::HalfOpen);
        assert_eq!(b.answered(), None);
        assert_eq!(b.record(true, later), Some(CircuitState::Closed));
    }
}
