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

use std::str::FromStr;
use std::time::{Duration, Instant};

use lightning_invoice::SignedRawBolt11Invoice;
use lnpayd::proto::{self, create_invoice_request, EventType, InvoiceStatus};
use sha2::Digest;
use tokio_stream::StreamExt;

use testkit::daemon::{create_req, reason, Daemon};
use testkit::lnbits::LnBits;
use testkit::proxy::Proxy;
use testkit::shared::Shared;

mod webhook;

static LNBITS: Shared<LnBits> = Shared::new(LnBits::start);

/// LNbits with tight limits of its own: 4 requests a second per address and
/// at most 20,000,000 sat per invoice (the fixture funds its payer with 10M).
static LIMITED_LNBITS: Shared<LnBits> = Shared::new(|| {
    LnBits::start_with(&[
        "LNBITS_RATE_LIMIT_NO=4",
        "LNBITS_RATE_LIMIT_UNIT=second",
        "LNBITS_MAX_INCOMING_PAYMENT_AMOUNT_SATS=20000000",
    ])
});

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

/// What a BOLT11 says, read from the signed raw invoice: LNbits' FakeWallet
/// sets a payment secret without the feature bits, which `Bolt11Invoice`
/// refuses.
#[derive(Debug)]
struct Decoded {
    amount_msat: Option<u64>,
    expiry_secs: u64,
    description: Option<String>,
    description_hash: Option<String>,
    payment_hash: String,
}

fn decode(bolt11: &str) -> Decoded {
    let signed = SignedRawBolt11Invoice::from_str(bolt11).unwrap();
    assert!(signed.recover_payee_pub_key().is_ok() && signed.check_signature());
    let raw = signed.raw_invoice();
    Decoded {
        amount_msat: raw.amount_pico_btc().map(|p| p / 10),
        expiry_secs: raw.expiry_time().map_or(3600, |e| e.as_seconds()),
        description: raw.description().map(|d| d.as_inner().0.clone()),
        description_hash: raw
            .description_hash()
            .map(|h| hex::encode(h.0.as_ref() as &[u8])),
        payment_hash: hex::encode(raw.payment_hash().unwrap().0.as_ref() as &[u8]),
    }
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

/// Create: description, BOLT11 as requested.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_with_description() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let desc = "café ☕ — lnpayd × DazNode";
    let t = Instant::now();
    let inv = create(d, create_req(2100, desc)).await;
    eprintln!("create through lnpayd: {:?}", t.elapsed());
    assert_eq!(inv.provider, "daznode");
    assert!(
        inv.payment_request.starts_with("lnbc21u1"),
        "{}",
        inv.payment_request
    );
    assert_eq!(inv.status(), InvoiceStatus::Pending);
    let b = decode(&inv.payment_request);
    assert_eq!(b.amount_msat, Some(2_100_000));
    assert_eq!(b.expiry_secs, 3600);
    assert_eq!(b.description.as_deref(), Some(desc));
    assert_eq!(b.payment_hash, inv.payment_hash);
    let at_lnbits = lnb.merchant_payment(&inv.payment_hash).await;
    assert_eq!(at_lnbits["paid"], false, "{at_lnbits}");

    // The id (UUIDv7) is chosen before LNbits is asked, which takes
    // milliseconds; its timestamp is the creation-time index key, so
    // created_at must be that same instant or a created_before filter at
    // an invoice's own created_at would list the invoice itself.
    let created = inv.created_at.unwrap();
    let created_ms = created.seconds as u64 * 1000 + created.nanos as u64 / 1_000_000;
    let id_ms = u64::from_str_radix(&inv.id["inv_".len().."inv_".len() + 12], 16).unwrap();
    assert_eq!(id_ms, created_ms, "{}", inv.id);
    let before = d
        .invoices()
        .await
        .list_invoices(proto::ListInvoicesRequest {
            created_before: inv.created_at,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        before.invoices.iter().all(|i| i.id != inv.id),
        "created_before is exclusive"
    );

    m.shut_down(&lnb);
}

/// Create: description hash and a custom expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_with_description_hash_and_custom_expiry() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let hash: [u8; 32] = sha2::Sha256::digest(b"a long description kept elsewhere").into();
    let req = proto::CreateInvoiceRequest {
        amount: Some(create_invoice_request::Amount::AmountMsat(21_000)),
        memo: Some(create_invoice_request::Memo::DescriptionHash(hash.to_vec())),
        expiry_seconds: 120,
        ..Default::default()
    };
    let inv = create(d, req).await;
    assert_eq!(inv.provider, "daznode");
    assert_eq!(inv.description_hash, hex::encode(hash));
    let b = decode(&inv.payment_request);
    assert_eq!(b.amount_msat, Some(21_000));
    assert_eq!(b.expiry_secs, 120);
    assert_eq!(b.description, None);
    assert_eq!(b.description_hash, Some(hex::encode(hash)));
    // lnpayd's expiry is the BOLT11's: 120 s after the invoice's timestamp.
    let lifetime = inv.expires_at.unwrap().seconds - inv.created_at.unwrap().seconds;
    assert!((118..=121).contains(&lifetime), "{lifetime}");

    m.shut_down(&lnb);
}

/// Create: an amount in msat that is not whole sats is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_with_msat_not_whole_sats_refused() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let req = proto::CreateInvoiceRequest {
        amount: Some(create_invoice_request::Amount::AmountMsat(1_500)),
        memo: Some(create_invoice_request::Memo::Description("msat".into())),
        ..Default::default()
    };
    let err = d.invoices().await.create_invoice(req).await.unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("whole"), "{text}");

    m.shut_down(&lnb);
}

