//! Domain ↔ protobuf conversions.

use crate::app::DaemonStatus;
use crate::catalog::{Price, Product};
use crate::checkout::{lightning_uri, Links};
use crate::domain::{AuditEntry, Event, EventKind, Invoice, InvoiceStatus};
use crate::health::{Health, ProviderFigures};
use crate::proto;
use crate::rates::SourceHealth;
use crate::time::to_timestamp;

/// `links` adds the payment page's URL when checkout is on.
pub fn invoice(i: Invoice, links: &Links) -> proto::Invoice {
    let (sale, fiat) = match i.sale {
        Some(mut s) => {
            let fiat = s.fiat.take();
            (Some(s), fiat)
        }
        None => (None, None),
    };
    proto::Invoice {
        lightning_uri: lightning_uri(&i.payment_request),
        checkout_url: links.checkout_url(&i.id).unwrap_or_default(),
        product_id: sale
            .as_ref()
            .map(|s| s.product_id.clone())
            .unwrap_or_default(),
        quantity: sale.map_or(0, |s| s.quantity),
        fiat_amount: fiat.as_ref().map(|f| f.amount.clone()).unwrap_or_default(),
        fiat_currency: fiat
            .as_ref()
            .map(|f| f.currency.clone())
            .unwrap_or_default(),
        exchange_rate: fiat.as_ref().map(|f| f.rate.clone()).unwrap_or_default(),
        rate_source: fiat.map(|f| f.rate_source).unwrap_or_default(),
        success_url: i.success_url.unwrap_or_default(),
        id: i.id,
        payment_request: i.payment_request,
        payment_hash: i.payment_hash,
        amount_msat: i.amount_msat,
        amount_received_msat: i.amount_received_msat,
        description: i.description,
        description_hash: i.description_hash.unwrap_or_default(),
        status: status(i.status) as i32,
        provider: i.provider,
        created_at: Some(to_timestamp(i.created_at_ms)),
        expires_at: Some(to_timestamp(i.expires_at_ms)),
        paid_at: i.paid_at_ms.map(to_timestamp),
        metadata: i.metadata.into_iter().collect(),
        external_ref: i.external_ref.unwrap_or_default(),
        customer_email: i.customer_email.unwrap_or_default(),
        paid_late: i.paid_late,
        updated_at: Some(to_timestamp(i.updated_at_ms)),
    }
}

pub fn status(s: InvoiceStatus) -> proto::InvoiceStatus {
    match s {
        InvoiceStatus::Pending => proto::InvoiceStatus::Pending,
        InvoiceStatus::Paid => proto::InvoiceStatus::Paid,
        InvoiceStatus::Expired => proto::InvoiceStatus::Expired,
        InvoiceStatus::Canceled => proto::InvoiceStatus::Canceled,
    }
}

pub fn status_from(s: proto::InvoiceStatus) -> Option<InvoiceStatus> {
    match s {
        proto::InvoiceStatus::Unspecified => None,
        proto::InvoiceStatus::Pending => Some(InvoiceStatus::Pending),
        proto::InvoiceStatus::Paid => Some(InvoiceStatus::Paid),
        proto::InvoiceStatus::Expired => Some(InvoiceStatus::Expired),
        proto::InvoiceStatus::Canceled => Some(InvoiceStatus::Canceled),
    }
}

pub fn event_kind(k: EventKind) -> proto::EventType {
    match k {
        EventKind::InvoiceCreated => proto::EventType::InvoiceCreated,
        EventKind::InvoicePaid => proto::EventType::InvoicePaid,
        EventKind::InvoiceExpired => proto::EventType::InvoiceExpired,
        EventKind::InvoiceCanceled => proto::EventType::InvoiceCanceled,
    }
}

pub fn event_kind_from(t: proto::EventType) -> Option<EventKind> {
    match t {
        proto::EventType::Unspecified => None,
        proto::EventType::InvoiceCreated => Some(EventKind::InvoiceCreated),
        proto::EventType::InvoicePaid => Some(EventKind::InvoicePaid),
        proto::EventType::InvoiceExpired => Some(EventKind::InvoiceExpired),
        proto::EventType::InvoiceCanceled => Some(EventKind::InvoiceCanceled),
    }
}

pub fn event(e: Event, links: &Links) -> proto::Event {
    proto::Event {
        sequence: e.sequence,
        r#type: event_kind(e.kind) as i32,
        occurred_at: Some(to_timestamp(e.occurred_at_ms)),
        invoice: Some(invoice(e.invoice, links)),
    }
}

