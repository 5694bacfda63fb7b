//! The Admin commands that read: status, provider-metrics, audit, products.

use crate::{s, start};

#[test]
fn status_metrics_audit_and_products() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, cli) = start(dir.path());
    let inv = cli.json(&["create", "--amount-sat", "21", "--description", "audit me"]);
    let id = s(&inv["id"]);

    let status = cli.json(&["status"]);
    assert_eq!(status["dev_mode"], true);
    assert_eq!(status["serving_provider"], "dev");
    assert_eq!(status["last_event_sequence"], 1);
    assert_eq!(status["store"]["state"], "STORE_STATE_OK");
    let table = cli.run(&["status", "--format", "table"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("store.state"), "{}", table.stdout);
    assert!(table.stdout.contains("providers (1):"), "{}", table.stdout);

    let metrics = cli.json(&["provider-metrics", "--window-seconds", "3600"]);
    assert_eq!(metrics["window_seconds"], 3600);
    let dev = &metrics["providers"][0];
    assert_eq!(dev["name"], "dev");
    assert!(dev["calls"].as_u64().unwrap() >= 1, "{metrics}");

    let audit = cli.json(&["audit", "--invoice-id", id, "--page-size", "10"]);
    let entries = audit["entries"].as_array().unwrap();
    assert!(!entries.is_empty(), "{audit}");
    assert!(entries.iter().all(|e| e["invoice_id"] == id), "{audit}");
    assert!(
        entries.iter().any(|e| e["action"] == "create_invoice"),
        "{audit}"
    );

    // No [[products]] in a bare dev daemon: an empty catalog.
    let products = cli.json(&["products"]);
    assert_eq!(products["products"], serde_json::json!([]));
}
