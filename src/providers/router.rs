//! Chooses the provider for a new invoice and finds the one an existing
//! invoice is pinned to.

use std::time::Instant;

use super::{DynProvider, InvoiceRequest, IssuedInvoice, ProviderError};

pub struct Router {
    /// In priority order.
    providers: Vec<DynProvider>,
}

/// One provider call, for the audit log.
pub struct Attempt {
    pub provider: &'static str,
    pub duration_ms: u64,
    pub error: Option<ProviderError>,
}

impl Router {
    pub fn new(providers: Vec<DynProvider>) -> Self {
        Self { providers }
    }

    pub fn all(&self) -> &[DynProvider] {
        &self.providers
    }

    /// The provider that issued an invoice: status, settlement and cancel stay with it.
    pub fn pinned(&self, name: &str) -> Option<&DynProvider> {
        self.providers.iter().find(|p| p.name() == name)
    }

    /// Tries providers in priority order; a transient error moves on to the
    /// next, a definite one (the provider understood and refused) stops.
    pub async fn create(
        &self,
        req: &InvoiceRequest,
    ) -> (
        Result<(DynProvider, IssuedInvoice), Vec<(String, ProviderError)>>,
        Vec<Attempt>,
    ) {
        let mut attempts = Vec::new();
        let mut errors = Vec::new();
        for p in &self.providers {
            let started = Instant::now();
            let result = p.create_invoice(req).await;
            let duration_ms = started.elapsed().as_millis() as u64;
            match result {
                Ok(issued) => {
                    attempts.push(Attempt {
                        provider: p.name(),
                        duration_ms,
                        error: None,
                    });
                    return (Ok((p.clone(), issued)), attempts);
                }
                Err(e) => {
                    attempts.push(Attempt {
                        provider: p.name(),
                        duration_ms,
                        error: Some(e.clone()),
                    });
                    let transient = e.is_transient();
                    errors.push((p.name().to_string(), e));
                    if !transient {
                        break;
                    }
                }
            }
        }
        (Err(errors), attempts)
    }
}
