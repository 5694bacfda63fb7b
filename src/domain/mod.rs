//! The invoice model, its audit log and the rules a new invoice must satisfy.

mod audit;
mod invoice;
mod validation;

pub use audit::{AuditAction, AuditEntry, AuditKind};
pub use invoice::{
    new_invoice_id, Event, EventKind, FiatSale, Invoice, InvoiceStatus, Sale, SettlePath,
};
pub use validation::{
    validate_new_invoice, CreateParams, InvalidField, Limits, Memo, NewInvoice,
    MAX_DESCRIPTION_BYTES,
};
