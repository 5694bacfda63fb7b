//! Percentiles of sorted latencies, and µs to ms.

// ---------------------------------------------------------------- stats

/// Nearest-rank percentile of sorted values.
pub(crate) fn pct<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(n) - 1])
}

pub(crate) fn ms_us(v: Option<u32>) -> f64 {
    v.map(|u| u as f64 / 1000.0).unwrap_or(f64::NAN)
}

pub(crate) fn ms_i(v: Option<i64>) -> f64 {
    v.map(|u| u as f64 / 1000.0).unwrap_or(f64::NAN)
}
