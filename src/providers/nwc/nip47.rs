//! NIP-47's messages, typed: the wallet's info event, requests, responses,
//! notifications and error codes, and the two encryptions. Nothing here
//! talks to a relay.

use nostr::{Event, Keys, Kind, PublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::providers::ProviderError;

pub const INFO: Kind = Kind::Custom(13194);
pub const REQUEST: Kind = Kind::Custom(23194);
pub const RESPONSE: Kind = Kind::Custom(23195);
pub const NOTIFICATION_NIP04: Kind = Kind::Custom(23196);
pub const NOTIFICATION_NIP44: Kind = Kind::Custom(23197);

/// How requests, answers and notifications are encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encryption {
    Nip44V2,
    /// Only when the wallet offers nothing else (weaker: no padding, no MAC).
    Nip04,
}

impl Encryption {
    /// The name in `encryption` tags and GetStatus.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nip44V2 => "nip44_v2",
            Self::Nip04 => "nip04",
        }
    }

    pub fn notification_kind(self) -> Kind {
        match self {
            Self::Nip44V2 => NOTIFICATION_NIP44,
            Self::Nip04 => NOTIFICATION_NIP04,
        }
    }

    pub fn encrypt(self, keys: &Keys, to: &PublicKey, text: &str) -> Result<String, String> {
        match self {
            Self::Nip44V2 => nostr::nips::nip44::encrypt(
                keys.secret_key(),
                to,
                text,
                nostr::nips::nip44::Version::V2,
            )
            .map_err(|e| e.to_string()),
            Self::Nip04 => {
                nostr::nips::nip04::encrypt(keys.secret_key(), to, text).map_err(|e| e.to_string())
            }
        }
    }

    pub fn decrypt(self, keys: &Keys, from: &PublicKey, payload: &str) -> Result<String, String> {
        match self {
            Self::Nip44V2 => nostr::nips::nip44::decrypt(keys.secret_key(), from, payload)
                .map_err(|e| e.to_string()),
            Self::Nip04 => nostr::nips::nip04::decrypt(keys.secret_key(), from, payload)
                .map_err(|e| e.to_string()),
        }
    }
}

/// What the wallet's info event (kind 13194) says it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletInfo {
    pub methods: Vec<String>,
    pub notifications: Vec<String>,
    /// What we use: NIP-44 v2 whenever it is offered.
    pub encryption: Encryption,
    /// What the wallet offers, as it says it.
    pub offered: Vec<String>,
}

impl WalletInfo {
    /// Reads an info event. No `encryption` tag means NIP-04 only (NIP-47);
    /// an `encryption` tag that names neither scheme is refused.
    pub fn from_event(event: &Event) -> Result<Self, String> {
        let tag = |name: &str| -> Option<Vec<String>> {
            event.tags.iter().find_map(|t| {
                let s = t.as_slice();
                (s.first().map(String::as_str) == Some(name)).then(|| {
                    s[1..]
                        .join(" ")
                        .split_whitespace()
                        .map(str::to_string)
                        .collect()
                })
            })
        };
        let offered = tag("encryption").unwrap_or_else(|| vec!["nip04".into()]);
        let encryption = if offered.iter().any(|e| e == "nip44_v2") {
            Encryption::Nip44V2
        } else if offered.iter().any(|e| e == "nip04") {
            Encryption::Nip04
        } else {
            return Err(format!(
                "the wallet offers no encryption lnpayd knows: {offered:?}"
            ));
        };
        Ok(Self {
            methods: event
                .content
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            notifications: tag("notifications").unwrap_or_default(),
            encryption,
            offered,
        })
    }

    pub fn has_method(&self, m: &str) -> bool {
        self.methods.iter().any(|x| x == m)
    }

    pub fn notifies_payments(&self) -> bool {
        self.notifications.iter().any(|x| x == "payment_received")
    }
}

#[derive(Serialize)]
pub struct Request<'a> {
    pub method: &'a str,
    pub params: Value,
}

#[derive(Deserialize, Debug)]
pub struct Response {
    #[serde(default)]
    pub result_type: Option<String>,
    #[serde(default)]
    pub error: Option<WalletError>,
    #[serde(default)]
    pub result: Option<Value>,
}

#[derive(Deserialize, Debug)]
pub struct WalletError {
    pub code: ErrorCode,
    #[serde(default)]
    pub message: String,
}

/// NIP-47's error codes, and two seen in the wild.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    RateLimited,
    NotImplemented,
    InsufficientBalance,
    QuotaExceeded,
    Restricted,
    Unauthorized,
    Internal,
    UnsupportedEncryption,
    NotFound,
    PaymentFailed,
    #[serde(other)]
    Other,
}

impl WalletError {
    /// The typed provider error. Refusals of this connection (its key, its
    /// permissions, its budget, a method the wallet lacks) are `Unauthorized`:
    /// not retried here, but another provider may serve. Rate limits are
    /// waited out; INTERNAL and OTHER are worth another try.
    pub fn into_provider_error(self, method: &str) -> ProviderError {
        let text = format!(
            "{method}: {:?}: {}",
            self.code,
            self.message.chars().take(200).collect::<String>()
        );
        match self.code {
            ErrorCode::RateLimited => ProviderError::RateLimited {
                retry_after: None,
                detail: text,
            },
            ErrorCode::Unauthorized
            | ErrorCode::Restricted
            | ErrorCode::QuotaExceeded
            | ErrorCode::NotImplemented
            | ErrorCode::UnsupportedEncryption => ProviderError::Unauthorized(text),
            ErrorCode::NotFound => ProviderError::NotFound(text),
            ErrorCode::InsufficientBalance | ErrorCode::PaymentFailed => {
                ProviderError::Rejected(text)
            }
            ErrorCode::Internal | ErrorCode::Other => ProviderError::Unavailable(text),
        }
    }
}

/// An invoice as `make_invoice`, `lookup_invoice` and notifications describe it.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct Transaction {
    #[serde(default)]
    pub invoice: Option<String>,
    #[serde(default)]
    pub payment_hash: Option<String>,
    /// msat.
    #[serde(default)]
    pub amount: Option<u64>,
    #[serde(default)]
    pub state: Option<TxState>,
    /// Unix seconds.
    #[serde(default)]
    pub settled_at: Option<u64>,
    #[serde(default)]
    pub preimage: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TxState {
    Pending,
    Settled,
    Accepted,
    Expired,
    Failed,
    #[serde(other)]
    Unknown,
}

impl Transaction {
    /// Paid, by the wallet's word: `state: settled`, or (wallets older than
    /// `state`) a settlement time. A preimage that does not hash to the
    /// invoice's payment hash disproves it.
    pub fn is_settled(&self, payment_hash: &str) -> bool {
        if let (Some(p), true) = (&self.preimage, !payment_hash.is_empty()) {
            if let Ok(bytes) = hex::decode(p) {
                use sha2::Digest;
                if !bytes.is_empty() && hex::encode(sha2::Sha256::digest(&bytes)) != payment_hash {
                    return false;
                }
            }
        }
        match self.state {
            Some(s) => s == TxState::Settled,
            None => self.settled_at.is_some_and(|t| t > 0),
        }
    }
}

#[derive(Deserialize, Debug)]
pub struct Notification {
    pub notification_type: String,
    #[serde(default)]
    pub notification: Transaction,
}

#[cfg(test)]
mod tests;
