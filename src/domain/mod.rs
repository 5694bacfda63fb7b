//! The invoice model and the rules a new invoice must satisfy.

mod invoice;
mod validation;

pub use invoice::{
    new_invoice_id, AuditEntry, Event, EventKind, Invoice, InvoiceStatus, SettlePath,
};
pub use validation::{validate_new_invoice, CreateParams, InvalidField, Limits, Memo, NewInvoice};
