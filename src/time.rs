//! Wall-clock time as milliseconds since the Unix epoch: the one unit the store keeps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}

pub fn to_timestamp(ms: u64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: (ms / 1000) as i64,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    }
}

/// None for timestamps before the epoch, which no invoice can have.
pub fn from_timestamp(ts: &prost_types::Timestamp) -> Option<u64> {
    if ts.seconds < 0 || ts.nanos < 0 {
        return None;
    }
    // The client's numbers: too far in the future to be a time is no time.
    (ts.seconds as u64)
        .checked_mul(1000)?
        .checked_add(ts.nanos as u64 / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_timestamps_out_of_range_are_refused_not_wrapped() {
        let ts = |seconds, nanos| prost_types::Timestamp { seconds, nanos };
        assert_eq!(from_timestamp(&ts(1, 500_000_000)), Some(1500));
        assert_eq!(from_timestamp(&ts(i64::MAX, 999_999_999)), None);
        assert_eq!(from_timestamp(&ts(-1, 0)), None);
        assert_eq!(to_timestamp(1500), ts(1, 500_000_000));
    }
}
