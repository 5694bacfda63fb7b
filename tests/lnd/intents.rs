//! Intents against real LND: a create whose write overlaps AddInvoice
//! (`src/app/intent.rs`), cut short by kill -9 between the intent and the
//! invoice, is resolved at the next start by LookupInvoice on alice.
//! The daemon halts at the named point through a debug-build hook that
//! writes the intent's id and payment hash to a file and never returns.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lnpayd::proto::{self, InvoiceStatus};
use tonic::Code;

use super::{lnd_env, wait_stream, NET};
use testkit::daemon::{blocking, create_req, reason, Daemon};
use testkit::lnd::Network;
use testkit::proxy::Proxy;

const AFTER_ISSUE: &str = "DEBUG_LNPAYD_HALT_AFTER_ISSUE";
const BEFORE_ISSUE: &str = "DEBUG_LNPAYD_HALT_BEFORE_ISSUE";

/// The id and payment hash the halted create wrote, once it has.
async fn halted_at(file: &Path) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            if let Some((id, hash)) = text.split_once(' ') {
                return (id.to_string(), hash.to_string());
            }
        }
        assert!(
            Instant::now() < deadline,
            "the create never reached its halt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// CreateInvoice with `key` until it is not UNAVAILABLE (an intent still
/// being resolved answers so), for at most 30 s.
async fn create_when_resolved(d: &Daemon, key: &str) -> proto::Invoice {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut req = create_req(21, "cut short");
    req.idempotency_key = key.into();
    loop {
        match d.invoices().await.create_invoice(req.clone()).await {
            Ok(r) => return r.into_inner(),
            Err(s) if s.code() == Code::Unavailable && Instant::now() < deadline => {
                assert_eq!(reason(&s), "PROVIDER_UNAVAILABLE", "{s:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(s) => panic!("retry with {key}: {s:?}"),
        }
    }
}

/// GetInvoice by id, which must fail; its status.
async fn refused(d: &Daemon, id: &str) -> tonic::Status {
    d.invoices()
        .await
        .get_invoice(proto::GetInvoiceRequest {
            lookup: Some(proto::get_invoice_request::Lookup::Id(id.into())),
        })
        .await
        .expect_err("no invoice to get")
}

/// Starts lnpayd on alice with one halt hook set.
fn start(dir: &Path, proxy: &Proxy, net: &Network, hook: (&str, &Path)) -> Daemon {
    let mut env = lnd_env(
        proxy.port,
        &net.alice.macaroon("invoice"),
        &net.alice.tls_cert(),
    );
    env.push((hook.0.into(), hook.1.display().to_string()));
    Daemon::start_env(dir, &env)
}

/// A daemon on alice whose create with `key` has reached `hook`'s halt.
struct Halted {
    d: Daemon,
    proxy: Proxy,
    dir: tempfile::TempDir,
    halt: PathBuf,
    hook: &'static str,
    call: tokio::task::JoinHandle<Result<tonic::Response<proto::Invoice>, tonic::Status>>,
    id: String,
    hash: String,
}

async fn halt_a_create(net: &Network, hook: &'static str, key: &str) -> Halted {
    let proxy = Proxy::start(net.alice.rpc_addr());
    let dir = tempfile::tempdir().unwrap();
    let halt = dir.path().join("halted");
    let d = start(dir.path(), &proxy, net, (hook, &halt));
    wait_stream(&d, "connected").await;
    let call = {
        let mut inv = d.invoices().await;
        let mut req = create_req(21, "cut short");
        req.idempotency_key = key.into();
        tokio::spawn(async move { inv.create_invoice(req).await })
    };
    let (id, hash) = halted_at(&halt).await;
    Halted {
        d,
        proxy,
        dir,
        halt,
        hook,
        call,
        id,
        hash,
    }
}

impl Halted {
    /// kill -9, then a start on the same data dir. The hook's file exists
    /// now, so the new daemon does not halt.
    async fn kill_and_restart(&mut self, net: &Network) {
        self.d.kill9();
        assert!(
            (&mut self.call).await.unwrap().is_err(),
            "the killed call was not answered"
        );
        self.d = start(self.dir.path(), &self.proxy, net, (self.hook, &self.halt));
    }
}

/// Killed after AddInvoice answered and the intent was on disk, before the
/// invoice was written: the next start finds alice's invoice by its hash,
/// stores it under the intent's id, and the retry with the same key gets
/// it; bob pays it and it goes PAID.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_add_invoice_the_restart_stores_alices_invoice() {
    let net = NET.read().await;
    let mut h = halt_a_create(&net, AFTER_ISSUE, "cut-after-add").await;
    let (id, hash) = (h.id.clone(), h.hash.clone());
    assert!(blocking(|| net.alice_has_invoice(&hash)), "alice issued it");
    h.kill_and_restart(&net).await;
    let d = &h.d;
    let again = create_when_resolved(d, "cut-after-add").await;
    assert_eq!(again.id, id, "the retry finds the intent's invoice");
    assert_eq!(again.payment_hash, hash);
    assert_eq!(again.status(), InvoiceStatus::Pending);
    let actions: Vec<String> = d
        .audit_of(&id)
        .await
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert!(
        actions.iter().any(|a| a == "lookup") && actions.iter().any(|a| a == "created"),
        "the recovery's lookup and the creation are in the audit log: {actions:?}"
    );

    blocking(|| net.bob_pays(&again.payment_request)).unwrap();
    let paid = d.wait_invoice(&id, 60).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.amount_received_msat, 21_000);
}

/// Killed with the intent on disk before AddInvoice was sent: alice has no
/// invoice with its hash, so the next start drops the intent and its key,
/// the id is NOT_FOUND, and the retry with the same key creates anew.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_before_add_invoice_the_restart_drops_the_intent() {
    let net = NET.read().await;
    let mut h = halt_a_create(&net, BEFORE_ISSUE, "cut-before-add").await;
    let (id, hash) = (h.id.clone(), h.hash.clone());
    h.kill_and_restart(&net).await;
    assert!(
        !blocking(|| net.alice_has_invoice(&hash)),
        "nothing was issued"
    );
    let d = &h.d;
    let fresh = create_when_resolved(d, "cut-before-add").await;
    assert_ne!(fresh.id, id, "the dropped intent's key was free again");
    assert_ne!(fresh.payment_hash, hash);
    assert!(blocking(|| net.alice_has_invoice(&fresh.payment_hash)));
    let gone = refused(d, &id).await;
    assert_eq!(gone.code(), Code::NotFound, "{gone:?}");
    let audit = d.audit_of(&id).await;
    assert!(
        audit
            .iter()
            .any(|a| a.action == "lookup" && a.outcome.starts_with("error")),
        "the drop is in the audit log: {audit:?}"
    );
}

