//! Endpoints declared in `config.toml` (`[[webhooks.endpoints]]`): applied
//! to the store at start-up, so they get the same durable cursor and retry
//! index as the ones created over gRPC.

use super::{signing, EndpointConfig, WebhookError, Webhooks};
use crate::config::Secret;
use crate::store::webhooks::{PreviousSecret, WebhookEndpoint};
use crate::time::now_ms;

impl Webhooks {
    pub(super) async fn apply_config_endpoints(&self) -> Result<(), WebhookError> {
        let store = &self.shared.store;
        let declared = &self.shared.cfg.endpoints;
        for ep in store.endpoints()?.into_iter().filter(|e| e.from_config) {
            if !declared.iter().any(|d| d.id == ep.id) {
                tracing::info!(endpoint = %ep.id, "webhook endpoint no longer in config.toml: deleted");
                store.delete_endpoint(&ep.id)?;
            }
        }
        for d in declared {
            let secret = read_secret(d)?;
            // Refused URLs are logged, not fatal: the endpoint's attempts are
            // refused (and logged) until the configuration is fixed.
            if let Err(e) = self.shared.policy.check(&d.url).await {
                tracing::error!(endpoint = %d.id, error = %e, "webhook endpoint url refused");
            }
            let now = now_ms();
            match store.endpoint(&d.id)? {
                Some(mut ep) => {
                    if ep.secret != secret {
                        ep.previous_secret = Some(PreviousSecret {
                            secret: ep.secret.clone(),
                            valid_until_ms: now + self.shared.cfg.secret_overlap_secs * 1000,
                        });
                        ep.secret = secret;
                    }
                    ep.url = d.url.clone();
                    ep.event_types = d.event_types.clone();
                    ep.description = d.description.clone();
                    ep.from_config = true;
                    ep.updated_at_ms = now;
                    store.update_endpoint(&ep)?;
                }
                None => {
                    let ep = WebhookEndpoint {
                        id: d.id.clone(),
                        url: d.url.clone(),
                        event_types: d.event_types.clone(),
                        description: d.description.clone(),
                        enabled: true,
                        enabled_at_ms: now,
                        disabled_reason: None,
                        secret,
                        previous_secret: None,
                        from_config: true,
                        created_at_ms: now,
                        updated_at_ms: now,
                    };
                    store.create_endpoint(&ep, *store.durable_sequence().borrow())?;
                }
            }
        }
        store.sync().await?;
        Ok(())
    }
}

fn read_secret(d: &EndpointConfig) -> Result<Secret, WebhookError> {
    let bad = |detail: String| WebhookError::SecretFile {
        path: d.secret_file.display().to_string(),
        detail,
    };
    let text = std::fs::read_to_string(&d.secret_file).map_err(|e| bad(e.to_string()))?;
    let secret = Secret::new(text.trim());
    match signing::key_of(&secret) {
        Some(k) if k.len() >= 24 => Ok(secret),
        // The content is not echoed: it is a secret even when malformed.
        _ => Err(bad("not whsec_ + base64 of at least 24 bytes".into())),
    }
}
