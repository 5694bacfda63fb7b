//! The connection URI a wallet hands out:
//! `nostr+walletconnect://<wallet pubkey hex>?relay=<url>[&relay=…]&secret=<hex>[&lud16=…]`.
//! The secret signs our requests and decrypts the wallet's answers: no error
//! text here ever carries it, nor the URI it came in.

use nostr::{Keys, PublicKey, SecretKey};

const SCHEMES: [&str; 2] = ["nostr+walletconnect://", "nostrwalletconnect://"];

/// A parsed connection URI. Deliberately not `Debug`: it holds the secret.
pub struct NwcUri {
    /// The wallet service's key: it signs every answer and notification.
    pub wallet: PublicKey,
    /// Every relay the wallet listens on; all are used.
    pub relays: Vec<url::Url>,
    /// Our key for this connection, from `secret`.
    pub keys: Keys,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("is not a nostr+walletconnect:// URI")]
    Scheme,
    #[error("the wallet public key is not 64 hex digits")]
    WalletKey,
    #[error("names no relay (relay=wss://…)")]
    NoRelay,
    #[error("relay {0:?} is not a ws:// or wss:// URL")]
    Relay(String),
    #[error("has no secret=")]
    NoSecret,
    #[error("its secret is not a valid 32-byte hex key")]
    Secret,
}

impl NwcUri {
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let text = text.trim();
        let rest = SCHEMES
            .iter()
            .find_map(|s| {
                text.get(..s.len())
                    .filter(|head| head.eq_ignore_ascii_case(s))
                    .map(|_| &text[s.len()..])
            })
            .ok_or(UriError::Scheme)?;
        let (wallet, query) = rest.split_once('?').unwrap_or((rest, ""));
        let wallet = wallet.trim_end_matches('/');
        if wallet.len() != 64 || !wallet.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UriError::WalletKey);
        }
        let wallet = PublicKey::from_hex(wallet).map_err(|_| UriError::WalletKey)?;
        let mut relays: Vec<url::Url> = Vec::new();
        let mut secret = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "relay" => {
                    let relay = url::Url::parse(v.trim())
                        .ok()
                        .filter(|u| matches!(u.scheme(), "ws" | "wss") && u.host().is_some())
                        .ok_or_else(|| UriError::Relay(v.to_string()))?;
                    if !relays.contains(&relay) {
                        relays.push(relay);
                    }
                }
                "secret" => secret = Some(v.into_owned()),
                _ => {}
            }
        }
        if relays.is_empty() {
            return Err(UriError::NoRelay);
        }
        let secret = secret.ok_or(UriError::NoSecret)?;
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UriError::Secret);
        }
        let secret = SecretKey::from_hex(&secret).map_err(|_| UriError::Secret)?;
        Ok(Self {
            wallet,
            relays,
            keys: Keys::new(secret),
        })
    }

    /// The secret as it appears in the URI (lowercase hex), for redaction.
    pub fn secret_hex(&self) -> String {
        self.keys.secret_key().to_secret_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WALLET: &str = "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4";
    const SECRET: &str = "71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c";

    #[test]
    fn parses_every_relay_and_the_secret() {
        let uri = format!(
            "nostr+walletconnect://{WALLET}?relay=wss%3A%2F%2Frelay.one%2Fv1&relay=ws://127.0.0.1:7447&secret={SECRET}&lud16=a%40b.c"
        );
        let u = NwcUri::parse(&uri).unwrap();
        assert_eq!(u.wallet.to_hex(), WALLET);
        let relays: Vec<&str> = u.relays.iter().map(url::Url::as_str).collect();
        assert_eq!(relays, ["wss://relay.one/v1", "ws://127.0.0.1:7447/"]);
        assert_eq!(u.secret_hex(), SECRET);
    }

    #[test]
    fn errors_never_carry_the_secret() {
        let cases = [
            format!("https://{WALLET}?relay=wss://r&secret={SECRET}"),
            format!("nostr+walletconnect://nothex?relay=wss://r&secret={SECRET}"),
            format!("nostr+walletconnect://{WALLET}?secret={SECRET}"),
            format!("nostr+walletconnect://{WALLET}?relay=https://r&secret={SECRET}"),
            format!("nostr+walletconnect://{WALLET}?relay=wss://r"),
            format!("nostr+walletconnect://{WALLET}?relay=wss://r&secret={SECRET}00"),
        ];
        let expected = [
            UriError::Scheme,
            UriError::WalletKey,
            UriError::NoRelay,
            UriError::Relay("https://r".into()),
            UriError::NoSecret,
            UriError::Secret,
        ];
        for (uri, want) in cases.iter().zip(expected) {
            let e = NwcUri::parse(uri).err().expect("an error");
            assert_eq!(e, want);
            assert!(!e.to_string().contains(SECRET), "{e}");
        }
    }
}