pub fn daemon_status(s: DaemonStatus, rates: Vec<SourceHealth>) -> proto::GetStatusResponse {
    let health = match s.health {
        Health::Healthy => proto::OverallHealth::Healthy,
        Health::Degraded => proto::OverallHealth::Degraded,
        Health::Down => proto::OverallHealth::Down,
    };
    let providers = s
        .providers
        .into_iter()
        .map(|r| proto::ProviderStatus {
            name: r.name.into(),
            online: r.online,
            circuit: r.circuit.as_str().into(),
            connection: r.connection.map(|c| c.to_string()).unwrap_or_default(),
            last_latency_ms: r.last_latency_ms,
            latency_p50_ms: r.p50_ms,
            latency_p95_ms: r.p95_ms,
            last_check_at: r.last_check_at_ms.map(to_timestamp),
            last_error: r.last_error.unwrap_or_default(),
            details: r.details.into_iter().collect(),
        })
        .collect();
    proto::GetStatusResponse {
        version: env!("CARGO_PKG_VERSION").into(),
        health: health as i32,
        providers,
        serving_provider: s.serving.unwrap_or_default().into(),
        dev_mode: s.dev_mode,
        last_event_sequence: s.last_event_sequence,
        started_at: Some(to_timestamp(s.started_at_ms)),
        store: Some(super::store_health::status(&s.store)),
        rate_sources: rates.into_iter().map(rate_source).collect(),
        // Filled by the admin service from the webhook module.
        webhooks: Vec::new(),
        cluster: Some(cluster_status(s.cluster)),
    }
}

fn cluster_status(c: crate::leader::ClusterView) -> proto::ClusterStatus {
    use crate::leader::Role;
    let role = match c.role {
        Role::Leader => proto::ClusterRole::Leader,
        Role::Follower => proto::ClusterRole::Follower,
        Role::Unknown => proto::ClusterRole::Unknown,
    };
    let leader = c.leader;
    proto::ClusterStatus {
        instance_id: c.instance_id,
        role: role as i32,
        leader_id: leader
            .as_ref()
            .map(|l| l.holder.clone())
            .unwrap_or_default(),
        leader_since: leader.as_ref().map(|l| to_timestamp(l.since_ms)),
        leader_epoch: leader.map_or(0, |l| l.epoch),
    }
}

pub fn provider_figures(f: ProviderFigures) -> proto::ProviderMetrics {
    proto::ProviderMetrics {
        name: f.name.into(),
        uptime_percent: f.uptime_percent,
        health_checks: f.health_checks,
        calls: f.calls,
        success_rate: f.success_rate,
        avg_latency_ms: f.avg_latency_ms,
        latency_p50_ms: f.latency_p50_ms,
        latency_p95_ms: f.latency_p95_ms,
        latency_p99_ms: f.latency_p99_ms,
        errors_by_kind: f.errors_by_kind,
        invoices_last_hour: f.invoices_last_hour,
        invoices_last_day: f.invoices_last_day,
    }
}

pub fn audit_entry(e: AuditEntry) -> proto::AuditEntry {
    proto::AuditEntry {
        at: Some(to_timestamp(e.at_ms)),
        kind: e.kind.as_str().into(),
        invoice_id: e.invoice_id.unwrap_or_default(),
        provider: e.provider.unwrap_or_default(),
        action: e.action.as_str().into(),
        outcome: e.outcome,
        duration_ms: e.duration_ms.unwrap_or_default(),
        request_id: e.request_id.unwrap_or_default(),
    }
}

fn rate_source(h: SourceHealth) -> proto::RateSourceStatus {
    proto::RateSourceStatus {
        name: h.name.into(),
        ok: h.ok,
        last_success_at: h.last_success_ms.map(to_timestamp),
        last_error: h.last_error.unwrap_or_default(),
        last_rates: h.last_rates.into_iter().collect(),
    }
}

pub fn product(p: Product) -> proto::Product {
    use proto::product::Price as P;
    proto::Product {
        id: p.id,
        name: p.name,
        description: p.description.unwrap_or_default(),
        metadata: p.metadata.into_iter().collect(),
        price: Some(match p.price {
            Price::Sat(sat) => P::AmountSat(sat),
            Price::Fiat(f) => P::Fiat(proto::FiatPrice {
                amount: f.amount_string(),
                currency: f.currency,
            }),
        }),
    }
}
