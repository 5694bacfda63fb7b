//! `[cluster]` in `config.toml`: who this instance is, and how long a
//! leader's lease lasts (the bound on a takeover after it dies).

use serde::{Deserialize, Serialize};

use crate::config::Invalid;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// This instance's name in the lease row and in GetStatus. Empty: the
    /// host name and the process id, so that a restarted process is a new
    /// holder (its predecessor's epoch is fenced off).
    pub instance_id: String,
    /// A leader that has not renewed its lease for this long is replaced;
    /// it renews every third of it. Only used with the PostgreSQL store.
    pub lease_secs: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            instance_id: String::new(),
            lease_secs: 10,
        }
    }
}

/// Below 3 s a renewal every second leaves no room for one slow query;
/// above 5 minutes nobody would wait that long for a failover.
const LEASE_SECS: std::ops::RangeInclusive<u64> = 3..=300;
const MAX_ID_LEN: usize = 64;

impl ClusterConfig {
    pub fn problems(&self) -> Vec<Invalid> {
        let mut errors = Vec::new();
        if !LEASE_SECS.contains(&self.lease_secs) {
            errors.push(Invalid::new(
                "cluster.lease_secs",
                format!(
                    "{} is outside [{}, {}]",
                    self.lease_secs,
                    LEASE_SECS.start(),
                    LEASE_SECS.end()
                ),
            ));
        }
        let id = &self.instance_id;
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if id.len() > MAX_ID_LEN || !id.chars().all(allowed) {
            errors.push(Invalid::new(
                "cluster.instance_id",
                format!("at most {MAX_ID_LEN} letters, digits, '-', '_', '.' or ':'"),
            ));
        }
        errors
    }

    /// The configured id, or `<hostname>-<pid>` (a random one when the host
    /// name cannot be read).
    pub fn resolved_instance_id(&self) -> String {
        if !self.instance_id.is_empty() {
            return self.instance_id.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| {
                format!("lnpayd-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
            });
        format!("{host}-{}", std::process::id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_key() {
        assert!(ClusterConfig::default().problems().is_empty());
        let bad = ClusterConfig {
            instance_id: "a b".into(),
            lease_secs: 1,
        };
        let keys: Vec<_> = bad.problems().into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["cluster.lease_secs", "cluster.instance_id"]);
    }

    #[test]
    fn an_empty_id_becomes_host_and_pid() {
        let id = ClusterConfig::default().resolved_instance_id();
        assert!(id.ends_with(&format!("-{}", std::process::id())), "{id}");
        let set = ClusterConfig {
            instance_id: "host-a".into(),
            ..Default::default()
        };
        assert_eq!(set.resolved_instance_id(), "host-a");
    }
}
