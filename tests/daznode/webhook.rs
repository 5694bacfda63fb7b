//! DazNode's webhook (issue 17), with the real LNbits calling lnpayd's
//! checkout listener on 127.0.0.1 (the fixture allows loopback callbacks):
//! the websocket held back and the webhook settles; both report and one
//! PAID event; forged, unpaid and replayed calls change nothing and cost at
//! most one lookup; without `webhook_url` nothing changes.

use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use super::{create, Merchant, LNBITS};
use testkit::daemon::{create_req, Daemon};
use testkit::lnbits::LnBits;
use testkit::process::free_port;

/// A merchant lnpayd whose invoices carry a webhook to its own checkout listener.
async fn with_webhook(lnb: &LnBits) -> (Merchant, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = [
        (
            "LNPAYD_CHECKOUT__LISTEN".to_string(),
            format!("127.0.0.1:{port}"),
        ),
        ("LNPAYD_DAZNODE__WEBHOOK_URL".to_string(), base.clone()),
    ];
    (Merchant::start_with(lnb, &env).await, base)
}

/// `lnpayd_daznode_webhook_calls_total{outcome}` and
/// `lnpayd_settlements_total{provider="daznode",path}` from /metrics.
async fn counter(d: &Daemon, name: &str, label: &str) -> u64 {
    let text = d.metrics_text().await;
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn calls(d: &Daemon, outcome: &str) -> u64 {
    counter(
        d,
        "lnpayd_daznode_webhook_calls_total",
        &format!("outcome=\"{outcome}\""),
    )
    .await
}

/// Waits until `calls(outcome)` reaches `n`.
async fn wait_calls(d: &Daemon, outcome: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let c = calls(d, outcome).await;
        if c >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "webhook calls {outcome}: {c} < {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The webhook URL LNbits keeps for the payment, or None.
async fn webhook_of(lnb: &LnBits, payment_hash: &str) -> Option<String> {
    let p = lnb.merchant_payment(payment_hash).await;
    p["details"]["webhook"].as_str().map(str::to_string)
}

/// LNbits' own body: the Payment JSON, encoded twice.
fn lnbits_body(payment_hash: &str) -> String {
    let payment = serde_json::json!({"payment_hash": payment_hash, "status": "success"});
    serde_json::to_string(&payment.to_string()).unwrap()
}

async fn post(url: &str, body: String) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn settled_via(audit: &[proto::AuditEntry]) -> Vec<String> {
    audit
        .iter()
        .filter(|e| e.kind == "status_change" && e.action == "paid")
        .map(|e| e.outcome.clone())
        .collect()
}

/// The websocket held back by the fault proxy: the webhook settles the
/// payment within a second, path `webhook`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn websocket_held_back_settled_by_the_webhook() {
    let lnb = LNBITS.read().await;
    let (m, base) = with_webhook(&lnb).await;
    let (d, proxy) = (&m.d, &m.proxy);

    let inv = create(d, create_req(800, "its frame is held back")).await;
    let url = webhook_of(&lnb, &inv.payment_hash)
        .await
        .expect("created with a webhook");
    let expected = format!("{base}/daznode/webhook/{}/", inv.id);
    assert!(url.starts_with(&expected), "{url}");
    proxy.hold_websockets(true);
    let waiter = d.spawn_wait(&inv.id, 30).await;
    let t = Instant::now();
    lnb.pay(&inv.payment_request).await;
    let paid = waiter.await.unwrap();
    let latency = t.elapsed();
    eprintln!("payment at LNbits → PAID through the webhook: {latency:?}");
    proxy.hold_websockets(false);
    assert_eq!(paid.status(), InvoiceStatus::Paid, "{paid:?}");
    assert_eq!(paid.amount_received_msat, 800_000);
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert_eq!(
        settled_via(&d.audit_of(&inv.id).await),
        ["settled via webhook"]
    );
    assert_eq!(
        counter(d, "lnpayd_settlements_total", "path=\"webhook\"").await,
        1
    );
    assert_eq!(calls(d, "paid").await, 1);
    let token = url.rsplit('/').next().unwrap();
    assert!(
        !d.log_text().contains(token),
        "the webhook token is in the log"
    );

    m.shut_down(&lnb);
}

/// The websocket and the webhook both report: one PAID event.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_paths_report_one_paid_event() {
    let lnb = LNBITS.read().await;
    let (m, _) = with_webhook(&lnb).await;
    let d = &m.d;

    let mut events = d
        .invoices()
        .await
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: d.last_sequence().await,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let inv = create(d, create_req(900, "told twice")).await;
    assert!(webhook_of(&lnb, &inv.payment_hash).await.is_some());
    lnb.pay(&inv.payment_request).await;
    let mut paid = 0;
    // Long enough for both paths (the webhook comes twice for an internal
    // payment, the frame too) to have reported.
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(ev)) = tokio::time::timeout_at(until, events.next()).await {
        let ev = ev.unwrap();
        if ev.r#type() == EventType::InvoicePaid {
            assert_eq!(ev.invoice.as_ref().unwrap().id, inv.id);
            paid += 1;
        }
    }
    assert_eq!(paid, 1, "PAID events");
    // Both paths did report: the one that came second found it paid.
    let heard = calls(d, "paid").await + calls(d, "settled").await + calls(d, "limited").await;
    assert!(heard >= 1, "the webhook never reported");
    let via = settled_via(&d.audit_of(&inv.id).await);
    let stream_found_it_paid = d
        .log_text()
        .lines()
        .any(|l| l.contains(&inv.id) && l.contains("already paid") && l.contains("path=stream"));
    assert!(
        via == ["settled via stream"] || (via == ["settled via webhook"] && stream_found_it_paid),
        "{via:?}"
    );
    eprintln!("both paths reported; settled {via:?}");
    let settlements = counter(d, "lnpayd_settlements_total", "provider=\"daznode\"").await;
    assert_eq!(settlements, 1);

    m.shut_down(&lnb);
}

