use std::time::Duration;

use lnpayd::proto::{self, EventType, InvoiceStatus};
use tokio_stream::StreamExt;

use crate::harness::{create_req, reason, Daemon};

#[tokio::test(flavor = "multi_thread")]
async fn create_pay_and_observe_the_whole_flow() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;

    let mut events = inv
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();

    let mut req = create_req(1500, "coffee");
    req.external_ref = "order-42".into();
    req.metadata.insert("sku".into(), "latte".into());
    let created = inv.create_invoice(req).await.unwrap().into_inner();
    assert!(created.id.starts_with("inv_"));
    assert!(
        created.payment_request.starts_with("lnbcrt15u1"),
        "{}",
        created.payment_request
    );
    assert_eq!(created.amount_msat, 1_500_000);
    assert_eq!(created.status(), InvoiceStatus::Pending);
    assert_eq!(created.provider, "dev");
    assert_eq!(created.metadata["sku"], "latte");
    let expires = created.expires_at.unwrap().seconds - created.created_at.unwrap().seconds;
    assert!(
        (3599..=3600).contains(&expires),
        "default expiry is 3600 s, got {expires}"
    );

    let ev = events.next().await.unwrap().unwrap();
    assert_eq!((ev.sequence, ev.r#type()), (1, EventType::InvoiceCreated));
    assert_eq!(ev.invoice.unwrap().id, created.id);

    // WaitInvoice blocks while pending, and returns as soon as it is paid.
    let waiter = d.spawn_wait(&created.id, 30).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !waiter.is_finished(),
        "WaitInvoice returned while the invoice was pending"
    );

    let paid = admin
        .simulate_payment(proto::SimulatePaymentRequest {
            id: created.id.clone(),
            amount_msat: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 1_500_000);
    assert!(!paid.paid_late);

    let ev = events.next().await.unwrap().unwrap();
    assert_eq!((ev.sequence, ev.r#type()), (2, EventType::InvoicePaid));
    let waited = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waited.status(), InvoiceStatus::Paid);

    // Every lookup finds it.
    use proto::get_invoice_request::Lookup;
    for lookup in [
        Lookup::Id(created.id.clone()),
        Lookup::PaymentHash(created.payment_hash.clone()),
        Lookup::ExternalRef("order-42".into()),
    ] {
        let got = inv
            .get_invoice(proto::GetInvoiceRequest {
                lookup: Some(lookup),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.id, created.id);
        assert_eq!(got.status(), InvoiceStatus::Paid);
    }

    // A paid invoice cannot be canceled.
    let err = inv
        .cancel_invoice(proto::CancelInvoiceRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert_eq!(reason(&err), "INVOICE_ALREADY_PAID");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_then_payment_is_refused_and_list_filters() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;

    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            inv.create_invoice(create_req(100 + i, "item"))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    let canceled = inv
        .cancel_invoice(proto::CancelInvoiceRequest { id: ids[1].clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(canceled.status(), InvoiceStatus::Canceled);
    // Canceling again is harmless.
    let again = inv
        .cancel_invoice(proto::CancelInvoiceRequest { id: ids[1].clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.status(), InvoiceStatus::Canceled);
    let err = admin
        .simulate_payment(proto::SimulatePaymentRequest {
            id: ids[1].clone(),
            amount_msat: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INVOICE_NOT_PENDING");
    admin
        .simulate_payment(proto::SimulatePaymentRequest {
            id: ids[3].clone(),
            amount_msat: 0,
        })
        .await
        .unwrap();

    // Newest first, paged.
    let page1 = inv
        .list_invoices(proto::ListInvoicesRequest {
            page_size: 3,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let got: Vec<_> = page1.invoices.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, vec![ids[4].clone(), ids[3].clone(), ids[2].clone()]);
    assert!(!page1.next_page_token.is_empty());
    let page2 = inv
        .list_invoices(proto::ListInvoicesRequest {
            page_size: 3,
            page_token: page1.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let got: Vec<_> = page2.invoices.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, vec![ids[1].clone(), ids[0].clone()]);
    assert!(page2.next_page_token.is_empty());

    // By status.
    let pending = inv
        .list_invoices(proto::ListInvoicesRequest {
            status: InvoiceStatus::Pending as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let got: Vec<_> = pending.invoices.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, vec![ids[4].clone(), ids[2].clone(), ids[0].clone()]);

    // By creation time: nothing was created before the first invoice.
    let first = inv
        .get_invoice(proto::GetInvoiceRequest {
            lookup: Some(proto::get_invoice_request::Lookup::Id(ids[0].clone())),
        })
        .await
        .unwrap()
        .into_inner();
    let before_first = inv
        .list_invoices(proto::ListInvoicesRequest {
            created_before: first.created_at,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(before_first.invoices.iter().all(|i| i.id < ids[0]));
    let after_first = inv
        .list_invoices(proto::ListInvoicesRequest {
            created_after: first.created_at,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after_first.invoices.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_timer_expires_and_a_late_payment_still_wins() {
    let dir = tempfile::tempdir().unwrap();
    // One-second expiries, allowed only by this config.
    let d = Daemon::start(
        dir.path(),
        &[],
        &[("LNPAYD_INVOICES__MIN_EXPIRY_SECS", "1")],
    );
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;
    let mut req = create_req(10, "short-lived");
    req.expiry_seconds = 1;
    let created = inv.create_invoice(req).await.unwrap().into_inner();
    let mut events = inv
        .subscribe_events(proto::SubscribeEventsRequest {
            invoice_id: created.id.clone(),
            types: vec![
                EventType::InvoiceExpired as i32,
                EventType::InvoicePaid as i32,
            ],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ev = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(ev.r#type(), EventType::InvoiceExpired);
    let expired = ev.invoice.unwrap();
    assert_eq!(expired.status(), InvoiceStatus::Expired);
    let at = expired.updated_at.unwrap();
    let exp = expired.expires_at.unwrap();
    assert!(
        (at.seconds, at.nanos) >= (exp.seconds, exp.nanos),
        "expired before expires_at"
    );

    // An expired invoice cannot be canceled.
    let err = inv
        .cancel_invoice(proto::CancelInvoiceRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert_eq!(reason(&err), "INVOICE_NOT_PENDING");

    // The provider reports a payment after expiry: PAID, marked late.
    let paid = admin
        .simulate_payment(proto::SimulatePaymentRequest {
            id: created.id.clone(),
            amount_msat: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert!(paid.paid_late);
    let ev = events.next().await.unwrap().unwrap();
    assert_eq!(ev.r#type(), EventType::InvoicePaid);
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_invoice_answers_pending_at_its_timeout_and_before_the_client_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let created = inv
        .create_invoice(create_req(3, "unpaid"))
        .await
        .unwrap()
        .into_inner();

    let t = std::time::Instant::now();
    let waited = inv
        .wait_invoice(proto::WaitInvoiceRequest {
            id: created.id.clone(),
            timeout_seconds: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(waited.status(), InvoiceStatus::Pending);
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "returned before timeout_seconds"
    );

    // With only a gRPC deadline, the answer is the pending invoice, not DEADLINE_EXCEEDED.
    let mut req = tonic::Request::new(proto::WaitInvoiceRequest {
        id: created.id.clone(),
        timeout_seconds: 0,
    });
    req.set_timeout(Duration::from_millis(800));
    let waited = inv
        .wait_invoice(req)
        .await
        .expect("an answer before the deadline")
        .into_inner();
    assert_eq!(waited.status(), InvoiceStatus::Pending);
}
