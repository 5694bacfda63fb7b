//! The rules a CreateInvoice request must pass before any provider is called.
//! Each rule has its own machine-readable reason (sent as `ErrorInfo.reason`).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Reason;

/// BOLT11 tagged fields hold at most 639 bytes of description.
pub const MAX_DESCRIPTION_BYTES: usize = 639;
pub const MAX_METADATA_KEYS: usize = 50;
pub const MAX_METADATA_KEY_CHARS: usize = 40;
pub const MAX_METADATA_VALUE_CHARS: usize = 500;
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
pub const MAX_EXTERNAL_REF_CHARS: usize = 255;
pub const MAX_EMAIL_CHARS: usize = 254;

/// Operator-set bounds, from `[invoices]` in the config.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_amount_sat: u64,
    pub default_expiry_secs: u32,
    pub min_expiry_secs: u32,
    pub max_expiry_secs: u32,
}

/// A rejected field: `reason` is for programs, `message` for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidField {
    pub reason: Reason,
    pub field: &'static str,
    pub message: String,
}

impl std::error::Error for InvalidField {}

impl std::fmt::Display for InvalidField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn invalid(reason: Reason, field: &'static str, message: impl Into<String>) -> InvalidField {
    InvalidField {
        reason,
        field,
        message: message.into(),
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Memo {
    Description(String),
    /// The 32-byte SHA-256 of a description kept elsewhere.
    Hash([u8; 32]),
}

/// A request that passed validation, normalised (amounts in msat, expiry resolved).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct NewInvoice {
    pub amount_msat: u64,
    pub memo: Memo,
    pub expiry_secs: u32,
    pub metadata: BTreeMap<String, String>,
    pub external_ref: Option<String>,
    pub customer_email: Option<String>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    /// A catalog sale (product id, quantity); the amount was derived from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<(String, u32)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
}

impl NewInvoice {
    /// What "the same parameters" means for an idempotent retry: every field
    /// but the key itself, in a canonical encoding.
    ///
    /// A catalog sale is the same sale whatever the exchange rate did
    /// between the two calls: its amount is left out, the product is in.
    pub fn fingerprint(&self) -> String {
        let mut same = self.clone();
        if same.product.is_some() {
            same.amount_msat = 0;
        }
        let canonical = serde_json::to_vec(&same).expect("a NewInvoice always serialises");
        hex::encode(Sha256::digest(canonical))
    }
}

/// The raw request fields, as the API layer received them.
#[derive(Debug, Default, Clone)]
pub struct CreateParams {
    pub amount_sat: Option<u64>,
    pub amount_msat: Option<u64>,
    pub description: Option<String>,
    pub description_hash: Option<Vec<u8>>,
    pub expiry_secs: u32,
    pub metadata: HashMap<String, String>,
    pub idempotency_key: String,
    pub external_ref: String,
    pub customer_email: Option<String>,
    /// A catalog product instead of an amount (`app::sell` prices it).
    pub product_id: String,
    pub quantity: u32,
    /// Set by the catalog once it priced the request.
    pub product: Option<(String, u32)>,
    /// Checked against the allowed origins by `app::sell`.
    pub success_url: Option<String>,
}

pub fn validate_new_invoice(p: CreateParams, limits: &Limits) -> Result<NewInvoice, InvalidField> {
    let amount_msat = validate_amount(&p, limits)?;
    let memo = validate_memo(p.description, p.description_hash)?;
    let expiry_secs = validate_expiry(p.expiry_secs, limits)?;
    let metadata = validate_metadata(p.metadata)?;
    let idempotency_key = optional_text(
        p.idempotency_key,
        MAX_IDEMPOTENCY_KEY_CHARS,
        "idempotency_key",
        Reason::IdempotencyKeyTooLong,
        Reason::IdempotencyKeyInvalid,
    )?;
    let external_ref = optional_text(
        p.external_ref,
        MAX_EXTERNAL_REF_CHARS,
        "external_ref",
        Reason::ExternalRefTooLong,
        Reason::ExternalRefInvalid,
    )?;
    let customer_email = p.customer_email.map(validate_email).transpose()?;
    Ok(NewInvoice {
        amount_msat,
        memo,
        expiry_secs,
        metadata,
        external_ref,
        customer_email,
        idempotency_key,
        product: p.product,
        success_url: p.success_url,
    })
}

fn validate_amount(p: &CreateParams, limits: &Limits) -> Result<u64, InvalidField> {
    let max_msat = limits.max_amount_sat.saturating_mul(1000);
    let (msat, field) = match (p.amount_sat, p.amount_msat) {
        (Some(sat), _) => (sat.checked_mul(1000), "amount_sat"),
        (None, Some(msat)) => (Some(msat), "amount_msat"),
        (None, None) => {
            return Err(invalid(
                Reason::AmountRequired,
                "amount",
                "set amount_sat or amount_msat",
            ))
        }
    };
    match msat {
        Some(0) => Err(invalid(
            Reason::AmountNotPositive,
            field,
            "the amount must be a positive integer",
        )),
        Some(m) if m <= max_msat => Ok(m),
        _ => Err(invalid(
            Reason::AmountTooLarge,
            field,
            format!(
                "the amount is above the maximum of {} sat",
                limits.max_amount_sat
            ),
        )),
    }
}

fn validate_memo(description: Option<String>, hash: Option<Vec<u8>>) -> Result<Memo, InvalidField> {
    if let Some(d) = description {
        if d.is_empty() {
            return Err(invalid(
                Reason::DescriptionEmpty,
                "description",
                "the description must not be empty",
            ));
        }
        if d.len() > MAX_DESCRIPTION_BYTES {
            return Err(invalid(
                Reason::DescriptionTooLong,
                "description",
                format!(
                    "the description is {} bytes; at most {MAX_DESCRIPTION_BYTES} fit in an invoice",
                    d.len()
                ),
            ));
        }
        if d.chars().any(char::is_control) {
            return Err(invalid(
                Reason::DescriptionControlCharacters,
                "description",
                "the description must not contain control characters",
            ));
        }
        return Ok(Memo::Description(d));
    }
    match hash {
        Some(h) => <[u8; 32]>::try_from(h.as_slice())
            .map(Memo::Hash)
            .map_err(|_| {
                invalid(
                    Reason::DescriptionHashLength,
                    "description_hash",
                    format!("description_hash must be 32 bytes, not {}", h.len()),
                )
            }),
        None => Err(invalid(
            Reason::DescriptionRequired,
            "description",
            "set description or description_hash",
        )),
    }
}

fn validate_expiry(secs: u32, limits: &Limits) -> Result<u32, InvalidField> {
    let secs = if secs == 0 {
        limits.default_expiry_secs
    } else {
        secs
    };
    if secs < limits.min_expiry_secs {
        return Err(invalid(
            Reason::ExpiryTooShort,
            "expiry_seconds",
            format!("expiry_seconds must be at least {}", limits.min_expiry_secs),
        ));
    }
    if secs > limits.max_expiry_secs {
        return Err(invalid(
            Reason::ExpiryTooLong,
            "expiry_seconds",
            format!("expiry_seconds must be at most {}", limits.max_expiry_secs),
        ));
    }
    Ok(secs)
}

fn validate_metadata(m: HashMap<String, String>) -> Result<BTreeMap<String, String>, InvalidField> {
    if m.len() > MAX_METADATA_KEYS {
        return Err(invalid(
            Reason::MetadataTooManyKeys,
            "metadata",
            format!(
                "metadata has {} keys; at most {MAX_METADATA_KEYS} are allowed",
                m.len()
            ),
        ));
    }
    for (k, v) in &m {
        if k.is_empty() {
            return Err(invalid(
                Reason::MetadataKeyEmpty,
                "metadata",
                "metadata keys must not be empty",
            ));
        }
        if k.chars().count() > MAX_METADATA_KEY_CHARS {
            return Err(invalid(
                Reason::MetadataKeyTooLong,
                "metadata",
                format!("metadata keys are at most {MAX_METADATA_KEY_CHARS} characters"),
            ));
        }
        if v.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(invalid(
                Reason::MetadataValueTooLong,
                "metadata",
                format!(
                    "metadata value of key {k:?} is over {MAX_METADATA_VALUE_CHARS} characters"
                ),
            ));
        }
    }
    Ok(m.into_iter().collect())
}

/// Empty means absent (proto3 strings have no null).
fn optional_text(
    s: String,
    max_chars: usize,
    field: &'static str,
    too_long: Reason,
    bad_chars: Reason,
) -> Result<Option<String>, InvalidField> {
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max_chars {
        return Err(invalid(
            too_long,
            field,
            format!("{field} is at most {max_chars} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(
            bad_chars,
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(Some(s))
}

fn validate_email(e: String) -> Result<String, InvalidField> {
    let bad = || {
        invalid(
            Reason::EmailInvalid,
            "customer_email",
            "customer_email is not a valid address",
        )
    };
    if e.len() > MAX_EMAIL_CHARS || !email_address::EmailAddress::is_valid(&e) {
        return Err(bad());
    }
    // The crate accepts quoted local parts and IP literals; a shop's customer
    // address with either is far likelier a typo than real.
    if e.contains('"') || e.contains('[') || !e.rsplit('@').next().is_some_and(|d| d.contains('.'))
    {
        return Err(bad());
    }
    Ok(e)
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
