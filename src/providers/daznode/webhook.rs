//! The pieces of DazNode's webhook path (issue 17) that carry its security:
//! the per-invoice token and the per-invoice lookup limit.
//!
//! A webhook URL is `…/hooks/daznode/{payment hash}/{token}`, the token an
//! HMAC-SHA256 of the payment hash under a key kept in the data dir: nobody
//! without the key can make a URL for another invoice, and the key never
//! leaves the machine. A call is only a hint (the payment is confirmed with
//! DazNode's API before anything changes), and the limiter keeps replayed or
//! repeated calls from costing more than one lookup per invoice per window.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::hmac;
use subtle::ConstantTimeEq;

/// The key's file name in the data dir.
pub const KEY_FILE: &str = "daznode-webhook.key";
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum WebhookKeyError {
    #[error("webhook key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("webhook key {path} is {len} bytes, expected {KEY_LEN}")]
    Length { path: String, len: usize },
}

/// The HMAC key that binds a webhook URL to its invoice.
pub struct WebhookKey(hmac::Key);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(..)")
    }
}

impl WebhookKey {
    /// Reads the key from `datadir`, creating it (32 random bytes, mode
    /// 0600) on first use, so URLs handed out before a restart stay valid.
    pub fn load_or_create(datadir: &Path) -> Result<Self, WebhookKeyError> {
        let path = datadir.join(KEY_FILE);
        let io = |source| WebhookKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let fresh: [u8; KEY_LEN] = rand::random();
                crate::daemon::write_secret_bytes(&path, &fresh).map_err(io)?;
                fresh.to_vec()
            }
            Err(e) => return Err(io(e)),
        };
        if bytes.len() != KEY_LEN {
            return Err(WebhookKeyError::Length {
                path: path.display().to_string(),
                len: bytes.len(),
            });
        }
        Ok(Self::from_bytes(&bytes))
    }

    pub fn from_bytes(key: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    /// The token for `payment_hash` (lowercase hex, as stored).
    pub fn token(&self, payment_hash: &str) -> String {
        hex::encode(hmac::sign(&self.0, payment_hash.as_bytes()).as_ref())
    }

    /// Whether `token` is the one for `payment_hash`, compared in constant
    /// time so the answer's timing reveals nothing of the right token.
    pub fn verify(&self, payment_hash: &str, token: &str) -> bool {
        let expected = self.token(payment_hash);
        expected.len() == token.len() && bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// At most one lookup per invoice per window from the webhook path.
pub struct LookupLimiter {
    window: Duration,
    last: Mutex<HashMap<String, Instant>>,
}

impl LookupLimiter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a lookup for `payment_hash` may run now; if so, it counts.
    pub fn allow(&self, payment_hash: &str, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        // Entries older than the window decide nothing: dropping them keeps
        // the map as small as the calls of the last window.
        last.retain(|_, at| now.saturating_duration_since(*at) < self.window);
        if last.contains_key(payment_hash) {
            return false;
        }
        last.insert(payment_hash.to_owned(), now);
        true
    }
}

/// The payment hash an LNbits webhook body names, if any. LNbits posts the
/// Payment JSON encoded twice (a JSON string holding the object); a body
/// encoded once is accepted too. The URL's hash, bound by the token, is what
/// counts: a body naming another hash is refused by the caller.
pub fn payment_hash_of_body(body: &[u8]) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let serde_json::Value::String(inner) = &v {
        v = serde_json::from_str(inner).ok()?;
    }
    let h = v.get("payment_hash")?.as_str()?;
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then(|| h.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_A: &str = "aa00000000000000000000000000000000000000000000000000000000000000";
    const HASH_B: &str = "bb00000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn a_token_is_valid_for_its_own_invoice_only() {
        let key = WebhookKey::from_bytes(&[7; 32]);
        let token = key.token(HASH_A);
        assert_eq!(token.len(), 64);
        assert!(key.verify(HASH_A, &token));
        assert!(!key.verify(HASH_B, &token));
        assert!(!key.verify(HASH_A, &token[..63]));
        assert!(!key.verify(HASH_A, ""));
        let mut flipped = token.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert!(!key.verify(HASH_A, std::str::from_utf8(&flipped).unwrap()));
        let other = WebhookKey::from_bytes(&[8; 32]);
        assert!(!other.verify(HASH_A, &token));
    }

    #[test]
    fn the_key_is_created_once_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = WebhookKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 32);
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let again = WebhookKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.token(HASH_A), again.token(HASH_A));
        let other_dir = tempfile::tempdir().unwrap();
        let other = WebhookKey::load_or_create(other_dir.path()).unwrap();
        assert_ne!(first.token(HASH_A), other.token(HASH_A));
    }

    #[test]
    fn a_key_file_of_the_wrong_length_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        let err = WebhookKey::load_or_create(dir.path()).unwrap_err();
        assert!(
            matches!(err, WebhookKeyError::Length { len: 5, .. }),
            "{err}"
        );
    }

    #[test]
    fn one_lookup_per_invoice_per_window() {
        let limiter = LookupLimiter::new(Duration::from_secs(2));
        let t0 = Instant::now();
        assert!(limiter.allow(HASH_A, t0));
        assert!(!limiter.allow(HASH_A, t0 + Duration::from_millis(1_999)));
        assert!(limiter.allow(HASH_B, t0 + Duration::from_millis(10)));
        assert!(limiter.allow(HASH_A, t0 + Duration::from_secs(2)));
        assert!(!limiter.allow(HASH_A, t0 + Duration::from_millis(2_500)));
    }

    #[test]
    fn the_body_is_read_encoded_twice_or_once() {
        let payment = serde_json::json!({"payment_hash": HASH_A.to_uppercase(), "amount": 1000});
        let twice = serde_json::to_vec(&payment.to_string()).unwrap();
        assert_eq!(payment_hash_of_body(&twice).as_deref(), Some(HASH_A));
        let once = serde_json::to_vec(&payment).unwrap();
        assert_eq!(payment_hash_of_body(&once).as_deref(), Some(HASH_A));
        assert_eq!(payment_hash_of_body(b"not json"), None);
        assert_eq!(payment_hash_of_body(br#"{"payment_hash": "abc"}"#), None);
        assert_eq!(payment_hash_of_body(br#""{\"amount\": 1}""#), None);
    }
}
