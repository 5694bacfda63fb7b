//! Provider health as operators see it, computed here once: the overall
//! health and serving provider GetStatus shows, the latency percentiles in
//! GetStatus and GetProviderMetrics, and uptime over health checks.

use std::collections::HashMap;

use crate::providers::{ConnectionState, ProviderHistory, ProviderReport};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Every provider can take new invoices.
    Healthy,
    /// Some can, some cannot.
    Degraded,
    /// None can: CreateInvoice fails.
    Down,
}

/// The daemon's health, given every provider's report.
pub fn overall(reports: &[ProviderReport]) -> Health {
    match reports.iter().filter(|r| r.usable()).count() {
        0 => Health::Down,
        up if up == reports.len() => Health::Healthy,
        _ => Health::Degraded,
    }
}

/// The provider new invoices go to first, given the reports in priority
/// order: as the router tries them, those whose push connection is down
/// last.
pub fn serving(reports: &[ProviderReport]) -> Option<&'static str> {
    let push_down =
        |r: &&ProviderReport| matches!(r.connection, Some(ConnectionState::Disconnected { .. }));
    let usable = || reports.iter().filter(|r| r.usable());
    usable()
        .find(|r| !push_down(r))
        .or_else(|| usable().next())
        .map(|r| r.name)
}

/// The nearest-rank percentile `p` (0..=1) of `sorted`; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    match sorted.len() {
        0 => 0,
        n => sorted[((n as f64 * p).ceil() as usize).clamp(1, n) - 1],
    }
}

/// Share of `(time, up)` health checks that found the provider up, in
/// percent; 0 without checks.
pub fn uptime_percent(checks: &[&(u64, bool)]) -> f64 {
    match checks.len() {
        0 => 0.0,
        n => 100.0 * checks.iter().filter(|c| c.1).count() as f64 / n as f64,
    }
}

/// One provider's figures for GetProviderMetrics.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderFigures {
    pub name: &'static str,
    pub uptime_percent: f64,
    pub health_checks: u32,
    pub calls: u64,
    /// 0..=1; 0 without calls.
    pub success_rate: f64,
    pub avg_latency_ms: f64,
    pub latency_p50_ms: u64,
    pub latency_p95_ms: u64,
    pub latency_p99_ms: u64,
    pub errors_by_kind: HashMap<String, u64>,
    pub invoices_last_hour: u64,
    pub invoices_last_day: u64,
}

/// What [`ProviderFigures::of`] needs the history to reach back to: the
/// window's start, an hour and a day before `now_ms`, whichever is oldest.
pub fn history_start(window_secs: u32, now_ms: u64) -> u64 {
    window_start(window_secs, now_ms).min(now_ms.saturating_sub(86_400_000))
}

fn window_start(window_secs: u32, now_ms: u64) -> u64 {
    now_ms.saturating_sub(u64::from(window_secs) * 1000)
}

impl ProviderFigures {
    /// Window-bound figures over the last `window_secs`, invoice volumes
    /// over the last hour and day.
    pub fn of(h: &ProviderHistory, window_secs: u32, now_ms: u64) -> Self {
        let start = window_start(window_secs, now_ms);
        let hour_ago = now_ms.saturating_sub(3_600_000);
        let day_ago = now_ms.saturating_sub(86_400_000);
        let in_window: Vec<_> = h.calls.iter().filter(|c| c.at_ms >= start).collect();
        let checks: Vec<_> = h.checks.iter().filter(|c| c.0 >= start).collect();
        let mut latencies: Vec<u64> = in_window.iter().map(|c| c.latency_ms).collect();
        latencies.sort_unstable();
        let mut errors_by_kind = HashMap::new();
        for kind in in_window.iter().filter_map(|c| c.error_kind) {
            *errors_by_kind.entry(kind.to_string()).or_insert(0u64) += 1;
        }
        let ok = in_window.iter().filter(|c| c.error_kind.is_none()).count();
        let issued = |since: u64| {
            h.calls
                .iter()
                .filter(|c| {
                    c.at_ms >= since && c.operation == "create_invoice" && c.error_kind.is_none()
                })
                .count() as u64
        };
        Self {
            name: h.name,
            uptime_percent: uptime_percent(&checks),
            health_checks: checks.len() as u32,
            calls: in_window.len() as u64,
            success_rate: match in_window.len() {
                0 => 0.0,
                n => ok as f64 / n as f64,
            },
            avg_latency_ms: match latencies.len() {
                0 => 0.0,
                n => latencies.iter().sum::<u64>() as f64 / n as f64,
            },
            latency_p50_ms: percentile(&latencies, 0.50),
            latency_p95_ms: percentile(&latencies, 0.95),
            latency_p99_ms: percentile(&latencies, 0.99),
            errors_by_kind,
            invoices_last_hour: issued(hour_ago),
            invoices_last_day: issued(day_ago),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::breaker::CircuitState;
    use crate::providers::CallRecord;

    fn report(name: &'static str, online: bool) -> ProviderReport {
        ProviderReport {
            name,
            online,
            circuit: CircuitState::Closed,
            connection: None,
            last_latency_ms: 0,
            p50_ms: 0,
            p95_ms: 0,
            last_check_at_ms: None,
            last_error: None,
            details: vec![],
        }
    }

    #[test]
    fn overall_health_and_serving_follow_usable_providers() {
        let both = [report("lnd", true), report("daznode", true)];
        assert_eq!(
            (overall(&both), serving(&both)),
            (Health::Healthy, Some("lnd"))
        );
        let one = [report("lnd", false), report("daznode", true)];
        assert_eq!(
            (overall(&one), serving(&one)),
            (Health::Degraded, Some("daznode"))
        );
        let none = [report("lnd", false), report("daznode", false)];
        assert_eq!((overall(&none), serving(&none)), (Health::Down, None));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.50), 50);
        assert_eq!(percentile(&v, 0.95), 95);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn figures_count_the_window_and_the_volumes() {
        let now = 100 * 86_400_000;
        let call = |ago_ms: u64, latency_ms, error_kind| CallRecord {
            at_ms: now - ago_ms,
            latency_ms,
            operation: "create_invoice",
            error_kind,
        };
        let h = ProviderHistory {
            name: "lnd",
            calls: vec![
                call(7_200_000, 100, None),
                call(1_000, 10, None),
                call(2_000, 30, Some("timeout")),
            ],
            checks: vec![(now - 7_200_000, false), (now - 1_000, true)],
        };
        let f = ProviderFigures::of(&h, 3600, now);
        assert_eq!((f.calls, f.health_checks), (2, 1));
        assert_eq!(f.uptime_percent, 100.0);
        assert_eq!(f.success_rate, 0.5);
        assert_eq!(f.avg_latency_ms, 20.0);
        assert_eq!((f.latency_p50_ms, f.latency_p99_ms), (10, 30));
        assert_eq!(f.errors_by_kind.get("timeout"), Some(&1));
        assert_eq!((f.invoices_last_hour, f.invoices_last_day), (1, 2));
        assert_eq!(history_start(3600, now), now - 86_400_000);
    }
}
