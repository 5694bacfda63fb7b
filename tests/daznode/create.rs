//! Creating invoices on DazNode: a description, a description hash with a
//! custom expiry, and an amount in msat that is not whole sats.

use std::str::FromStr;
use std::time::Instant;

use lightning_invoice::SignedRawBolt11Invoice;
use lnpayd::proto::{self, create_invoice_request, InvoiceStatus};
use sha2::Digest;

use super::{create, Merchant, LNBITS};
use testkit::daemon::create_req;

/// What a BOLT11 says, read from the signed raw invoice: LNbits' FakeWallet
/// sets a payment secret without the feature bits, which `Bolt11Invoice`
/// refuses.
#[derive(Debug)]
struct Decoded {
    amount_msat: Option<u64>,
    expiry_secs: u64,
    description: Option<String>,
    description_hash: Option<String>,
    payment_hash: String,
}

fn decode(bolt11: &str) -> Decoded {
    let signed = SignedRawBolt11Invoice::from_str(bolt11).unwrap();
    assert!(signed.recover_payee_pub_key().is_ok() && signed.check_signature());
    let raw = signed.raw_invoice();
    Decoded {
        amount_msat: raw.amount_pico_btc().map(|p| p / 10),
        expiry_secs: raw.expiry_time().map_or(3600, |e| e.as_seconds()),
        description: raw.description().map(|d| d.as_inner().0.clone()),
        description_hash: raw
            .description_hash()
            .map(|h| hex::encode(h.0.as_ref() as &[u8])),
        payment_hash: hex::encode(raw.payment_hash().unwrap().0.as_ref() as &[u8]),
    }
}

/// Create: description, BOLT11 as requested.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_with_description() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let desc = "café ☕ — lnpayd × DazNode";
    let t = Instant::now();
    let inv = create(d, create_req(2100, desc)).await;
    eprintln!("create through lnpayd: {:?}", t.elapsed());
    assert_eq!(inv.provider, "daznode");
    assert!(
        inv.payment_request.starts_with("lnbc21u1"),
        "{}",
        inv.payment_request
    );
    assert_eq!(inv.status(), InvoiceStatus::Pending);
    let b = decode(&inv.payment_request);
    assert_eq!(b.amount_msat, Some(2_100_000));
    assert_eq!(b.expiry_secs, 3600);
    assert_eq!(b.description.as_deref(), Some(desc));
    assert_eq!(b.payment_hash, inv.payment_hash);
    let at_lnbits = lnb.merchant_payment(&inv.payment_hash).await;
    assert_eq!(at_lnbits["paid"], false, "{at_lnbits}");

    // The id (UUIDv7) is chosen before LNbits is asked, which takes
    // milliseconds; its timestamp is the creation-time index key, so
    // created_at must be that same instant or a created_before filter at
    // an invoice's own created_at would list the invoice itself.
    let created = inv.created_at.unwrap();
    let created_ms = created.seconds as u64 * 1000 + created.nanos as u64 / 1_000_000;
    let id_ms = u64::from_str_radix(&inv.id["inv_".len().."inv_".len() + 12], 16).unwrap();
    assert_eq!(id_ms, created_ms, "{}", inv.id);
    let before = d
        .invoices()
        .await
        .list_invoices(proto::ListInvoicesRequest {
            created_before: inv.created_at,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        before.invoices.iter().all(|i| i.id != inv.id),
        "created_before is exclusive"
    );

    m.shut_down(&lnb);
}

/// Create: description hash and a custom expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_with_description_hash_and_custom_expiry() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let hash: [u8; 32] = sha2::Sha256::digest(b"a long description kept elsewhere").into();
    let req = proto::CreateInvoiceRequest {
        amount: Some(create_invoice_request::Amount::AmountMsat(21_000)),
        memo: Some(create_invoice_request::Memo::DescriptionHash(hash.to_vec())),
        expiry_seconds: 120,
        ..Default::default()
    };
    let inv = create(d, req).await;
    assert_eq!(inv.provider, "daznode");
    assert_eq!(inv.description_hash, hex::encode(hash));
    let b = decode(&inv.payment_request);
    assert_eq!(b.amount_msat, Some(21_000));
    assert_eq!(b.expiry_secs, 120);
    assert_eq!(b.description, None);
    assert_eq!(b.description_hash, Some(hex::encode(hash)));
    // lnpayd's expiry is the BOLT11's: 120 s after the invoice's timestamp.
    let lifetime = inv.expires_at.unwrap().seconds - inv.created_at.unwrap().seconds;
    assert!((118..=121).contains(&lifetime), "{lifetime}");

    m.shut_down(&lnb);
}

/// Create: an amount in msat that is not whole sats is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_with_msat_not_whole_sats_refused() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let req = proto::CreateInvoiceRequest {
        amount: Some(create_invoice_request::Amount::AmountMsat(1_500)),
        memo: Some(create_invoice_request::Memo::Description("msat".into())),
        ..Default::default()
    };
    let err = d.invoices().await.create_invoice(req).await.unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("whole"), "{text}");

    m.shut_down(&lnb);
}
