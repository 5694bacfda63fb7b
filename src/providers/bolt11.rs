//! Checks a provider's BOLT11 against the request before it is stored: a
//! provider that returns the wrong amount, hash, network or expiry must not
//! get an invoice past us.

use std::str::FromStr;

use bitcoin::Network;
use lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescriptionRef};

use super::{InvoiceRequest, IssuedInvoice, ProviderError};
use crate::domain::Memo;

/// The facts the store keeps, read from the signed invoice itself.
#[derive(Clone, Debug)]
pub struct Bolt11Facts {
    pub payment_hash: String,
    pub amount_msat: u64,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
}

pub fn check_issued(
    req: &InvoiceRequest,
    issued: &IssuedInvoice,
    network: Network,
) -> Result<Bolt11Facts, ProviderError> {
    let mismatch = |m: String| ProviderError::Mismatch(m);
    let parsed;
    let inv = match &issued.decoded {
        Some(inv) => inv,
        None => {
            // Parsing also verifies the signature.
            parsed = Bolt11Invoice::from_str(&issued.payment_request)
                .map_err(|e| mismatch(format!("not a valid BOLT11 invoice: {e}")))?;
            &parsed
        }
    };
    if inv.network() != network {
        return Err(mismatch(format!(
            "network {} instead of {network}",
            inv.network()
        )));
    }
    let amount = inv.amount_milli_satoshis();
    if amount != Some(req.amount_msat) {
        return Err(mismatch(format!(
            "amount {amount:?} msat instead of {}",
            req.amount_msat
        )));
    }
    match (&req.memo, inv.description()) {
        (Memo::Description(want), Bolt11InvoiceDescriptionRef::Direct(got))
            if got.as_inner().0 == *want => {}
        (Memo::Hash(want), Bolt11InvoiceDescriptionRef::Hash(got))
            if got.0.as_ref() as &[u8] == want => {}
        _ => return Err(mismatch("description does not match the request".into())),
    }
    if inv.expiry_time().as_secs() != u64::from(req.expiry_secs) {
        return Err(mismatch(format!(
            "expiry {} s instead of {} s",
            inv.expiry_time().as_secs(),
            req.expiry_secs
        )));
    }
    let created_at_ms = inv.duration_since_epoch().as_millis() as u64;
    Ok(Bolt11Facts {
        payment_hash: hex::encode(inv.payment_hash().as_ref() as &[u8]),
        amount_msat: req.amount_msat,
        created_at_ms,
        // The BOLT11 expiry is the one payers' wallets enforce; keeping ours
        // equal avoids "paid after expiry" surprises (BTCPay #7545).
        expires_at_ms: created_at_ms + inv.expiry_time().as_millis() as u64,
    })
}
