use lnpayd::proto::create_invoice_request::{Amount, Memo};
use lnpayd::proto::{self, CreateInvoiceRequest};
use tonic::Code;

use crate::harness::{create_req, reason, Daemon};

fn with(f: impl FnOnce(&mut CreateInvoiceRequest)) -> CreateInvoiceRequest {
    let mut r = create_req(1000, "ok");
    f(&mut r);
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_has_its_reason_and_a_rejected_request_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;

    let many_keys = (0..51)
        .map(|i| (format!("k{i}"), "v".to_string()))
        .collect();
    let cases: Vec<(&str, CreateInvoiceRequest)> = vec![
        ("AMOUNT_REQUIRED", with(|r| r.amount = None)),
        (
            "AMOUNT_NOT_POSITIVE",
            with(|r| r.amount = Some(Amount::AmountSat(0))),
        ),
        (
            "AMOUNT_NOT_POSITIVE",
            with(|r| r.amount = Some(Amount::AmountMsat(0))),
        ),
        (
            "AMOUNT_TOO_LARGE",
            with(|r| r.amount = Some(Amount::AmountSat(1_000_001))),
        ),
        (
            "AMOUNT_TOO_LARGE",
            with(|r| r.amount = Some(Amount::AmountMsat(1_000_000_001))),
        ),
        (
            "AMOUNT_TOO_LARGE",
            with(|r| r.amount = Some(Amount::AmountSat(u64::MAX))),
        ),
        ("DESCRIPTION_REQUIRED", with(|r| r.memo = None)),
        (
            "DESCRIPTION_EMPTY",
            with(|r| r.memo = Some(Memo::Description(String::new()))),
        ),
        (
            "DESCRIPTION_TOO_LONG",
            with(|r| r.memo = Some(Memo::Description("x".repeat(640)))),
        ),
        (
            "DESCRIPTION_CONTROL_CHARACTERS",
            with(|r| r.memo = Some(Memo::Description("a\nb".into()))),
        ),
        (
            "DESCRIPTION_HASH_LENGTH",
            with(|r| r.memo = Some(Memo::DescriptionHash(vec![1; 33]))),
        ),
        ("EXPIRY_TOO_SHORT", with(|r| r.expiry_seconds = 59)),
        ("EXPIRY_TOO_LONG", with(|r| r.expiry_seconds = 86_401)),
        ("METADATA_TOO_MANY_KEYS", with(|r| r.metadata = many_keys)),
        (
            "METADATA_KEY_TOO_LONG",
            with(|r| {
                r.metadata.insert("k".repeat(41), "v".into());
            }),
        ),
        (
            "METADATA_KEY_EMPTY",
            with(|r| {
                r.metadata.insert(String::new(), "v".into());
            }),
        ),
        (
            "METADATA_VALUE_TOO_LONG",
            with(|r| {
                r.metadata.insert("k".into(), "v".repeat(501));
            }),
        ),
        (
            "IDEMPOTENCY_KEY_TOO_LONG",
            with(|r| r.idempotency_key = "k".repeat(256)),
        ),
        (
            "EXTERNAL_REF_TOO_LONG",
            with(|r| r.external_ref = "r".repeat(256)),
        ),
        (
            "EMAIL_INVALID",
            with(|r| r.customer_email = Some("not-an-address".into())),
        ),
        (
            "EMAIL_INVALID",
            with(|r| r.customer_email = Some("a@b".into())),
        ),
    ];
    for (want, req) in cases {
        let err = inv.create_invoice(req).await.expect_err(want);
        assert_eq!(err.code(), Code::InvalidArgument, "{want}: {err:?}");
        assert_eq!(reason(&err), want, "{err:?}");
        assert!(!err.message().is_empty());
    }

    // The limits themselves are accepted.
    let edge = with(|r| {
        r.amount = Some(Amount::AmountSat(1_000_000));
        r.memo = Some(Memo::Description("é".repeat(319) + "x")); // 639 bytes
        r.expiry_seconds = 86_400;
        r.metadata = (0..50)
            .map(|i| (format!("{i:0>40}"), "v".repeat(500)))
            .collect();
        r.idempotency_key = "k".repeat(255);
        r.customer_email = Some("ada@example.org".into());
    });
    let ok = inv.create_invoice(edge).await.unwrap().into_inner();
    let with_hash = inv
        .create_invoice(with(|r| r.memo = Some(Memo::DescriptionHash(vec![7; 32]))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(with_hash.description_hash, hex::encode([7u8; 32]));

    // Only the two accepted requests left a trace: two invoices, two events.
    let list = inv
        .list_invoices(proto::ListInvoicesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.invoices.len(), 2);
    assert_eq!(list.invoices[1].id, ok.id);
    let status = admin
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.last_event_sequence, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_lookups_and_page_tokens_are_invalid_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;

    let err = inv
        .get_invoice(proto::GetInvoiceRequest { lookup: None })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::InvalidArgument, "LOOKUP_REQUIRED")
    );
    let missing = proto::GetInvoiceRequest {
        lookup: Some(proto::get_invoice_request::Lookup::Id("inv_nope".into())),
    };
    let err = inv.get_invoice(missing).await.unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::NotFound, "INVOICE_NOT_FOUND")
    );
    let err = inv
        .list_invoices(proto::ListInvoicesRequest {
            page_token: "garbage".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::InvalidArgument, "INVALID_PAGE_TOKEN")
    );
    let err = inv
        .list_invoices(proto::ListInvoicesRequest {
            page_size: 501,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "PAGE_SIZE_TOO_LARGE");
    let err = inv
        .cancel_invoice(proto::CancelInvoiceRequest { id: String::new() })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "ID_REQUIRED");
    let err = inv
        .wait_invoice(proto::WaitInvoiceRequest {
            id: "inv_nope".into(),
            timeout_seconds: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = inv
        .subscribe_events(proto::SubscribeEventsRequest {
            types: vec![99],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INVALID_EVENT_TYPE");
    let err = inv
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::OutOfRange, "CURSOR_AHEAD_OF_LOG")
    );
}
