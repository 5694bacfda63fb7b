//! `[webhooks]` in `config.toml`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::Invalid;
use crate::domain::EventKind;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// A delivery that gets no 2xx within this is a failed attempt.
    pub timeout_secs: u64,
    /// Delays before the 2nd, 3rd, … attempt (the first is immediate); when
    /// they run out the event is marked failed for that endpoint.
    pub retry_schedule_secs: Vec<u64>,
    /// How long a rotated-out secret still signs (both signatures are sent).
    pub secret_overlap_secs: u64,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub disable_after_secs: u64,
    /// Attempts in flight at once, per endpoint.
    pub max_in_flight: usize,
    /// `http://` URLs to any allowed host (otherwise only to loopback, and
    /// only when loopback is allowed).
    pub allow_http: bool,
    /// Loopback destinations (127.0.0.0/8, ::1). `--dev` allows them.
    pub allow_loopback: bool,
    /// Private, link-local, CGNAT and unique-local destinations.
    pub allow_private: bool,
    /// Endpoints declared here; changed here, not over gRPC.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointConfig>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            // Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
            retry_schedule_secs: vec![5, 300, 1800, 7200, 18_000, 36_000, 36_000],
            secret_overlap_secs: 24 * 3600,
            disable_after_secs: 3 * 24 * 3600,
            max_in_flight: 8,
            allow_http: false,
            allow_loopback: false,
            allow_private: false,
            endpoints: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Stable id: letters, digits, `-` and `_`, at most 40.
    pub id: String,
    pub url: String,
    /// A file holding the `whsec_…` secret.
    pub secret_file: PathBuf,
    /// Empty: every event type.
    #[serde(default)]
    pub event_types: Vec<EventKind>,
    #[serde(default)]
    pub description: String,
}

impl WebhooksConfig {
    /// Every problem of this section, each naming its key (reported with the
    /// rest of the configuration's at start-up).
    pub fn problems(&self) -> Vec<Invalid> {
        let mut errors = Vec::new();
        let mut bad = |key: &str, message: String| errors.push(Invalid::new(key, message));
        if self.timeout_secs == 0 {
            bad("webhooks.timeout_secs", "must be at least 1".into());
        }
        if self.max_in_flight == 0 {
            bad("webhooks.max_in_flight", "must be at least 1".into());
        }
        if self.disable_after_secs == 0 {
            bad("webhooks.disable_after_secs", "must be at least 1".into());
        }
        let mut ids = std::collections::HashSet::new();
        for ep in &self.endpoints {
            if ep.id.is_empty()
                || ep.id.len() > 40
                || !ep
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                bad(
                    "webhooks.endpoints.id",
                    format!("{:?}: 1 to 40 letters, digits, - or _", ep.id),
                );
            }
            if !ids.insert(&ep.id) {
                bad(
                    "webhooks.endpoints.id",
                    format!("{:?} appears twice", ep.id),
                );
            }
            if !ep.secret_file.is_file() {
                bad(
                    "webhooks.endpoints.secret_file",
                    format!("{} is not a readable file", ep.secret_file.display()),
                );
            }
        }
        errors
    }
}
