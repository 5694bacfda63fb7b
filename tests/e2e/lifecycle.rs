//! Process lifecycle and configuration, seen from outside the process.

use std::process::Command;
use std::time::Duration;

use lnpayd::proto;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::harness::{create_req, reason, Daemon};

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_ends_streams_with_unavailable_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let created = inv
        .create_invoice(create_req(5, "x"))
        .await
        .unwrap()
        .into_inner();
    let mut stream = inv
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().sequence, 1);
    let waiter = {
        let mut inv = d.invoices().await;
        tokio::spawn(async move {
            inv.wait_invoice(proto::WaitInvoiceRequest {
                id: created.id,
                timeout_seconds: 60,
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    let status = tokio::task::spawn_blocking(move || {
        let s = d.terminate();
        (s, d)
    });
    let err = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(reason(&err), "SHUTTING_DOWN");
    let waited = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(waited.code(), Code::Unavailable);
    let (exit, d) = status.await.unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    assert!(d.log_text().contains("lnpayd stopped"));
}

fn lnpayd(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lnpayd"));
    cmd.args(args).env_remove("LNPAYD_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let datadir = dir.path().join("data").display().to_string();
    let base = ["--dev", "--datadir", &datadir, "--listen", "127.0.0.1:0"];
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        lnpayd(&args, env)
    };

    let (code, out) = run(&["--config", "/nonexistent/lnpayd.toml"], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("/nonexistent/lnpayd.toml"), "{out}");

    let unknown = file("unknown.toml", "[invoices]\nmax_amount_satoshi = 5\n");
    let (code, out) = run(&["--config", &unknown], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("max_amount_satoshi"), "{out}");

    let zero = file("zero.toml", "[invoices]\nmax_amount_sat = 0\n");
    let (code, out) = run(&["--config", &zero], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("invoices.max_amount_sat"), "{out}");

    let (code, out) = run(&[], &[("LNPAYD_INVOICES__MAX_AMOUNT_SAT", "lots")]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.to_lowercase().contains("invoices.max_amount_sat"),
        "{out}"
    );
    assert!(
        out.contains("LNPAYD_"),
        "the message says the value came from the environment: {out}"
    );

    let (code, out) = run(&[], &[("LNPAYD_RETENTION__IDEMPOTENCY_SECS", "60")]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("retention.idempotency_secs"), "{out}");

    let (code, out) = run(&[], &[("LNPAYD_WORKER_THREADS", "999")]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("worker_threads"), "{out}");

    // The old deployment's mock switch is refused outside dev mode, by name.
    let (code, out) = lnpayd(
        &["--datadir", &datadir, "--listen", "127.0.0.1:0"],
        &[("LIGHTNING_FALLBACK_ENABLE_MOCK", "true")],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("LIGHTNING_FALLBACK_ENABLE_MOCK") && out.contains("--dev"),
        "{out}"
    );

    // Without --dev and without a provider there is nothing to serve.
    let (code, out) = lnpayd(&["--datadir", &datadir, "--listen", "127.0.0.1:0"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no provider is configured"), "{out}");

    let (code, out) = lnpayd(&["--help"], &[]);
    assert_eq!(code, 0);
    for flag in ["--config", "--datadir", "--listen", "--dev"] {
        assert!(out.contains(flag), "--help lacks {flag}");
    }
    let (code, out) = lnpayd(&["--version"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")));
}

#[tokio::test(flavor = "multi_thread")]
async fn precedence_is_file_then_env_then_cli() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    // The file's listen address loses to --listen (the harness passes 127.0.0.1:0),
    // its max amount loses to the environment, its default expiry stands.
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:9\"\nworker_threads = 3\n[invoices]\nmax_amount_sat = 100\ndefault_expiry_secs = 600\n",
    )
    .unwrap();
    let d = Daemon::start(
        dir.path(),
        &["--config", config.to_str().unwrap()],
        &[
            ("LNPAYD_INVOICES__MAX_AMOUNT_SAT", "200"),
            ("LNPAYD_WORKER_THREADS", "1"),
        ],
    );
    assert!(!d.addr.ends_with(":9"));
    // The runtime is built from the merged configuration, before anything runs.
    let log = d.log_text();
    assert!(log.contains("workers=1"), "{log}");
    // One thread is tokio's current-thread scheduler (src/config/runtime.rs).
    assert!(log.contains("current-thread scheduler"), "{log}");
    let mut inv = d.invoices().await;
    let ok = inv
        .create_invoice(create_req(150, "env wins"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        ok.expires_at.unwrap().seconds - ok.created_at.unwrap().seconds,
        600
    );
    let err = inv
        .create_invoice(create_req(201, "over env"))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "AMOUNT_TOO_LARGE");
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_tokens_and_log_level_without_dropping_streams() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[log]\nlevel = \"info\"\n").unwrap();
    let d = Daemon::start(
        dir.path(),
        &["--config", config.to_str().unwrap()],
        &[("LNPAYD_LOG__LEVEL", "")],
    );
    let old_token = d.token("invoice");
    let mut stream = d
        .invoices()
        .await
        .subscribe_events(proto::SubscribeEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    d.invoices()
        .await
        .create_invoice(create_req(1, "before"))
        .await
        .unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().sequence, 1);
    let debug_lines = || d.log_text().lines().filter(|l| l.contains("DEBUG")).count();
    assert_eq!(debug_lines(), 0, "info level logs no debug line");

    // Rotate the invoice token and raise the log level, then SIGHUP.
    let new_token = "a".repeat(64);
    std::fs::write(d.datadir.join("invoice.token"), &new_token).unwrap();
    std::fs::write(&config, "[log]\nlevel = \"debug\"\n").unwrap();
    d.signal(nix::sys::signal::Signal::SIGHUP);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !d.log_text().contains("SIGHUP: tokens reloaded") {
        assert!(std::time::Instant::now() < deadline, "no reload in the log");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(d.log_text().contains("SIGHUP: log level reloaded"));

    let err = d
        .invoices_with(Some(old_token))
        .await
        .create_invoice(create_req(2, "old"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    d.invoices_with(Some(new_token))
        .await
        .create_invoice(create_req(3, "new"))
        .await
        .unwrap();
    // The stream opened before the reload carries on.
    assert_eq!(stream.next().await.unwrap().unwrap().sequence, 2);
    assert!(debug_lines() > 0, "debug level took effect");
}

/// The allocator's options are part of the memory budget (BENCHMARKS.md,
/// issue 11): they must reach jemalloc, and the environment must still win.
#[test]
fn the_allocator_returns_freed_memory_within_a_second() {
    let stats = [("_RJEM_MALLOC_CONF", "stats_print:true")];
    let (code, out) = lnpayd(&["--version"], &stats);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("opt.background_thread: true"), "{out}");
    assert!(out.contains("opt.dirty_decay_ms: 1000"), "{out}");

    let env = [("_RJEM_MALLOC_CONF", "stats_print:true,dirty_decay_ms:5000")];
    let (code, out) = lnpayd(&["--version"], &env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("opt.dirty_decay_ms: 5000"), "{out}");
}
