//! Checks a provider's BOLT11 against the request before it is stored: a
//! provider that returns the wrong amount, hash, network or expiry must not
//! get an invoice past us.
//!
//! The checks read the raw signed invoice rather than `Bolt11Invoice`, whose
//! parser also insists on feature bits next to a payment secret. LNbits'
//! FakeWallet (and so a DazNode test instance) omits them, and LND's own
//! decoder accepts that; what a payer needs is checked here explicitly.

use std::str::FromStr;
use std::sync::OnceLock;

use bitcoin::secp256k1::{Message, PublicKey, Secp256k1, VerifyOnly};
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

/// Checks `issued` against `req`. `signer` is the key the provider's node
/// signs with, when the provider knows it: the signature is then verified
/// against it, and an invoice signed by any other key is refused. Without
/// it, the signature only has to recover to a key (the payee's, by BOLT11).
pub fn check_issued(
    req: &InvoiceRequest,
    issued: &IssuedInvoice,
    network: Network,
    signer: Option<&PublicKey>,
) -> Result<Bolt11Facts, ProviderError> {
    let signed = match &issued.decoded {
        // Built and signed in this process (the dev provider): recovering its
        // key from the signature would only cost time.
        Some(inv) => inv.clone().into_signed_raw(),
        None => {
            let signed = parse(&issued.payment_request)?;
            match signer {
                Some(key) => verify(&signed, key)?,
                None => {
                    signer_of(&signed)?;
                }
            }
            signed
        }
    };
    check_raw(req, signed.raw_invoice(), network)
}

/// The key that signed this invoice: its payee field if it has one (and the
/// signature matches it), else the key recovered from the signature.
pub fn recover_signer(payment_request: &str) -> Result<PublicKey, ProviderError> {
    signer_of(&parse(payment_request)?)
}

/// One context for every check: `Secp256k1::new()`, which the
/// lightning-invoice helpers call per invoice, allocates and re-randomizes
/// a context each time, which costs as much as half a verification.
fn secp() -> &'static Secp256k1<VerifyOnly> {
    static SECP: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::verification_only)
}

fn parse(payment_request: &str) -> Result<SignedRawBolt11Invoice, ProviderError> {
    SignedRawBolt11Invoice::from_str(payment_request)
        .map_err(|e| mismatch(format!("not a valid BOLT11 invoice: {e}")))
}

fn signer_of(signed: &SignedRawBolt11Invoice) -> Result<PublicKey, ProviderError> {
    if let Some(payee) = signed.raw_invoice().payee_pub_key() {
        verify(signed, &payee.0)?;
        return Ok(payee.0);
    }
    let hash = Message::from_digest(*signed.signable_hash());
    secp()
        .recover_ecdsa(&hash, &signed.signature().0)
        .map_err(|_| mismatch("the BOLT11 signature does not match its payee"))
}

fn verify(signed: &SignedRawBolt11Invoice, key: &PublicKey) -> Result<(), ProviderError> {
    // A payee field naming another key contradicts the node's signature.
    if signed
        .raw_invoice()
        .payee_pub_key()
        .is_some_and(|p| p.0 != *key)
    {
        return Err(mismatch("the BOLT11 names another payee than the node"));
    }
    let hash = Message::from_digest(*signed.signable_hash());
    secp()
        .verify_ecdsa(&hash, &signed.signature().0.to_standard(), key)
        .map_err(|_| mismatch("the BOLT11 is not signed by the node's key"))
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
            preimage: None,
        };
        let inv = dev.create_invoice(&req).await.unwrap();
        (req, inv)
    }

    #[tokio::test]
    async fn parsed_and_handed_over_invoices_give_the_same_facts() {
        let (req, inv) = issued(Memo::Description("tea".into())).await;
        let handed = check_issued(&req, &inv, Network::Regtest, None).unwrap();
        let parsed = check_issued(
            &req,
            &IssuedInvoice {
                decoded: None,
                ..inv
            },
            Network::Regtest,
            None,
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
        let refused = |r: &InvoiceRequest, n| check_issued(r, &parsed, n, None).is_err();
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
            Network::Regtest,
            None,
        )
        .is_err());
    }

    #[tokio::test]
    async fn a_known_signer_refuses_an_invoice_signed_by_another_key() {
        let (req, node) = issued(Memo::Description("tea".into())).await;
        let (_, other) = issued(Memo::Description("tea".into())).await;
        let parsed = |inv: &IssuedInvoice| IssuedInvoice {
            decoded: None,
            ..inv.clone()
        };
        let (node, other) = (parsed(&node), parsed(&other));
        let key = recover_signer(&node.payment_request).unwrap();
        let other_key = recover_signer(&other.payment_request).unwrap();
        assert_ne!(key, other_key, "two dev providers, two keys");

        let check = |inv: &IssuedInvoice, k| check_issued(&req, inv, Network::Regtest, k);
        assert!(check(&node, Some(&key)).is_ok());
        // Valid invoices both: only the known key tells them apart.
        assert!(check(&other, None).is_ok());
        let err = check(&other, Some(&key)).unwrap_err();
        assert!(matches!(err, ProviderError::Mismatch(_)), "{err}");
        assert!(check(&node, Some(&other_key)).is_err());
    }
}
