//! gRPC clients for a running lnpayd, and the calls tests make through them
//! (GetStatus, the audit log, creates, lookups, waits, /metrics).

use lnpayd::proto::admin_client::AdminClient;
use lnpayd::proto::invoices_client::InvoicesClient;
use tonic::transport::Channel;

use super::{create_req, Admin, Bearer, Daemon, Invoices};

impl Daemon {
    /// A new connection to its gRPC address.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("connect")
    }

    /// An Invoices client with `token` (or none).
    pub async fn invoices_with(&self, token: Option<String>) -> Invoices {
        InvoicesClient::with_interceptor(self.channel().await, Bearer(token))
    }

    /// An Admin client with `token` (or none).
    pub async fn admin_with(&self, token: Option<String>) -> Admin {
        AdminClient::with_interceptor(self.channel().await, Bearer(token))
    }

    /// An Invoices client with the invoice token.
    pub async fn invoices(&self) -> Invoices {
        self.invoices_with(Some(self.token("invoice"))).await
    }

    /// An Admin client with the admin token.
    pub async fn admin(&self) -> Admin {
        self.admin_with(Some(self.token("admin"))).await
    }

    /// One provider's entry in GetStatus.
    pub async fn provider_status(&self, name: &str) -> lnpayd::proto::ProviderStatus {
        let s = self
            .admin()
            .await
            .get_status(lnpayd::proto::GetStatusRequest {})
            .await
            .unwrap()
            .into_inner();
        s.providers
            .into_iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} not in GetStatus"))
    }

    /// The sequence of the newest event, from GetStatus.
    pub async fn last_sequence(&self) -> u64 {
        self.admin()
            .await
            .get_status(lnpayd::proto::GetStatusRequest {})
            .await
            .unwrap()
            .into_inner()
            .last_event_sequence
    }

    /// The audit log of one invoice, newest first (one page: 100 entries).
    pub async fn audit_of(&self, invoice_id: &str) -> Vec<lnpayd::proto::AuditEntry> {
        self.admin()
            .await
            .list_audit_log(lnpayd::proto::ListAuditLogRequest {
                invoice_id: invoice_id.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries
    }

    /// CreateInvoice with the invoice token; panics on an error.
    pub async fn create(&self, amount_sat: u64, description: &str) -> lnpayd::proto::Invoice {
        self.invoices()
            .await
            .create_invoice(create_req(amount_sat, description))
            .await
            .unwrap_or_else(|e| panic!("create {amount_sat} sat: {e:?}"))
            .into_inner()
    }

    /// GET /metrics (OpenMetrics text); panics without a metrics listener.
    pub async fn metrics_text(&self) -> String {
        let addr = self.metrics.as_ref().expect("a metrics listener");
        reqwest::get(format!("http://{addr}/metrics"))
            .await
            .and_then(|r| r.error_for_status())
            .expect("GET /metrics")
            .text()
            .await
            .expect("the metrics body")
    }

    /// The store flushes (fsyncs) so far, from
    /// `lnpayd_store_flush_duration_seconds_count`.
    pub async fn store_flushes(&self) -> u64 {
        let text = self.metrics_text().await;
        text.lines()
            .find_map(|l| l.strip_prefix("lnpayd_store_flush_duration_seconds_count "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("lnpayd_store_flush_duration_seconds_count in /metrics") as u64
    }

    /// GetInvoice by id; panics on an error.
    pub async fn get_invoice(&self, id: &str) -> lnpayd::proto::Invoice {
        let req = lnpayd::proto::GetInvoiceRequest {
            lookup: Some(lnpayd::proto::get_invoice_request::Lookup::Id(id.into())),
        };
        self.invoices()
            .await
            .get_invoice(req)
            .await
            .unwrap()
            .into_inner()
    }

    /// WaitInvoice: the invoice once it leaves PENDING, or as it is after `secs`.
    pub async fn wait_invoice(&self, id: &str, secs: u32) -> lnpayd::proto::Invoice {
        let req = lnpayd::proto::WaitInvoiceRequest {
            id: id.into(),
            timeout_seconds: secs,
        };
        self.invoices()
            .await
            .wait_invoice(req)
            .await
            .unwrap()
            .into_inner()
    }

    /// Every stored invoice, counted through ListInvoices page by page.
    pub async fn invoice_count(&self) -> usize {
        let mut client = self.invoices().await;
        let (mut n, mut token) = (0, String::new());
        loop {
            let req = lnpayd::proto::ListInvoicesRequest {
                page_size: 500,
                page_token: token,
                ..Default::default()
            };
            let page = client.list_invoices(req).await.unwrap().into_inner();
            n += page.invoices.len();
            if page.next_page_token.is_empty() {
                return n;
            }
            token = page.next_page_token;
        }
    }

    /// WaitInvoice in the background, for a test that pays meanwhile.
    pub async fn spawn_wait(
        &self,
        id: &str,
        secs: u32,
    ) -> tokio::task::JoinHandle<lnpayd::proto::Invoice> {
        let mut c = self.invoices().await;
        let req = lnpayd::proto::WaitInvoiceRequest {
            id: id.into(),
            timeout_seconds: secs,
        };
        tokio::spawn(async move { c.wait_invoice(req).await.unwrap().into_inner() })
    }
}
