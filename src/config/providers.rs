//! The providers, in one ordered list: the order is their priority for new
//! invoices. Each variant's settings live with its provider
//! (`providers/<name>/config.rs`); adding a provider adds one variant here.

use serde::{Deserialize, Serialize};

use crate::providers::ProviderSettings;

pub use crate::providers::daznode::config::DazNodeConfig;
pub use crate::providers::lnd::config::{lnd_cert_pem, LndConfig};
pub use crate::providers::nwc::config::NwcConfig;

/// One `[[providers]]` entry, chosen by its `type`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ProviderConfig {
    /// LND over gRPC.
    Lnd(LndConfig),
    /// DazNode, an LNbits-compatible API.
    DazNode(DazNodeConfig),
    /// A wallet reached over Nostr (NIP-47).
    Nwc(NwcConfig),
}

impl ProviderConfig {
    /// The variant's settings: the one place that lists the variants.
    pub fn settings(&self) -> &dyn ProviderSettings {
        match self {
            Self::Lnd(c) => c,
            Self::DazNode(c) => c,
            Self::Nwc(c) => c,
        }
    }

    /// The provider's stable name, stored with every invoice it issues.
    pub fn name(&self) -> &'static str {
        self.settings().name()
    }
}

pub fn default_network() -> bitcoin::Network {
    bitcoin::Network::Bitcoin
}

pub fn default_timeout() -> u64 {
    10
}

pub fn default_reconnect_max() -> u64 {
    30
}
