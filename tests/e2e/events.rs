use std::time::Duration;

use lnpayd::proto::{self, EventType};
use tokio_stream::StreamExt;

use crate::harness::{create_req, Daemon, Invoices};

async fn create_n(inv: &Invoices, n: u64, concurrency: u64) {
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let mut inv = inv.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < n {
                inv.create_invoice(create_req(1 + i, "event"))
                    .await
                    .unwrap();
                i += concurrency;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reconnecting_subscriber_resumes_after_its_last_sequence_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path(), &[], &[]);
    let inv = d.invoices().await;
    create_n(&inv, 5, 1).await;

    let mut stream = inv
        .clone()
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut last = 0;
    for _ in 0..3 {
        last = stream.next().await.unwrap().unwrap().sequence;
    }
    assert_eq!(last, 3);
    drop(stream); // the client goes away

    create_n(&inv, 3, 1).await;
    let mut resumed = inv
        .clone()
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: last,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    for want in 4..=8 {
        assert_eq!(resumed.next().await.unwrap().unwrap().sequence, want);
    }
    // Nothing more, and no duplicate, until something new happens.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), resumed.next())
            .await
            .is_err()
    );
    create_n(&inv, 1, 1).await;
    assert_eq!(resumed.next().await.unwrap().unwrap().sequence, 9);

    // The cursor survives a restart of the daemon too.
    drop(resumed);
    assert!(d.terminate().success());
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let mut resumed = inv
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: 7,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resumed.next().await.unwrap().unwrap().sequence, 8);
    assert_eq!(resumed.next().await.unwrap().unwrap().sequence, 9);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_subscriber_loses_none_of_10000_events() {
    const N: u64 = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let inv = d.invoices().await;
    let mut stream = inv
        .clone()
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();

    let reader = tokio::spawn(async move {
        let mut next = 1;
        while next <= N {
            let ev = stream
                .next()
                .await
                .expect("stream ended early")
                .expect("stream error");
            assert_eq!(ev.sequence, next, "lost or reordered event");
            assert_eq!(ev.r#type(), EventType::InvoiceCreated);
            next += 1;
            // Slower than the producers: the backlog builds up server-side.
            if next % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        next - 1
    });
    create_n(&inv, N, 32).await;
    let got = tokio::time::timeout(Duration::from_secs(120), reader)
        .await
        .expect("reader stalled")
        .unwrap();
    assert_eq!(got, N);
}
