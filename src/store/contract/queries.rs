//! The contract's reads: audit pages, pruning, listing and the due index.

use std::sync::Arc;

use super::{audit, change, insert, invoice, paid, record};
use crate::domain::InvoiceStatus;
use crate::store::{AuditQuery, Due, ListQuery, Store, Transition};

pub async fn audit_pages_newest_first_with_filters(store: Arc<dyn Store>) {
    let entries: Vec<_> = (0..10u64)
        .map(|i| {
            let inv = format!("inv_{}", i % 2);
            let provider = if i < 5 { "lnd" } else { "daznode" };
            audit(1_000 + i, Some(&inv), Some(provider))
        })
        .collect();
    store.append_audit(&entries[..6]).unwrap();
    let a = invoice(1, 1_000, 9_000);
    store.insert_invoice(&a, None, &entries[6..]).unwrap();

    let page = |q: AuditQuery| {
        let (rows, more) = store.audit_page(&q).unwrap();
        let at: Vec<u64> = rows.iter().map(|(_, e)| e.at_ms).collect();
        (at, more, rows.last().map(|(c, _)| c.clone()))
    };
    let (at, more, last) = page(AuditQuery {
        limit: 4,
        ..Default::default()
    });
    assert_eq!((at, more), (vec![1_009, 1_008, 1_007, 1_006], true));
    let (at, more, _) = page(AuditQuery {
        limit: 4,
        before: last,
        ..Default::default()
    });
    assert_eq!((at, more), (vec![1_005, 1_004, 1_003, 1_002], true));
    let (at, more, _) = page(AuditQuery {
        limit: 10,
        since_ms: Some(1_003),
        until_ms: Some(1_006),
        ..Default::default()
    });
    assert_eq!(
        (at, more),
        (vec![1_005, 1_004, 1_003], false),
        "since inclusive, until exclusive"
    );
    let (at, _, _) = page(AuditQuery {
        limit: 10,
        invoice_id: Some("inv_1".into()),
        provider: Some("daznode".into()),
        ..Default::default()
    });
    assert_eq!(at, vec![1_009, 1_007, 1_005]);
    let (at, more, _) = page(AuditQuery {
        limit: 2,
        provider: Some("lnd".into()),
        ..Default::default()
    });
    assert_eq!((at, more), (vec![1_004, 1_003], true));
}

