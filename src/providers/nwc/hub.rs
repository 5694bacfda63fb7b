//! What the relay connections share with the provider: the outgoing half of
//! each connection, the requests waiting for their answer, and what the
//! wallet's info event said. A request is published on every connected relay;
//! the first valid answer, signed by the wallet and naming the request, wins.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use nostr::{Event, EventBuilder, EventId, JsonUtil, Keys, PublicKey, Tag, TagKind, Timestamp};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::nip47::{Request, Response, WalletInfo, REQUEST, RESPONSE};
use crate::providers::supervisor::{ConnectionState, StateCell};
use crate::providers::ProviderError;

/// One relay from the URI, and the sender of its connection while it is up.
pub struct Link {
    pub url: url::Url,
    pub state: StateCell,
    pub outbox: Mutex<Option<mpsc::UnboundedSender<String>>>,
}

pub struct Hub {
    pub wallet: PublicKey,
    pub keys: Keys,
    pub links: Vec<Link>,
    pub timeout: Duration,
    info: RwLock<Option<WalletInfo>>,
    waiting: Mutex<HashMap<EventId, oneshot::Sender<Event>>>,
    /// How many relays are connected and subscribed, for requests made
    /// while none is (start-up, a reconnect).
    up: watch::Sender<usize>,
}

/// Removes a request from `waiting` however its wait ends.
struct Waiting<'a>(&'a Hub, EventId);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.lock().expect("waiting lock").remove(&self.1);
    }
}

impl Hub {
    pub fn new(wallet: PublicKey, keys: Keys, relays: Vec<url::Url>, timeout: Duration) -> Self {
        Self {
            wallet,
            keys,
            links: relays
                .into_iter()
                .map(|url| Link {
                    url,
                    state: StateCell::default(),
                    outbox: Mutex::new(None),
                })
                .collect(),
            timeout,
            info: RwLock::new(None),
            waiting: Mutex::new(HashMap::new()),
            up: watch::Sender::new(0),
        }
    }

    pub fn info(&self) -> Option<WalletInfo> {
        self.info.read().expect("info lock").clone()
    }

    pub fn set_info(&self, info: WalletInfo) {
        let mut slot = self.info.write().expect("info lock");
        if slot.as_ref() != Some(&info) {
            tracing::info!(methods = ?info.methods, notifications = ?info.notifications,
                encryption = info.encryption.as_str(), offered = ?info.offered, "NWC wallet info");
            for needed in ["make_invoice", "lookup_invoice", "get_info"] {
                if !info.has_method(needed) {
                    tracing::error!(
                        method = needed,
                        "the NWC wallet does not offer a method lnpayd needs"
                    );
                }
            }
            if !info.notifies_payments() {
                tracing::warn!("the NWC wallet sends no payment_received notifications: payments are found only by lookups (reconnect, expiry)");
            }
        }
        *slot = Some(info);
    }

    /// A relay's connection is subscribed: requests may go through it.
    pub fn attach(&self, link: &Link, outbox: mpsc::UnboundedSender<String>) {
        *link.outbox.lock().expect("outbox lock") = Some(outbox);
        self.up.send_modify(|n| *n += 1);
    }

