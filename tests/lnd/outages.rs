//! Alice away or unreachable: her restart with an invoice outstanding, the
//! connection dropped during a payment, and a wrong macaroon, certificate or
//! port.

use std::time::{Duration, Instant};

use lnpayd::proto::InvoiceStatus;

use super::{lnd_env, wait_stream, Lnpayd, NET};
use testkit::daemon::{blocking, create_req, reason, Daemon};
use testkit::lnd::Exclusive;

/// Alice's LND restarts with an invoice outstanding, paid as soon as it is
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(external_lnd, ignore = "restarts alice: needs a local lnd")]
async fn alice_restarts_with_an_invoice_outstanding() {
    let mut net = Exclusive::of(&NET).await;
    let l = Lnpayd::start(&net).await;
    let d = &l.d;

    let created = d.create(4000, "restart").await;
    blocking(|| net.stop_alice());
    wait_stream(d, "disconnected").await;
    blocking(|| net.start_alice());
    blocking(|| net.bob_pays(&created.payment_request)).unwrap();
    let paid = d.wait_invoice(&created.id, 60).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    wait_stream(d, "connected").await;
    // Down for seconds against a 1 s threshold: raised, then cleared.
    let alert_lines = |state: &str| {
        d.log_text()
            .lines()
            .filter(|l| l.contains("alert=\"stream_down\"") && l.contains(state))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while alert_lines("cleared") == 0 {
        assert!(Instant::now() < deadline, "stream_down was never cleared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(alert_lines("raised") >= 1, "stream_down was never raised");
}

/// The connection to LND drops; a payment made meanwhile settles after
/// reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connection_drops_payment_settles_after_reconnect() {
    let net = NET.read().await;
    let Lnpayd {
        d,
        proxy,
        dir: _dir,
        env: _,
    } = Lnpayd::start(&net).await;

    wait_stream(&d, "connected").await;
    let created = d.create(5000, "cut").await;
    proxy.cut();
    wait_stream(&d, "disconnected").await;
    blocking(|| net.bob_pays(&created.payment_request)).unwrap();
    assert_eq!(
        d.get_invoice(&created.id).await.status(),
        InvoiceStatus::Pending,
        "settled while cut off?"
    );
    proxy.restore();
    let paid = d.wait_invoice(&created.id, 60).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 5_000_000);
}

/// Wrong macaroon, wrong certificate, unreachable node: named, no crash, no
/// hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_macaroon_certificate_or_unreachable_node() {
    let net = NET.read().await;

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port = net.alice.rpc_port;
    let cases = [
        (
            "macaroon",
            lnd_env(port, &net.bob.macaroon("invoice"), &net.alice.tls_cert()),
        ),
        (
            "certificate",
            lnd_env(port, &net.alice.macaroon("invoice"), &net.bob.tls_cert()),
        ),
        (
            "unreachable",
            lnd_env(
                closed_port,
                &net.alice.macaroon("invoice"),
                &net.alice.tls_cert(),
            ),
        ),
    ];
    for (cause, env) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut d = Daemon::start_env(dir.path(), &env);
        let s = d.provider_status("lnd").await;
        assert!(!s.online, "{cause}: {s:?}");
        assert!(
            s.last_error.to_lowercase().contains(cause),
            "{cause}: {}",
            s.last_error
        );
        let t = Instant::now();
        let err = d
            .invoices()
            .await
            .create_invoice(create_req(1, "x"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unavailable, "{cause}: {err:?}");
        assert_eq!(reason(&err), "PROVIDERS_UNAVAILABLE");
        assert!(err.message().contains("no provider") || !err.metadata().is_empty());
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "{cause}: create took {:?}",
            t.elapsed()
        );
        assert!(d.is_running(), "{cause}: lnpayd exited");
        assert!(
            d.log_text().to_lowercase().contains(cause),
            "{cause}: not in the log"
        );
    }
}
