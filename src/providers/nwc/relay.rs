//! One relay connection, kept up by the supervisor: reads the wallet's info
//! event, subscribes to the wallet's answers and notifications addressed to
//! us, carries our requests, and on every (re)connect reconciles every
//! pending NWC invoice by lookup, because notifications are ephemeral: what
//! the wallet sent while we were away is gone.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use nostr::{ClientMessage, Event, Filter, JsonUtil, RelayMessage, SubscriptionId, Timestamp};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::hub::Link;
use super::nip47::{
    Notification, WalletInfo, INFO, NOTIFICATION_NIP04, NOTIFICATION_NIP44, RESPONSE,
};
use super::watcher::{Hint, NwcWatcher};
use crate::providers::supervisor::{ConnectionState, PushSession, StateCell};
use crate::providers::ProviderError;

/// Nothing received for this long: send a ping.
const IDLE_PING: Duration = Duration::from_secs(30);
/// No frame this long after the ping: the connection is dead.
const PONG_WAIT: Duration = Duration::from_secs(10);
/// Events this much older than the subscription are not asked for.
const SINCE_SLACK_SECS: u64 = 60;

pub struct RelaySession<'a> {
    pub watcher: &'a NwcWatcher,
    pub link: &'a Link,
    pub hints: mpsc::UnboundedSender<Hint>,
}

/// Takes the relay out of the request path however the session ends.
struct Attached<'a>(&'a NwcWatcher, &'a Link);

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        self.0.nwc.hub.detach(self.1);
    }
}

#[async_trait::async_trait]
impl PushSession for RelaySession<'_> {
    const WHAT: &'static str = "NWC relay";

    fn state(&self) -> &StateCell {
        &self.link.state
    }

    async fn session(&self, failures: &mut u32) -> ProviderError {
        match self.run(failures).await {
            Ok(never) => match never {},
            Err(e) => e,
        }
    }

    fn describe(&self, e: &ProviderError) -> String {
        format!(
            "{}: {}",
            self.link.url,
            self.watcher.nwc.redact(&e.to_string())
        )
    }
}

