//! The PostgreSQL store end to end: `lnpayd migrate` moves a populated fjall
//! data dir into a real (throwaway) PostgreSQL, and the real daemon with
//! `[store] backend = "postgres"` serves it.

use std::process::Command;
use std::time::Duration;

use lnpayd::proto::{self, InvoiceStatus};
use testkit::daemon::{create_req, lnpayd_bin, Daemon};
use testkit::postgres::Postgres;
use testkit::shared::Shared;
use tokio_stream::StreamExt;

static PG: Shared<Postgres> = Shared::new(Postgres::start);

/// Stops or starts a cluster of a test's own: pg_ctl waits, so not on the runtime.
async fn off_runtime(mut pg: Postgres, f: fn(&mut Postgres)) -> Postgres {
    tokio::task::spawn_blocking(move || {
        f(&mut pg);
        pg
    })
    .await
    .unwrap()
}

/// The daemon's environment for the database at `url`.
fn on_postgres(url: &str) -> [(&'static str, &str); 2] {
    [
        ("LNPAYD_STORE__BACKEND", "postgres"),
        ("LNPAYD_STORE__URL", url),
    ]
}

fn migrate(from: &str, url: &str) -> std::process::Output {
    Command::new(lnpayd_bin())
        .arg("migrate")
        .arg("--from")
        .arg(from)
        .arg("--to")
        .arg("postgres:")
        .args(["--progress-every", "10"])
        // From the environment, so the URL is not in the arguments.
        .env("LNPAYD_STORE__URL", url)
        .output()
        .expect("run lnpayd migrate")
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_moves_a_data_dir_and_the_daemon_serves_it_from_postgres() {
    // The cluster trusts local connections, so a password is accepted and
    // unused: here only to show it is never printed or logged.
    const PASSWORD: &str = "never-logged-pw";
    let url = format!("{} password={PASSWORD}", PG.read().await.fresh_database());
    let dir = tempfile::tempdir().unwrap();

    // A populated data dir (fjall, the default): paid, canceled and pending invoices, one
    // made with an idempotency key.
    let mut d = Daemon::start(dir.path(), &[], &[]);
    let mut inv = d.invoices().await;
    let mut admin = d.admin().await;
    let mut ids = Vec::new();
    for i in 0..24u64 {
        let mut req = create_req(100 + i, "before the move");
        if i == 0 {
            req.idempotency_key = "order-1".into();
        }
        ids.push(inv.create_invoice(req).await.unwrap().into_inner().id);
    }
    for id in ids.iter().step_by(3) {
        admin
            .simulate_payment(proto::SimulatePaymentRequest {
                id: id.clone(),
                amount_msat: 0,
            })
            .await
            .unwrap();
    }
    inv.cancel_invoice(proto::CancelInvoiceRequest { id: ids[1].clone() })
        .await
        .unwrap();
    let before: Vec<proto::Invoice> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(d.get_invoice(id).await);
        }
        v
    };
    let last = d.last_sequence().await;
    assert_eq!(last, 24 + 8 + 1);
    assert!(d.terminate().success());

    // The move, verified table by table, from the default engine's dir.
    let from = format!("fjall:{}", d.datadir.join("fjall").display());
    let out = migrate(&from, &url);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "migrate failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "verified lnpayd_invoices",
        "verified lnpayd_events",
        "verified lnpayd_idempotency",
        "verified lnpayd_audit",
        "done in ",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
    let rows = |table: &str| -> u64 {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("verified {table} ")))
            .unwrap_or_else(|| panic!("no line for {table}"));
        line.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    assert_eq!(rows("lnpayd_invoices"), 24);
    assert_eq!(rows("lnpayd_events"), last);
    assert_eq!(rows("lnpayd_idempotency"), 1);
    assert!(stdout.contains("rows copied"), "progress lines:\n{stdout}");
    assert!(
        !stdout.contains("user=postgres dbname"),
        "the URL is never printed"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));

    // A second run finds the target populated and refuses it.
    let again = migrate(&from, &url);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // A source that is not a store is refused, and not created.
    let nothing = dir.path().join("nothing");
    let wrong = migrate(&format!("fjall:{}", nothing.display()), &url);
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("is not a fjall store"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(!nothing.exists());

    // The daemon on PostgreSQL, with the same data dir for its tokens and
    // dev key; the embedded store there is no longer read.
    let d = Daemon::start(dir.path(), &[], &on_postgres(&url));
    assert!(d.log_text().contains("PostgreSQL store open"));
    for (id, was) in ids.iter().zip(&before) {
        assert_eq!(&d.get_invoice(id).await, was, "{id} as it was");
    }
    let paid = before.iter().filter(|i| i.status() == InvoiceStatus::Paid);
    assert_eq!(paid.count(), 8);
    assert_eq!(d.last_sequence().await, last);

    // The same idempotency key finds the same invoice.
    let mut inv = d.invoices().await;
    let mut keyed = create_req(100, "before the move");
    keyed.idempotency_key = "order-1".into();
    let found = inv.create_invoice(keyed).await.unwrap().into_inner();
    assert_eq!(found.id, ids[0]);

    // Events resume from a cursor, then continue live after the copied log.
    let mut events = inv
        .subscribe_events(proto::SubscribeEventsRequest {
            after_sequence: last - 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    for want in last - 4..=last {
        let e = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("a copied event")
            .unwrap()
            .unwrap();
        assert_eq!(e.sequence, want);
    }
    let fresh = inv
        .create_invoice(create_req(7, "after the move"))
        .await
        .unwrap()
        .into_inner();
    let e = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("the new event, live")
        .unwrap()
        .unwrap();
    assert_eq!(e.sequence, last + 1);
    assert_eq!(e.invoice.unwrap().id, fresh.id);
    assert!(
        !d.log_text().contains(PASSWORD),
        "the store URL is never logged"
    );
}

/// A PostgreSQL backend without a URL is named at start-up.
#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_backend_without_a_url_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Daemon::try_start(
        dir.path(),
        true,
        &[],
        &[("LNPAYD_STORE__BACKEND", "postgres")],
    )
    .err()
    .expect("refused");
    assert!(err.contains("store.url"), "{err}");
}

