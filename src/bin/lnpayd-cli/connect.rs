//! Finding the daemon and its token the way the daemon itself finds its
//! address and data dir: flag, then `LNPAYD_*` environment (both through
//! clap), then the config file, then the daemon's defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lnpayd::api::auth::{ADMIN_TOKEN_FILE, INVOICE_TOKEN_FILE};
use lnpayd::proto::admin_client::AdminClient;
use lnpayd::proto::invoices_client::InvoicesClient;
use serde::Deserialize;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::args::{Global, Role};
use crate::exit::CliError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("authorization", self.0.clone());
        Ok(req)
    }
}

pub type Invoices = InvoicesClient<InterceptedService<Channel, Bearer>>;
pub type Admin = AdminClient<InterceptedService<Channel, Bearer>>;

/// Where the daemon is and which token to present, resolved once.
#[derive(Clone, Debug)]
pub struct Target {
    /// host:port.
    pub addr: String,
    pub token_file: PathBuf,
}

/// The two keys of config.toml the CLI needs; the others are the daemon's.
#[derive(Deserialize, Default)]
struct FileKeys {
    listen: Option<SocketAddr>,
    datadir: Option<PathBuf>,
}

impl Target {
    pub fn resolve(g: &Global) -> Result<Target, CliError> {
        let file = match &g.config {
            Some(path) => read_config(path)?,
            None => FileKeys::default(),
        };
        let defaults = lnpayd::config::Config::default();
        let addr = match &g.rpcserver {
            Some(a) => a.clone(),
            None => dialable(file.listen.unwrap_or(defaults.listen)),
        };
        let token_file = match &g.token_file {
            Some(f) => f.clone(),
            None => {
                let datadir = g
                    .datadir
                    .clone()
                    .or(file.datadir)
                    .unwrap_or(defaults.datadir);
                datadir.join(match g.role {
                    Role::Admin => ADMIN_TOKEN_FILE,
                    Role::Invoice => INVOICE_TOKEN_FILE,
                })
            }
        };
        Ok(Target {
            addr: dialable_str(&addr),
            token_file,
        })
    }

    /// Read at every connection, so a follower picks up a rotated token.
    fn bearer(&self) -> Result<Bearer, CliError> {
        let err = |cause: String| CliError::Token {
            path: self.token_file.display().to_string(),
            cause,
        };
        let token = std::fs::read_to_string(&self.token_file).map_err(|e| err(e.to_string()))?;
        let token = token.trim();
        if token.is_empty() {
            return Err(err("the file is empty".into()));
        }
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| err("the token is not printable ASCII".into()))?;
        Ok(Bearer(value))
    }

    async fn channel(&self) -> Result<Channel, CliError> {
        let connect_err = |cause: String| CliError::Connect {
            addr: self.addr.clone(),
            cause,
        };
        let endpoint = Endpoint::from_shared(format!("http://{}", self.addr))
            .map_err(|e| CliError::Usage(format!("--rpcserver {}: {e}", self.addr)))?
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true);
        endpoint
            .connect()
            .await
            .map_err(|e| connect_err(source_chain(&e)))
    }

    pub async fn invoices(&self) -> Result<Invoices, CliError> {
        let bearer = self.bearer()?;
        Ok(InvoicesClient::with_interceptor(
            self.channel().await?,
            bearer,
        ))
    }

    pub async fn admin(&self) -> Result<Admin, CliError> {
        let bearer = self.bearer()?;
        Ok(AdminClient::with_interceptor(self.channel().await?, bearer))
    }
}

fn read_config(path: &Path) -> Result<FileKeys, CliError> {
    use figment::providers::{Format, Toml};
    figment::Figment::from(Toml::file_exact(path))
        .extract::<FileKeys>()
        .map_err(|e| CliError::Usage(format!("--config {}: {e}", path.display())))
}

/// A listen address a client can dial: a wildcard one means this host.
fn dialable(listen: SocketAddr) -> String {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr.to_string()
}

/// `--rpcserver` as host:port; an `http://` in front (as grpcurl users
/// may type it) is dropped, the daemon speaking plaintext HTTP/2 only.
fn dialable_str(addr: &str) -> String {
    let addr = addr.strip_prefix("http://").unwrap_or(addr);
    match addr.parse::<SocketAddr>() {
        Ok(a) => dialable(a),
        Err(_) => addr.to_string(),
    }
}

/// tonic's transport error says only "transport error"; the cause is below.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        text.push_str(": ");
        text.push_str(&s.to_string());
        cur = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_listen_address_is_dialled_on_loopback() {
        assert_eq!(
            dialable("0.0.0.0:50051".parse().unwrap()),
            "127.0.0.1:50051"
        );
        assert_eq!(dialable("[::]:1".parse().unwrap()), "[::1]:1");
        assert_eq!(dialable_str("10.0.0.2:9"), "10.0.0.2:9");
        assert_eq!(dialable_str("http://0.0.0.0:9"), "127.0.0.1:9");
        assert_eq!(dialable_str("node.example:50051"), "node.example:50051");
    }

    #[test]
    fn the_config_file_gives_listen_and_datadir_and_nothing_else_matters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:6000\"\ndatadir = \"/var/lib/lnpayd\"\n[log]\nlevel = \"debug\"\n",
        )
        .unwrap();
        let keys = read_config(&path).unwrap();
        assert_eq!(dialable(keys.listen.unwrap()), "127.0.0.1:6000");
        assert_eq!(keys.datadir.unwrap(), PathBuf::from("/var/lib/lnpayd"));
    }
}
