//! The audit trail: every provider call and status change, with the RPC's
//! request id, listed by Admin.ListAuditLog and pruned after its retention.

use std::time::Duration;

use lnpayd::proto;

use crate::harness::{create_req, reason, Daemon};

fn with_request_id<T>(msg: T, id: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut().insert("x-request-id", id.parse().unwrap());
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn request_ids_reach_the_audit_log_which_pages_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;

    // The caller's request id comes back, and one is made up when absent.
    let resp = inv
        .create_invoice(with_request_id(create_req(21, "audited"), "order-7-try-1"))
        .await
        .unwrap();
    assert_eq!(
        resp.metadata().get("x-request-id").unwrap(),
        "order-7-try-1"
    );
    let created = resp.into_inner();
    let other = inv.create_invoice(create_req(22, "other")).await.unwrap();
    let generated = other
        .metadata()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    admin
        .simulate_payment(proto::SimulatePaymentRequest {
            id: created.id.clone(),
            amount_msat: 0,
        })
        .await
        .unwrap();

    let page = admin
        .list_audit_log(proto::ListAuditLogRequest {
            invoice_id: created.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let lines: Vec<(String, String, String)> = page
        .entries
        .iter()
        .map(|e| (e.kind.clone(), e.action.clone(), e.outcome.clone()))
        .collect();
    // Newest first: paid, created, the provider call.
    assert_eq!(
        lines,
        vec![
            (
                "status_change".into(),
                "paid".into(),
                "settled via simulated".into()
            ),
            ("status_change".into(), "created".into(), "pending".into()),
            ("provider_call".into(), "create_invoice".into(), "ok".into()),
        ]
    );
    assert!(page
        .entries
        .iter()
        .all(|e| e.invoice_id == created.id && e.provider == "dev"));
    assert_eq!(page.entries[1].request_id, "order-7-try-1");
    assert_eq!(page.entries[2].request_id, "order-7-try-1");

    // Paging walks the whole log, newest first, without repeats.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let p = admin
            .list_audit_log(proto::ListAuditLogRequest {
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(
            p.entries
                .into_iter()
                .map(|e| (e.at.unwrap().seconds, e.at.unwrap().nanos, e.action)),
        );
        if p.next_page_token.is_empty() {
            break;
        }
        token = p.next_page_token;
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen
        .windows(2)
        .all(|w| (w[0].0, w[0].1) >= (w[1].0, w[1].1)));

    let err = admin
        .list_audit_log(proto::ListAuditLogRequest {
            page_token: "zz".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INVALID_PAGE_TOKEN");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_entries_are_pruned_after_their_retention_and_invoices_stay() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(
        dir.path(),
        &[],
        &[
            ("LNPAYD_RETENTION__AUDIT_SECS", "1"),
            ("LNPAYD_RETENTION__PRUNE_INTERVAL_SECS", "1"),
        ],
    );
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;
    let created = inv
        .create_invoice(create_req(5, "short memory"))
        .await
        .unwrap()
        .into_inner();
    let count = |p: proto::ListAuditLogResponse| p.entries.len();
    let first = count(
        admin
            .list_audit_log(proto::ListAuditLogRequest::default())
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(first, 2, "fresh entries are kept");
    let mut left = first;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = count(
            admin
                .list_audit_log(proto::ListAuditLogRequest::default())
                .await
                .unwrap()
                .into_inner(),
        );
        if left == 0 {
            break;
        }
    }
    assert_eq!(left, 0, "entries older than the retention were not pruned");
    let still = inv
        .get_invoice(proto::GetInvoiceRequest {
            lookup: Some(proto::get_invoice_request::Lookup::Id(created.id)),
        })
        .await;
    assert!(
        still.is_ok(),
        "pruning the audit log must not touch invoices"
    );
    assert!(d.log_text().contains("pruned"));
}