/// Filtered pages through many entries that do not match, with time bounds,
/// and nothing pruned comes back through a filter.
pub async fn audit_filters_page_and_forget_what_is_pruned(store: Arc<dyn Store>) {
    let entries: Vec<_> = (0..60u64)
        .map(|i| {
            let inv = format!("inv_{}", i % 10);
            let provider = if i % 20 == 0 { "rare" } else { "lnd" };
            audit(1_000 + i, Some(&inv), Some(provider))
        })
        .collect();
    store.append_audit(&entries).unwrap();
    let at = |q: &AuditQuery| {
        let (rows, more) = store.audit_page(q).unwrap();
        let at: Vec<u64> = rows.iter().map(|(_, e)| e.at_ms).collect();
        (at, more, rows.last().map(|(c, _)| c.clone()))
    };
    let by_invoice = AuditQuery {
        invoice_id: Some("inv_1".into()),
        limit: 2,
        ..Default::default()
    };
    let (first, more, last) = at(&by_invoice);
    assert_eq!((first, more), (vec![1_051, 1_041], true));
    let (next, more, _) = at(&AuditQuery {
        before: last,
        ..by_invoice.clone()
    });
    assert_eq!((next, more), (vec![1_031, 1_021], true));
    let (bounded, more, _) = at(&AuditQuery {
        since_ms: Some(1_011),
        until_ms: Some(1_041),
        limit: 10,
        ..by_invoice.clone()
    });
    assert_eq!((bounded, more), (vec![1_031, 1_021, 1_011], false));
    let rare = AuditQuery {
        provider: Some("rare".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(at(&rare).0, vec![1_040, 1_020, 1_000]);
    let both = AuditQuery {
        invoice_id: Some("inv_0".into()),
        ..rare.clone()
    };
    assert_eq!(at(&both).0, vec![1_040, 1_020, 1_000]);
    let none = AuditQuery {
        invoice_id: Some("inv_1".into()),
        ..rare.clone()
    };
    assert_eq!(at(&none), (vec![], false, None));
    let unknown = AuditQuery {
        invoice_id: Some("inv_".into()),
        ..Default::default()
    };
    assert_eq!(at(&unknown).0, Vec::<u64>::new(), "an id, not a prefix");

    store.prune(0, 1_021).unwrap();
    assert_eq!(at(&rare).0, vec![1_040]);
    assert_eq!(
        at(&AuditQuery {
            limit: 10,
            ..by_invoice
        })
        .0,
        vec![1_051, 1_041, 1_031, 1_021],
        "until 1021, exclusive"
    );
}

pub async fn prune_drops_old_keys_and_audit(store: Arc<dyn Store>) {
    for (n, at) in [(1u64, 1_000u64), (2, 2_000), (3, 3_000)] {
        let inv = invoice(n, at, 9_000);
        let key = format!("key-{n}");
        store
            .insert_invoice(
                &inv,
                Some(&record(&key, &inv.id, at)),
                &[audit(at, None, None)],
            )
            .unwrap();
    }
    let pruned = store.prune(2_500, 2_000).unwrap();
    assert_eq!(pruned.idempotency_keys, 2);
    assert_eq!(pruned.audit_entries, 1, "audit before 2000, exclusive");
    assert!(store.idempotency_record("key-2").unwrap().is_none());
    assert!(store.idempotency_record("key-3").unwrap().is_some());
    let (rows, _) = store
        .audit_page(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(store.prune(0, 0).unwrap(), Default::default());
}

pub async fn list_filters_and_pages(store: Arc<dyn Store>) {
    let invs: Vec<_> = (1..=6u64).map(|n| invoice(n, n * 1_000, 99_000)).collect();
    for inv in &invs {
        insert(&*store, inv);
    }
    change(&*store, &invs[1].id, paid(2_500));
    change(&*store, &invs[3].id, paid(4_500));
    let list = |q: ListQuery| {
        let (rows, more) = store.list_invoices(&q).unwrap();
        (
            rows.iter()
                .map(|i| i.created_at_ms / 1_000)
                .collect::<Vec<_>>(),
            more,
        )
    };
    let all = |limit| ListQuery {
        limit,
        ..Default::default()
    };
    assert_eq!(list(all(10)), (vec![6, 5, 4, 3, 2, 1], false));
    assert_eq!(list(all(6)), (vec![6, 5, 4, 3, 2, 1], false));
    assert_eq!(list(all(2)), (vec![6, 5], true));
    assert_eq!(
        list(ListQuery {
            before_id: Some(invs[4].id.clone()),
            ..all(2)
        }),
        (vec![4, 3], true)
    );
    assert_eq!(
        list(ListQuery {
            status: Some(InvoiceStatus::Paid),
            ..all(10)
        }),
        (vec![4, 2], false)
    );
    assert_eq!(
        list(ListQuery {
            status: Some(InvoiceStatus::Pending),
            ..all(2)
        }),
        (vec![6, 5], true)
    );
    assert_eq!(
        list(ListQuery {
            created_after_ms: Some(2_000),
            created_before_ms: Some(5_000),
            ..all(10)
        }),
        (vec![4, 3, 2], false),
        "after inclusive, before exclusive"
    );
    assert_eq!(
        list(ListQuery {
            created_after_ms: Some(2_000),
            created_before_ms: Some(5_000),
            status: Some(InvoiceStatus::Pending),
            before_id: Some(invs[3].id.clone()),
            ..all(10)
        }),
        (vec![3], false)
    );
}

pub async fn due_index_holds_exactly_the_pending(store: Arc<dyn Store>) {
    // Expiry order differs from creation order on purpose.
    let expiries = [5_000u64, 3_000, 4_000, 3_000, 9_000];
    let invs: Vec<_> = expiries
        .iter()
        .enumerate()
        .map(|(n, &exp)| invoice(n as u64 + 1, 1_000 + n as u64, exp))
        .collect();
    for inv in &invs {
        insert(&*store, inv);
    }
    let due = |after: Option<&Due>, until, limit| {
        store
            .pending_due(after, until, limit)
            .unwrap()
            .into_iter()
            .map(|d| (d.expires_at_ms, d.invoice_id))
            .collect::<Vec<_>>()
    };
    let at = |i: usize| (expiries[i], invs[i].id.clone());
    assert_eq!(due(None, u64::MAX, 1), vec![at(1)], "the next expiry");
    assert_eq!(
        due(None, 4_000, 10),
        vec![at(1), at(3), at(2)],
        "until is inclusive"
    );
    assert_eq!(due(None, 2_999, 10), vec![]);
    let first = Due {
        expires_at_ms: 3_000,
        invoice_id: invs[1].id.clone(),
    };
    assert_eq!(
        due(Some(&first), 5_000, 2),
        vec![at(3), at(2)],
        "after is exclusive"
    );

    change(&*store, &invs[1].id, Transition::Expired { at_ms: 3_001 });
    change(&*store, &invs[3].id, paid(2_000));
    change(&*store, &invs[2].id, Transition::Canceled { at_ms: 2_000 });
    assert_eq!(
        due(None, u64::MAX, 10),
        vec![at(0), at(4)],
        "leaving PENDING leaves the index"
    );
    // Paid after expiry: it had already left; nothing comes back.
    change(&*store, &invs[1].id, paid(3_500));
    assert_eq!(due(None, u64::MAX, 10), vec![at(0), at(4)]);
    let pending: Vec<_> = store
        .pending_invoices()
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(pending.len(), 2);
    assert!(pending.contains(&invs[0].id) && pending.contains(&invs[4].id));
}
