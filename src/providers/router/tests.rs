//! The router against scriptable providers: order, retry, the breaker, and
//! the cancel, lookup and health paths.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::domain::Memo;
use crate::health::serving;
use crate::providers::fake::{FakeProvider, Op};

fn cfg() -> FailoverConfig {
    FailoverConfig {
        attempt_timeout_ms: 200,
        max_retries: 1,
        retry_delay_ms: 1,
        breaker_failures: 2,
        breaker_window: 3,
        breaker_cooldown_secs: 1,
        ..FailoverConfig::default()
    }
}

fn router(providers: &[&Arc<FakeProvider>]) -> Router {
    let list = providers
        .iter()
        .map(|p| (*p).clone() as DynProvider)
        .collect();
    Router::new(list, cfg())
}

fn req() -> InvoiceRequest {
    InvoiceRequest {
        invoice_id: "inv_test".into(),
        amount_msat: 1000,
        memo: Memo::Description("x".into()),
        expiry_secs: 60,
        preimage: None,
    }
}

fn down() -> ProviderError {
    ProviderError::Unavailable("refused".into())
}

fn circuit(r: &Router, name: &str) -> CircuitState {
    r.reports()
        .into_iter()
        .find(|p| p.name == name)
        .expect("known provider")
        .circuit
}

#[tokio::test]
async fn the_first_provider_serves_while_it_answers() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    let r = router(&[&a, &b]);
    let (result, attempts) = r.create(&req()).await;
    assert_eq!(result.unwrap().0.name(), "a");
    assert_eq!(attempts.len(), 1);
    assert_eq!((a.calls(Op::Create), b.calls(Op::Create)), (1, 0));
}

#[tokio::test]
async fn a_transient_error_is_retried_then_the_next_provider_serves() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    a.script(Op::Create, [Err(down()), Err(down())]);
    let r = router(&[&a, &b]);
    let (result, attempts) = r.create(&req()).await;
    assert_eq!(result.unwrap().0.name(), "b");
    let tried: Vec<&str> = attempts.iter().map(|a| a.provider).collect();
    assert_eq!(tried, ["a", "a", "b"]);
    assert!(matches!(
        attempts[0].error,
        Some(ProviderError::Unavailable(_))
    ));
}

#[tokio::test]
async fn one_retry_can_succeed_on_the_same_provider() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    a.script(Op::Create, [Err(down())]);
    let r = router(&[&a, &b]);
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "a");
    assert_eq!((a.calls(Op::Create), b.calls(Op::Create)), (2, 0));
}

#[tokio::test]
async fn a_refusal_stops_and_refused_credentials_move_on() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    a.script(
        Op::Create,
        [Err(ProviderError::Rejected("too high".into()))],
    );
    let r = router(&[&a, &b]);
    let Err(errors) = r.create(&req()).await.0 else {
        panic!("a refusal is an error");
    };
    assert_eq!(errors.len(), 1);
    assert!(matches!(errors[0].1, ProviderError::Rejected(_)));
    assert_eq!(b.calls(Op::Create), 0);

    a.script(Op::Create, [Err(ProviderError::Unauthorized("key".into()))]);
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "b");
    // Not retried: a wrong key stays wrong.
    assert_eq!(a.calls(Op::Create), 2);
}

#[tokio::test]
async fn a_slow_provider_times_out_and_the_next_serves() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    a.set_delay(Duration::from_secs(5));
    let r = router(&[&a, &b]);
    let (result, attempts) = r.create(&req()).await;
    assert_eq!(result.unwrap().0.name(), "b");
    assert!(matches!(attempts[0].error, Some(ProviderError::Timeout(_))));
}

#[tokio::test]
async fn the_breaker_opens_skips_then_a_healthy_check_closes_it() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    a.script(Op::Create, [Err(down()), Err(down())]);
    let r = router(&[&a, &b]);
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "b");
    assert_eq!(circuit(&r, "a"), CircuitState::Open);

    // Open: a is not called at all.
    let (result, attempts) = r.create(&req()).await;
    assert_eq!(result.unwrap().0.name(), "b");
    assert_eq!(a.calls(Op::Create), 2);
    assert!(attempts.iter().all(|t| t.provider == "b"));
    assert_ne!(serving(&r.reports()), Some("a"));

    // A health check is the probe, cooldown or not.
    r.check_all().await;
    assert_eq!(circuit(&r, "a"), CircuitState::Closed);
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "a");
    assert_eq!(serving(&r.reports()), Some("a"));
}

#[tokio::test]
async fn a_failed_probe_keeps_the_circuit_open() {
    let a = FakeProvider::new("a");
    a.script(Op::Create, [Err(down()), Err(down())]);
    a.script(Op::Health, [Err(down())]);
    let r = router(&[&a]);
    assert!(r.create(&req()).await.0.is_err());
    r.check_all().await;
    assert_eq!(circuit(&r, "a"), CircuitState::Open);
    assert_eq!(a.answered(), 0);
    r.check_all().await;
    assert_eq!(circuit(&r, "a"), CircuitState::Closed);
    assert_eq!(a.answered(), 1, "its push half is told the node answers");
}

#[tokio::test]
async fn a_provider_with_its_push_connection_down_is_tried_last() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    a.set_connection(Some(ConnectionState::Disconnected {
        cause: "reset".into(),
    }));
    b.set_connection(Some(ConnectionState::Connected));
    let r = router(&[&a, &b]);
    r.check_all().await;
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "b");
    assert_eq!(serving(&r.reports()), Some("b"));
    // Still there when the other cannot serve.
    b.script(Op::Create, [Err(down()), Err(down())]);
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "a");
    // Connecting (start-up, or a reconnect under way) is not down.
    a.set_connection(Some(ConnectionState::Connecting));
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "a");
    assert_eq!(serving(&r.reports()), Some("a"));
}

