use std::time::Duration;

use lnpayd::proto;
use tonic::Code;
use tonic_types::StatusExt;

use crate::fixture::{Prices, RateFixture};
use crate::harness::{create_req, reason, Daemon};
use crate::write_config;

#[tokio::test(flavor = "multi_thread")]
async fn over_the_limit_is_resource_exhausted_with_retry_info_and_the_next_window_passes() {
    let rates = RateFixture::start(Prices::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &rates.url,
        "[rate_limit]\ninvoice = { per_second = 1, burst = 2 }\n",
    );
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let mut inv = d.invoices().await;

    for _ in 0..2 {
        inv.create_invoice(create_req(100, "within")).await.unwrap();
    }
    let err = inv
        .create_invoice(create_req(100, "over"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert_eq!(reason(&err), "RATE_LIMITED");
    let retry = err
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("a RetryInfo with a delay");
    assert!(
        retry > Duration::ZERO && retry <= Duration::from_millis(1001),
        "{retry:?}"
    );
    // Any call of that token counts, not only creates.
    let err = inv
        .list_invoices(proto::ListInvoicesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "RATE_LIMITED");

    // The admin token has no limit unless one is set.
    let mut admin = d.admin().await;
    for _ in 0..20 {
        admin.get_status(proto::GetStatusRequest {}).await.unwrap();
    }

    tokio::time::sleep(retry).await;
    inv.create_invoice(create_req(100, "next window"))
        .await
        .expect("the next window passes");

    let text = d.metrics_text().await;
    assert!(
        text.contains(r#"lnpayd_rate_limited_total{name="invoice",outcome="refused"} 2"#),
        "{text}"
    );
}
