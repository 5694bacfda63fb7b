//! `kill -9` while invoices are being created: every acknowledged invoice
//! survives, and the event log has no gap.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lnpayd::proto::{self, EventType};
use tokio_stream::StreamExt;

use crate::harness::{create_req, Daemon};

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_concurrent_creates_loses_no_acknowledged_invoice() {
    kill_9_loses_nothing(&[]).await;
}

/// sled stays a backend (`[store] backend = "sled"`): it keeps the promise too.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_loses_nothing_on_sled_either() {
    kill_9_loses_nothing(&[("LNPAYD_STORE__BACKEND", "sled")]).await;
}

async fn kill_9_loses_nothing(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path(), &[], env);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..16 {
        let mut inv = d.invoices().await;
        let acked = acked.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                match inv
                    .create_invoice(create_req(1 + i, &format!("w{w}-{i}")))
                    .await
                {
                    Ok(r) => acked.lock().unwrap().push(r.into_inner().id),
                    Err(_) => return,
                }
            }
        }));
    }
    // Kill mid-stream, once a good number of creates were acknowledged.
    for _ in 0..200 {
        if acked.lock().unwrap().len() >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.kill9();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "only {} creates acknowledged before the kill",
        acked.len()
    );

    let d = Daemon::start(dir.path(), &[], env);
    let mut inv = d.invoices().await;
    for id in &acked {
        let got = inv
            .get_invoice(proto::GetInvoiceRequest {
                lookup: Some(proto::get_invoice_request::Lookup::Id(id.clone())),
            })
            .await;
        assert!(
            got.is_ok(),
            "acknowledged invoice {id} is gone after kill -9"
        );
    }

    // The log is gap-free, and it has one CREATED event per stored invoice.
    let last = d.last_sequence().await;
    let mut stream = inv
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut created = std::collections::HashSet::new();
    for want in 1..=last {
        let ev = stream.next().await.unwrap().unwrap();
        assert_eq!(ev.sequence, want, "gap in the event log");
        assert_eq!(ev.r#type(), EventType::InvoiceCreated);
        created.insert(ev.invoice.unwrap().id);
    }
    for id in &acked {
        assert!(
            created.contains(id),
            "no CREATED event for acknowledged {id}"
        );
    }
    let stored = d.invoice_count().await;
    assert_eq!(stored as u64, last, "invoices stored vs CREATED events");
}
