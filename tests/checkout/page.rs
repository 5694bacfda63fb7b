//! The checkout listener over plain HTTP: headers, what is not reachable,
//! the live status stream and the per-IP limit. No browser needed.

use std::time::Duration;

use lnpayd::proto;

use crate::fixture::{Prices, RateFixture};
use crate::harness::Daemon;
use crate::write_config;

async fn dazbox(d: &Daemon) -> proto::Invoice {
    d.invoices()
        .await
        .create_invoice(proto::CreateInvoiceRequest {
            product_id: "dazbox".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_headers_bare_404s_and_the_status_streams_live() {
    let rates = RateFixture::start(Prices::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &rates.url, "");
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let i = dazbox(&d).await;
    let base = i
        .checkout_url
        .trim_end_matches(&format!("/pay/{}", i.id))
        .to_string();

    let page = reqwest::get(&i.checkout_url).await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains(&i.lightning_uri));
    // Every link and asset is the page's own, or the wallet link.
    for attr in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attr) {
            let value = &html[at + attr.len()..];
            assert!(
                value.starts_with('/') || value.starts_with("lightning:"),
                "{attr}{}",
                &value[..value.len().min(40)]
            );
        }
    }
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline code"
    );

    for path in [
        format!("/pay/inv_{}", "0".repeat(32)),
        "/".into(),
        "/pay/".into(),
        format!("/pay/{}x", i.id),
        format!("/pay/{}/events/x", i.id),
        "/pay/inv_../../store".into(),
        "/metrics".into(),
    ] {
        let r = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert!(r.headers().contains_key("content-security-policy"));
        assert_eq!(r.text().await.unwrap(), "Not found\n", "{path}");
    }

    let mut events = reqwest::get(format!("{}/events", i.checkout_url))
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    let mut paid = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(chunk)) = tokio::time::timeout_at(deadline, events.chunk())
        .await
        .map(Result::unwrap)
    {
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.contains("data: pending") && !paid {
            paid = true;
            d.admin()
                .await
                .simulate_payment(proto::SimulatePaymentRequest {
                    id: i.id.clone(),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
    }
    assert_eq!(
        seen, "event: status\ndata: pending\n\nevent: status\ndata: paid\n\n",
        "the stream ends after the final status"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_is_limited_per_ip_with_retry_after() {
    let rates = RateFixture::start(Prices::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &rates.url,
        "[rate_limit]\ncheckout = { per_second = 1, burst = 3 }\n",
    );
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let i = dazbox(&d).await;
    for _ in 0..3 {
        assert_eq!(reqwest::get(&i.checkout_url).await.unwrap().status(), 200);
    }
    let over = reqwest::get(&i.checkout_url).await.unwrap();
    assert_eq!(over.status(), 429);
    let retry: u64 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 1);
    tokio::time::sleep(Duration::from_secs(retry)).await;
    assert_eq!(reqwest::get(&i.checkout_url).await.unwrap().status(), 200);
}