#[tokio::test]
async fn a_provider_that_is_down_is_checked_every_second() {
    let a = FakeProvider::new("a");
    a.script(Op::Health, [Err(down())]);
    let r = Arc::new(Router::new(
        vec![a.clone() as DynProvider],
        FailoverConfig {
            health_check_interval_ms: 60_000,
            ..cfg()
        },
    ));
    r.check_all().await;
    let shutdown = CancellationToken::new();
    let checks = tokio::spawn(r.clone().run_health_checks(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(a.calls(Op::Health), 2, "down: checked again within 1 s");
    assert!(r.reports()[0].online);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        a.calls(Op::Health),
        2,
        "up: back to the configured interval"
    );
    shutdown.cancel();
    checks.await.unwrap();
}

#[tokio::test]
async fn a_provider_that_goes_down_between_two_rounds_is_watched_at_once() {
    let a = FakeProvider::new("a");
    a.set_connection(Some(ConnectionState::Connected));
    let r = Arc::new(Router::new(
        vec![a.clone() as DynProvider],
        FailoverConfig {
            health_check_interval_ms: 60_000,
            breaker_cooldown_secs: 60,
            ..cfg()
        },
    ));
    r.check_all().await;
    let answered = a.answered();
    let shutdown = CancellationToken::new();
    let checks = tokio::spawn(r.clone().run_health_checks(shutdown.clone()));
    // Down just after a round: its creates open the circuit, its push
    // connection drops. The next round is a minute away.
    a.script(Op::Create, [Err(down()), Err(down())]);
    a.set_connection(Some(ConnectionState::Disconnected {
        cause: "reset".into(),
    }));
    assert!(r.create(&req()).await.0.is_err());
    assert_eq!(circuit(&r, "a"), CircuitState::Open);
    // Back: within a second it is checked, its circuit closes with most of
    // the cooldown to go, and its push half is told.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(a.calls(Op::Health), 2, "watched within 1 s");
    assert_eq!(circuit(&r, "a"), CircuitState::Closed);
    assert_eq!(a.answered(), answered + 1);
    assert_eq!(r.create(&req()).await.0.unwrap().0.name(), "a");
    shutdown.cancel();
    checks.await.unwrap();
}

#[tokio::test]
async fn cancel_goes_through_the_timeout_the_breaker_and_the_stats() {
    let a = FakeProvider::new("a");
    let r = router(&[&a]);
    r.cancel("a", "00").await.unwrap();

    a.set_delay(Duration::from_secs(5));
    let e = r.cancel("a", "00").await.unwrap_err();
    assert!(matches!(e, ProviderError::Timeout(_)), "{e}");
    a.set_delay(Duration::ZERO);
    a.script(Op::Cancel, [Err(down())]);
    assert!(r.cancel("a", "00").await.is_err());
    // Two outages: the circuit is open, and the next cancel is not sent.
    assert_eq!(circuit(&r, "a"), CircuitState::Open);
    assert_eq!(r.cancel("a", "00").await, Err(ProviderError::CircuitOpen));
    assert_eq!(a.calls(Op::Cancel), 3);

    let calls = &r.history(0)[0].calls;
    let ops: Vec<(&str, Option<&str>)> =
        calls.iter().map(|c| (c.operation, c.error_kind)).collect();
    assert_eq!(
        ops,
        [
            ("cancel_invoice", None),
            ("cancel_invoice", Some("timeout")),
            ("cancel_invoice", Some("unavailable"))
        ]
    );
    assert!(matches!(
        r.cancel("nobody", "00").await,
        Err(ProviderError::Unavailable(_))
    ));
}

#[tokio::test]
async fn lookup_goes_through_the_router() {
    let a = FakeProvider::new("a");
    let paid = PaidReport {
        amount_msat: 7000,
        settled_at_ms: Some(5),
    };
    a.script(
        Op::Lookup,
        [
            Ok(Some(paid.clone())),
            Err(ProviderError::NotFound("x".into())),
        ],
    );
    let r = router(&[&a]);
    assert_eq!(r.lookup_paid("a", "00").await, Ok(Some(paid)));
    // Not found is an answer, not an outage.
    assert!(matches!(
        r.lookup_paid("a", "00").await,
        Err(ProviderError::NotFound(_))
    ));
    assert_eq!(r.lookup_paid("a", "00").await, Ok(None));
    assert_eq!(circuit(&r, "a"), CircuitState::Closed);
    a.set_delay(Duration::from_secs(5));
    assert!(matches!(
        r.lookup_paid("a", "00").await,
        Err(ProviderError::Timeout(_))
    ));
    let ops: Vec<&str> = r.history(0)[0].calls.iter().map(|c| c.operation).collect();
    assert_eq!(ops, ["lookup_paid"; 4]);
}

#[tokio::test]
async fn health_checks_are_bounded_and_recorded() {
    let (a, b) = (FakeProvider::new("a"), FakeProvider::new("b"));
    a.set_delay(Duration::from_secs(5));
    b.set_connection(Some(ConnectionState::Connected));
    let r = router(&[&a, &b]);
    let started = std::time::Instant::now();
    r.check_all().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let reports = r.reports();
    assert!(!reports[0].online);
    assert!(reports[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("timed out"));
    assert!(reports[1].online);
    assert_eq!(reports[1].connection, Some(ConnectionState::Connected));
    let history = r.history(0);
    assert_eq!(history[0].checks.len(), 1);
    assert_eq!(history[1].checks, [(history[1].checks[0].0, true)]);
}
