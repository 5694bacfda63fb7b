//! CreateInvoice: validate, ask the router, check what the provider issued,
//! store it with its audit trail, and answer retries of the same key.

use crate::domain::{
    new_invoice_id, validate_new_invoice, AuditAction, AuditEntry, CreateParams, Invoice,
    InvoiceStatus, Memo,
};
use crate::error::{Error, Result};
use crate::providers::{check_issued, Bolt11Facts, InvoiceRequest, Preimage};
use crate::store::{IdempotencyRecord, Inserted};

use super::intent::IntentGuard;
use super::App;

impl App {
    pub async fn create_invoice(
        &self,
        mut params: CreateParams,
        request_id: Option<String>,
    ) -> Result<Invoice> {
        let sale = self.commerce.price(&mut params).await?;
        let new = validate_new_invoice(params, &self.limits)?;
        let fingerprint = new.fingerprint();
        // Held until the invoice is stored, so a concurrent retry with the same
        // key waits and then finds it, instead of creating a second one.
        let _key_guard = match &new.idempotency_key {
            Some(key) => {
                let guard = self.key_locks.lock(key).await;
                if let Some(rec) = self.store.idempotency_record(key)? {
                    return self.replay(rec, &fingerprint).await;
                }
                Some(guard)
            }
            None => None,
        };

        // The id before the providers are asked: a provider may name it in a
        // callback URL (DazNode's webhook). The id's timestamp is the key of
        // the creation-time index, so created_at is the same instant: when
        // lnpayd accepted the request, not when the provider answered.
        let (invoice_id, created) = new_invoice_id();
        let mut req = InvoiceRequest {
            invoice_id: invoice_id.clone(),
            amount_msat: new.amount_msat,
            memo: new.memo.clone(),
            expiry_secs: new.expiry_secs,
            preimage: None,
        };
        let record = new.idempotency_key.clone().map(|key| IdempotencyRecord {
            key,
            fingerprint: fingerprint.clone(),
            invoice_id: invoice_id.clone(),
            created_at_ms: created,
        });
        let (description, description_hash) = match &new.memo {
            Memo::Description(d) => (d.clone(), None),
            Memo::Hash(h) => (String::new(), Some(hex::encode(h))),
        };
        // The invoice as it will be stored; the provider's answer fills in
        // its payment request and checked facts.
        let mut draft = Invoice {
            id: invoice_id,
            payment_request: String::new(),
            payment_hash: String::new(),
            amount_msat: new.amount_msat,
            amount_received_msat: 0,
            description,
            description_hash,
            status: InvoiceStatus::Pending,
            provider: String::new(),
            created_at_ms: created,
            expires_at_ms: created + u64::from(new.expiry_secs) * 1000,
            paid_at_ms: None,
            updated_at_ms: created,
            metadata: new.metadata,
            external_ref: new.external_ref,
            customer_email: new.customer_email,
            paid_late: false,
            idempotency_key: new.idempotency_key,
            sale,
            success_url: new.success_url,
        };

        let intent = if self.store.keeps_intents() && self.router.first_takes_preimage() {
            let preimage = Preimage::random();
            draft.payment_hash = preimage.hash_hex();
            req.preimage = Some(preimage);
            if let Some(taken) = self.store.put_intent(&draft, record.as_ref())? {
                return self.replay(taken, &fingerprint).await;
            }
            super::intent::halt_if(
                "DEBUG_LNPAYD_HALT_BEFORE_ISSUE",
                self.store.as_ref(),
                &draft,
            )
            .await;
            Some(IntentGuard::new(self.store.as_ref(), &draft.id))
        } else {
            None
        };
        // With an intent, its fsync runs while the provider works, and
        // waits for company when there is some (`pacing.rs`).
        let ((result, attempts), intent_durable) = match &intent {
            Some(_) => {
                let (flight, within) = self.pacing.enter();
                let issue = async {
                    let routed = self.router.create(&req).await;
                    if routed.0.is_ok() {
                        flight.issued();
                    }
                    routed
                };
                let (routed, synced) = tokio::join!(issue, self.store.sync_within(within));
                super::intent::halt_if(
                    "DEBUG_LNPAYD_HALT_AFTER_ISSUE",
                    self.store.as_ref(),
                    &draft,
                )
                .await;
                (routed, synced.is_ok())
            }
            None => (self.router.create(&req).await, false),
        };
        // The audit log is ordered by time: the invoice comes to exist after
        // the provider calls that made it, whatever its created_at says.
        let stored_at = crate::time::now_ms();
        let mut audit: Vec<AuditEntry> = attempts
            .iter()
            .map(|a| {
                AuditEntry::provider_call(
                    AuditAction::CreateInvoice,
                    &draft.id,
                    a.provider,
                    a.error.as_ref().map_or(Ok(()), Err),
                    a.duration_ms,
                    a.ended_at_ms,
                )
                .with_request_id(request_id.clone())
            })
            .collect();
        let (provider, issued) = match result {
            Ok(ok) => ok,
            Err(errors) => {
                // Nothing is stored for a failed create but the audit trail of the attempts.
                match intent {
                    Some(guard) => guard.drop_with(&audit)?,
                    None => self.store.append_audit(&audit)?,
                }
                // The router stops at a provider that understood and refused:
                // that is an answer about the request, not an outage.
                if let Some((provider, e)) = errors.last().filter(|(_, e)| !e.tries_next()) {
                    return Err(Error::Provider {
                        provider: provider.clone(),
                        source: e.clone(),
                    });
                }
                return Err(Error::ProvidersUnavailable(errors));
            }
        };
        let signer = provider.invoice_signer();
        let facts = check_issued(&req, &issued, provider.network(), signer.as_ref()).map_err(|e| {
            tracing::error!(provider = provider.name(), error = %e, "provider returned a bad invoice; nothing stored");
            Error::Provider { provider: provider.name().into(), source: e }
        })?;
        // Only the provider that took the preimage issued the intent's hash;
        // after a failover the invoice waits for its own write.
        let intent_covers = intent_durable && facts.payment_hash == draft.payment_hash;
        let invoice = issued_as(draft, issued.payment_request, facts, provider.name());
        audit.push(
            AuditEntry::status_change(
                AuditAction::Created,
                &invoice.id,
                "pending".into(),
                stored_at,
            )
            .with_provider(&invoice.provider)
            .with_request_id(request_id),
        );
        let event = match intent {
            Some(guard) => guard.complete(&invoice, &audit)?,
            None => match self
                .store
                .insert_invoice(&invoice, record.as_ref(), &audit)?
            {
                Inserted::New(event) => *event,
                // Another process took the key between our check and our insert:
                // the lock is per process, the store check is not.
                Inserted::KeyTaken(rec) => {
                    return self
                        .replay(rec, &record.expect("KeyTaken implies a record").fingerprint)
                        .await
                }
            },
        };
        // Timed before the wait for the disk: if the caller goes away
        // during it, the invoice is stored all the same and must expire.
        self.expiry
            .schedule(invoice.expires_at_ms, invoice.id.clone());
        crate::metrics::metrics().invoice(&invoice.provider, "created");
        if intent_covers {
            // The intent on disk already answers for this invoice across a
            // crash (`intent.rs`): its own write reaches the disk with the
            // next flush, which is asked for but not awaited.
            self.store.flush_soon();
        } else {
            self.store.sync().await?;
        }
        // debug, not info: one line per create is noise at production rates.
        tracing::debug!(invoice_id = %invoice.id, provider = %invoice.provider,
            amount_msat = invoice.amount_msat, sequence = event.sequence, "invoice created");
        Ok(invoice)
    }

    async fn replay(&self, rec: IdempotencyRecord, fingerprint: &str) -> Result<Invoice> {
        if rec.fingerprint != fingerprint {
            return Err(Error::IdempotencyKeyReused {
                invoice_id: rec.invoice_id,
            });
        }
        let Some(inv) = self.store.invoice(&rec.invoice_id)? else {
            return Err(self.missing(&rec.invoice_id)?);
        };
        // The first call may have been abandoned before its write was on
        // disk: a retry is answered only with what a crash cannot take back.
        self.store.sync().await?;
        Ok(inv)
    }
}

/// The invoice a draft (or an intent) becomes once its provider's BOLT11
/// passed [`check_issued`].
pub(super) fn issued_as(
    draft: Invoice,
    payment_request: String,
    facts: Bolt11Facts,
    provider: &str,
) -> Invoice {
    Invoice {
        payment_request,
        payment_hash: facts.payment_hash,
        amount_msat: facts.amount_msat,
        provider: provider.into(),
        expires_at_ms: facts.expires_at_ms,
        ..draft
    }
}
