use super::*;

#[test]
fn finds_the_hash_only() {
    let h = "cc7893164bd5b5839c57d2626b6b3bcd3cb7ec553bf5cfee151e02f8cc9b0f49";
    let frame = format!(
        r#"{{"wallet_balance": 7, "payment": {{"payment_hash": "{h}", "status": "success"}}}}"#
    );
    assert_eq!(payment_hash_of(&frame).as_deref(), Some(h));
    assert_eq!(payment_hash_of(&format!("hello {h}")), None);
    assert_eq!(
        payment_hash_of(r#"{"payment": {"payment_hash": "../x"}}"#),
        None
    );
    assert_eq!(payment_hash_of("not json"), None);
}

/// Answers every HTTP request with `body`, one request per connection.
fn serve_json(body: String) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        // One payment check per test.
        if let Some(Ok(mut conn)) = listener.incoming().next() {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, server)
}

/// A DazNode `updated_at` that is malformed or not ASCII once panicked
/// the watcher (byte-offset slicing: the first one here did) and stopped
/// DazNode settlement for good. Now the time is unknown, and the payment still settles.
#[tokio::test]
async fn a_bad_updated_at_neither_panics_nor_stops_the_settlement() {
    use crate::config::{DazNodeConfig, Secret};
    use crate::store::SledStore;
    for (n, updated_at) in ["2026-11-20T22:30:38.789551é0:00", "yesterday-ish"]
        .into_iter()
        .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        let sled = SledStore::open(dir.path(), 1 << 20).unwrap();
        let stop = CancellationToken::new();
        let flusher = tokio::spawn(sled.run_flusher(stop.clone()));
        let store: Arc<dyn Store> = sled;
        let hash = format!("{n:02}").repeat(32);
        let inv = Invoice {
            id: format!("inv_{n}"),
            payment_request: String::new(),
            payment_hash: hash.clone(),
            amount_msat: 7_000,
            amount_received_msat: 0,
            description: String::new(),
            description_hash: None,
            status: InvoiceStatus::Pending,
            provider: DazNodeProvider::NAME.into(),
            created_at_ms: now_ms(),
            expires_at_ms: now_ms() + 3_600_000,
            paid_at_ms: None,
            updated_at_ms: now_ms(),
            metadata: Default::default(),
            external_ref: None,
            customer_email: None,
            paid_late: false,
            idempotency_key: None,
            sale: None,
            success_url: None,
        };
        store.insert_invoice(&inv, None, &[]).unwrap();
        let body = serde_json::json!({"paid": true, "details": {
            "payment_hash": hash, "amount": 7000, "status": "success",
            "updated_at": updated_at}});
        let (url, server) = serve_json(body.to_string());
        let daz = DazNodeProvider::new(&DazNodeConfig {
            url,
            api_key_file: None,
            api_key: Some(Secret::new("k")),
            network: bitcoin::Network::Bitcoin,
            timeout_secs: 5,
            reconnect_max_secs: 5,
            webhook_url: None,
        })
        .unwrap();
        let watcher = DazNodeWatcher {
            daz: Arc::new(daz),
            store: store.clone(),
            settler: Arc::new(Settler::new(store.clone())),
        };
        let before = now_ms();
        watcher.on_hint(&hash).await.unwrap();
        let paid = store.invoice(&inv.id).unwrap().unwrap();
        assert_eq!(paid.status, InvoiceStatus::Paid, "{updated_at}");
        assert_eq!(paid.amount_received_msat, 7_000);
        // The time of the confirmation stands in for the provider's.
        assert!(paid.paid_at_ms.unwrap() >= before, "{updated_at}");
        server.join().unwrap();
        stop.cancel();
        flusher.await.unwrap();
    }
}

/// A webhook call: an unknown invoice and a body naming another hash cost
/// no lookup; a paid one settles with path webhook, once; a later call
/// finds it settled and asks nothing (the fake DazNode answers one request).
#[tokio::test]
async fn webhook_calls_are_confirmed_once() {
    use crate::config::{DazNodeConfig, Secret};
    use crate::domain::{AuditAction, AuditKind};
    use crate::store::SledStore;
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path(), 1 << 20).unwrap();
    let stop = CancellationToken::new();
    let flusher = tokio::spawn(sled.run_flusher(stop.clone()));
    let store: Arc<dyn Store> = sled;
    let hash = "ab".repeat(32);
    let inv = Invoice {
        id: "inv_hook".into(),
        payment_request: String::new(),
        payment_hash: hash.clone(),
        amount_msat: 9_000,
        amount_received_msat: 0,
        description: String::new(),
        description_hash: None,
        status: InvoiceStatus::Pending,
        provider: DazNodeProvider::NAME.into(),
        created_at_ms: now_ms(),
        expires_at_ms: now_ms() + 3_600_000,
        paid_at_ms: None,
        updated_at_ms: now_ms(),
        metadata: Default::default(),
        external_ref: None,
        customer_email: None,
        paid_late: false,
        idempotency_key: None,
        sale: None,
        success_url: None,
    };
    store.insert_invoice(&inv, None, &[]).unwrap();
    let body = serde_json::json!({"paid": true, "details": {
        "payment_hash": hash, "amount": 9000, "status": "success"}});
    let (url, server) = serve_json(body.to_string());
    let daz = DazNodeProvider::new(&DazNodeConfig {
        url,
        api_key_file: None,
        api_key: Some(Secret::new("k")),
        network: bitcoin::Network::Bitcoin,
        timeout_secs: 5,
        reconnect_max_secs: 5,
        webhook_url: None,
    })
    .unwrap();
    let watcher = DazNodeWatcher {
        daz: Arc::new(daz),
        store: store.clone(),
        settler: Arc::new(Settler::new(store.clone())),
    };
    let hint = |id: &str, body_hash: Option<String>| Hint {
        invoice_id: id.into(),
        body_hash,
    };
    assert_eq!(
        watcher.on_webhook(&hint("inv_unknown", None)).await,
        CallOutcome::Unknown
    );
    assert_eq!(
        watcher
            .on_webhook(&hint(&inv.id, Some("cd".repeat(32))))
            .await,
        CallOutcome::Mismatch
    );
    assert_eq!(
        watcher.on_webhook(&hint(&inv.id, Some(hash.clone()))).await,
        CallOutcome::Paid
    );
    server.join().unwrap();
    assert_eq!(
        watcher.on_webhook(&hint(&inv.id, None)).await,
        CallOutcome::Settled
    );
    let paid = store.invoice(&inv.id).unwrap().unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 9_000);
    let (page, _) = store
        .audit_page(&crate::store::AuditQuery {
            invoice_id: Some(inv.id.clone()),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let paid_lines: Vec<_> = page
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e.kind == AuditKind::StatusChange && e.action == AuditAction::Paid)
        .map(|e| e.outcome.as_str())
        .collect();
    assert_eq!(paid_lines, ["settled via webhook"]);
    stop.cancel();
    flusher.await.unwrap();
}