/// PostgreSQL stopped under the real daemon: calls fail UNAVAILABLE with
/// STORE_UNAVAILABLE, the daemon stays up, and once PostgreSQL is back it
/// serves again without a restart, nothing acknowledged lost.
#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_answers_unavailable_while_postgres_is_down_and_recovers() {
    // A cluster of its own: the shared one stays up for the other tests.
    let mut pg = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    let url = pg.fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path(), &[], &on_postgres(&url));
    let mut inv = d.invoices().await;
    let acked = inv
        .create_invoice(create_req(10, "before"))
        .await
        .unwrap()
        .into_inner();

    pg = off_runtime(pg, Postgres::stop).await;
    let err = inv
        .create_invoice(create_req(11, "while down"))
        .await
        .expect_err("no database, no invoice");
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err:?}");
    assert_eq!(testkit::daemon::reason(&err), "STORE_UNAVAILABLE");
    assert!(d.is_running(), "the daemon stays up");

    pg = off_runtime(pg, Postgres::start_again).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let again = loop {
        match inv.create_invoice(create_req(12, "after")).await {
            Ok(r) => break Some(r.into_inner()),
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(_) => break None,
        }
    };
    assert!(again.is_some(), "serves again once PostgreSQL is back");
    assert_eq!(
        d.get_invoice(&acked.id).await.id,
        acked.id,
        "nothing acknowledged lost"
    );
    assert!(d.is_running());
    drop(d);
    tokio::task::spawn_blocking(move || drop(pg)).await.unwrap();
}

/// PostgreSQL drops out between the election and the start of the leader's
/// work (held back on purpose by the debug-only fault hook). The daemon
/// waits it out and then runs that work, instead of stopping: a single
/// leader that stopped on it would take the API down with it.
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_as_the_leaders_work_starts_is_waited_out() {
    let mut pg = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    let url = pg.fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        on_postgres(&url).as_slice(),
        &[
            ("LNPAYD_FAULT_DELAY_TASK", "leader_start:1500"),
            ("LNPAYD_INVOICES__MIN_EXPIRY_SECS", "1"),
        ],
    ]
    .concat();
    // Ready means the election has answered: this instance leads, and its
    // work is still held back.
    let mut d = Daemon::start(dir.path(), &[], &env);
    pg = off_runtime(pg, Postgres::stop).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(d.is_running(), "the daemon stays up");
    assert!(
        d.log_text()
            .contains("the database is unavailable as the leader's work starts"),
        "the held-back start met the outage"
    );

    pg = off_runtime(pg, Postgres::start_again).await;
    let mut inv = d.invoices().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let created = loop {
        let mut req = create_req(10, "expires in a second");
        req.expiry_seconds = 1;
        match inv.create_invoice(req).await {
            Ok(r) => break r.into_inner(),
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(e) => panic!("PostgreSQL is back but creates fail: {e:?}"),
        }
    };
    // Only the leader's expiry timer expires it: its work did start.
    let after = d.wait_invoice(&created.id, 20).await;
    assert_eq!(after.status, InvoiceStatus::Expired as i32, "{after:?}");
    assert!(d.is_running());
    drop(d);
    tokio::task::spawn_blocking(move || drop(pg)).await.unwrap();
}
