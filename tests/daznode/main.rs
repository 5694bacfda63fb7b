//! lnpayd against a real LNbits 1.6.2 (FakeWallet) as its only provider,
//! DazNode, started without --dev, one test per scenario: create
//! (description, description hash, custom expiry), pay from a second wallet,
//! a forged websocket message, the websocket cut while a payment happens,
//! cancel then pay, a frame held back, a wrong API key, DazNode's webhook
//! (`webhook.rs`); and at the end of
//! each, a prompt shutdown with no key in the log. One LNbits serves them
//! all, side by side, each with an lnpayd and a proxy of its own; a second
//! LNbits, with tight limits, serves the two scenarios about those limits,
//! one after the other.
//!
//! Here: the set-up every scenario shares. `create.rs`: the creates;
//! `payments.rs`: payments and the websocket; `refusals.rs`: a wrong key and
//! LNbits' own limits; `webhook.rs`: DazNode's webhook.

use std::time::{Duration, Instant};

use lnpayd::proto;

use testkit::daemon::Daemon;
use testkit::lnbits::LnBits;
use testkit::proxy::Proxy;
use testkit::shared::Shared;

mod create;
mod payments;
mod refusals;
mod webhook;

static LNBITS: Shared<LnBits> = Shared::new(LnBits::start);

fn daz_env(url: &str, key: &str) -> Vec<(String, String)> {
    vec![
        ("LNPAYD_DAZNODE__URL".into(), url.into()),
        ("LNPAYD_DAZNODE__API_KEY".into(), key.into()),
        ("LNPAYD_DAZNODE__NETWORK".into(), "bitcoin".into()),
        ("LNPAYD_DAZNODE__TIMEOUT_SECS".into(), "5".into()),
        ("LNPAYD_DAZNODE__RECONNECT_MAX_SECS".into(), "2".into()),
        (
            "LNPAYD_FAILOVER__HEALTH_CHECK_INTERVAL_MS".into(),
            "500".into(),
        ),
        ("LNPAYD_INVOICES__MIN_EXPIRY_SECS".into(), "1".into()),
    ]
}

async fn wait_status_until(
    d: &Daemon,
    what: &str,
    f: impl Fn(&proto::ProviderStatus) -> bool,
) -> proto::ProviderStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = d.provider_status("daznode").await;
        if f(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "never {what}: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_connection(d: &Daemon, prefix: &str) -> proto::ProviderStatus {
    wait_status_until(d, &format!("websocket {prefix:?}"), |s| {
        s.connection.starts_with(prefix)
    })
    .await
}

async fn create(d: &Daemon, req: proto::CreateInvoiceRequest) -> proto::Invoice {
    d.invoices()
        .await
        .create_invoice(req)
        .await
        .unwrap()
        .into_inner()
}

/// One scenario's lnpayd on the merchant wallet, through a proxy of its own.
struct Merchant {
    d: Daemon,
    proxy: Proxy,
    _dir: tempfile::TempDir,
}

impl Merchant {
    /// Started, its websocket connected and DazNode online.
    async fn start(lnb: &LnBits) -> Merchant {
        Self::start_with(lnb, &[]).await
    }

    /// [`Merchant::start`] with more environment.
    async fn start_with(lnb: &LnBits, extra: &[(String, String)]) -> Merchant {
        let key = lnb.merchant.inkey.clone();
        let proxy = Proxy::start(lnb.host_port());
        let dir = tempfile::tempdir().unwrap();
        let proxied_url = format!("http://127.0.0.1:{}", proxy.port);
        let t = Instant::now();
        let mut env = daz_env(&proxied_url, &key);
        env.extend_from_slice(extra);
        let d = Daemon::start_env(dir.path(), &env);
        let s = wait_connection(&d, "connected").await;
        eprintln!("lnpayd ready and websocket connected in {:?}", t.elapsed());
        let s = if s.online {
            s
        } else {
            wait_status_until(&d, "online", |s| s.online).await
        };
        assert_eq!(
            s.details.get("wallet").map(String::as_str),
            Some("merchant"),
            "{s:?}"
        );
        assert!(s.details.contains_key("balance_msat"), "{s:?}");
        Merchant {
            d,
            proxy,
            _dir: dir,
        }
    }

    /// Every scenario ends here: shutdown is prompt; the key never reached
    /// the log.
    fn shut_down(mut self, lnb: &LnBits) {
        let d = &mut self.d;
        let t = Instant::now();
        let status = d.terminate();
        eprintln!("SIGTERM → exit: {:?} ({status:?})", t.elapsed());
        assert!(status.success(), "{status:?}");
        assert!(t.elapsed() < Duration::from_secs(5));
        let log = d.log_text();
        assert!(log.contains("DEBUG"), "the log is not at debug level");
        assert!(
            !log.contains(&lnb.merchant.inkey),
            "the API key is in lnpayd's log"
        );
        assert!(!log.contains(&lnb.merchant.adminkey));
    }
}
