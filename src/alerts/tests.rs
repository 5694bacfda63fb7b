use super::*;
use crate::providers::ConnectionState;

fn report(
    online: bool,
    circuit: CircuitState,
    latency: u64,
    connection: Option<&str>,
) -> ProviderReport {
    ProviderReport {
        name: "lnd",
        online,
        circuit,
        connection: connection.map(|c| match c.strip_prefix("disconnected: ") {
            Some(cause) => ConnectionState::Disconnected {
                cause: cause.into(),
            },
            None if c == "connected" => ConnectionState::Connected,
            None => ConnectionState::Connecting,
        }),
        last_latency_ms: latency,
        p50_ms: 0,
        p95_ms: 0,
        last_check_at_ms: None,
        last_error: (!online).then(|| "unreachable".into()),
        details: vec![],
    }
}

fn cfg() -> AlertsConfig {
    AlertsConfig {
        provider_down_secs: 300,
        stream_down_secs: 60,
        ..AlertsConfig::default()
    }
}

fn names(alerts: &[Alert]) -> Vec<(&'static str, &'static str)> {
    alerts
        .iter()
        .map(|a| (a.alert.as_str(), a.state.as_str()))
        .collect()
}

#[test]
fn each_condition_raises_once_and_clears_once() {
    let mut e = Evaluator::new(cfg());
    let t0 = Instant::now();
    let healthy = report(true, CircuitState::Closed, 5, Some("connected"));
    assert!(e.evaluate(std::slice::from_ref(&healthy), t0).is_empty());

    let down = report(
        false,
        CircuitState::Open,
        12_000,
        Some("disconnected: refused"),
    );
    assert_eq!(
        names(&e.evaluate(std::slice::from_ref(&down), t0)),
        vec![("provider_failing", "raised"), ("slow_call", "raised")]
    );
    // Nothing new while the conditions just hold.
    assert!(e
        .evaluate(std::slice::from_ref(&down), t0 + Duration::from_secs(59))
        .is_empty());
    assert_eq!(
        names(&e.evaluate(std::slice::from_ref(&down), t0 + Duration::from_secs(61))),
        vec![("stream_down", "raised")]
    );
    assert_eq!(
        names(&e.evaluate(std::slice::from_ref(&down), t0 + Duration::from_secs(301))),
        vec![("provider_down", "raised")]
    );
    assert!(e
        .evaluate(&[down], t0 + Duration::from_secs(400))
        .is_empty());

    let cleared = e.evaluate(&[healthy], t0 + Duration::from_secs(401));
    assert_eq!(cleared.len(), 4);
    assert!(cleared
        .iter()
        .all(|a| a.state == AlertState::Cleared && a.text.contains("cleared")));
}

#[test]
fn webhook_json_names_alerts_as_before() {
    let a = Alert {
        alert: AlertName::ProviderDown,
        provider: "lnd".into(),
        state: AlertState::Raised,
        detail: String::new(),
        text: String::new(),
    };
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(
        (json["alert"].as_str(), json["state"].as_str()),
        (Some("provider_down"), Some("raised"))
    );
    for n in [
        AlertName::ProviderFailing,
        AlertName::SlowCall,
        AlertName::ProviderDown,
        AlertName::StreamDown,
    ] {
        assert_eq!(serde_json::to_value(n).unwrap(), n.as_str());
    }
}

#[test]
fn a_short_outage_raises_no_down_alert() {
    let mut e = Evaluator::new(cfg());
    let t0 = Instant::now();
    let offline = report(false, CircuitState::Closed, 5, None);
    assert!(e.evaluate(&[offline], t0).is_empty());
    assert!(e
        .evaluate(
            &[report(true, CircuitState::Closed, 5, None)],
            t0 + Duration::from_secs(200)
        )
        .is_empty());
    // The clock restarts after recovery.
    let offline = report(false, CircuitState::Closed, 5, None);
    assert!(e
        .evaluate(&[offline], t0 + Duration::from_secs(400))
        .is_empty());
}
