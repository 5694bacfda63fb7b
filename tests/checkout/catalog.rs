use std::time::Duration;

use lnpayd::proto;
use tonic::Code;

use crate::fixture::{Prices, RateFixture};
use crate::harness::{reason, Daemon};
use crate::write_config;

fn by_product(id: &str, quantity: u32) -> proto::CreateInvoiceRequest {
    proto::CreateInvoiceRequest {
        product_id: id.into(),
        quantity,
        ..Default::default()
    }
}

fn prices(kraken: &str, coinbase: &str) -> Prices {
    Prices {
        kraken: Some(kraken.into()),
        coinbase: Some(coinbase.into()),
        bitstamp: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sat_product_is_sold_by_id_and_unknown_ids_are_not_found() {
    let rates = RateFixture::start(prices("50000", "60000")).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &rates.url, "");
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let mut inv = d.invoices().await;

    let i = inv
        .create_invoice(by_product("dazbox", 2))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(i.amount_msat, 42_000_000);
    assert_eq!((i.product_id.as_str(), i.quantity), ("dazbox", 2));
    assert_eq!(i.description, "2 × DazBox");
    assert_eq!(i.metadata.get("sku").map(String::as_str), Some("box-1"));
    assert_eq!(i.fiat_amount, "");
    assert_eq!(
        i.lightning_uri,
        format!("lightning:{}", i.payment_request.to_uppercase())
    );
    assert_eq!(rates.hits("kraken"), 0, "a sat price needs no rate");
    // Stored, not only returned.
    assert_eq!(d.get_invoice(&i.id).await, i);

    let plain = d.create(1000, "coffee").await;
    assert!(plain.lightning_uri.starts_with("lightning:LNBCRT"));
    assert_eq!(plain.product_id, "");

    let err = inv
        .create_invoice(by_product("dazpay", 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "PRODUCT_NOT_FOUND");

    let mut both = by_product("dazbox", 1);
    both.amount = Some(proto::create_invoice_request::Amount::AmountSat(5));
    let err = inv.create_invoice(both).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err), "PRODUCT_WITH_AMOUNT");

    let err = inv
        .create_invoice(by_product("dazbox", 1001))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "QUANTITY_TOO_LARGE");

    let listed = d
        .admin()
        .await
        .list_products(proto::ListProductsRequest {})
        .await
        .unwrap()
        .into_inner()
        .products;
    let ids: Vec<_> = listed.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["dazbox", "daznode"]);
    assert_eq!(
        listed[1].price,
        Some(proto::product::Price::Fiat(proto::FiatPrice {
            amount: "49.00".into(),
            currency: "EUR".into()
        }))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_eur_price_uses_the_median_of_the_sources_and_a_stale_rate_is_refused() {
    let rates = RateFixture::start(prices("50000", "60000")).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &rates.url, "");
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let mut inv = d.invoices().await;

    let mut keyed = by_product("daznode", 1);
    keyed.idempotency_key = "order-7".into();
    let i = inv
        .create_invoice(keyed.clone())
        .await
        .unwrap()
        .into_inner();
    // The two sources disagree: the median of 50 000 and 60 000 is 55 000;
    // 49.00 EUR / 55 000 = 89 090.9 sat, rounded up.
    assert_eq!(i.exchange_rate, "55000.00");
    assert_eq!(i.rate_source, "median of kraken, coinbase");
    assert_eq!(
        (i.fiat_amount.as_str(), i.fiat_currency.as_str()),
        ("49.00", "EUR")
    );
    assert_eq!(i.amount_msat, 89_091_000);
    assert_eq!(i.description, "DazNode");
    assert_eq!(d.get_invoice(&i.id).await, i);

    let status = d
        .admin()
        .await
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = status
        .rate_sources
        .iter()
        .map(|s| (s.name.as_str(), s.ok))
        .collect();
    assert_eq!(names, [("kraken", true), ("coinbase", true)]);
    assert_eq!(status.rate_sources[0].last_rates["EUR"], "50000.00");

    // A new rate does not change what an idempotent retry sold.
    rates.set(|p| p.kraken = Some("70000".into()));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let again = inv.create_invoice(keyed).await.unwrap().into_inner();
    assert_eq!(again, i);

    // Both sources down: the last rate serves until it is max_age_secs old, then never.
    rates.set(|p| {
        p.kraken = None;
        p.coinbase = None;
    });
    let started = std::time::Instant::now();
    let mut refused = None;
    while started.elapsed() < Duration::from_secs(10) {
        match inv.create_invoice(by_product("daznode", 1)).await {
            Ok(ok) => assert!(
                ["55000.00", "65000.00"].contains(&ok.get_ref().exchange_rate.as_str()),
                "a rate from before the outage, got {}",
                ok.get_ref().exchange_rate
            ),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let err = refused.expect("a stale rate must be refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "RATE_UNAVAILABLE");
    let status = d
        .admin()
        .await
        .get_status(proto::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(status
        .rate_sources
        .iter()
        .all(|s| !s.ok && s.last_error.contains("503")));
    // The sat product still sells.
    inv.create_invoice(by_product("dazbox", 1)).await.unwrap();

    let metrics = d.metrics_text().await;
    for sample in [
        r#"lnpayd_exchange_rate_fetches_total{name="kraken",outcome="ok"}"#,
        r#"lnpayd_exchange_rate_fetches_total{name="coinbase",outcome="error"}"#,
    ] {
        assert!(metrics.contains(sample), "{sample} missing:\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_catalog() {
    let rates = RateFixture::start(prices("50000", "60000")).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &rates.url, "");
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let mut inv = d.invoices().await;
    let err = inv
        .create_invoice(by_product("dazpay", 1))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "PRODUCT_NOT_FOUND");

    write_config(
        dir.path(),
        &rates.url,
        "[[products]]\nid = \"dazpay\"\nname = \"DazPay\"\namount_sat = 5000\n",
    );
    d.signal(nix::sys::signal::Signal::SIGHUP);
    let started = std::time::Instant::now();
    loop {
        match inv.create_invoice(by_product("dazpay", 1)).await {
            Ok(i) => {
                assert_eq!(i.get_ref().amount_msat, 5_000_000);
                break;
            }
            Err(e) if started.elapsed() < Duration::from_secs(5) => {
                assert_eq!(reason(&e), "PRODUCT_NOT_FOUND");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the reloaded catalog did not take effect: {e}"),
        }
    }
}
