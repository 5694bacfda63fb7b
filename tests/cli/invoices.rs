//! The Invoices commands: create, get, list, wait, cancel, and `events`
//! without --follow; plus `simulate` to pay one.

use crate::{s, start};

#[test]
fn an_invoice_from_create_to_paid_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, cli) = start(dir.path());

    let create = [
        "create",
        "--amount-sat",
        "1000",
        "--description",
        "coffee",
        "--idempotency-key",
        "order-42-try",
        "--external-ref",
        "order-42",
        "--metadata",
        "table=7",
        "--role",
        "invoice",
    ];
    let inv = cli.json(&create);
    let id = s(&inv["id"]).to_string();
    assert_eq!(inv["amount_msat"], 1_000_000);
    assert_eq!(inv["description"], "coffee");
    assert_eq!(inv["status"], "INVOICE_STATUS_PENDING");
    assert_eq!(inv["metadata"]["table"], "7");
    assert_eq!(inv["provider"], "dev");
    // The same key and parameters: the same invoice, not a second one.
    assert_eq!(cli.json(&create)["id"], id.as_str());

    let by_id = cli.json(&["get", &id]);
    assert_eq!(by_id["payment_request"], inv["payment_request"]);
    let hash = s(&inv["payment_hash"]);
    assert_eq!(
        cli.json(&["get", "--payment-hash", hash])["id"],
        id.as_str()
    );
    assert_eq!(
        cli.json(&["get", "--external-ref", "order-42"])["id"],
        id.as_str()
    );

    let other = cli.json(&["create", "--amount-msat", "2500", "--description", "tea"]);
    let pending = cli.json(&["list", "--status", "pending", "--page-size", "10"]);
    let ids: Vec<&str> = pending["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&i["id"]))
        .collect();
    assert_eq!(ids, [s(&other["id"]), id.as_str()], "newest first");
    assert_eq!(pending["next_page_token"], "");

    // Not paid yet: wait returns it as it is when its timeout passes.
    let waited = cli.json(&["wait", &id, "--timeout-seconds", "1"]);
    assert_eq!(waited["status"], "INVOICE_STATUS_PENDING");

    let paid = cli.json(&["simulate", &id]);
    assert_eq!(paid["status"], "INVOICE_STATUS_PAID");
    assert_eq!(paid["amount_received_msat"], 1_000_000);
    assert_eq!(
        cli.json(&["wait", &id, "--timeout-seconds", "5"])["status"],
        "INVOICE_STATUS_PAID"
    );
    let paid_list = cli.json(&["list", "--status", "paid"]);
    assert_eq!(paid_list["invoices"].as_array().unwrap().len(), 1);

    let canceled = cli.json(&["cancel", s(&other["id"])]);
    assert_eq!(canceled["status"], "INVOICE_STATUS_CANCELED");

    // The log now: two created, one paid, one canceled, in order.
    let events = cli.run(&["events"]).json_lines();
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let types: Vec<&str> = events.iter().map(|e| s(&e["type"])).collect();
    assert_eq!(
        types,
        [
            "EVENT_TYPE_INVOICE_CREATED",
            "EVENT_TYPE_INVOICE_CREATED",
            "EVENT_TYPE_INVOICE_PAID",
            "EVENT_TYPE_INVOICE_CANCELED",
        ]
    );
    assert_eq!(events[2]["invoice"]["id"], id.as_str());
    // Filters, and a cursor: only what comes after it and matches.
    let paid_events = cli.run(&["events", "--type", "paid"]).json_lines();
    assert_eq!(paid_events.len(), 1);
    assert_eq!(paid_events[0]["sequence"], 3);
    let after = cli
        .run(&["events", "--after", "2", "--invoice-id", &id])
        .json_lines();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["sequence"], 3);
    // At the end of the log: nothing to print, and done.
    let run = cli.run(&["events", "--after", "4"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    // Only the newest event is of another type than asked: the replay still ends.
    let run = cli.run(&["events", "--type", "created"]);
    assert_eq!(run.json_lines().len(), 2);

    // The same data as tables, for people.
    let table = cli.run(&["list", "--format", "table"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("invoices (2):"), "{}", table.stdout);
    assert!(table.stdout.contains(&id), "{}", table.stdout);
    assert!(table.stdout.contains("CANCELED"), "{}", table.stdout);
    let lines = cli.run(&["events", "--format", "table"]);
    let rows: Vec<&str> = lines.stdout.lines().collect();
    assert_eq!(rows.len(), 5, "a header and four events: {}", lines.stdout);
    assert!(rows[0].starts_with("SEQUENCE"), "{}", rows[0]);
    assert!(
        rows[3].starts_with("3 ") && rows[3].contains("PAID"),
        "{}",
        rows[3]
    );
}
