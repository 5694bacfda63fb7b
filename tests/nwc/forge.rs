//! Publishes hand-made events on the test relay: forged notifications, as
//! an attacker (or a replaying relay) would send them.

use futures::{SinkExt, StreamExt};
use nostr::{ClientMessage, EventBuilder, JsonUtil, Keys, Kind, PublicKey, Tag};
use tokio_tungstenite::tungstenite::Message;

/// A `payment_received` notification (kind 23197, NIP-44) for `payment_hash`,
/// signed by `signer`, addressed to `to`.
pub fn notification(signer: &Keys, to: &PublicKey, payment_hash: &str) -> nostr::Event {
    let body = serde_json::json!({
        "notification_type": "payment_received",
        "notification": {
            "type": "incoming",
            "state": "settled",
            "payment_hash": payment_hash,
            "amount": 1_000_000,
            "settled_at": 1_700_000_000u64,
        },
    })
    .to_string();
    let content = nostr::nips::nip44::encrypt(
        signer.secret_key(),
        to,
        body,
        nostr::nips::nip44::Version::V2,
    )
    .unwrap();
    EventBuilder::new(Kind::Custom(23197), content)
        .tag(Tag::public_key(*to))
        .sign_with_keys(signer)
        .unwrap()
}

/// Publishes `event` on the relay at `url`. An OK false fails the test;
/// nostr-rs-relay sends no OK for ephemeral kinds, so none is required.
pub async fn publish(url: &str, event: nostr::Event) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let id = event.id.to_hex();
    ws.send(Message::Text(ClientMessage::event(event).as_json().into()))
        .await
        .unwrap();
    let ok = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while let Some(Ok(m)) = ws.next().await {
            if let Message::Text(t) = m {
                if t.contains("\"OK\"") && t.contains(&id) {
                    return Some(t.to_string());
                }
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    if let Some(ok) = ok {
        assert!(ok.contains("true"), "the relay refused the event: {ok}");
    }
}
