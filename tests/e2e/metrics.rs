//! /metrics, read by the Prometheus project's own OpenMetrics parser.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use lnpayd::proto;
use serde_json::Value;

use crate::harness::{create_req, Daemon};

/// A sample: its name, labels and value.
type Sample = (String, HashMap<String, String>, f64);
/// Family name -> (type, samples).
type Families = HashMap<String, (String, Vec<Sample>)>;

/// Parses an exposition with prometheus_client's parser: family name ->
/// (type, samples as (name, labels, value)).
fn parse(text: &str) -> Families {
    let py = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/py-venv/bin/python");
    assert!(
        py.exists(),
        "no parser at {}: run scripts/ensure-tools.sh promparser (scripts/test does)",
        py.display()
    );
    let script = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    out[f.name] = [f.type, [[s.name, s.labels, s.value] for s in f.samples]]
print(json.dumps(out))
"#;
    let mut child = Command::new(py)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser rejected the exposition: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let samples = v[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let labels = s[1]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect();
                    (
                        s[0].as_str().unwrap().to_string(),
                        labels,
                        s[2].as_f64().unwrap(),
                    )
                })
                .collect();
            (k.clone(), (v[0].as_str().unwrap().to_string(), samples))
        })
        .collect()
}

fn value(m: &Families, sample: &str, labels: &[(&str, &str)]) -> f64 {
    let family = m.values().flat_map(|(_, s)| s).find(|(name, l, _)| {
        name == sample
            && labels
                .iter()
                .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
    });
    family
        .unwrap_or_else(|| panic!("no sample {sample} {labels:?}"))
        .2
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_and_count_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            inv.create_invoice(create_req(10 + i, "metered"))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    admin
        .simulate_payment(proto::SimulatePaymentRequest {
            id: ids[0].clone(),
            amount_msat: 0,
        })
        .await
        .unwrap();
    inv.cancel_invoice(proto::CancelInvoiceRequest { id: ids[1].clone() })
        .await
        .unwrap();
    let _stream = inv
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();

    let url = format!(
        "http://{}/metrics",
        d.metrics
            .as_ref()
            .expect("metrics address in the ready line")
    );
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let m = parse(&resp.text().await.unwrap());

    assert_eq!(m["lnpayd_invoices"].0, "counter");
    assert_eq!(
        value(
            &m,
            "lnpayd_invoices_total",
            &[("provider", "dev"), ("event", "created")]
        ),
        3.0
    );
    assert_eq!(
        value(&m, "lnpayd_invoices_total", &[("event", "paid")]),
        1.0
    );
    assert_eq!(
        value(&m, "lnpayd_invoices_total", &[("event", "canceled")]),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "lnpayd_settlements_total",
            &[("provider", "dev"), ("path", "simulated")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "lnpayd_provider_requests_total",
            &[
                ("provider", "dev"),
                ("operation", "create_invoice"),
                ("outcome", "ok")
            ]
        ),
        3.0
    );
    assert_eq!(m["lnpayd_provider_request_duration_seconds"].0, "histogram");
    assert_eq!(
        value(
            &m,
            "lnpayd_provider_request_duration_seconds_count",
            &[("provider", "dev"), ("operation", "create_invoice")]
        ),
        3.0
    );
    assert_eq!(value(&m, "lnpayd_event_subscribers", &[]), 1.0);
    assert_eq!(
        value(&m, "lnpayd_provider_circuit_state", &[("provider", "dev")]),
        0.0
    );
    assert_eq!(value(&m, "lnpayd_provider_up", &[("provider", "dev")]), 1.0);
    assert!(value(&m, "lnpayd_store_size_bytes", &[]) > 0.0);
    // Every acknowledged write waited for one: at least one flush per create.
    assert!(value(&m, "lnpayd_store_flush_duration_seconds_count", &[]) >= 3.0);
    assert!(value(&m, "lnpayd_store_flush_duration_seconds_sum", &[]) > 0.0);
    assert_eq!(value(&m, "lnpayd_last_event_sequence", &[]), 5.0); // 3 created, 1 paid, 1 canceled
    assert_eq!(
        value(
            &m,
            "lnpayd_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );

    let missing = reqwest::get(format!("http://{}/nope", d.metrics.as_ref().unwrap()))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
