//! The bodies of the LNbits API (1.6.2) that lnpayd reads and writes, typed,
//! and how its answers become provider errors: by HTTP status and the error
//! body's fields, never by searching its text.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::providers::ProviderError;

/// `POST /api/v1/payments` for an incoming invoice.
/// No Debug: `webhook` holds a token.
#[derive(Serialize)]
pub struct CreatePayment {
    /// LNbits defaults `out` to true ("pay"): always sent.
    pub out: bool,
    /// Whole satoshis.
    pub amount: u64,
    pub expiry: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// Hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_hash: Option<String>,
    /// Where LNbits POSTs the Payment once paid; absent unless
    /// `webhook_url` is set. Holds a token: never logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
}

/// The answer to a create: LNbits names the BOLT11 `payment_request`
/// (older versions: `bolt11`).
#[derive(Debug, Default, Deserialize)]
pub struct CreatedPayment {
    #[serde(default)]
    pub payment_request: Option<String>,
    #[serde(default)]
    pub bolt11: Option<String>,
}

impl CreatedPayment {
    pub fn bolt11(&self) -> Option<&str> {
        [&self.payment_request, &self.bolt11]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|s| !s.is_empty())
    }
}

/// `GET /api/v1/wallet`.
#[derive(Debug, Default, Deserialize)]
pub struct Wallet {
    #[serde(default)]
    pub name: Option<String>,
    /// msat.
    #[serde(default)]
    pub balance: Option<serde_json::Number>,
}

/// `GET /api/v1/payments/{hash}`.
#[derive(Debug, Deserialize)]
pub struct PaymentStatus {
    pub paid: bool,
    /// Present only when our key is the wallet's.
    #[serde(default)]
    pub details: Option<Value>,
}

/// The part of the Payment object a check reads.
#[derive(Debug, Default, Deserialize)]
pub struct PaymentDetails {
    #[serde(default)]
    pub payment_hash: Option<String>,
    /// msat; negative for an outgoing payment.
    #[serde(default)]
    pub amount: Option<serde_json::Number>,
    /// pending | success | failed.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub updated_at: Option<Value>,
    #[serde(default)]
    pub time: Option<Value>,
}

/// LNbits' error body: `{"detail": …, "status": …}`. `detail` is a string,
/// or FastAPI's list of validation errors.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub detail: Option<Value>,
    /// On LNbits' own refusals (HTTP 520): "failed" is permanent, "pending"
    /// means its backend could not make the invoice.
    #[serde(default)]
    pub status: Option<String>,
}

impl ErrorBody {
    pub fn from_value(body: &Value) -> Self {
        Self::deserialize(body).unwrap_or_default()
    }

    /// What LNbits answers a key that belongs to no wallet, with HTTP 404.
    pub fn is_unknown_wallet(&self) -> bool {
        matches!(&self.detail, Some(Value::String(s)) if s.trim().trim_end_matches('.').eq_ignore_ascii_case("wallet not found"))
    }
}

/// LNbits' error text, or whatever the body was.
pub fn detail_of(body: &Value) -> String {
    match body.get("detail") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string().chars().take(300).collect(),
        None => match body {
            Value::String(s) => s.clone(),
            Value::Null => "(empty body)".into(),
            other => other.to_string().chars().take(300).collect(),
        },
    }
}

/// What `GET /api/v1/payments/{hash}` says of one invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentCheck {
    pub paid: bool,
    /// What was received, when DazNode says.
    pub amount_msat: Option<u64>,
    pub settled_at_ms: Option<u64>,
}

pub const KEY_HINT: &str = "API key rejected (check daznode.api_key)";

/// Reads a 200 answer of `GET /api/v1/payments/{hash}`.
pub fn parse_check(hash: &str, body: &Value) -> Result<PaymentCheck, ProviderError> {
    let Ok(answer) = PaymentStatus::deserialize(body) else {
        return Err(ProviderError::Unavailable(
            "unexpected answer to a payment check (no \"paid\")".into(),
        ));
    };
    // Without a valid key LNbits answers only {paid, preimage}: the details
    // prove the payment is this wallet's.
    let Some(details) = answer.details.filter(Value::is_object) else {
        return Err(ProviderError::Unauthorized(format!(
            "{KEY_HINT}: the payment check came back without the wallet's details"
        )));
    };
    let details = PaymentDetails::deserialize(&details).map_err(|e| {
        ProviderError::Unavailable(format!(
            "unexpected payment details in a payment check: {e}"
        ))
    })?;
    if let Some(h) = &details.payment_hash {
        if !h.eq_ignore_ascii_case(hash) {
            return Err(ProviderError::Unavailable(format!(
                "the payment check answered for another payment hash ({h})"
            )));
        }
    }
    let amount = details.amount.as_ref().and_then(serde_json::Number::as_i64);
    if answer.paid && amount.is_some_and(|a| a < 0) {
        // An outgoing payment with this hash, not our incoming invoice.
        return Err(ProviderError::Rejected(format!(
            "payment {hash} is an outgoing payment of this wallet, not an invoice"
        )));
    }
    let paid = answer.paid && details.status.as_deref().is_none_or(|s| s == "success");
    let settled_at_ms = paid
        .then(|| details.updated_at.as_ref().or(details.time.as_ref()))
        .flatten()
        .and_then(Value::as_str)
        .and_then(parse_rfc3339_ms);
    Ok(PaymentCheck {
        paid,
        amount_msat: amount
            .and_then(|a| u64::try_from(a).ok())
            .filter(|a| *a > 0),
        settled_at_ms,
    })
}

