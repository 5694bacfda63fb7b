//! The leader's work reaches what the followers create: an invoice created
//! through a follower expires on time (no local call wakes the leader's
//! timer), and a webhook endpoint created through a follower is delivered
//! to by the leader alone, each event once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lnpayd::proto::{self, InvoiceStatus};
use testkit::daemon::create_req;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::*;

/// A loopback HTTP receiver that answers 204 and counts each `webhook-id`.
async fn receiver() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let sink = seen.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut conn = BufReader::new(conn);
                loop {
                    let (mut len, mut id) = (0usize, None);
                    loop {
                        let mut line = String::new();
                        if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':') {
                            match k.to_ascii_lowercase().as_str() {
                                "content-length" => len = v.trim().parse().unwrap_or(0),
                                "webhook-id" => id = Some(v.trim().to_string()),
                                _ => {}
                            }
                        }
                    }
                    let mut body = vec![0; len];
                    if conn.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    if let Some(id) = id {
                        *sink.lock().unwrap().entry(id).or_default() += 1;
                    }
                    let reply = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
                    if conn.get_mut().write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn followers_invoices_expire_and_their_endpoints_are_delivered_by_the_leader_once() {
    let url = PG.read().await.fresh_database();
    let c = Cluster::start(url, 2, 10).await;
    let b = &c.nodes[1];
    let (hook, seen) = receiver().await;
    admin(b)
        .await
        .create_webhook_endpoint(proto::CreateWebhookEndpointRequest {
            url: hook,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e:?}\n{}", b.log_text()));

    let mut inv = invoices(b).await;
    let mut req = create_req(3, "expires through the leader's timer");
    req.expiry_seconds = 2;
    let due = inv.create_invoice(req).await.unwrap().into_inner().id;
    let paid = inv
        .create_invoice(create_req(4, "paid"))
        .await
        .unwrap()
        .into_inner()
        .id;
    admin(b)
        .await
        .simulate_payment(proto::SimulatePaymentRequest {
            id: paid,
            amount_msat: 0,
        })
        .await
        .unwrap();

    let mut status = 0;
    for _ in 0..60 {
        status = get(b, &due).await.status;
        if status == InvoiceStatus::Expired as i32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        InvoiceStatus::Expired as i32,
        "not expired 6 s after creation"
    );

    // Four events: two creates, a payment, an expiry; each delivered once.
    let mut counts = HashMap::new();
    for _ in 0..100 {
        counts = seen.lock().unwrap().clone();
        if counts.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counts_after = seen.lock().unwrap().clone();
    assert_eq!(counts_after.len(), 4, "{counts:?}");
    assert!(
        counts_after.values().all(|n| *n == 1),
        "delivered twice: {counts_after:?}"
    );
}
