//! The status rules every store applies inside its write, so a PostgreSQL
//! store and the in-memory one decide exactly as sled does.

use super::{Transition, Transitioned};
use crate::domain::{EventKind, Invoice, InvoiceStatus};

/// Decides whether `change` applies to `inv` and applies it in place.
pub fn apply(inv: &mut Invoice, change: Transition) -> Option<EventKind> {
    use InvoiceStatus::*;
    match (inv.status, change) {
        (Paid, Transition::Paid { .. }) => None,
        (
            _,
            Transition::Paid {
                amount_received_msat,
                at_ms,
            },
        ) => {
            // Late is about when it was paid, not when we heard: a payment
            // settled before expiry but reported after our timer fired is on time.
            inv.paid_late = inv.status == Canceled || at_ms > inv.expires_at_ms;
            inv.status = Paid;
            inv.amount_received_msat = amount_received_msat;
            inv.paid_at_ms = Some(at_ms);
            inv.updated_at_ms = at_ms;
            Some(EventKind::InvoicePaid)
        }
        (Pending, Transition::Expired { at_ms }) => {
            inv.status = Expired;
            inv.updated_at_ms = at_ms;
            Some(EventKind::InvoiceExpired)
        }
        (Pending, Transition::Canceled { at_ms }) => {
            inv.status = Canceled;
            inv.updated_at_ms = at_ms;
            Some(EventKind::InvoiceCanceled)
        }
        _ => None,
    }
}

/// What a change that does not apply is reported as.
pub fn not_applied(inv: Invoice, change: Transition) -> Transitioned {
    let target = match change {
        Transition::Paid { .. } => InvoiceStatus::Paid,
        Transition::Expired { .. } => InvoiceStatus::Expired,
        Transition::Canceled { .. } => InvoiceStatus::Canceled,
    };
    if inv.status == target {
        Transitioned::Unchanged(inv)
    } else {
        Transitioned::Refused(inv)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn invoice(status: InvoiceStatus) -> Invoice {
        Invoice {
            id: "inv_test".into(),
            payment_request: String::new(),
            payment_hash: "00".repeat(32),
            amount_msat: 1_000,
            amount_received_msat: 0,
            description: String::new(),
            description_hash: None,
            status,
            provider: "dev".into(),
            created_at_ms: 1_000,
            expires_at_ms: 2_000,
            paid_at_ms: None,
            updated_at_ms: 1_000,
            metadata: Default::default(),
            external_ref: None,
            customer_email: None,
            paid_late: false,
            idempotency_key: None,
            sale: None,
            success_url: None,
        }
    }

    fn paid_at(status: InvoiceStatus, at_ms: u64) -> Invoice {
        let mut inv = invoice(status);
        let kind = apply(
            &mut inv,
            Transition::Paid {
                amount_received_msat: 1_000,
                at_ms,
            },
        );
        assert!(kind.is_some(), "{status:?} -> PAID applies");
        assert_eq!(inv.status, InvoiceStatus::Paid);
        inv
    }

    #[test]
    fn late_means_paid_after_expiry_or_after_a_cancel_not_reported_after_the_timer() {
        // Settled before expiry, heard of after the timer fired: on time.
        assert!(!paid_at(InvoiceStatus::Expired, 2_000).paid_late);
        assert!(!paid_at(InvoiceStatus::Pending, 1_500).paid_late);
        assert!(paid_at(InvoiceStatus::Expired, 2_001).paid_late);
        assert!(paid_at(InvoiceStatus::Pending, 2_001).paid_late);
        assert!(paid_at(InvoiceStatus::Canceled, 1_500).paid_late);
    }
}
