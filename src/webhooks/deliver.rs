//! One HTTP attempt: sign, POST, classify the result. Redirects are not
//! followed, no proxy is used, the response body is read up to a small cap
//! and dropped, and names resolve through the SSRF policy.

use std::sync::Arc;
use std::time::Duration;

use super::policy::{PolicyResolver, UrlPolicy, UrlRefused};
use super::{signing, Shared};
use crate::store::webhooks::{AttemptOutcome, WebhookEndpoint};

/// Bytes of a response body read before it is dropped.
const BODY_CAP: usize = 4096;
/// How long the capped body may take once the status is in.
const BODY_WAIT: Duration = Duration::from_secs(1);

pub fn client(policy: UrlPolicy, timeout: Duration, per_host: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PolicyResolver(policy)))
        .connect_timeout(timeout)
        .pool_max_idle_per_host(per_host)
        .tcp_nodelay(true)
        .user_agent(concat!("lnpayd/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with rustls builds")
}

pub async fn post(
    shared: &Shared,
    ep: &WebhookEndpoint,
    msg_id: &str,
    body: Vec<u8>,
    now_ms: u64,
) -> AttemptOutcome {
    // Every time: the policy may have changed since the endpoint was
    // created, and an IP literal never reaches the resolver.
    let url = match shared.policy.check_static(&ep.url) {
        Ok(u) => u,
        Err(e) => {
            return AttemptOutcome::Refused {
                detail: e.to_string(),
            }
        }
    };
    let timestamp = now_ms / 1000;
    let signature = signing::signature_header(ep, msg_id, timestamp, &body, now_ms);
    let request = shared
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body);
    let timeout = Duration::from_secs(shared.cfg.timeout_secs);
    let mut response = match tokio::time::timeout(timeout, request.send()).await {
        Err(_) => return AttemptOutcome::Timeout,
        Ok(Err(e)) => return classify(&e),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    // Drained so the connection can be reused; its content is not ours to keep.
    let _ = tokio::time::timeout(BODY_WAIT, async {
        let mut read = 0;
        while let Ok(Some(chunk)) = response.chunk().await {
            read += chunk.len();
            if read >= BODY_CAP {
                break;
            }
        }
    })
    .await;
    if (200..300).contains(&status) {
        AttemptOutcome::Success { status }
    } else {
        AttemptOutcome::HttpStatus { status }
    }
}

fn classify(e: &reqwest::Error) -> AttemptOutcome {
    if e.is_timeout() {
        return AttemptOutcome::Timeout;
    }
    let mut causes = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<UrlRefused>() {
            return AttemptOutcome::Refused {
                detail: refused.to_string(),
            };
        }
        causes.push(s.to_string());
        source = s.source();
    }
    // The URL is left out: it may carry the receiver's own token.
    let mut detail = causes
        .last()
        .cloned()
        .unwrap_or_else(|| "request failed".into());
    detail.truncate(200);
    AttemptOutcome::Connection { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_resolving_to_a_refused_address_is_refused_by_the_client_itself() {
        // `localhost` passes the static check (a name), and only resolves to
        // loopback: the client's resolver must refuse to connect.
        let strict = UrlPolicy::default();
        let c = client(strict, Duration::from_secs(2), 1);
        let err = c.post("https://localhost:9/hook").send().await.unwrap_err();
        match classify(&err) {
            AttemptOutcome::Refused { detail } => assert!(detail.contains("loopback"), "{detail}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            strict.check("https://localhost/hook").await,
            Err(UrlRefused::Loopback(_))
        ));
    }
}
