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
    Some(ts.seconds as u64 * 1000 + ts.nanos as u64 / 1_000_000)
}