    pub fn detach(&self, link: &Link) {
        if link.outbox.lock().expect("outbox lock").take().is_some() {
            self.up.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    /// The relays' states folded into one: connected while any relay is.
    pub fn connection_state(&self) -> ConnectionState {
        let states: Vec<ConnectionState> = self.links.iter().map(|l| l.state.get()).collect();
        if states.iter().any(ConnectionState::is_connected) {
            return ConnectionState::Connected;
        }
        if let Some(c) = states.iter().find(|s| **s == ConnectionState::Connecting) {
            return c.clone();
        }
        states
            .into_iter()
            .next()
            .unwrap_or(ConnectionState::NotConnectedYet)
    }

    /// An answer (kind 23195) read from a relay: handed to its request if it
    /// is signed by the wallet, addressed to us and names a request we wait for.
    pub fn deliver(&self, event: Event) {
        if event.kind != RESPONSE || event.pubkey != self.wallet || event.verify().is_err() {
            tracing::debug!(id = %event.id, "NWC answer not signed by the wallet; ignored");
            return;
        }
        let request = event.tags.iter().find_map(|t| {
            let s = t.as_slice();
            (s.first().map(String::as_str) == Some("e"))
                .then(|| s.get(1).and_then(|id| EventId::from_hex(id).ok()))
                .flatten()
        });
        let Some(request) = request else { return };
        if let Some(tx) = self.waiting.lock().expect("waiting lock").remove(&request) {
            let _ = tx.send(event);
        }
    }

    /// One NIP-47 call: its result, or the wallet's error as a typed error.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ProviderError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        // Waits for a relay that is connecting (and so for the info event)
        // within the call's bound; with none connecting (the watcher not
        // started yet, or every relay backing off) fails at once, so the
        // router moves on to the next provider.
        let mut up = self.up.subscribe();
        let ready = async {
            loop {
                if *up.borrow_and_update() > 0 {
                    if let Some(info) = self.info() {
                        return Ok(info);
                    }
                }
                if !self
                    .links
                    .iter()
                    .any(|l| l.state.get() == ConnectionState::Connecting)
                {
                    return Err(());
                }
                // Link states do not notify: look again now and then.
                let _ = tokio::time::timeout(Duration::from_millis(50), up.changed()).await;
            }
        };
        let info = match tokio::time::timeout_at(deadline, ready).await {
            Ok(Ok(info)) => info,
            _ => {
                return Err(ProviderError::Unavailable(format!(
                    "no NWC relay connected: {}",
                    self.connection_state()
                )))
            }
        };
        let encryption = info.encryption;
        let body = serde_json::to_string(&Request { method, params }).expect("JSON");
        let content = encryption
            .encrypt(&self.keys, &self.wallet, &body)
            .map_err(|e| ProviderError::Unavailable(format!("encrypting the request: {e}")))?;
        // The wallet must not act on a request we have given up on.
        let expires = Timestamp::now() + self.timeout.as_secs().max(1) + 5;
        let event = EventBuilder::new(REQUEST, content)
            .tags([
                Tag::public_key(self.wallet),
                Tag::custom(TagKind::custom("encryption"), [encryption.as_str()]),
                Tag::expiration(expires),
            ])
            .sign_with_keys(&self.keys)
            .map_err(|e| ProviderError::Unavailable(format!("signing the request: {e}")))?;
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .expect("waiting lock")
            .insert(event.id, tx);
        let _guard = Waiting(self, event.id);
        let frame = nostr::ClientMessage::event(event).as_json();
        let sent = self
            .links
            .iter()
            .filter_map(|l| l.outbox.lock().expect("outbox lock").clone())
            .filter(|out| out.send(frame.clone()).is_ok())
            .count();
        if sent == 0 {
            return Err(ProviderError::Unavailable("no NWC relay connected".into()));
        }
        let answer = match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(ProviderError::Unavailable("NWC hub closed".into())),
            Err(_) => return Err(ProviderError::Timeout(self.timeout)),
        };
        let text = encryption
            .decrypt(&self.keys, &self.wallet, &answer.content)
            .map_err(|e| {
                ProviderError::Unavailable(format!("{method}: undecryptable answer: {e}"))
            })?;
        let resp: Response = serde_json::from_str(&text)
            .map_err(|e| ProviderError::Unavailable(format!("{method}: malformed answer: {e}")))?;
        if let Some(err) = resp.error {
            return Err(err.into_provider_error(method));
        }
        if resp.result_type.as_deref().is_some_and(|t| t != method) {
            return Err(ProviderError::Unavailable(format!(
                "{method}: the answer is for {:?}",
                resp.result_type
            )));
        }
        resp.result.ok_or_else(|| {
            ProviderError::Unavailable(format!("{method}: the answer has no result"))
        })
    }
}

#[cfg(test)]
mod tests;