impl RelaySession<'_> {
    async fn run(&self, failures: &mut u32) -> Result<std::convert::Infallible, ProviderError> {
        let hub = &self.watcher.nwc.hub;
        let timeout = hub.timeout;
        let (mut ws, _) = tokio::time::timeout(
            timeout,
            tokio_tungstenite::connect_async(self.link.url.as_str()),
        )
        .await
        .map_err(|_| unavailable(format!("connect timed out after {timeout:?}")))?
        .map_err(|e| unavailable(format!("connect: {}", ws_error_text(&e))))?;
        let me = hub.keys.public_key();
        let since = Timestamp::now() - SINCE_SLACK_SECS;
        let info_sub = SubscriptionId::new("info");
        let nwc_sub = SubscriptionId::new("nwc");
        let subscribe = [
            ClientMessage::req(
                info_sub.clone(),
                vec![Filter::new().kind(INFO).author(hub.wallet).limit(1)],
            ),
            ClientMessage::req(
                nwc_sub.clone(),
                vec![Filter::new()
                    .kinds([RESPONSE, NOTIFICATION_NIP04, NOTIFICATION_NIP44])
                    .author(hub.wallet)
                    .pubkey(me)
                    .since(since)],
            ),
        ];
        for m in subscribe {
            send(&mut ws, m.as_json(), timeout).await?;
        }
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
        let mut out_tx = Some(out_tx);
        let mut attached = None;
        let mut reconcile = None;
        let mut ping_sent = false;
        loop {
            let wait = if ping_sent { PONG_WAIT } else { IDLE_PING };
            let frame = tokio::select! {
                done = async { reconcile.as_mut().expect("guarded").await }, if reconcile.is_some() => {
                    reconcile = None;
                    let reconciled: usize = done?;
                    tracing::info!(relay = %self.link.url, reconciled, "NWC relay connected");
                    self.link.state.set(ConnectionState::Connected);
                    *failures = 0;
                    continue;
                }
                Some(text) = out_rx.recv() => {
                    send(&mut ws, text, timeout).await?;
                    continue;
                }
                next = tokio::time::timeout(wait, ws.next()) => next,
            };
            let msg = match frame {
                Err(_) if ping_sent => {
                    return Err(unavailable(format!(
                        "no answer to a ping within {PONG_WAIT:?}"
                    )))
                }
                Err(_) => {
                    tokio::time::timeout(timeout, ws.send(Message::Ping(Vec::new().into())))
                        .await
                        .map_err(|_| unavailable("sending a ping timed out".into()))?
                        .map_err(|e| unavailable(format!("ping: {}", ws_error_text(&e))))?;
                    ping_sent = true;
                    continue;
                }
                Ok(None) => return Err(unavailable("the relay closed the connection".into())),
                Ok(Some(Err(e))) => return Err(unavailable(ws_error_text(&e))),
                Ok(Some(Ok(m))) => m,
            };
            ping_sent = false;
            let text = match msg {
                Message::Text(t) => t.as_str().to_owned(),
                Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                Message::Close(_) => {
                    return Err(unavailable("the relay closed the connection".into()))
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            };
            let Ok(msg) = RelayMessage::from_json(&text) else {
                tracing::debug!(relay = %self.link.url, len = text.len(), "unreadable relay message; ignored");
                continue;
            };
            match msg {
                RelayMessage::Event {
                    subscription_id,
                    event,
                } if *subscription_id == info_sub => {
                    self.on_info(&event);
                }
                RelayMessage::EndOfStoredEvents(id) if *id == info_sub && attached.is_none() => {
                    if hub.info().is_none() {
                        return Err(unavailable(
                            "the wallet has published no info event (kind 13194) on this relay"
                                .into(),
                        ));
                    }
                    // Subscribed and informed: requests may go this way now,
                    // and the lookups find what was paid while we were away.
                    hub.attach(self.link, out_tx.take().expect("attached once"));
                    attached = Some(Attached(self.watcher, self.link));
                    reconcile = Some(Box::pin(self.watcher.reconcile()));
                }
                RelayMessage::Event {
                    subscription_id,
                    event,
                } if *subscription_id == nwc_sub => {
                    if event.kind == RESPONSE {
                        hub.deliver(event.into_owned());
                    } else {
                        self.on_notification(&event);
                    }
                }
                RelayMessage::Closed {
                    subscription_id,
                    message,
                } => {
                    return Err(unavailable(format!(
                        "the relay closed subscription {subscription_id}: {message}"
                    )))
                }
                RelayMessage::Ok {
                    event_id,
                    status: false,
                    message,
                } => {
                    tracing::warn!(relay = %self.link.url, %event_id, %message, "the relay refused our request");
                }
                RelayMessage::Notice(n) => {
                    tracing::debug!(relay = %self.link.url, notice = %n, "relay notice");
                }
                _ => {}
            }
        }
    }

    fn on_info(&self, event: &Event) {
        let hub = &self.watcher.nwc.hub;
        if event.kind != INFO || event.pubkey != hub.wallet || event.verify().is_err() {
            tracing::warn!(relay = %self.link.url, "an info event not signed by the wallet; ignored");
            return;
        }
        match WalletInfo::from_event(event) {
            Ok(info) => hub.set_info(info),
            Err(e) => {
                tracing::error!(relay = %self.link.url, error = %e, "NWC wallet info unusable")
            }
        }
    }

    /// A notification is a hint, nothing more: it must be the wallet's, in
    /// the encryption we use (a wallet offering both sends each twice), and
    /// name a payment hash; the lookup decides.
    fn on_notification(&self, event: &Event) {
        let hub = &self.watcher.nwc.hub;
        let Some(info) = hub.info() else { return };
        if event.kind != info.encryption.notification_kind() {
            return;
        }
        if event.pubkey != hub.wallet || event.verify().is_err() {
            tracing::warn!(relay = %self.link.url, id = %event.id,
                "an NWC notification not signed by the wallet; ignored");
            return;
        }
        let parsed = info
            .encryption
            .decrypt(&hub.keys, &hub.wallet, &event.content)
            .ok()
            .and_then(|t| serde_json::from_str::<Notification>(&t).ok());
        let Some(n) = parsed else {
            tracing::warn!(relay = %self.link.url, id = %event.id, "an undecryptable NWC notification; ignored");
            return;
        };
        if n.notification_type != "payment_received" {
            return;
        }
        let Some(hash) = n
            .notification
            .payment_hash
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return;
        };
        let _ = self.hints.send(Hint {
            event: event.id,
            payment_hash: hash.to_ascii_lowercase(),
        });
    }
}

async fn send<S>(ws: &mut S, text: String, timeout: Duration) -> Result<(), ProviderError>
where
    S: futures::Sink<Message, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
{
    tokio::time::timeout(timeout, ws.send(Message::Text(text.into())))
        .await
        .map_err(|_| unavailable("sending to the relay timed out".into()))?
        .map_err(|e| unavailable(format!("send: {}", ws_error_text(&e))))
}

fn unavailable(text: String) -> ProviderError {
    ProviderError::Unavailable(text)
}

fn ws_error_text(e: &tokio_tungstenite::tungstenite::Error) -> String {
    let mut text = e.to_string();
    crate::providers::append_sources(&mut text, e);
    text
}
