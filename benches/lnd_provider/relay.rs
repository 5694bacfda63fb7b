//! The floor under lnpayd's LND path: a process that does nothing but relay
//! `lnpayd.v1.Invoices/CreateInvoice` to LND's `AddInvoice` and answer with
//! the BOLT11. No store, no fsync, no signature check, no event log, no
//! metrics, no tracing: only the two gRPC hops lnpayd cannot avoid while it
//! is a process of its own between a backend and LND. It uses lnpayd's own
//! LND client (the same TLS, HTTP/2 and keepalive settings), tonic's server
//! with TCP_NODELAY as lnpayd's, and the tokio scheduler lnpayd picks for
//! the same `worker_threads` (`BENCH_LNPAYD_WORKERS`).
//!
//! Its CPU per invoice is what any design of lnpayd in this layout costs at
//! least; the bench reports it next to lnpayd's, in the same run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fedimint_tonic_lnd::lnrpc;
use lnpayd::proto::invoices_server::{Invoices, InvoicesServer};
use lnpayd::proto::{self, create_invoice_request::Amount, create_invoice_request::Memo};
use lnpayd::providers::lnd::conn::LndClient;
use tonic::{Request, Response, Status};

/// The environment variable that turns this bench binary into the relay.
const ROLE: &str = "LNPAYD_BENCH_RELAY_LND";

/// The relay's LND connection: (address, tls.cert path, macaroon path).
pub struct Target {
    pub address: String,
    pub tls_cert: PathBuf,
    pub macaroon: PathBuf,
    /// lnpayd's `worker_threads` in this run (0: its default).
    pub worker_threads: usize,
}

/// The relay as a child process, killed on drop.
pub struct Relay {
    child: Child,
    pub addr: SocketAddr,
}

impl Relay {
    /// Starts this same executable as the relay, and waits for its address.
    pub fn start(lnd: &Target) -> Relay {
        use std::io::BufRead;
        let mut child = Command::new(std::env::current_exe().expect("the bench's own path"))
            .env(
                ROLE,
                format!(
                    "{}\n{}\n{}\n{}",
                    lnd.address,
                    lnd.tls_cert.display(),
                    lnd.macaroon.display(),
                    lnd.worker_threads
                ),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the relay");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the relay's address");
        let addr = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the relay printed {line:?}, not its address")
        });
        Relay { child, addr }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In the relay process (the role's variable set): serves until killed and
/// never returns. Elsewhere returns at once.
pub fn serve_if_asked() {
    let Ok(spec) = std::env::var(ROLE) else {
        return;
    };
    let mut parts = spec.lines();
    let (Some(address), Some(cert), Some(mac), Some(threads)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        panic!("{ROLE}: expected address, tls.cert, macaroon and worker threads, one per line");
    };
    let threads: usize = threads.parse().expect("worker threads: a number");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = lnpayd::providers::lnd::conn::connect(
        &format!("https://{address}"),
        &std::fs::read(cert).expect("tls.cert"),
        &std::fs::read(mac).expect("macaroon"),
        Duration::from_secs(10),
    )
    .expect("the relay's LND client");
    // The relay has no store: the scheduler lnpayd runs with its default one.
    let rt = lnpayd::config::Runtime::for_threads(threads, lnpayd::config::StoreBackend::Fjall)
        .build()
        .expect("the relay's runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        println!("{}", listener.local_addr().expect("bound address"));
        tonic::transport::Server::builder()
            .add_service(InvoicesServer::new(RelayApi { lnd: client }))
            .serve_with_incoming(
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            )
            .await
            .expect("the relay serves");
    });
    std::process::exit(0);
}

struct RelayApi {
    lnd: LndClient,
}

#[tonic::async_trait]
impl Invoices for RelayApi {
    async fn create_invoice(
        &self,
        req: Request<proto::CreateInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        let req = req.into_inner();
        let value_msat = match req.amount {
            Some(Amount::AmountSat(s)) => s * 1000,
            Some(Amount::AmountMsat(m)) => m,
            None => return Err(Status::invalid_argument("amount")),
        };
        let memo = match req.memo {
            Some(Memo::Description(d)) => d,
            _ => String::new(),
        };
        // The same request lnpayd's LND provider sends, and the bench's direct target.
        let added = self
            .lnd
            .clone()
            .lightning()
            .add_invoice(lnrpc::Invoice {
                value_msat: value_msat as i64,
                expiry: 3600,
                memo,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(Response::new(proto::Invoice {
            id: hex::encode(&added.r_hash),
            payment_hash: hex::encode(&added.r_hash),
            payment_request: added.payment_request,
            amount_msat: value_msat,
            ..Default::default()
        }))
    }

    async fn get_invoice(
        &self,
        _: Request<proto::GetInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        Err(Status::unimplemented("the relay only creates"))
    }

    async fn list_invoices(
        &self,
        _: Request<proto::ListInvoicesRequest>,
    ) -> Result<Response<proto::ListInvoicesResponse>, Status> {
        Err(Status::unimplemented("the relay only creates"))
    }

    async fn cancel_invoice(
        &self,
        _: Request<proto::CancelInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        Err(Status::unimplemented("the relay only creates"))
    }

    async fn wait_invoice(
        &self,
        _: Request<proto::WaitInvoiceRequest>,
    ) -> Result<Response<proto::Invoice>, Status> {
        Err(Status::unimplemented("the relay only creates"))
    }

    type SubscribeEventsStream =
        std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<proto::Event, Status>> + Send>>;

    async fn subscribe_events(
        &self,
        _: Request<proto::SubscribeEventsRequest>,
    ) -> Result<Response<Self::SubscribeEventsStream>, Status> {
        Err(Status::unimplemented("the relay only creates"))
    }
}
