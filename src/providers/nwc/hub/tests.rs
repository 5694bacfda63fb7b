//! The request path against a scripted wallet double: what it answers, how
//! late, and with which key.

use std::sync::Arc;

use nostr::{EventBuilder, Keys, Tag};
use serde_json::json;

use super::*;
use crate::providers::nwc::nip47::Encryption;

enum Script {
    Answer(Value),
    Error(&'static str),
    Late(Duration),
    SignedByStranger,
    WrongResultType,
}

fn info(encryption: Encryption) -> WalletInfo {
    WalletInfo {
        methods: vec![
            "get_info".into(),
            "make_invoice".into(),
            "lookup_invoice".into(),
        ],
        notifications: vec!["payment_received".into()],
        encryption,
        offered: vec![encryption.as_str().into()],
    }
}

/// A hub with one "relay" whose frames go to a wallet double run by `script`.
fn hub_with_double(encryption: Encryption, script: Script) -> Arc<Hub> {
    let wallet = Keys::generate();
    let hub = Arc::new(Hub::new(
        wallet.public_key(),
        Keys::generate(),
        vec![url::Url::parse("ws://127.0.0.1:1").unwrap()],
        Duration::from_millis(400),
    ));
    hub.set_info(info(encryption));
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    hub.attach(&hub.links[0], tx);
    let h = hub.clone();
    tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            let v: Value = serde_json::from_str(&frame).unwrap();
            assert_eq!(v[0], "EVENT");
            let req = Event::from_json(v[1].to_string()).unwrap();
            req.verify().unwrap();
            assert_eq!(req.kind, REQUEST);
            let tag = |name: &str| {
                req.tags
                    .iter()
                    .find(|t| t.as_slice()[0] == name)
                    .map(|t| t.as_slice()[1].clone())
            };
            assert_eq!(tag("encryption").as_deref(), Some(encryption.as_str()));
            assert_eq!(tag("p"), Some(wallet.public_key().to_hex()));
            assert!(tag("expiration").is_some());
            let body = encryption
                .decrypt(&wallet, &req.pubkey, &req.content)
                .unwrap();
            let method = serde_json::from_str::<Value>(&body).unwrap()["method"]
                .as_str()
                .unwrap()
                .to_string();
            let (signer, answer) = match &script {
                Script::Answer(r) => (&wallet, json!({"result_type": method, "result": r})),
                Script::Error(code) => (
                    &wallet,
                    json!({"result_type": method, "error": {"code": code, "message": "no"}}),
                ),
                Script::Late(d) => {
                    tokio::time::sleep(*d).await;
                    (&wallet, json!({"result_type": method, "result": {}}))
                }
                Script::SignedByStranger => (&wallet, json!({"result_type": method, "result": {}})),
                Script::WrongResultType => {
                    (&wallet, json!({"result_type": "pay_invoice", "result": {}}))
                }
            };
            let stranger = Keys::generate();
            let signer = if matches!(script, Script::SignedByStranger) {
                &stranger
            } else {
                signer
            };
            let content = encryption
                .encrypt(signer, &req.pubkey, &answer.to_string())
                .unwrap();
            let resp = EventBuilder::new(RESPONSE, content)
                .tags([Tag::event(req.id), Tag::public_key(req.pubkey)])
                .sign_with_keys(signer)
                .unwrap();
            h.deliver(resp);
        }
    });
    hub
}

#[tokio::test]
async fn an_answer_is_decrypted_for_its_request() {
    for enc in [Encryption::Nip44V2, Encryption::Nip04] {
        let hub = hub_with_double(enc, Script::Answer(json!({"alias": "w"})));
        let got = hub.call("get_info", json!({})).await.unwrap();
        assert_eq!(got["alias"], "w", "{enc:?}");
    }
}

#[tokio::test]
async fn wallet_errors_come_back_typed() {
    let hub = hub_with_double(Encryption::Nip44V2, Script::Error("RATE_LIMITED"));
    let e = hub.call("make_invoice", json!({})).await.unwrap_err();
    assert!(matches!(e, ProviderError::RateLimited { .. }), "{e:?}");
    let hub = hub_with_double(Encryption::Nip44V2, Script::Error("RESTRICTED"));
    let e = hub.call("make_invoice", json!({})).await.unwrap_err();
    assert!(matches!(e, ProviderError::Unauthorized(_)), "{e:?}");
}

#[tokio::test]
async fn late_forged_or_mismatched_answers_are_not_results() {
    let hub = hub_with_double(Encryption::Nip44V2, Script::Late(Duration::from_secs(2)));
    let e = hub.call("lookup_invoice", json!({})).await.unwrap_err();
    assert!(matches!(e, ProviderError::Timeout(_)), "{e:?}");
    assert!(
        hub.waiting.lock().unwrap().is_empty(),
        "the request is forgotten"
    );

    let hub = hub_with_double(Encryption::Nip44V2, Script::SignedByStranger);
    let e = hub.call("lookup_invoice", json!({})).await.unwrap_err();
    assert!(
        matches!(e, ProviderError::Timeout(_)),
        "another key's answer is ignored: {e:?}"
    );

    let hub = hub_with_double(Encryption::Nip44V2, Script::WrongResultType);
    let e = hub.call("lookup_invoice", json!({})).await.unwrap_err();
    assert!(matches!(e, ProviderError::Unavailable(_)), "{e:?}");
}

#[tokio::test]
async fn without_a_relay_a_call_fails_within_its_bound() {
    let hub = Hub::new(
        Keys::generate().public_key(),
        Keys::generate(),
        vec![url::Url::parse("ws://127.0.0.1:1").unwrap()],
        Duration::from_millis(200),
    );
    let t = std::time::Instant::now();
    let e = hub.call("get_info", json!({})).await.unwrap_err();
    assert!(matches!(e, ProviderError::Unavailable(_)), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(hub.connection_state(), ConnectionState::NotConnectedYet);
}
