//! The real grpcurl, as an operator would use it: no .proto files, only
//! server reflection.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::Daemon;

fn grpcurl() -> PathBuf {
    let p = std::env::var_os("LNPAYD_GRPCURL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/grpcurl"));
    assert!(
        p.exists(),
        "grpcurl not found at {}: run scripts/ensure-tools.sh grpcurl (scripts/test does)",
        p.display()
    );
    p
}

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(grpcurl()).args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_lists_describes_and_creates_an_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[], &[]);
    let addr = d.addr.as_str();

    let (ok, out) = run(&["-plaintext", addr, "list"]);
    assert!(ok, "{out}");
    for svc in [
        "lnpayd.v1.Invoices",
        "lnpayd.v1.Admin",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(out.lines().any(|l| l == svc), "list lacks {svc}:\n{out}");
    }

    let (ok, out) = run(&[
        "-plaintext",
        addr,
        "describe",
        "lnpayd.v1.Invoices.CreateInvoice",
    ]);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "rpc CreateInvoice ( .lnpayd.v1.CreateInvoiceRequest ) returns ( .lnpayd.v1.Invoice )"
        ),
        "{out}"
    );
    let (ok, out) = run(&["-plaintext", addr, "describe", "lnpayd.v1.Invoice"]);
    assert!(
        ok && out.contains(".google.protobuf.Timestamp expires_at"),
        "{out}"
    );

    let (ok, out) = run(&["-plaintext", addr, "grpc.health.v1.Health/Check"]);
    assert!(ok && out.contains("SERVING"), "{out}");

    let auth = format!("authorization: Bearer {}", d.token("invoice"));
    let body =
        r#"{"amount_sat": 2100, "description": "grpcurl coffee", "metadata": {"order": "7"}}"#;
    let (ok, out) = run(&[
        "-plaintext",
        "-H",
        &auth,
        "-d",
        body,
        addr,
        "lnpayd.v1.Invoices/CreateInvoice",
    ]);
    assert!(ok, "{out}");
    let inv: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(
        inv["paymentRequest"]
            .as_str()
            .unwrap()
            .starts_with("lnbcrt21u1"),
        "{out}"
    );
    assert_eq!(inv["status"], "INVOICE_STATUS_PENDING");
    assert_eq!(inv["amountMsat"], "2100000");

    // A validation error: its google.rpc details are decoded through
    // reflection, not shown as "not recognized" raw bytes.
    let (ok, out) = run(&[
        "-plaintext",
        "-H",
        &auth,
        "-d",
        r#"{"amount_sat": 2100000000000, "description": "too much"}"#,
        addr,
        "lnpayd.v1.Invoices/CreateInvoice",
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("InvalidArgument"), "{out}");
    assert!(!out.contains("not recognized"), "{out}");
    assert!(
        out.contains(r#""@type": "type.googleapis.com/google.rpc.ErrorInfo""#),
        "{out}"
    );
    assert!(out.contains(r#""reason": "AMOUNT_TOO_LARGE""#), "{out}");
    assert!(out.contains(r#""domain": "lnpayd""#), "{out}");
    assert!(
        out.contains(r#""@type": "type.googleapis.com/google.rpc.BadRequest""#),
        "{out}"
    );

    // The closed list of reasons is there to read, too.
    let (ok, out) = run(&["-plaintext", addr, "describe", "lnpayd.v1.ErrorReason"]);
    assert!(ok && out.contains("ERROR_REASON_AMOUNT_TOO_LARGE"), "{out}");

    // Without a token: refused, with the reason visible to the operator.
    let (ok, out) = run(&[
        "-plaintext",
        "-d",
        body,
        addr,
        "lnpayd.v1.Invoices/CreateInvoice",
    ]);
    assert!(!ok);
    assert!(out.contains("Unauthenticated"), "{out}");
}
