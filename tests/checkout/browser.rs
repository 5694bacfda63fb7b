//! The checkout page in a real browser: Debian's Chromium, headless, driven
//! by chromedriver through Selenium (tests/checkout/browser.py). Needs
//! `scripts/ensure-tools.sh browser` (scripts/test runs it).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use lnpayd::proto;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::fixture::{Prices, RateFixture};
use crate::harness::Daemon;
use crate::write_config;

fn python() -> PathBuf {
    match std::env::var_os("LNPAYD_TEST_BROWSER_PYTHON") {
        Some(p) => p.into(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/browser-venv/bin/python"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_the_qr_turns_paid_live_and_redirects() {
    let py = python();
    assert!(
        py.exists(),
        "no Selenium at {}: run scripts/ensure-tools.sh browser (scripts/test does)",
        py.display()
    );
    // The rate fixture doubles as the shop the payer returns to.
    let shop = RateFixture::start(Prices::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &shop.url,
        &format!(
            "[checkout]\nallowed_redirect_origins = [\"{}\"]\n[invoices]\nmin_expiry_secs = 1\n",
            shop.url
        ),
    );
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let mut inv = d.invoices().await;
    let success = format!("{}/thanks?order=42", shop.url);

    let refused = inv
        .create_invoice(proto::CreateInvoiceRequest {
            product_id: "dazbox".into(),
            success_url: "https://evil.example/".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(crate::harness::reason(&refused), "SUCCESS_URL_NOT_ALLOWED");

    let i = inv
        .create_invoice(proto::CreateInvoiceRequest {
            product_id: "dazbox".into(),
            success_url: success.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        i.checkout_url.starts_with("http://127.0.0.1:") && i.checkout_url.ends_with(&i.id),
        "{}",
        i.checkout_url
    );
    let base = i.checkout_url.trim_end_matches(&format!("/pay/{}", i.id));

    let mut short = proto::CreateInvoiceRequest {
        product_id: "dazbox".into(),
        expiry_seconds: 1,
        ..Default::default()
    };
    short.idempotency_key = "short".into();
    let expired = inv.create_invoice(short).await.unwrap().into_inner();
    let expired = d.wait_invoice(&expired.id, 10).await;
    assert_eq!(expired.status, proto::InvoiceStatus::Expired as i32);

    // Headers, and what is not reachable.
    let page = reqwest::get(&i.checkout_url).await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let unknown = format!("{base}/pay/inv_{}", "0".repeat(32));
    for url in [
        unknown.clone(),
        format!("{base}/"),
        format!("{base}/pay/"),
        format!("{base}/pay/{}/../", i.id),
        format!("{base}/pay/{}x", i.id),
        format!("{base}/metrics"),
    ] {
        let r = reqwest::get(&url).await.unwrap();
        assert_eq!(r.status(), 404, "{url}");
        assert!(r.headers().contains_key("content-security-policy"));
        assert_eq!(r.text().await.unwrap(), "Not found\n", "{url}");
    }

    let mut browser = tokio::process::Command::new(&py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/checkout/browser.py"
        ))
        .args([&i.checkout_url, &i.lightning_uri, &success])
        .arg(&expired.checkout_url)
        .arg(&unknown)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the browser driver");
    let mut stdin = browser.stdin.take().unwrap();
    let mut lines = BufReader::new(browser.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(90), lines.next_line())
        .await
        .expect("the browser opened the page within 90 s")
        .unwrap()
        .unwrap_or_default();
    assert_eq!(first, "QR_OK", "the browser driver said: {first}");

    d.admin()
        .await
        .simulate_payment(proto::SimulatePaymentRequest {
            id: i.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    stdin.write_all(b"paid\n").await.unwrap();
    stdin.flush().await.unwrap();
    let last = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the browser driver finished")
        .unwrap()
        .unwrap_or_default();
    assert_eq!(last, "OK", "the browser driver said: {last}");
    assert!(browser.wait().await.unwrap().success());
}