/// `2026-01-02T03:04:05[.ffffff][Z|±hh:mm]` → ms since the epoch; no offset
/// means UTC, as LNbits writes its naive timestamps. None for anything else
/// (a provider's text is never trusted to be well formed), or before 1970.
///
/// chrono rather than hand-slicing: it parses by characters, so no input can
/// panic it, and it knows the calendar.
pub fn parse_rfc3339_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let ms = match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.timestamp_millis(),
        Err(_) => ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())?
            .and_utc()
            .timestamp_millis(),
    };
    u64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_checks() {
        let h = "cc7893164bd5b5839c57d2626b6b3bcd3cb7ec553bf5cfee151e02f8cc9b0f49";
        let paid = json!({"paid": true, "preimage": "00", "details": {
            "payment_hash": h, "amount": 7000, "status": "success",
            "updated_at": "2026-11-20T22:30:38.789551+00:00"}});
        let c = parse_check(h, &paid).unwrap();
        assert!(c.paid);
        assert_eq!(c.amount_msat, Some(7000));
        assert_eq!(c.settled_at_ms, Some(1_795_213_838_789));
        let pending = json!({"paid": false, "status": "pending", "details": {
            "payment_hash": h, "amount": 7000, "status": "pending"}});
        assert!(!parse_check(h, &pending).unwrap().paid);
        // No details: the key was not accepted; never a confirmation.
        assert!(parse_check(h, &json!({"paid": true, "preimage": "00"})).is_err());
        let outgoing = json!({"paid": true, "details": {"payment_hash": h, "amount": -7000}});
        assert!(parse_check(h, &outgoing).is_err());
    }

    #[test]
    fn a_bad_updated_at_still_settles() {
        let h = "cc7893164bd5b5839c57d2626b6b3bcd3cb7ec553bf5cfee151e02f8cc9b0f49";
        // Multi-byte characters where the old parser sliced by byte offsets.
        for bad in [
            json!("2026-11-20T22:3é:38"),
            // The offset's bytes sliced mid-character: this one panicked.
            json!("2026-11-20T22:30:38é0:00"),
            json!("2026-11-20T22:30:38.7é9551+00:00"),
            json!("ééééééééééééééééééééé"),
            json!("2026-11-20T22:30:38+0"),
            json!("garbage"),
            json!(""),
            json!(12345),
            json!({"not": "a time"}),
        ] {
            let body = json!({"paid": true, "details": {
                "payment_hash": h, "amount": 7000, "status": "success", "updated_at": bad}});
            let c = parse_check(h, &body).unwrap_or_else(|e| panic!("{bad}: {e}"));
            assert!(c.paid, "{bad}");
            assert_eq!(c.settled_at_ms, None, "{bad}");
        }
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00"), Some(0));
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_rfc3339_ms("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2000-03-01T00:00:00"),
            Some(951_868_800_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2000-03-01 00:00:00.25"),
            Some(951_868_800_250)
        );
        assert_eq!(parse_rfc3339_ms("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse_rfc3339_ms("garbage"), None);
        assert_eq!(parse_rfc3339_ms("2026-01-02T03:04:05é"), None);
    }

    #[test]
    fn error_bodies() {
        assert!(ErrorBody::from_value(&json!({"detail": "Wallet not found."})).is_unknown_wallet());
        assert!(
            !ErrorBody::from_value(&json!({"detail": "Payment does not exist."}))
                .is_unknown_wallet()
        );
        assert!(!ErrorBody::from_value(&json!("plain text")).is_unknown_wallet());
        let failed = ErrorBody::from_value(&json!({"detail": "x", "status": "failed"}));
        assert_eq!(failed.status.as_deref(), Some("failed"));
    }
}
