//! The webhook endpoint commands, against an endpoint nobody listens on.

use std::time::Duration;

use testkit::process::{free_port, wait_until};

use crate::s;

#[test]
fn webhook_endpoints_from_create_to_delete() {
    let dir = tempfile::tempdir().unwrap();
    // One retry a second after the first attempt, then FAILED.
    let env = [("LNPAYD_WEBHOOKS__RETRY_SCHEDULE_SECS", "[1]")];
    let d = testkit::daemon::Daemon::start(dir.path(), &[], &env);
    let cli = crate::Cli::of(&d);
    // Loopback http:// is allowed in --dev; nothing listens there, so
    // every attempt fails and the delivery stays in the log to look at.
    let url = format!("http://127.0.0.1:{}/hook", free_port());

    let created = cli.json(&[
        "webhooks",
        "create",
        "--url",
        &url,
        "--event-type",
        "created",
        "--event-type",
        "paid",
        "--description",
        "orders",
    ]);
    let ep = &created["endpoint"];
    let id = s(&ep["id"]).to_string();
    assert!(s(&created["secret"]).starts_with("whsec_"), "{created}");
    assert_eq!(ep["url"], url.as_str());
    assert_eq!(
        ep["event_types"],
        serde_json::json!(["EVENT_TYPE_INVOICE_CREATED", "EVENT_TYPE_INVOICE_PAID"])
    );

    let list = cli.json(&["webhooks", "list"]);
    assert_eq!(list["endpoints"][0]["id"], id.as_str());
    assert_eq!(cli.json(&["webhook", "get", &id])["description"], "orders");

    let updated = cli.json(&[
        "webhooks",
        "update",
        &id,
        "--description",
        "all orders",
        "--all-event-types",
    ]);
    assert_eq!(updated["description"], "all orders");
    assert_eq!(updated["event_types"], serde_json::json!([]));
    assert_eq!(updated["url"], url.as_str(), "unset fields stay");
    assert_eq!(updated["enabled"], true);

    let rotated = cli.json(&["webhooks", "rotate-secret", &id]);
    assert!(s(&rotated["secret"]).starts_with("whsec_"));
    assert_ne!(rotated["secret"], created["secret"]);
    assert!(rotated["endpoint"]["previous_secret_expires_at"].is_string());

    // An event, and its delivery in the log once every attempt failed.
    let inv = cli.json(&["create", "--amount-sat", "7", "--description", "hooked"]);
    let deliveries = wait_until(Duration::from_secs(20), "a FAILED delivery", || {
        let d = cli.json(&[
            "webhooks",
            "deliveries",
            "--endpoint-id",
            &id,
            "--state",
            "failed",
        ]);
        (d["deliveries"].as_array()?.len() == 1).then(|| d.clone())
    });
    let delivery = &deliveries["deliveries"][0];
    assert_eq!(delivery["invoice_id"], inv["id"]);
    assert_eq!(delivery["sequence"], 1);
    assert_eq!(
        delivery["attempts"].as_array().unwrap().len(),
        2,
        "{delivery}"
    );
    let seq = delivery["sequence"].to_string();
    let by_invoice = cli.json(&[
        "webhooks",
        "deliveries",
        "--invoice-id",
        s(&inv["id"]),
        "--sequence",
        &seq,
    ]);
    assert_eq!(by_invoice["deliveries"].as_array().unwrap().len(), 1);
    let table = cli.run(&["webhooks", "deliveries", "--format", "table"]);
    assert!(table.stdout.contains("deliveries (1):"), "{}", table.stdout);
    assert!(table.stdout.contains("FAILED"), "{}", table.stdout);

    let since = cli.json(&[
        "webhooks",
        "redeliver",
        "--endpoint-id",
        &id,
        "--failed-since",
        "2020-01-01T00:00:00Z",
    ]);
    assert_eq!(since["scheduled"], 1);
    // One event's delivery, whatever its state (pending again now).
    let again = cli.json(&[
        "webhooks",
        "redeliver",
        "--endpoint-id",
        &id,
        "--sequence",
        &seq,
    ]);
    assert_eq!(again["scheduled"], 1);

    let disabled = cli.json(&["webhooks", "update", &id, "--enabled", "false"]);
    assert_eq!(disabled["enabled"], false);
    assert_eq!(
        cli.json(&["webhooks", "delete", &id]),
        serde_json::json!({})
    );
    let e = cli.run(&["webhooks", "get", &id]).error(4);
    assert_eq!(e["reason"], "WEBHOOK_ENDPOINT_NOT_FOUND");
}
