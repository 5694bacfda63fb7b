//! The auth matrix: every RPC, with no token, an unknown token, the invoice
//! token and the admin token.

use std::os::unix::fs::PermissionsExt;

use lnpayd::proto;
use tonic::Code;

use crate::harness::{reason, Daemon};

/// Calls every RPC with `token` and returns each one's status code.
async fn call_all(d: &Daemon, token: Option<String>) -> Vec<(&'static str, Code)> {
    let mut inv = d.invoices_with(token.clone()).await;
    let mut admin = d.admin_with(token).await;
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |s| s.code());
    let id = || "inv_00000000000000000000000000000000".to_string();
    vec![
        (
            "CreateInvoice",
            code(
                inv.create_invoice(crate::harness::create_req(1, "auth"))
                    .await
                    .map(drop),
            ),
        ),
        (
            "GetInvoice",
            code(
                inv.get_invoice(proto::GetInvoiceRequest {
                    lookup: Some(proto::get_invoice_request::Lookup::Id(id())),
                })
                .await
                .map(drop),
            ),
        ),
        (
            "ListInvoices",
            code(
                inv.list_invoices(proto::ListInvoicesRequest::default())
                    .await
                    .map(drop),
            ),
        ),
        (
            "CancelInvoice",
            code(
                inv.cancel_invoice(proto::CancelInvoiceRequest { id: id() })
                    .await
                    .map(drop),
            ),
        ),
        (
            "WaitInvoice",
            code(
                inv.wait_invoice(proto::WaitInvoiceRequest {
                    id: id(),
                    timeout_seconds: 1,
                })
                .await
                .map(drop),
            ),
        ),
        (
            "SubscribeEvents",
            code(
                inv.subscribe_events(proto::SubscribeEventsRequest::default())
                    .await
                    .map(drop),
            ),
        ),
        (
            "GetStatus",
            code(admin.get_status(proto::GetStatusRequest {}).await.map(drop)),
        ),
        (
            "SimulatePayment",
            code(
                admin
                    .simulate_payment(proto::SimulatePaymentRequest {
                        id: id(),
                        amount_msat: 0,
                    })
                    .await
                    .map(drop),
            ),
        ),
        (
            "GetProviderMetrics",
            code(
                admin
                    .get_provider_metrics(proto::GetProviderMetricsRequest::default())
                    .await
                    .map(drop),
            ),
        ),
        (
            "ListAuditLog",
            code(
                admin
                    .list_audit_log(proto::ListAuditLogRequest::default())
                    .await
                    .map(drop),
            ),
        ),
    ]
}

fn is_invoices(rpc: &str) -> bool {
    !matches!(
        rpc,
        "GetStatus" | "SimulatePayment" | "ListAuditLog" | "GetProviderMetrics"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_matrix_for_every_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let admin_token = d.token("admin");
    let invoice_token = d.token("invoice");
    assert_ne!(admin_token, invoice_token);
    for name in ["admin.token", "invoice.token", "dev_node.key"] {
        let mode = std::fs::metadata(d.datadir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }

    for (rpc, c) in call_all(&d, None).await {
        assert_eq!(c, Code::Unauthenticated, "{rpc} without a token");
    }
    for (rpc, c) in call_all(&d, Some("f".repeat(64))).await {
        assert_eq!(c, Code::Unauthenticated, "{rpc} with an unknown token");
    }
    for (rpc, c) in call_all(&d, Some(invoice_token.clone())).await {
        if is_invoices(rpc) {
            assert!(
                !matches!(c, Code::Unauthenticated | Code::PermissionDenied),
                "{rpc} with the invoice token: {c:?}"
            );
        } else {
            assert_eq!(c, Code::PermissionDenied, "{rpc} with the invoice token");
        }
    }
    for (rpc, c) in call_all(&d, Some(admin_token.clone())).await {
        assert!(
            !matches!(c, Code::Unauthenticated | Code::PermissionDenied),
            "{rpc} with the admin token: {c:?}"
        );
    }

    // Reasons a program can match on.
    let err = d
        .admin_with(None)
        .await
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "TOKEN_MISSING");
    let err = d
        .admin_with(Some(invoice_token.clone()))
        .await
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "ROLE_NOT_ALLOWED");

    // Health needs no token.
    let mut health = tonic_health::pb::health_client::HealthClient::new(d.channel().await);
    let resp = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        resp.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );

    // The daemon logged at debug level throughout; no token may appear.
    let log = d.log_text();
    assert!(!log.is_empty());
    for secret in [&admin_token, &invoice_token] {
        assert!(!log.contains(secret.as_str()), "a token reached the log");
    }
}