/// Pay from the payer wallet: PAID event and WaitInvoice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_from_the_payer_wallet_event_and_wait_invoice() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let mut client = d.invoices().await;
    let mut events = client
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: d.last_sequence().await,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let inv = create(d, create_req(777, "pay me")).await;
    let ev = events.next().await.unwrap().unwrap();
    assert_eq!(ev.r#type(), EventType::InvoiceCreated);
    let waiter = d.spawn_wait(&inv.id, 30).await;
    let t = Instant::now();
    lnb.pay(&inv.payment_request).await;
    let ev = tokio::time::timeout(Duration::from_secs(15), events.next())
        .await
        .expect("a PAID event within 15 s")
        .unwrap()
        .unwrap();
    eprintln!(
        "payment at LNbits → PAID event from lnpayd: {:?}",
        t.elapsed()
    );
    assert_eq!(ev.r#type(), EventType::InvoicePaid);
    assert_eq!(ev.invoice.as_ref().unwrap().id, inv.id);
    let paid = waiter.await.unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 777_000);
    assert!(!paid.paid_late);
    // LNbits sends the frame twice: still one PAID event.
    let more = tokio::time::timeout(Duration::from_millis(700), events.next()).await;
    assert!(more.is_err(), "a second event: {more:?}");

    m.shut_down(&lnb);
}

/// A forged websocket message marks nothing paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_websocket_message_marks_nothing_paid() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let inv = create(d, create_req(500, "forge target")).await;
    lnb.forge_paid_frame(&inv.payment_hash, &inv.payment_request, 500_000)
        .await;
    // lnpayd heard it, looked it up, and ignored it.
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let log = d.log_text();
            if log
                .lines()
                .any(|l| l.contains("forged or early frame") && l.contains(&inv.id))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(heard.is_ok(), "lnpayd never handled the forged frame");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let now = d.get_invoice(&inv.id).await;
    assert_eq!(now.status(), InvoiceStatus::Pending);
    assert_eq!(now.amount_received_msat, 0);
    // Garbage and unknown hashes are harmless too.
    lnb.inject_ws("not json at all").await;
    lnb.inject_ws(&format!(
        r#"{{"payment": {{"payment_hash": "{}"}}}}"#,
        "ab".repeat(32)
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        d.get_invoice(&inv.id).await.status(),
        InvoiceStatus::Pending
    );
    assert!(wait_connection(d, "connected").await.online);

    m.shut_down(&lnb);
}

/// Websocket cut while a payment happens: reconciled on reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn websocket_cut_during_payment_reconciled_on_reconnect() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let (d, proxy, key) = (&m.d, &m.proxy, &lnb.merchant.inkey);

    let inv = create(d, create_req(1234, "paid while cut")).await;
    proxy.cut();
    let s = wait_connection(d, "disconnected").await;
    eprintln!("while cut: connection {:?}", s.connection);
    assert!(!s.connection.contains(key));
    lnb.pay(&inv.payment_request).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        d.get_invoice(&inv.id).await.status(),
        InvoiceStatus::Pending
    );
    let t = Instant::now();
    proxy.restore();
    let paid = d.wait_invoice(&inv.id, 30).await;
    eprintln!("restore → PAID by reconcile: {:?}", t.elapsed());
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 1_234_000);
    wait_connection(d, "connected").await;
    assert!(
        d.log_text()
            .lines()
            .any(|l| l.contains("invoice paid") && l.contains(&inv.id) && l.contains("Reconcile")),
        "not settled by reconcile"
    );

    m.shut_down(&lnb);
}

/// Canceled in lnpayd, still payable at LNbits: PAID (late).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn canceled_then_paid_at_lnbits_is_paid_late() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let d = &m.d;

    let inv = create(d, create_req(300, "cancel me")).await;
    let canceled = d
        .invoices()
        .await
        .cancel_invoice(proto::CancelInvoiceRequest { id: inv.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(canceled.status(), InvoiceStatus::Canceled);
    lnb.pay(&inv.payment_request).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let late = loop {
        let now = d.get_invoice(&inv.id).await;
        if now.status() == InvoiceStatus::Paid {
            break now;
        }
        assert!(Instant::now() < deadline, "never PAID: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(late.paid_late);
    assert_eq!(late.amount_received_msat, 300_000);

    m.shut_down(&lnb);
}

/// A frame that never arrives on a healthy-looking websocket: found when
/// asked at expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn frame_never_arrives_found_at_expiry() {
    let lnb = LNBITS.read().await;
    let m = Merchant::start(&lnb).await;
    let (d, proxy) = (&m.d, &m.proxy);

    wait_connection(d, "connected").await;
    let mut req = create_req(700, "its frame is held back");
    req.expiry_seconds = 3;
    let inv = create(d, req).await;
    proxy.hold_websockets(true);
    lnb.pay(&inv.payment_request).await;
    let paid = d.wait_invoice(&inv.id, 30).await;
    proxy.hold_websockets(false);
    assert_eq!(paid.status(), InvoiceStatus::Paid, "{paid:?}");
    assert!(!paid.paid_late, "paid in time: {paid:?}");
    assert_eq!(paid.amount_received_msat, 700_000);
    // Found by the lookup at expiry, never EXPIRED on the way.
    let audit = d.audit_of(&inv.id).await;
    let changes: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.kind == "status_change")
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("paid", "settled via expiry_lookup"),
            ("created", "pending")
        ],
        "newest first"
    );
    assert!(wait_connection(d, "connected").await.online);

    m.shut_down(&lnb);
}

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
