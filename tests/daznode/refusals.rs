//! What LNbits refuses, and how lnpayd takes it: a wrong API key, and (on a
//! second LNbits with tight limits) an amount over its maximum and lookups
//! over its rate limit.

use std::time::{Duration, Instant};

use lnpayd::proto::{self, InvoiceStatus};

use super::{daz_env, wait_connection, wait_status_until, LNBITS};
use testkit::daemon::{create_req, reason, Daemon};
use testkit::lnbits::LnBits;
use testkit::shared::Shared;

/// LNbits with tight limits of its own: 4 requests a second per address and
/// at most 20,000,000 sat per invoice (the fixture funds its payer with 10M).
static LIMITED_LNBITS: Shared<LnBits> = Shared::new(|| {
    LnBits::start_with(&[
        "LNBITS_RATE_LIMIT_NO=4",
        "LNBITS_RATE_LIMIT_UNIT=second",
        "LNBITS_MAX_INCOMING_PAYMENT_AMOUNT_SATS=20000000",
    ])
});

/// A wrong API key: offline, naming the key; create fails fast.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_api_key_offline_and_create_fails_fast() {
    let lnb = LNBITS.read().await;

    let bad_key = "badc0ffee0ddf00d".repeat(2);
    let dir2 = tempfile::tempdir().unwrap();
    let d2 = Daemon::start_env(dir2.path(), &daz_env(&lnb.url, &bad_key));
    let s = wait_status_until(&d2, "a health check naming the key", |s| {
        !s.online && s.last_error.contains("api_key")
    })
    .await;
    eprintln!("wrong key: last_error {:?}", s.last_error);
    assert!(!s.last_error.contains(&bad_key));
    let s = wait_status_until(&d2, "the websocket state naming the key", |s| {
        s.connection.starts_with("disconnected") && s.connection.contains("api_key")
    })
    .await;
    eprintln!("wrong key: connection {:?}", s.connection);
    assert!(!s.connection.contains(&bad_key));
    let t = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        d2.invoices()
            .await
            .create_invoice(create_req(100, "bad key")),
    )
    .await
    .expect("CreateInvoice must not hang")
    .unwrap_err();
    eprintln!(
        "wrong key: CreateInvoice failed in {:?}: {:?} {}",
        t.elapsed(),
        err.code(),
        reason(&err)
    );
    assert!(
        matches!(
            err.code(),
            tonic::Code::Unavailable | tonic::Code::FailedPrecondition
        ),
        "{err:?}"
    );
    let text = format!("{err:?}");
    assert!(
        text.contains("api_key") || reason(&err) == "PROVIDERS_UNAVAILABLE",
        "{text}"
    );
    assert!(!text.contains(&bad_key), "{text}");
    let log = d2.log_text();
    assert!(!log.contains(&bad_key), "the wrong key is in lnpayd's log");
    assert!(
        log.contains("api_key"),
        "the log never names the key problem"
    );
}

/// CreateInvoice until it gets past LNbits' rate limit (the router retries
/// once; a test that sets a tight limit asks again).
async fn create_patiently(d: &Daemon, req: proto::CreateInvoiceRequest) -> proto::Invoice {
    for _ in 0..40 {
        match d.invoices().await.create_invoice(req.clone()).await {
            Ok(r) => return r.into_inner(),
            Err(e) if e.code() == tonic::Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            Err(e) => panic!("create: {e:?}"),
        }
    }
    panic!("create never got past the rate limit");
}

/// An lnpayd on [`LIMITED_LNBITS`], taken for one scenario alone (the rate
/// limit is shared by every caller).
async fn limited_lnpayd(lnb: &LnBits) -> (Daemon, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut env = daz_env(&lnb.url, &lnb.merchant.inkey);
    env.push(("LNPAYD_INVOICES__MAX_AMOUNT_SAT".into(), "100000000".into()));
    // Health checks would take half of the 4 a second.
    env.push((
        "LNPAYD_FAILOVER__HEALTH_CHECK_INTERVAL_MS".into(),
        "10000".into(),
    ));
    let d = Daemon::start_env(dir.path(), &env);
    wait_connection(&d, "connected").await;
    (d, dir)
}

/// An amount over LNbits' own maximum: refused by name, not counted as an
/// outage.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn amount_over_lnbits_maximum_refused_not_an_outage() {
    let lnb = LIMITED_LNBITS.write().await;
    let (d, _dir) = limited_lnpayd(&lnb).await;

    let err = d
        .invoices()
        .await
        .create_invoice(create_req(30_000_000, "too much for this wallet"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{err:?}");
    assert_eq!(reason(&err), "PROVIDER_REJECTED");
    assert!(err.message().contains("too high"), "{}", err.message());
    let s = d.provider_status("daznode").await;
    assert_eq!(s.circuit, "closed", "{s:?}");
    assert!(s.online, "{s:?}");
}

/// Forged frames push one invoice's lookups over the rate limit: lnpayd
/// waits, keeps its connection, and settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lookups_over_the_rate_limit_wait_and_settle() {
    let lnb = LIMITED_LNBITS.write().await;
    let (d, _dir) = limited_lnpayd(&lnb).await;

    let target = create_patiently(&d, create_req(500, "looked up too often")).await;
    let log_from = d.log_text().len();
    // LNbits limits per URL (slowapi's default key): each injection
    // has its own data, so all get through, while lnpayd's lookups of
    // the one payment URL run into the 4 a second.
    for i in 0..10 {
        let sent = lnb
            .inject_ws(&format!(
                r#"{{"payment": {{"payment_hash": "{}"}}, "n": {i}}}"#,
                target.payment_hash
            ))
            .await;
        assert_eq!(sent["sent"], true, "{sent}");
    }
    // Paid only once the limit is spent: four lookups answered, the
    // next refused.
    let forged = |d: &Daemon| {
        d.log_text()[log_from..]
            .matches("forged or early frame")
            .count()
    };
    let spent = tokio::time::timeout(Duration::from_secs(20), async {
        while forged(&d) < 4 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(spent.is_ok(), "{}", &d.log_text()[log_from..]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    lnb.pay(&target.payment_request).await;
    let paid = d.wait_invoice(&target.id, 60).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    let log = d.log_text()[log_from..].to_string();
    assert!(
        log.contains("DazNode rate limit; waiting"),
        "no lookup waited out the limit (never hit, or not waited for)\n{log}"
    );
    assert!(
        !log.lines()
            .any(|l| l.contains("DazNode websocket down") && l.contains("429")),
        "the connection was dropped for a 429\n{log}"
    );
    assert!(wait_connection(&d, "connected").await.online);
}
