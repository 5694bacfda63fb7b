//! Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(key,
//! "{webhook-id}.{webhook-timestamp}.{body}")), several separated by spaces
//! while a rotated-out secret is still honoured.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::hmac;

use crate::config::Secret;
use crate::store::webhooks::WebhookEndpoint;

const PREFIX: &str = "whsec_";

/// A new secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> Secret {
    let mut key = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .expect("the system random source works");
    Secret::new(format!("{PREFIX}{}", STANDARD.encode(key)))
}

/// The key bytes of a `whsec_…` secret; None when it is not one.
pub fn key_of(secret: &Secret) -> Option<Vec<u8>> {
    let b64 = secret.expose().strip_prefix(PREFIX)?;
    STANDARD.decode(b64).ok().filter(|k| !k.is_empty())
}

/// One signature, `v1,<base64>`.
pub fn sign(key: &[u8], msg_id: &str, timestamp: u64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(msg_id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("v1,{}", STANDARD.encode(ctx.sign().as_ref()))
}

/// The `webhook-signature` header for this endpoint at `now_ms`: the current
/// secret's signature, then the previous one's while its overlap lasts.
pub fn signature_header(
    ep: &WebhookEndpoint,
    msg_id: &str,
    timestamp: u64,
    body: &[u8],
    now_ms: u64,
) -> String {
    let mut secrets = vec![&ep.secret];
    if let Some(prev) = ep
        .previous_secret
        .as_ref()
        .filter(|p| now_ms < p.valid_until_ms)
    {
        secrets.push(&prev.secret);
    }
    secrets
        .into_iter()
        .filter_map(key_of)
        .map(|k| sign(&k, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The id a receiver dedupes on: the same for every attempt of one event to
/// one endpoint, including after a restart or a redelivery.
pub fn message_id(endpoint_id: &str, sequence: u64) -> String {
    format!("msg_{endpoint_id}_{sequence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        // From the Standard Webhooks reference libraries' own tests.
        let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let key = key_of(&secret).unwrap();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn new_secrets_are_32_random_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(key_of(&a).unwrap().len(), 32);
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "<redacted>");
    }
}
