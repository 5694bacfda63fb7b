//! A data dir of an earlier release (sled, the default then) is converted to
//! fjall, the default now, when the daemon starts on it: everything it served
//! before, it serves after, and the sled dir is kept aside.

use lnpayd::proto::{self, InvoiceStatus};
use tokio_stream::StreamExt;

use crate::harness::{create_req, Daemon};

async fn all_invoices(d: &Daemon, status: Option<InvoiceStatus>) -> Vec<proto::Invoice> {
    let req = proto::ListInvoicesRequest {
        page_size: 500,
        status: status.map_or(0, |s| s as i32),
        ..Default::default()
    };
    d.invoices()
        .await
        .list_invoices(req)
        .await
        .unwrap()
        .into_inner()
        .invoices
}

async fn whole_log(d: &Daemon) -> Vec<proto::Event> {
    let last = d.last_sequence().await;
    let mut stream = d
        .invoices()
        .await
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while out.len() < last as usize {
        out.push(stream.next().await.unwrap().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sled_data_dir_is_converted_to_fjall_at_start_and_serves_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let sled = [("LNPAYD_STORE__BACKEND", "sled")];
    let mut d = Daemon::start(dir.path(), &[], &sled);
    let mut inv = d.invoices().await;
    let mut keyed = None;
    for i in 0..40u64 {
        let mut req = create_req(100 + i, "before the conversion");
        if i % 10 == 0 {
            req.idempotency_key = format!("order-{i}");
            req.external_ref = format!("ext-{i}");
        }
        let created = inv.create_invoice(req).await.unwrap().into_inner();
        if i == 10 {
            keyed = Some(created.clone());
        }
        if i % 4 == 0 {
            d.admin()
                .await
                .simulate_payment(proto::SimulatePaymentRequest {
                    id: created.id,
                    amount_msat: 0,
                })
                .await
                .unwrap();
        }
    }
    let before = all_invoices(&d, None).await;
    let paid_before = all_invoices(&d, Some(InvoiceStatus::Paid)).await;
    let log_before = whole_log(&d).await;
    assert_eq!(
        (before.len(), paid_before.len(), log_before.len()),
        (40, 10, 50)
    );
    // No clean shutdown: what sled acknowledged is what gets converted.
    d.kill9();

    let d = Daemon::start(dir.path(), &[], &[]);
    let log = d.log_text();
    assert!(
        log.contains("converting the sled data dir to fjall"),
        "{log}"
    );
    assert!(log.contains("converted and verified"), "{log}");
    // It started again as a new image, leaving the conversion's memory.
    let after = &log[log.find("starting again").expect("re-executed")..];
    assert!(after.contains("lnpayd ready"), "{log}");
    let datadir = &d.datadir;
    assert!(datadir.join("fjall").join("version").exists());
    assert!(datadir.join("store.sled-converted").join("conf").exists());
    assert!(!datadir.join("store").exists());

    assert_eq!(all_invoices(&d, None).await, before);
    assert_eq!(
        all_invoices(&d, Some(InvoiceStatus::Paid)).await,
        paid_before
    );
    assert_eq!(whole_log(&d).await, log_before);
    // Idempotency keys and external references came along.
    let keyed = keyed.unwrap();
    let mut again = create_req(110, "before the conversion");
    again.idempotency_key = "order-10".into();
    again.external_ref = "ext-10".into();
    let mut inv = d.invoices().await;
    let replayed = inv.create_invoice(again).await.unwrap().into_inner();
    assert_eq!(replayed.id, keyed.id);
    let by_ref = inv
        .get_invoice(proto::GetInvoiceRequest {
            lookup: Some(proto::get_invoice_request::Lookup::ExternalRef(
                "ext-10".into(),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_ref.id, keyed.id);
    // The log goes on where sled's ended.
    inv.create_invoice(create_req(7, "after")).await.unwrap();
    assert_eq!(d.last_sequence().await, 51);
}
