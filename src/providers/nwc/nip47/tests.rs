use nostr::{EventBuilder, Keys, Tag, TagKind};

use super::*;

fn info_event(tags: Vec<Tag>) -> Event {
    EventBuilder::new(INFO, "get_info make_invoice lookup_invoice")
        .tags(tags)
        .sign_with_keys(&Keys::generate())
        .unwrap()
}

#[test]
fn nip44_is_preferred_and_no_tag_means_nip04() {
    let both = info_event(vec![
        Tag::custom(TagKind::custom("encryption"), ["nip04 nip44_v2"]),
        Tag::custom(
            TagKind::custom("notifications"),
            ["payment_received payment_sent"],
        ),
    ]);
    let info = WalletInfo::from_event(&both).unwrap();
    assert_eq!(info.encryption, Encryption::Nip44V2);
    assert!(info.notifies_payments());
    assert!(info.has_method("lookup_invoice"));
    let none = WalletInfo::from_event(&info_event(vec![])).unwrap();
    assert_eq!(none.encryption, Encryption::Nip04);
    assert!(!none.notifies_payments());
    let unknown = info_event(vec![Tag::custom(TagKind::custom("encryption"), ["nip99"])]);
    assert!(WalletInfo::from_event(&unknown).is_err());
}

#[test]
fn both_encryptions_round_trip() {
    let (us, wallet) = (Keys::generate(), Keys::generate());
    for enc in [Encryption::Nip44V2, Encryption::Nip04] {
        let sealed = enc.encrypt(&us, &wallet.public_key(), "{\"a\":1}").unwrap();
        let opened = enc.decrypt(&wallet, &us.public_key(), &sealed).unwrap();
        assert_eq!(opened, "{\"a\":1}");
    }
}

#[test]
fn wallet_errors_map_to_typed_provider_errors() {
    let err = |code: &str| -> ProviderError {
        let e: WalletError =
            serde_json::from_value(serde_json::json!({"code": code, "message": "m"})).unwrap();
        e.into_provider_error("make_invoice")
    };
    assert!(matches!(
        err("RATE_LIMITED"),
        ProviderError::RateLimited { .. }
    ));
    for refusal in [
        "UNAUTHORIZED",
        "RESTRICTED",
        "QUOTA_EXCEEDED",
        "NOT_IMPLEMENTED",
    ] {
        let e = err(refusal);
        assert!(
            matches!(e, ProviderError::Unauthorized(_)),
            "{refusal}: {e:?}"
        );
        assert!(
            !e.is_transient() && e.tries_next(),
            "{refusal}: not retried, failed over"
        );
    }
    for transient in ["INTERNAL", "OTHER", "SOMETHING_NEW"] {
        let e = err(transient);
        assert!(matches!(e, ProviderError::Unavailable(_)), "{transient}");
        assert!(e.is_transient());
    }
    assert!(matches!(err("NOT_FOUND"), ProviderError::NotFound(_)));
}

#[test]
fn settled_needs_the_state_and_a_matching_preimage() {
    use sha2::Digest;
    let preimage = [7u8; 32];
    let hash = hex::encode(sha2::Sha256::digest(preimage));
    let tx = |v: serde_json::Value| -> Transaction { serde_json::from_value(v).unwrap() };
    assert!(
        tx(serde_json::json!({"state": "settled", "preimage": hex::encode(preimage)}))
            .is_settled(&hash)
    );
    assert!(!tx(serde_json::json!({"state": "pending"})).is_settled(&hash));
    assert!(
        !tx(serde_json::json!({"state": "settled", "preimage": "00".repeat(32)})).is_settled(&hash)
    );
    assert!(tx(serde_json::json!({"settled_at": 1_700_000_000})).is_settled(&hash));
    assert!(!tx(serde_json::json!({"settled_at": null})).is_settled(&hash));
}
