//! Intents: how CreateInvoice overlaps its durable write with the provider
//! call, for providers that take a preimage (LND).
//!
//! lnpayd draws the preimage, so the payment hash is known before the call.
//! The intent (the invoice about to exist, with that hash and its
//! idempotency record) is written and fsynced while AddInvoice runs. Once
//! both are done the invoice replaces the intent, and the answer goes out
//! without waiting for that second write: if a crash loses it, the intent
//! on disk still names the hash, and the next start asks the provider.
//! - The provider has an invoice with the hash: it was issued, and may have
//!   been handed out; it is stored from the provider's copy (and settled if
//!   it was paid meanwhile).
//! - It has none: the call never took effect, nobody was answered, and the
//!   intent and its idempotency key are dropped, so a retry creates anew.
//!
//! An intent lives only while its create runs: a create that ends without
//! an invoice drops it, and one whose caller goes away drops it too
//! ([`IntentGuard`]), exactly as the path without intents stores nothing
//! then. So the intents found at start are all from a process that died.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::{AuditAction, AuditEntry, Event, Invoice, Memo, SettlePath};
use crate::error::Result;
use crate::providers::{check_issued, Found, InvoiceRequest, ProviderError, Router};
use crate::settlement::{Settlement, Settler};
use crate::store::Store;

/// Drops its intent unless the create completed or dropped it itself.
pub(super) struct IntentGuard<'a> {
    store: &'a dyn Store,
    id: Option<String>,
}

impl<'a> IntentGuard<'a> {
    pub fn new(store: &'a dyn Store, id: &str) -> Self {
        Self {
            store,
            id: Some(id.to_owned()),
        }
    }

    pub fn complete(mut self, invoice: &Invoice, audit: &[AuditEntry]) -> Result<Event> {
        self.id = None;
        Ok(self.store.complete_intent(invoice, audit)?)
    }

    pub fn drop_with(mut self, audit: &[AuditEntry]) -> Result<()> {
        let id = self.id.take().expect("an armed guard");
        Ok(self.store.drop_intent(&id, audit)?)
    }
}

impl Drop for IntentGuard<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            // The caller went away, or the provider's invoice failed its
            // check: nothing was answered, as without an intent.
            if let Err(e) = self.store.drop_intent(&id, &[]) {
                tracing::warn!(invoice_id = %id, error = %e, "an abandoned intent could not be dropped; the next start resolves it");
            }
        }
    }
}

/// For the crash tests (debug builds only): when `var` names a file that
/// does not exist yet, makes the intent durable, writes its id and payment
/// hash there, and never returns, so that the test can kill -9 the daemon
/// (or drop its call) at this point. Once per file.
pub(super) async fn halt_if(var: &str, store: &dyn Store, intent: &Invoice) {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os(var).filter(|p| !std::path::Path::new(p).exists()) {
        if store.sync().await.is_ok() {
            let _ = std::fs::write(path, format!("{} {}", intent.id, intent.payment_hash));
        }
        std::future::pending::<()>().await;
    }
    #[cfg(not(debug_assertions))]
    let _ = (var, store, intent);
}

