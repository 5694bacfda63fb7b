//! The connection to LND: TLS that trusts exactly LND's `tls.cert`, the
//! macaroon on every call, TCP_NODELAY, and HTTP/2 keepalive so a stream that
//! a proxy or a dead peer silently dropped is noticed. The generated lnrpc and
//! invoicesrpc clients come from `fedimint-tonic-lnd`; its own `connect()`
//! leaves Nagle on, which costs ~40 ms per call (BENCHMARKS.md).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use fedimint_tonic_lnd::invoicesrpc::invoices_client::InvoicesClient;
use fedimint_tonic_lnd::lnrpc;
use fedimint_tonic_lnd::lnrpc::lightning_client::LightningClient;
use fedimint_tonic_lnd::staterpc::state_client::StateClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tonic::codegen::InterceptedService;
use tonic::metadata::AsciiMetadataValue;

type Http = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<HttpConnector>,
    tonic::body::Body,
>;
pub type LndService = InterceptedService<Http, Macaroon>;

/// Adds the macaroon (hex) to every call.
#[derive(Clone)]
pub struct Macaroon(AsciiMetadataValue);

impl tonic::service::Interceptor for Macaroon {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("macaroon", self.0.clone());
        Ok(req)
    }
}

/// The LND services lnpayd uses, over one connection.
#[derive(Clone)]
pub struct LndClient {
    lightning: LightningClient<LndService>,
    invoices: InvoicesClient<LndService>,
    state: StateClient<LndService>,
    svc: LndService,
    origin: http::Uri,
}

/// The fields of `lnrpc.Invoice` the settlement watcher reads (same field
/// numbers). Every other field of each streamed invoice (the BOLT11, route
/// hints, HTLCs, the feature map) is skipped instead of being allocated.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StreamedInvoice {
    #[prost(bytes = "vec", tag = "4")]
    pub r_hash: Vec<u8>,
    #[prost(int64, tag = "8")]
    pub settle_date: i64,
    #[prost(uint64, tag = "16")]
    pub add_index: u64,
    #[prost(uint64, tag = "17")]
    pub settle_index: u64,
    #[prost(int64, tag = "20")]
    pub amt_paid_msat: i64,
    #[prost(int32, tag = "21")]
    pub state: i32,
}

impl From<&lnrpc::Invoice> for StreamedInvoice {
    fn from(inv: &lnrpc::Invoice) -> Self {
        Self {
            r_hash: inv.r_hash.clone(),
            settle_date: inv.settle_date,
            add_index: inv.add_index,
            settle_index: inv.settle_index,
            amt_paid_msat: inv.amt_paid_msat,
            state: inv.state,
        }
    }
}

impl LndClient {
    pub fn lightning(&mut self) -> &mut LightningClient<LndService> {
        &mut self.lightning
    }

    pub fn invoices(&mut self) -> &mut InvoicesClient<LndService> {
        &mut self.invoices
    }

    /// LND's State service (no macaroon needed): whether this node is active.
    pub fn state(&mut self) -> &mut StateClient<LndService> {
        &mut self.state
    }

    /// `Lightning/SubscribeInvoices`, each invoice decoded as [`StreamedInvoice`]s.
    pub async fn invoice_stream(
        &mut self,
        req: lnrpc::InvoiceSubscription,
    ) -> Result<tonic::Streaming<StreamedInvoice>, tonic::Status> {
        let mut grpc = tonic::client::Grpc::with_origin(self.svc.clone(), self.origin.clone());
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(format!("LND connection not ready: {e}")))?;
        let path = http::uri::PathAndQuery::from_static("/lnrpc.Lightning/SubscribeInvoices");
        let codec =
            tonic::codec::ProstCodec::<lnrpc::InvoiceSubscription, StreamedInvoice>::default();
        let resp = grpc
            .server_streaming(tonic::Request::new(req), path, codec)
            .await?;
        Ok(resp.into_inner())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no PEM certificate in lnd.tls_cert")]
    NoCertificate,
    #[error("invalid lnd.address {0:?}")]
    Address(String),
}

/// Builds a client from LND's certificate (PEM) and a macaroon; does not
/// contact LND (the first call does).
pub fn connect(
    address: &str,
    tls_cert_pem: &[u8],
    macaroon: &[u8],
    connect_timeout: Duration,
) -> Result<LndClient, ConnectError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(tls_cert_pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(ConnectError::NoCertificate);
    }
    let provider = rustls::crypto::ring::default_provider();
    let verifier = PinnedCertificate {
        certs,
        algorithms: provider.signature_verification_algorithms,
    };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http2()
        .wrap_connector(http);
    let client: Http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .http2_only(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .http2_keep_alive_timeout(Duration::from_secs(10))
        .http2_keep_alive_while_idle(true)
        .build(https);
    let uri = http::Uri::from_str(address).map_err(|_| ConnectError::Address(address.into()))?;
    let macaroon =
        Macaroon(AsciiMetadataValue::try_from(hex::encode(macaroon)).expect("hex is ASCII"));
    let svc = InterceptedService::new(client, macaroon);
    Ok(LndClient {
        lightning: LightningClient::with_origin(svc.clone(), uri.clone()),
        invoices: InvoicesClient::with_origin(svc.clone(), uri.clone()),
        state: StateClient::with_origin(svc.clone(), uri.clone()),
        svc,
        origin: uri,
    })
}

/// Trusts exactly the certificate(s) in LND's `tls.cert`. LND's certificate
/// is self-signed and marked as a CA, which WebPKI path building refuses as an
/// end entity, so the usual root-store verification cannot be used.
#[derive(Debug)]
struct PinnedCertificate {
    certs: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server's certificate is not the one in lnd.tls_cert".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// The hand-written field numbers must be lnrpc.Invoice's: a full
    /// invoice on the wire decodes to the same six fields.
    #[test]
    fn a_streamed_invoice_reads_the_fields_of_lnrpc_invoice() {
        let full = lnrpc::Invoice {
            memo: "m".into(),
            r_hash: vec![7; 32],
            payment_request: "lnbcrt1...".into(),
            settle_date: 1_700_000_000,
            add_index: 41,
            settle_index: 17,
            amt_paid_msat: 10_000,
            state: lnrpc::invoice::InvoiceState::Settled as i32,
            value_msat: 10_000,
            ..Default::default()
        };
        let light = StreamedInvoice::decode(full.encode_to_vec().as_slice()).unwrap();
        assert_eq!(light, StreamedInvoice::from(&full));
        assert_eq!(
            (light.add_index, light.settle_index, light.amt_paid_msat),
            (41, 17, 10_000)
        );
    }
}
