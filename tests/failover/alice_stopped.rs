//! The scenarios that stop alice, taking the network for themselves: 2
//! (DazNode serves, paid through the websocket) and 4 with 6 (LND back, and
//! the circuit states on the way).

use std::time::{Duration, Instant};

use lnpayd::proto::{self, EventType, InvoiceStatus, OverallHealth};
use tokio_stream::StreamExt;

use super::faults::CircuitLog;
use super::{create, provider, providers_stopping_alice, wait_for, wait_log_line, Lnpayd};
use testkit::daemon::blocking;

/// 2. LND stopped: DazNode serves; paid from the payer wallet → PAID event
/// and WaitInvoice. Alice runs again when the scenario ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(external_lnd, ignore = "stops alice: needs a local lnd")]
async fn lnd_stopped_daznode_serves_paid_through_websocket() {
    let (mut net, lnb) = providers_stopping_alice().await;
    let l = Lnpayd::start(&net, &lnb);
    let d = &l.d;
    l.both_up().await;

    blocking(|| net.stop_alice());
    // Right away, maybe before the circuit opened: LND fails, DazNode serves.
    let t = Instant::now();
    let first = create(d, 2200, "LND just went down").await.unwrap();
    eprintln!(
        "create right after alice stopped: {:?} by {}",
        t.elapsed(),
        first.provider
    );
    assert_eq!(first.provider, "daznode");
    assert!(
        first.payment_request.starts_with("lnbc22u1"),
        "{}",
        first.payment_request
    );
    let s = wait_for(d, "lnd's circuit open", Duration::from_secs(30), |s| {
        provider(s, "lnd").circuit == "open"
    })
    .await;
    let lnd = provider(&s, "lnd");
    assert!(!lnd.online, "{lnd:?}");
    assert!(!lnd.last_error.is_empty(), "{lnd:?}");
    eprintln!("lnd while down: last_error {:?}", lnd.last_error);
    assert_eq!(s.serving_provider, "daznode");
    assert_eq!(s.health(), OverallHealth::Degraded);

    let mut client = d.invoices().await;
    let mut events = client
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: s.last_event_sequence,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let t = Instant::now();
    let inv = create(d, 777, "paid through the websocket").await.unwrap();
    eprintln!("create with lnd's circuit open: {:?}", t.elapsed());
    assert_eq!(inv.provider, "daznode");
    let ev = events.next().await.unwrap().unwrap();
    assert_eq!(ev.r#type(), EventType::InvoiceCreated);
    assert_eq!(ev.invoice.as_ref().unwrap().id, inv.id);
    let waiter = d.spawn_wait(&inv.id, 30).await;
    let t = Instant::now();
    lnb.pay(&inv.payment_request).await;
    let ev = tokio::time::timeout(Duration::from_secs(15), events.next())
        .await
        .expect("a PAID event within 15 s")
        .unwrap()
        .unwrap();
    eprintln!("LNbits payment → PAID event: {:?}", t.elapsed());
    assert_eq!(ev.r#type(), EventType::InvoicePaid);
    assert_eq!(ev.invoice.as_ref().unwrap().id, inv.id);
    let paid = waiter.await.unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 777_000);
    assert_eq!(paid.provider, "daznode");
    wait_log_line(
        d,
        "settled through the websocket",
        &["invoice paid", &inv.id, "Stream"],
    )
    .await;

    l.finish(&net, &lnb);
}

/// 4. LND back: new invoices go to LND again; the outage's DazNode invoice
/// settles. 6. The circuit breaker's transitions GetStatus showed on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(external_lnd, ignore = "stops and restarts alice: needs a local lnd")]
async fn lnd_back_serves_again_outage_invoice_settles() {
    let (mut net, lnb) = providers_stopping_alice().await;
    let l = Lnpayd::start(&net, &lnb);
    let d = &l.d;
    l.both_up().await;
    let circuits = CircuitLog::start(d.admin().await, Duration::from_millis(25));

    // The outage: alice stops, DazNode takes an invoice.
    blocking(|| net.stop_alice());
    wait_for(d, "lnd's circuit open", Duration::from_secs(30), |s| {
        provider(s, "lnd").circuit == "open"
    })
    .await;
    let outage = create(d, 3300, "created while LND is down").await.unwrap();
    assert_eq!(outage.provider, "daznode");

    let t = Instant::now();
    blocking(|| net.start_alice());
    eprintln!("alice back and payable in {:?}", t.elapsed());
    let t = Instant::now();
    let s = wait_for(
        d,
        "lnd online with a closed circuit, serving",
        Duration::from_secs(60),
        |s| {
            let l = provider(s, "lnd");
            l.online && l.circuit == "closed" && s.serving_provider == "lnd"
        },
    )
    .await;
    eprintln!(
        "alice payable → lnpayd serving lnd again: {:?}",
        t.elapsed()
    );
    assert_eq!(s.health(), OverallHealth::Healthy);
    let inv = create(d, 4400, "LND is back").await.unwrap();
    assert_eq!(inv.provider, "lnd");
    blocking(|| net.bob_pays(&inv.payment_request)).unwrap();
    let paid = d.wait_invoice(&inv.id, 60).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 4_400_000);

    assert_eq!(
        d.get_invoice(&outage.id).await.status(),
        InvoiceStatus::Pending
    );
    lnb.pay(&outage.payment_request).await;
    let paid = d.wait_invoice(&outage.id, 30).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.provider, "daznode");
    assert_eq!(paid.amount_received_msat, 3_300_000);

    // 6. The breaker's moves, as GetStatus showed them.
    let lnd_states = circuits.states("lnd");
    let lnd_sequence = circuits.describe("lnd");
    let daz_sequence = circuits.describe("daznode");
    circuits.stop().await;
    eprintln!("lnd circuit: {lnd_sequence}");
    eprintln!("daznode circuit: {daz_sequence}");
    assert_eq!(
        lnd_states.first().map(String::as_str),
        Some("closed"),
        "{lnd_sequence}"
    );
    let open = lnd_states
        .iter()
        .position(|c| c == "open")
        .unwrap_or_else(|| panic!("lnd's circuit never open: {lnd_sequence}"));
    assert!(
        lnd_states[open..]
            .iter()
            .any(|c| c == "half_open" || c == "closed"),
        "{lnd_sequence}"
    );
    assert_eq!(
        lnd_states.last().map(String::as_str),
        Some("closed"),
        "{lnd_sequence}"
    );
    // Only the breaker's moves (open → closed when a poll missed half_open).
    for w in lnd_states.windows(2) {
        assert!(
            matches!(
                (w[0].as_str(), w[1].as_str()),
                ("closed", "open")
                    | ("open", "half_open")
                    | ("open", "closed")
                    | ("half_open", "open")
                    | ("half_open", "closed")
            ),
            "{} → {} in {lnd_sequence}",
            w[0],
            w[1]
        );
    }
    let log = d.log_text();
    for state in ["open", "closed"] {
        assert!(
            log.lines()
                .any(|l| l.contains("circuit breaker changed state")
                    && l.contains("lnd")
                    && l.contains(&format!("\"{state}\""))),
            "no log line for lnd's circuit {state}"
        );
    }

    l.finish(&net, &lnb);
}
