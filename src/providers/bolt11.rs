//! Checks a provider's BOLT11 against the request before it is stored: a
//! provider that returns the wrong amount, hash, network or expiry must not
//! get an invoice past us.
//!
//! The checks read the raw signed invoice rather than `Bolt11Invoice`, whose
//! parser also insists on feature bits next to a payment secret. LNbits'
//! FakeWallet (and so a DazNode test instance) omits them, and LND's own
//! decoder accepts that; what a payer needs is checked here explicitly.

use std::str::FromStr;

use bitcoin::Network;
use lightning_invoice::{RawBolt11Invoice, SignedRawBolt11Invoice, TaggedField};

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

fn mismatch(m: impl Into<String>) -> ProviderError {
    ProviderError::Mismatch(m.into())
}

pub fn check_issued(
    req: &InvoiceRequest,
    issued: &IssuedInvoice,
    network: Network,
) -> Result<Bolt11Facts, ProviderError> {
    let signed = match &issued.decoded {
        // Built and signed in this process (the dev provider): recovering its
        // key from the signature would only cost time.
        Some(inv) => inv.clone().into_signed_raw(),
        None => {
            let signed = SignedRawBolt11Invoice::from_str(&issued.payment_request)
                .map_err(|e| mismatch(format!("not a valid BOLT11 invoice: {e}")))?;
            if !signed.check_signature() {
                return Err(mismatch("the BOLT11 signature does not match its payee"));
            }
            signed
        }
    };
    check_raw(req, signed.raw_invoice(), network)
}

fn check_raw(
    req: &InvoiceRequest,
    raw: &RawBolt11Invoice,
    network: Network,
) -> Result<Bolt11Facts, ProviderError> {
    let count = |f: fn(&TaggedField) -> bool| raw.known_tagged_fields().filter(|t| f(t)).count();
    if count(|t| matches!(t, TaggedField::PaymentHash(_))) != 1 {
        return Err(mismatch("the BOLT11 must have exactly one payment hash"));
    }
    if count(|t| {
        matches!(
            t,
            TaggedField::Description(_) | TaggedField::DescriptionHash(_)
        )
    }) != 1
    {
        return Err(mismatch(
            "the BOLT11 must have exactly one description or description hash",
        ));
    }
    // Payers refuse invoices without a payment secret (BOLT11 since 2021).
    if count(|t| matches!(t, TaggedField::PaymentSecret(_))) != 1 {
        return Err(mismatch("the BOLT11 must have exactly one payment secret"));
    }
    let currency: lightning_invoice::Currency = network.into();
    if raw.currency() != currency {
        return Err(mismatch(format!(
            "network {:?} instead of {network}",
            raw.currency()
        )));
    }
    let pico = raw.amount_pico_btc();
    let amount = pico.filter(|p| p % 10 == 0).map(|p| p / 10);
    if amount != Some(req.amount_msat) {
        return Err(mismatch(format!(
            "amount {pico:?} pico-BTC instead of {} msat",
            req.amount_msat
        )));
    }
    match (&req.memo, raw.description(), raw.description_hash()) {
        (Memo::Description(want), Some(got), None) if got.as_inner().0 == *want => {}
        (Memo::Hash(want), None, Some(got)) if got.0.as_ref() as &[u8] == want => {}
        _ => return Err(mismatch("description does not match the request")),
    }
    let expiry = raw
        .expiry_time()
        .map_or(lightning_invoice::DEFAULT_EXPIRY_TIME, |e| e.as_seconds());
    if expiry != u64::from(req.expiry_secs) {
        return Err(mismatch(format!(
            "expiry {expiry} s instead of {} s",
            req.expiry_secs
        )));
    }
    // The provider's numbers: checked, though BOLT11 bounds them (35-bit time).
    let created_at_ms = raw.data.timestamp.as_unix_timestamp().checked_mul(1000);
    let expires_at_ms = expiry
        .checked_mul(1000)
        .and_then(|e| created_at_ms?.checked_add(e));
    let (Some(created_at_ms), Some(expires_at_ms)) = (created_at_ms, expires_at_ms) else {
        return Err(mismatch("timestamp or expiry out of range"));
    };
    let hash = raw.payment_hash().expect("counted above");
    Ok(Bolt11Facts {
        payment_hash: hex::encode(hash.0.as_ref() as &[u8]),
        amount_msat: req.amount_msat,
        created_at_ms,
        // The BOLT11 expiry is the one payers' wallets enforce; keeping ours
        // equal avoids "paid after expiry" surprises (BTCPay #7545).
        expires_at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{DevProvider, Provider};

    async fn issued(memo: Memo) -> (InvoiceRequest, IssuedInvoice) {
        let dir = tempfile::tempdir().unwrap();
        let dev = DevProvider::load_or_create(dir.path()).unwrap();
        let req = InvoiceRequest {
            invoice_id: "inv_test".into(),
            amount_msat: 21_000,
            memo,
            expiry_secs: 600,
        };
        let inv = dev.create_invoice(&req).await.unwrap();
        (req, inv)
    }

    #[tokio::test]
    async fn parsed_and_handed_over_invoices_give_the_same_facts() {
        let (req, inv) = issued(Memo::Description("tea".into())).await;
        let handed = check_issued(&req, &inv, Network::Regtest).unwrap();
        let parsed = check_issued(
            &req,
            &IssuedInvoice {
                decoded: None,
                ..inv
            },
            Network::Regtest,
        )
        .unwrap();
        assert_eq!(handed.payment_hash, parsed.payment_hash);
        assert_eq!(handed.expires_at_ms - handed.created_at_ms, 600_000);
    }

    #[tokio::test]
    async fn every_mismatch_is_refused() {
        let (req, inv) = issued(Memo::Hash([9; 32])).await;
        let parsed = IssuedInvoice {
            decoded: None,
            ..inv
        };
        let refused = |r: &InvoiceRequest, n| check_issued(r, &parsed, n).is_err();
        assert!(!refused(&req, Network::Regtest));
        assert!(refused(&req, Network::Bitcoin));
        assert!(refused(
            &InvoiceRequest {
                amount_msat: 21_001,
                ..req.clone()
            },
            Network::Regtest
        ));
        assert!(refused(
            &InvoiceRequest {
                expiry_secs: 601,
                ..req.clone()
            },
            Network::Regtest
        ));
        assert!(refused(
            &InvoiceRequest {
                memo: Memo::Hash([8; 32]),
                ..req.clone()
            },
            Network::Regtest
        ));
        assert!(refused(
            &InvoiceRequest {
                memo: Memo::Description("x".into()),
                ..req.clone()
            },
            Network::Regtest
        ));
        // A tampered invoice fails its signature or its checksum.
        let mut s = parsed.payment_request.clone();
        let i = s.len() - 10;
        s.replace_range(i..i + 1, if &s[i..i + 1] == "q" { "p" } else { "q" });
        assert!(check_issued(
            &req,
            &IssuedInvoice {
                payment_request: s,
                decoded: None
            },
            Network::Regtest
        )
        .is_err());
    }
}