/// A caller that goes away while AddInvoice runs: the intent is dropped at
/// once (nothing was answered, as without intents), its id is NOT_FOUND,
/// and the same key creates again, all without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_caller_that_goes_away_leaves_no_intent_behind() {
    let net = NET.read().await;
    let h = halt_a_create(&net, AFTER_ISSUE, "abandoned").await;
    let (d, id) = (&h.d, h.id.clone());
    h.call.abort();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = refused(d, &id).await;
        if got.code() == Code::NotFound {
            break;
        }
        // Until the server has seen the reset, the create is still in flight.
        assert_eq!(got.code(), Code::Unavailable, "{got:?}");
        assert!(Instant::now() < deadline, "the intent was never dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = create_when_resolved(d, "abandoned").await;
    assert_ne!(again.id, id);
}

/// Creates in flight together let their intents' fsyncs wait for one
/// another (`src/app/pacing.rs`): eight callers creating back to back share
/// flushes, where a flush at once would be one per invoice. The wait must
/// not cost an answer its durability: after kill -9, every invoice
/// answered is there after the restart, the ones whose completion had not
/// reached the disk yet resolved from their intents by LookupInvoice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_in_flight_share_fsyncs_and_every_answer_survives_kill_9() {
    const CALLERS: usize = 8;
    const EACH: usize = 6;
    let net = NET.read().await;
    let mut l = super::Lnpayd::start(&net).await;
    let d = &l.d;
    // The wait is a share of the provider's latency, known after one answer.
    d.invoices()
        .await
        .create_invoice(create_req(21, "first"))
        .await
        .unwrap();

    let before = d.store_flushes().await;
    let mut callers = vec![];
    for c in 0..CALLERS {
        let mut inv = d.invoices().await;
        callers.push(tokio::spawn(async move {
            let mut made = vec![];
            for i in 0..EACH {
                let mut req = create_req(21, "in company");
                req.idempotency_key = format!("company-{c}-{i}");
                made.push(inv.create_invoice(req).await.unwrap().into_inner());
            }
            made
        }));
    }
    let mut answered = vec![];
    for c in callers {
        answered.extend(c.await.unwrap());
    }
    let shared = d.store_flushes().await - before;
    let n = (CALLERS * EACH) as u64;
    eprintln!("{shared} flushes for {n} invoices");
    // About a third on a quiet machine, a half beside three busy loops;
    // one per invoice (or more) when every intent flushes at once.
    assert!(
        shared * 4 < n * 3,
        "{shared} flushes for {n} invoices: the intents did not share them"
    );

    l.d.kill9();
    let d = Daemon::start_env(l.dir.path(), &l.env);
    for inv in &answered {
        let deadline = Instant::now() + Duration::from_secs(30);
        let got = loop {
            let req = proto::GetInvoiceRequest {
                lookup: Some(proto::get_invoice_request::Lookup::Id(inv.id.clone())),
            };
            match d.invoices().await.get_invoice(req).await {
                Ok(r) => break r.into_inner(),
                // Its intent is still being resolved.
                Err(s) if s.code() == Code::Unavailable && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Err(s) => panic!("{} was answered before kill -9: {s:?}", inv.id),
            }
        };
        assert_eq!(got.payment_request, inv.payment_request);
        assert_eq!(got.payment_hash, inv.payment_hash);
    }
}
