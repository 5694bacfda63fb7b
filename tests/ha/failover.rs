//! The leader dies, is paused, or loses its database: another instance
//! takes over within the lease, and nothing acknowledged is lost.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lnpayd::proto::{self, ClusterRole, EventType, InvoiceStatus};
use nix::sys::signal::Signal;
use testkit::daemon::{blocking, create_req, reason};

use super::*;

/// The first instance other than `old` that leads at an epoch above `epoch`.
async fn wait_for_takeover(c: &Cluster, old: usize, epoch: u64, within: Duration) -> (usize, u64) {
    let until = Instant::now() + within;
    loop {
        for (i, n) in c.nodes.iter().enumerate().filter(|(i, _)| *i != old) {
            if let Some(s) = try_cluster(n).await {
                if s.role == ClusterRole::Leader as i32 && s.leader_epoch > epoch {
                    return (i, s.leader_epoch);
                }
            }
        }
        assert!(Instant::now() < until, "no takeover within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn pay_somewhere(c: &Cluster, first: usize, id: &str) -> usize {
    for attempt in 0..60 {
        let i = (first + attempt) % c.nodes.len();
        let Some(mut a) = try_admin(&c.nodes[i]).await else {
            continue;
        };
        let req = proto::SimulatePaymentRequest {
            id: id.into(),
            amount_msat: 0,
        };
        match tokio::time::timeout(Duration::from_secs(3), a.simulate_payment(req)).await {
            Ok(Ok(inv)) => {
                assert_eq!(inv.into_inner().status, InvoiceStatus::Paid as i32);
                return i;
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("no instance acknowledged the payment of {id}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kill9_of_the_leader_while_payments_happen() {
    let url = PG.read().await.fresh_database();
    let lease = 4;
    let mut c = Cluster::start(url, 3, lease).await;
    let old_epoch = try_cluster(&c.nodes[0]).await.unwrap().leader_epoch;
    let mut b = invoices(&c.nodes[1]).await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            b.create_invoice(create_req(500 + i, "pay me"))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    // Due while the leader is dead: the next one must expire them.
    let mut expiring = Vec::new();
    for _ in 0..3 {
        let mut req = create_req(7, "expires during the failover");
        req.expiry_seconds = 3;
        expiring.push(b.create_invoice(req).await.unwrap().into_inner().id);
    }

    for (n, id) in ids.iter().enumerate().take(10) {
        pay_somewhere(&c, n, id).await;
    }
    blocking(|| c.nodes[0].kill9());
    let killed = Instant::now();
    for (n, id) in ids.iter().enumerate().skip(10) {
        pay_somewhere(&c, n, id).await;
    }
    let (new, epoch) = wait_for_takeover(&c, 0, old_epoch, Duration::from_secs(lease + 5)).await;
    let took = killed.elapsed();
    eprintln!("takeover by {} at epoch {epoch} after {took:?}", name(new));
    assert!(
        took <= Duration::from_secs(lease + 3),
        "takeover took {took:?}"
    );

    for id in &expiring {
        let d = &c.nodes[new];
        let mut status = 0;
        for _ in 0..100 {
            status = get(d, id).await.status;
            if status == InvoiceStatus::Expired as i32 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            status,
            InvoiceStatus::Expired as i32,
            "{id} was not expired by the new leader"
        );
    }

    let log = whole_log(&c.nodes[new]).await;
    let mut paid: HashMap<String, usize> = HashMap::new();
    for e in log
        .iter()
        .filter(|e| e.r#type == EventType::InvoicePaid as i32)
    {
        *paid
            .entry(e.invoice.as_ref().unwrap().id.clone())
            .or_default() += 1;
    }
    for id in &ids {
        assert_eq!(paid.get(id), Some(&1), "{id} paid {:?} times", paid.get(id));
        let inv = get(&c.nodes[3 - new], id).await;
        assert_eq!(inv.status, InvoiceStatus::Paid as i32);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_leader_writes_nothing_after_losing_the_lease_and_exits() {
    let url = PG.read().await.fresh_database();
    let lease = 3;
    let mut c = Cluster::start(url, 2, lease).await;
    let old_epoch = try_cluster(&c.nodes[0]).await.unwrap().leader_epoch;
    // Work the old leader holds when it is stopped: an invoice about to
    // expire that it would expire as soon as it runs again.
    let mut a = invoices(&c.nodes[0]).await;
    let mut req = create_req(9, "due while a is stopped");
    req.expiry_seconds = 2;
    let due = a.create_invoice(req).await.unwrap().into_inner().id;

    c.nodes[0].signal(Signal::SIGSTOP);
    let (new, epoch) = wait_for_takeover(&c, 0, old_epoch, Duration::from_secs(lease + 5)).await;
    assert_eq!((new, epoch > old_epoch), (1, true));
    // The new leader works: a payment and the expiry.
    let mut b = invoices(&c.nodes[1]).await;
    let id = b
        .create_invoice(create_req(11, "after the takeover"))
        .await
        .unwrap()
        .into_inner()
        .id;
    pay_somewhere(&c, 1, &id).await;
    let mut expired = false;
    for _ in 0..100 {
        if get(&c.nodes[1], &due).await.status == InvoiceStatus::Expired as i32 {
            expired = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(expired, "the new leader did not expire {due}");
    let before = whole_log(&c.nodes[1]).await;
    let audit_before = audit_len(&c.nodes[1]).await;

    c.nodes[0].signal(Signal::SIGCONT);
    let mut code = None;
    for _ in 0..100 {
        if let Some(s) = c.nodes[0].exit_status() {
            code = s.code();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        code,
        Some(75),
        "the old leader must exit with 75; log:\n{}",
        c.nodes[0].log_text()
    );
    assert!(c.nodes[0].log_text().contains("leadership lost"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = whole_log(&c.nodes[1]).await;
    assert_eq!(
        after.len(),
        before.len(),
        "the old leader wrote events after losing the lease"
    );
    assert_eq!(
        audit_len(&c.nodes[1]).await,
        audit_before,
        "the old leader wrote audit entries"
    );
    let s = try_cluster(&c.nodes[1]).await.unwrap();
    assert_eq!((s.leader_id.as_str(), s.leader_epoch), ("b", epoch));
}

async fn audit_len(d: &Daemon) -> usize {
    let page = admin(d)
        .await
        .list_audit_log(proto::ListAuditLogRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    page.entries.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_under_load_answers_unavailable_and_loses_nothing_acknowledged() {
    let mut pg = PG.write().await;
    let url = pg.fresh_database();
    let c = Cluster::start(url, 2, 8).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let mut load = tokio::task::JoinSet::new();
    for (i, n) in c.nodes.iter().enumerate() {
        let mut client = invoices(n).await;
        let stop = stop.clone();
        load.spawn(async move {
            let (mut acked, mut errors) = (Vec::new(), Vec::new());
            let mut k = 0;
            while !stop.is_cancelled() {
                let mut req = create_req(21, "under load");
                req.idempotency_key = format!("{i}-{k}");
                let call = client.create_invoice(req);
                match tokio::time::timeout(Duration::from_secs(10), call).await {
                    Ok(Ok(inv)) => acked.push(inv.into_inner().id),
                    Ok(Err(s)) => errors.push((s.code(), reason(&s))),
                    Err(_) => errors.push((tonic::Code::DeadlineExceeded, String::new())),
                }
                k += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (acked, errors)
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    blocking(|| pg.stop());
    tokio::time::sleep(Duration::from_secs(2)).await;
    blocking(|| pg.start_again());
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.cancel();
    let (mut acked, mut errors) = (Vec::new(), Vec::new());
    while let Some(r) = load.join_next().await {
        let (a, e) = r.unwrap();
        acked.extend(a);
        errors.extend(e);
    }
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for (code, why) in &errors {
        *reasons.entry(format!("{code:?} {why}")).or_default() += 1;
    }
    eprintln!("{} acknowledged, refused: {reasons:?}", acked.len());
    assert!(
        !errors.is_empty(),
        "the restart went unnoticed: the test proves nothing"
    );
    for (code, why) in &errors {
        assert_eq!(*code, tonic::Code::Unavailable, "{why}");
        assert!(!why.is_empty(), "an UNAVAILABLE without a reason");
    }
    // Both still serve, and every acknowledged invoice is there.
    for n in &c.nodes {
        invoices(n)
            .await
            .create_invoice(create_req(5, "after"))
            .await
            .unwrap();
    }
    for id in &acked {
        get(&c.nodes[1], id).await;
    }
    whole_log(&c.nodes[0]).await;
}