/// A forged call (wrong token), a call for an unpaid invoice and replays
/// change nothing; they cost one lookup in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_unpaid_and_replayed_calls_change_nothing() {
    let lnb = LNBITS.read().await;
    let (m, base) = with_webhook(&lnb).await;
    let d = &m.d;

    let inv = create(d, create_req(600, "not paid")).await;
    let other = create(d, create_req(601, "not paid either")).await;
    let url = webhook_of(&lnb, &inv.payment_hash).await.unwrap();
    let other_url = webhook_of(&lnb, &other.payment_hash).await.unwrap();
    let token = url.rsplit('/').next().unwrap().to_string();
    let other_token = other_url.rsplit('/').next().unwrap().to_string();
    assert_ne!(token, other_token);
    let body = lnbits_body(&inv.payment_hash);

    // Forged: a flipped token, another invoice's token, no token, a GET.
    let mut flipped = token.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    let prefix = format!("{base}/daznode/webhook/{}", inv.id);
    for forged in [
        format!("{prefix}/{flipped}"),
        format!("{prefix}/{other_token}"),
        format!("{prefix}/"),
        format!("{base}/daznode/webhook/{}/{token}", other.id),
    ] {
        assert_eq!(post(&forged, body.clone()).await, 404, "{forged}");
    }
    let get = reqwest::get(&url).await.unwrap().status().as_u16();
    assert_eq!(get, 404);
    assert_eq!(
        calls(d, "forged").await,
        4,
        "the GET is not counted: never looked at"
    );

    // Unpaid: one lookup; replays within the window: none.
    let t = Instant::now();
    assert_eq!(post(&url, body.clone()).await, 200);
    eprintln!("webhook call answered in {:?}", t.elapsed());
    wait_calls(d, "unpaid", 1).await;
    for _ in 0..5 {
        assert_eq!(post(&url, body.clone()).await, 200);
    }
    // Too large: refused unread.
    assert_eq!(post(&url, "x".repeat(100 * 1024)).await, 413);
    wait_calls(d, "limited", 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(calls(d, "unpaid").await, 1, "lookups of the unpaid invoice");
    assert_eq!(calls(d, "paid").await, 0);
    for i in [&inv, &other] {
        let now = d.get_invoice(&i.id).await;
        assert_eq!(now.status(), InvoiceStatus::Pending);
        assert_eq!(now.amount_received_msat, 0);
    }
    // The other invoice's own URL, with a body naming the first invoice:
    // refused without a lookup.
    assert_eq!(post(&other_url, body.clone()).await, 200);
    wait_calls(d, "mismatch", 1).await;
    assert_eq!(calls(d, "unpaid").await, 1);
    assert_eq!(
        d.get_invoice(&other.id).await.status(),
        InvoiceStatus::Pending
    );

    m.shut_down(&lnb);
}

/// Without `webhook_url`: no webhook field at LNbits, settled by the
/// websocket as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_webhook_url_nothing_changes() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let inv = create(d, create_req(700, "no webhook")).await;
    assert_eq!(webhook_of(&lnb, &inv.payment_hash).await, None);
    lnb.pay(&inv.payment_request).await;
    let paid = d.wait_invoice(&inv.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(
        settled_via(&d.audit_of(&inv.id).await),
        ["settled via stream"]
    );
    assert_eq!(calls(d, "paid").await + calls(d, "forged").await, 0);

    m.shut_down(&lnb);
}
