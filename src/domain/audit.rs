//! The audit log's entries: every provider call and every status change.

use serde::{Deserialize, Serialize};

/// Stored as snake_case text, as before these were enums, so existing data
/// dirs read unchanged.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    ProviderCall,
    StatusChange,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    // Provider calls.
    CreateInvoice,
    CancelInvoice,
    /// The question asked of the issuing provider before an invoice expires.
    Lookup,
    // Status changes.
    Created,
    Paid,
    Expired,
    Canceled,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProviderCall => "provider_call",
            Self::StatusChange => "status_change",
        }
    }
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateInvoice => "create_invoice",
            Self::CancelInvoice => "cancel_invoice",
            Self::Lookup => "lookup",
            Self::Created => "created",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
        }
    }
}

/// One line of the audit log.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at_ms: u64,
    pub kind: AuditKind,
    pub invoice_id: Option<String>,
    pub provider: Option<String>,
    pub action: AuditAction,
    /// "ok", "error: …", "settled via stream", "expiry timer", …
    pub outcome: String,
    pub duration_ms: Option<u64>,
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// A provider call's line: "ok", or the error it ended with.
    pub fn provider_call<E: std::fmt::Display>(
        action: AuditAction,
        invoice_id: &str,
        provider: &str,
        result: Result<(), &E>,
        duration_ms: u64,
        at_ms: u64,
    ) -> Self {
        Self {
            at_ms,
            kind: AuditKind::ProviderCall,
            invoice_id: Some(invoice_id.into()),
            provider: Some(provider.into()),
            action,
            outcome: result.map_or_else(|e| format!("error: {e}"), |()| "ok".into()),
            duration_ms: Some(duration_ms),
            request_id: None,
        }
    }

    /// A status change's line.
    pub fn status_change(
        action: AuditAction,
        invoice_id: &str,
        outcome: String,
        at_ms: u64,
    ) -> Self {
        Self {
            at_ms,
            kind: AuditKind::StatusChange,
            invoice_id: Some(invoice_id.into()),
            provider: None,
            action,
            outcome,
            duration_ms: None,
            request_id: None,
        }
    }

    pub fn with_provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.into());
        self
    }

    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_what_it_was_before_the_enums() {
        let e =
            AuditEntry::status_change(AuditAction::Paid, "inv_1", "settled via stream".into(), 7);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "status_change");
        assert_eq!(json["action"], "paid");
        let old = r#"{"at_ms":1,"kind":"provider_call","invoice_id":"inv_1","provider":"lnd",
            "action":"cancel_invoice","outcome":"ok","duration_ms":3,"request_id":null}"#;
        let read: AuditEntry = serde_json::from_str(old).unwrap();
        assert_eq!(
            (read.kind, read.action),
            (AuditKind::ProviderCall, AuditAction::CancelInvoice)
        );
        for a in [
            AuditAction::CreateInvoice,
            AuditAction::CancelInvoice,
            AuditAction::Lookup,
            AuditAction::Created,
            AuditAction::Paid,
            AuditAction::Expired,
            AuditAction::Canceled,
        ] {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        for k in [AuditKind::ProviderCall, AuditKind::StatusChange] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
