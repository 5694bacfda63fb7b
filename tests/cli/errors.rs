//! Failures: stderr names the gRPC code and the ErrorInfo reason, and the
//! exit status tells the class (the table in `lnpayd-cli --help`).

use crate::{bare_command, output, s, start, Cli};

#[test]
fn each_class_of_failure_has_its_reason_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let (d, cli) = start(dir.path());

    // Invalid argument: 3, with the reason and the field.
    let run = cli.run(&["create", "--amount-sat", "0", "--description", "free"]);
    let e = run.error(3);
    assert_eq!(e["code"], "INVALID_ARGUMENT");
    assert_eq!(e["reason"], "AMOUNT_NOT_POSITIVE");
    assert_eq!(e["metadata"]["field"], "amount_sat", "{e}");
    assert_eq!(e["field_violations"][0]["field"], "amount_sat", "{e}");
    assert_eq!(e["exit_code"], 3);
    assert!(!s(&e["message"]).is_empty());
    assert_eq!(run.stdout, "", "nothing on stdout");

    // The same failure for a person: one line.
    let run = cli.run(&[
        "create",
        "--amount-sat",
        "0",
        "--description",
        "free",
        "--format",
        "table",
    ]);
    assert_eq!(run.code, 3);
    let line = run.stderr.trim();
    assert!(
        line.starts_with("lnpayd-cli: INVALID_ARGUMENT AMOUNT_NOT_POSITIVE: "),
        "{line}"
    );

    // Not found: 4.
    let e = cli.run(&["get", "inv_does_not_exist"]).error(4);
    assert_eq!(
        (s(&e["code"]), s(&e["reason"])),
        ("NOT_FOUND", "INVOICE_NOT_FOUND")
    );
    let e = cli.run(&["webhooks", "get", "ep_nope"]).error(4);
    assert_eq!(e["reason"], "WEBHOOK_ENDPOINT_NOT_FOUND");

    // Refused in this state: 7.
    let inv = cli.json(&["create", "--amount-sat", "5", "--description", "x"]);
    cli.json(&["simulate", s(&inv["id"])]);
    let e = cli.run(&["cancel", s(&inv["id"])]).error(7);
    assert_eq!(
        (s(&e["code"]), s(&e["reason"])),
        ("FAILED_PRECONDITION", "INVOICE_ALREADY_PAID")
    );

    // Not allowed: 5, from the daemon (the invoice token on Admin, a
    // token it does not know) and from this side (no token file).
    let e = cli.run(&["status", "--role", "invoice"]).error(5);
    assert_eq!(
        (s(&e["code"]), s(&e["reason"])),
        ("PERMISSION_DENIED", "ROLE_NOT_ALLOWED")
    );
    let wrong = dir.path().join("wrong.token");
    std::fs::write(&wrong, "not-a-token\n").unwrap();
    let e = cli
        .run(&["get", "x", "--token-file", wrong.to_str().unwrap()])
        .error(5);
    assert_eq!(
        (s(&e["code"]), s(&e["reason"])),
        ("UNAUTHENTICATED", "TOKEN_UNKNOWN")
    );
    let nowhere = Cli {
        addr: d.addr.clone(),
        datadir: dir.path().join("no-such-dir"),
    };
    let e = nowhere.run(&["status"]).error(5);
    assert_eq!(e["code"], "TOKEN");
    assert!(s(&e["message"]).contains("admin.token"), "{e}");

    // Out of range counts as an invalid argument: a cursor past the log.
    let e = cli.run(&["events", "--after", "99"]).error(3);
    assert_eq!(
        (s(&e["code"]), s(&e["reason"])),
        ("OUT_OF_RANGE", "CURSOR_AHEAD_OF_LOG")
    );

    // Usage: 2, from clap, before any connection.
    let run = cli.run(&["create", "--amount-sat", "1", "--amount-msat", "1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = cli.run(&["frobnicate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);

    // Unavailable: 6, when nothing listens there.
    drop(d);
    let e = cli.run(&["status"]).error(6);
    assert_eq!(e["code"], "CONNECT");
}

#[test]
fn the_address_and_data_dir_come_from_the_daemons_own_variables() {
    let dir = tempfile::tempdir().unwrap();
    let (d, _) = start(dir.path());
    let mut cmd = bare_command();
    cmd.arg("status")
        .env("LNPAYD_LISTEN", &d.addr)
        .env("LNPAYD_DATADIR", &d.datadir);
    assert_eq!(output(cmd).json()["dev_mode"], true);

    // Or from its config file: listen and datadir, the rest ignored.
    let config = dir.path().join("config.toml");
    let toml = format!(
        "listen = \"{}\"\ndatadir = \"{}\"\n[invoices]\nmax_amount_sat = 5\n",
        d.addr,
        d.datadir.display()
    );
    std::fs::write(&config, toml).unwrap();
    let mut cmd = bare_command();
    cmd.args(["status", "--config", config.to_str().unwrap()]);
    assert_eq!(output(cmd).json()["dev_mode"], true);

    // And --token-file alone picks the token, whatever the data dir.
    let mut cmd = bare_command();
    let token = d.datadir.join("invoice.token");
    cmd.args([
        "list",
        "--rpcserver",
        &d.addr,
        "--token-file",
        token.to_str().unwrap(),
    ]);
    assert_eq!(output(cmd).json()["invoices"], serde_json::json!([]));
}