/// Resolves the intents a dead process left (read once at start, before
/// any create runs), retrying those whose provider cannot be asked yet
/// until every one is resolved or shutdown.
pub async fn recover(
    store: Arc<dyn Store>,
    router: Arc<Router>,
    settler: Arc<Settler>,
    mut orphans: Vec<Invoice>,
    shutdown: CancellationToken,
) {
    let mut wait = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let total = orphans.len();
    tracing::info!(intents = total, "resolving the creates a crash cut short");
    while !orphans.is_empty() {
        let mut left = Vec::new();
        for intent in orphans {
            match resolve(store.as_ref(), &router, &settler, &intent).await {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(invoice_id = %intent.id, error = %e, "an intent cannot be resolved yet; retrying");
                    left.push(intent);
                }
            }
        }
        orphans = left;
        if orphans.is_empty() {
            break;
        }
        tokio::select! {
            _ = shutdown.cancelled() => {
                tracing::warn!(left = orphans.len(), "shutting down with intents unresolved; the next start resumes");
                return;
            }
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    tracing::info!(
        intents = total,
        took_ms = started.elapsed().as_millis() as u64,
        "every intent resolved"
    );
}

/// One intent: stored as an invoice if a preimage-taking provider has it,
/// dropped if every one of them answers that it has not.
async fn resolve(
    store: &dyn Store,
    router: &Router,
    settler: &Settler,
    intent: &Invoice,
) -> std::result::Result<(), String> {
    let askable: Vec<_> = router
        .providers()
        .into_iter()
        .filter(|p| p.takes_preimage())
        .collect();
    if askable.is_empty() {
        // Not "nothing was issued": nobody here can tell.
        return Err("no configured provider takes a preimage (was LND removed?)".into());
    }
    for provider in askable {
        let asked = std::time::Instant::now();
        let found = provider.find_issued(&intent.payment_hash).await;
        let lookup = AuditEntry::provider_call(
            AuditAction::Lookup,
            &intent.id,
            provider.name(),
            found.as_ref().map(drop),
            asked.elapsed().as_millis() as u64,
            crate::time::now_ms(),
        );
        let Found {
            payment_request,
            paid,
        } = match found {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(e) => return Err(format!("{}: {e}", provider.name())),
        };
        let req = InvoiceRequest {
            invoice_id: intent.id.clone(),
            amount_msat: intent.amount_msat,
            memo: memo_of(intent)?,
            expiry_secs: ((intent.expires_at_ms - intent.created_at_ms) / 1000) as u32,
            preimage: None,
        };
        let issued = crate::providers::IssuedInvoice {
            payment_request,
            decoded: None,
        };
        let facts = check_issued(
            &req,
            &issued,
            provider.network(),
            provider.invoice_signer().as_ref(),
        )
        .map_err(|e| format!("{}'s copy fails its check: {e}", provider.name()))?;
        let invoice = super::create::issued_as(
            intent.clone(),
            issued.payment_request,
            facts,
            provider.name(),
        );
        let created = AuditEntry::status_change(
            AuditAction::Created,
            &invoice.id,
            "pending".into(),
            crate::time::now_ms(),
        )
        .with_provider(&invoice.provider);
        store
            .complete_intent(&invoice, &[lookup, created])
            .map_err(|e| e.to_string())?;
        tracing::info!(invoice_id = %invoice.id, provider = provider.name(), "an intent's invoice exists at its provider; stored");
        if let Some(paid) = paid {
            settler
                .settle(Settlement {
                    provider: provider.name(),
                    payment_hash: invoice.payment_hash.clone(),
                    amount_received_msat: paid.amount_msat,
                    settled_at_ms: paid.settled_at_ms.unwrap_or_else(crate::time::now_ms),
                    path: SettlePath::Reconcile,
                    cursor: None,
                })
                .await
                .map_err(|e| e.to_string())?;
        }
        return store.sync().await.map_err(|e| e.to_string());
    }
    let gone = AuditEntry::provider_call(
        AuditAction::Lookup,
        &intent.id,
        "lnpayd",
        Err(&ProviderError::NotFound(
            "no provider has the intent's payment hash: nothing was issued".into(),
        )),
        0,
        crate::time::now_ms(),
    );
    store
        .drop_intent(&intent.id, &[gone])
        .map_err(|e| e.to_string())?;
    tracing::info!(invoice_id = %intent.id, "an intent issued nothing; dropped");
    store.sync().await.map_err(|e| e.to_string())
}

/// The memo an intent's request carried, from what the invoice stores.
fn memo_of(intent: &Invoice) -> std::result::Result<Memo, String> {
    match &intent.description_hash {
        Some(h) => hex::decode(h)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Memo::Hash)
            .ok_or_else(|| "the intent's description hash is not 32 bytes of hex".into()),
        None => Ok(Memo::Description(intent.description.clone())),
    }
}
