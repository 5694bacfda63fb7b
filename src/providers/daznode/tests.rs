use super::*;
use serde_json::json;

fn provider(url: &str, key: &str) -> DazNodeProvider {
    DazNodeProvider::new(&DazNodeConfig {
        url: url.into(),
        api_key_file: None,
        api_key: Some(Secret::new(key)),
        network: Network::Bitcoin,
        timeout_secs: 5,
        reconnect_max_secs: 5,
        webhook_url: None,
    })
    .unwrap()
}

#[test]
fn websocket_url_and_redaction() {
    let p = provider("https://daz.example/lnbits", "k3y0123");
    assert_eq!(
        p.websocket_url().as_str(),
        "wss://daz.example/lnbits/api/v1/ws/k3y0123"
    );
    assert_eq!(
        p.websocket_url_redacted(),
        "wss://daz.example/lnbits/api/v1/ws/<api key>"
    );
    assert_eq!(
        p.endpoint("api/v1/wallet").as_str(),
        "https://daz.example/lnbits/api/v1/wallet"
    );
    let p = provider("http://127.0.0.1:5000", "abc");
    assert_eq!(
        p.websocket_url().as_str(),
        "ws://127.0.0.1:5000/api/v1/ws/abc"
    );
    assert_eq!(p.redact("x abc y abc"), "x <api key> y <api key>");
}

#[test]
fn debug_never_shows_the_key() {
    let cfg = DazNodeConfig {
        url: "http://h".into(),
        api_key_file: None,
        api_key: Some(Secret::new("supersecretkey")),
        network: Network::Bitcoin,
        timeout_secs: 5,
        reconnect_max_secs: 5,
        webhook_url: None,
    };
    assert!(!format!("{cfg:?}").contains("supersecretkey"));
}

#[test]
fn status_errors_name_the_cause() {
    let p = provider("http://127.0.0.1:1", "abc");
    let e = p.status_error(
        StatusCode::NOT_FOUND,
        &json!({"detail": "Wallet not found."}),
    );
    assert!(
        matches!(&e, ProviderError::Unauthorized(m) if m.contains("check daznode.api_key")),
        "{e}"
    );
    let e = p.status_error(
        StatusCode::from_u16(520).unwrap(),
        &json!({"detail": "boom"}),
    );
    assert!(e.is_transient());
    // LNbits' own refusals (services/payments.py: InvoiceError status="failed").
    let e = p.status_error(
        StatusCode::from_u16(520).unwrap(),
        &json!({"detail": "Invoice amount 9 is too high. Max allowed: 5.", "status": "failed"}),
    );
    assert!(matches!(e, ProviderError::Rejected(_)), "{e}");
    let e = p.status_error(
        StatusCode::from_u16(520).unwrap(),
        &json!({"detail": "unexpected backend error.", "status": "pending"}),
    );
    assert!(e.is_transient(), "{e}");
    let e = p.status_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"detail": [{"msg": "x"}]}),
    );
    assert!(matches!(e, ProviderError::Rejected(_)));
    let e = p.status_error(StatusCode::FORBIDDEN, &json!({"detail": "nope abc"}));
    assert!(!e.to_string().contains("abc"), "{e}");
}

#[tokio::test]
async fn a_silent_or_absent_server_is_transient() {
    // Accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let _hold = std::thread::spawn(move || {
        let conns: Vec<_> = silent.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(5));
        drop(conns);
    });
    let mut cfg = DazNodeConfig {
        url,
        api_key_file: None,
        api_key: Some(Secret::new("abc")),
        network: Network::Bitcoin,
        timeout_secs: 1,
        reconnect_max_secs: 5,
        webhook_url: None,
    };
    let p = DazNodeProvider::new(&cfg).unwrap();
    let req = InvoiceRequest {
        invoice_id: "inv_test".into(),
        amount_msat: 1000,
        memo: Memo::Description("x".into()),
        expiry_secs: 60,
        preimage: None,
    };
    let t = std::time::Instant::now();
    let e = p.create_invoice(&req).await.unwrap_err();
    assert!(matches!(e, ProviderError::Timeout(_)), "{e}");
    assert!(t.elapsed() < Duration::from_secs(3));
    let e = p.check_payment(&"ab".repeat(32)).await.unwrap_err();
    assert!(e.is_transient(), "{e}");

    // Nobody listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    cfg.url = format!("http://127.0.0.1:{port}");
    let p = DazNodeProvider::new(&cfg).unwrap();
    let e = p.check_health().await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Unavailable(m) if m.starts_with("unreachable")),
        "{e}"
    );

    // Not whole sats: refused before any call.
    let e = p
        .create_invoice(&InvoiceRequest {
            amount_msat: 1500,
            ..req
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Rejected(m) if m.contains("whole")),
        "{e}"
    );
}

/// LNbits' 422 echoes the offending input; when that is the webhook URL,
/// its token must not reach the error (logged, and kept in GetStatus).
#[tokio::test]
async fn a_refused_create_never_carries_the_webhook_token() {
    use std::io::{BufRead, BufReader, Read, Write};
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let answered = std::thread::spawn(move || {
        let (conn, _) = server.accept().unwrap();
        let mut reader = BufReader::new(conn);
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let hook = sent["webhook"].as_str().unwrap().to_string();
        // As pydantic reports an input it refuses.
        let answer =
            json!({"detail": [{"loc": ["body", "webhook"], "msg": "refused", "input": hook}]})
                .to_string();
        write!(
            reader.get_mut(),
            "HTTP/1.1 422 Unprocessable Entity\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
        hook
    });
    let key = webhook::WebhookKey::from_bytes(&[9; 32]);
    let id = format!("inv_{}", "0".repeat(32));
    let token = key.token(&id);
    let p = provider(&url, "abc")
        .with_webhook(url::Url::parse("https://pay.example.com/").unwrap(), key);
    let req = InvoiceRequest {
        invoice_id: id,
        amount_msat: 1000,
        memo: Memo::Description("x".into()),
        expiry_secs: 60,
        preimage: None,
    };
    let e = p.create_invoice(&req).await.unwrap_err();
    assert!(
        answered.join().unwrap().ends_with(&token),
        "the token was sent"
    );
    let text = e.to_string();
    assert!(matches!(e, ProviderError::Rejected(_)), "{text}");
    assert!(!text.contains(&token), "{text}");
    assert!(text.contains("<webhook token>"), "{text}");
}
