//! The dev provider: real BOLT11 invoices on regtest, signed with a key kept
//! in the data dir, settled only by `Admin.SimulatePayment`. Never enabled
//! without `--dev` (or `dev = true`, which logs a warning).

use std::path::Path;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::Network;
use lightning_invoice::{Currency, InvoiceBuilder, PaymentSecret};
use rand::RngCore;

use super::{HealthDetails, InvoiceRequest, IssuedInvoice, Provider, ProviderError};
use crate::domain::Memo;

pub struct DevProvider {
    secp: Secp256k1<bitcoin::secp256k1::All>,
    key: SecretKey,
}

impl DevProvider {
    pub const NAME: &'static str = "dev";

    /// Loads the node key from `dev_node.key` in `datadir`, creating it (mode
    /// 0600) on first start, so invoices keep one payee across restarts.
    pub fn load_or_create(datadir: &Path) -> std::io::Result<Self> {
        let path = datadir.join("dev_node.key");
        let key = match std::fs::read_to_string(&path) {
            Ok(hex_key) => {
                let bytes = hex::decode(hex_key.trim())
                    .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
                SecretKey::from_slice(&bytes)
                    .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::new(&mut rand::thread_rng());
                crate::daemon::write_secret_file(&path, &hex::encode(key.secret_bytes()))?;
                key
            }
            Err(e) => return Err(e),
        };
        Ok(Self {
            secp: Secp256k1::new(),
            key,
        })
    }
}

#[async_trait]
impl Provider for DevProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn network(&self) -> Network {
        Network::Regtest
    }

    async fn create_invoice(&self, req: &InvoiceRequest) -> Result<IssuedInvoice, ProviderError> {
        let mut preimage = [0u8; 32];
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut preimage);
        rand::thread_rng().fill_bytes(&mut secret);
        let builder = InvoiceBuilder::new(Currency::Regtest);
        let builder = match &req.memo {
            Memo::Description(d) => builder.description(d.clone()),
            Memo::Hash(h) => builder.description_hash(sha256::Hash::from_byte_array(*h)),
        };
        let invoice = builder
            .payment_hash(sha256::Hash::hash(&preimage))
            .payment_secret(PaymentSecret(secret))
            .duration_since_epoch(
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default(),
            )
            .min_final_cltv_expiry_delta(144)
            .amount_milli_satoshis(req.amount_msat)
            .expiry_time(Duration::from_secs(req.expiry_secs.into()))
            .build_signed(|msg| self.secp.sign_ecdsa_recoverable(msg, &self.key))
            .map_err(|e| ProviderError::Rejected(e.to_string()))?;
        Ok(IssuedInvoice {
            payment_request: invoice.to_string(),
            decoded: Some(invoice),
        })
    }

    async fn cancel_invoice(&self, _payment_hash: &str) -> Result<(), ProviderError> {
        // Nothing to undo: a dev invoice is only ever paid by SimulatePayment,
        // which the store refuses for a canceled invoice.
        Ok(())
    }

    async fn check_health(&self) -> Result<HealthDetails, ProviderError> {
        let pubkey = self.key.public_key(&self.secp);
        Ok(HealthDetails {
            details: vec![
                ("network".into(), "regtest".into()),
                ("node_pubkey".into(), pubkey.to_string()),
            ],
        })
    }
}
