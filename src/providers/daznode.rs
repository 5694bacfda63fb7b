//! DazNode, an LNbits-compatible REST API, as a provider. (Being written.)

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bitcoin::Network;

use super::{HealthDetails, InvoiceRequest, IssuedInvoice, Provider, ProviderError};
use crate::config::DazNodeConfig;

/// What `GET /api/v1/payments/{hash}` says of one invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentCheck {
    pub paid: bool,
    /// What was received, when DazNode says.
    pub amount_msat: Option<u64>,
    pub settled_at_ms: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum DazNodeSetupError {
    #[error("daznode.api_key_file: {0}")]
    Key(std::io::Error),
    #[error("daznode: {0}")]
    Client(String),
}

pub struct DazNodeProvider {
    network: Network,
    /// The websocket's state, kept by the settlement watcher, shown in GetStatus.
    pub stream_state: Arc<Mutex<String>>,
}

impl DazNodeProvider {
    pub const NAME: &'static str = "daznode";

    pub fn new(cfg: &DazNodeConfig) -> Result<Self, DazNodeSetupError> {
        let _key = cfg.api_key().map_err(DazNodeSetupError::Key)?;
        Ok(Self {
            network: cfg.network,
            stream_state: Arc::new(Mutex::new("not connected yet".into())),
        })
    }

    /// Confirms a payment with DazNode itself: the only thing that may mark a DazNode invoice paid.
    pub async fn check_payment(&self, _payment_hash: &str) -> Result<PaymentCheck, ProviderError> {
        Err(ProviderError::Unavailable("not implemented yet".into()))
    }
}

#[async_trait]
impl Provider for DazNodeProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn network(&self) -> Network {
        self.network
    }

    async fn create_invoice(&self, _req: &InvoiceRequest) -> Result<IssuedInvoice, ProviderError> {
        Err(ProviderError::Unavailable("not implemented yet".into()))
    }

    async fn cancel_invoice(&self, _payment_hash: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn check_health(&self) -> Result<HealthDetails, ProviderError> {
        Err(ProviderError::Unavailable("not implemented yet".into()))
    }

    fn connection_state(&self) -> Option<String> {
        Some(self.stream_state.lock().expect("state lock").clone())
    }
}
