//! The command line: global options and one subcommand per RPC, with flags
//! named after the request's proto fields (`amount_sat` is `--amount-sat`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lnpayd::proto;

use crate::exit::EXIT_STATUS_HELP;

mod webhooks;
pub use webhooks::{Deliveries, Webhooks};

/// Talks to a running lnpayd over gRPC: invoices, events, status and webhooks.
#[derive(Parser, Debug)]
#[command(name = "lnpayd-cli", version, after_long_help = EXIT_STATUS_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The daemon's gRPC address, host:port. Default: `listen` from --config,
    /// else 127.0.0.1:50051 (a wildcard listen address means this host).
    #[arg(long, global = true, env = "LNPAYD_LISTEN", value_name = "HOST:PORT")]
    pub rpcserver: Option<String>,
    /// The daemon's data directory, where it wrote admin.token and
    /// invoice.token. Default: `datadir` from --config, else ./lnpayd-data.
    #[arg(long, global = true, env = "LNPAYD_DATADIR", value_name = "DIR")]
    pub datadir: Option<PathBuf>,
    /// The daemon's config.toml: only its `listen` and `datadir` are read.
    #[arg(long, global = true, env = "LNPAYD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A file holding the bearer token; overrides --role.
    #[arg(long, global = true, env = "LNPAYD_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Which of the data dir's tokens to send: admin.token (every RPC) or
    /// invoice.token (the Invoices service only).
    #[arg(long, global = true, value_enum, default_value_t = Role::Admin)]
    pub role: Role,
    /// Output: JSON (one object per line; streams print one per event) or
    /// a table for people.
    #[arg(long, global = true, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Invoice,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Table,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Creates an invoice (Invoices.CreateInvoice).
    Create(Create),
    /// Reads one invoice by id, payment hash or external ref (Invoices.GetInvoice).
    Get(Get),
    /// Lists invoices, newest first (Invoices.ListInvoices).
    List(List),
    /// Cancels a pending invoice (Invoices.CancelInvoice).
    Cancel(IdArg),
    /// Waits until the invoice leaves PENDING or the timeout passes (Invoices.WaitInvoice).
    Wait(Wait),
    /// Prints payment events (Invoices.SubscribeEvents): the stored ones,
    /// then with --follow the live ones, reconnecting after the last printed.
    Events(Events),
    /// The daemon's and each provider's state (Admin.GetStatus).
    Status,
    /// Per-provider uptime, latency and errors over a window (Admin.GetProviderMetrics).
    ProviderMetrics(ProviderMetrics),
    /// The audit log, newest first (Admin.ListAuditLog).
    Audit(Audit),
    /// Pays a dev-provider invoice (Admin.SimulatePayment; daemon started with --dev).
    Simulate(Simulate),
    /// The product catalog (Admin.ListProducts).
    Products,
    /// Webhook endpoints and their deliveries (Admin.*Webhook*).
    #[command(subcommand, visible_alias = "webhook")]
    Webhooks(Webhooks),
    /// Prints a shell completion script to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Prints the man page (roff) to stdout, or writes one page per
    /// subcommand into --out-dir.
    Man {
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct Create {
    #[arg(long, conflicts_with = "amount_msat")]
    pub amount_sat: Option<u64>,
    #[arg(long)]
    pub amount_msat: Option<u64>,
    /// Shown to the payer.
    #[arg(long, conflicts_with = "description_hash")]
    pub description: Option<String>,
    /// SHA-256 of a description kept elsewhere, hex (32 bytes).
    #[arg(long, value_parser = parse_hex)]
    pub description_hash: Option<HexBytes>,
    /// 0 means the daemon's default.
    #[arg(long, default_value_t = 0)]
    pub expiry_seconds: u32,
    /// KEY=VALUE; repeat for more.
    #[arg(long, value_parser = parse_pair, value_name = "KEY=VALUE")]
    pub metadata: Vec<(String, String)>,
    /// A retry with the same key and parameters returns the same invoice.
    #[arg(long, default_value = "")]
    pub idempotency_key: String,
    #[arg(long, default_value = "")]
    pub external_ref: String,
    #[arg(long)]
    pub customer_email: Option<String>,
    /// A catalog product instead of an amount.
    #[arg(long, default_value = "")]
    pub product_id: String,
    /// How many of --product-id; 0 means 1.
    #[arg(long, default_value_t = 0)]
    pub quantity: u32,
    /// Where the checkout page sends the payer once paid.
    #[arg(long, default_value = "")]
    pub success_url: String,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct Get {
    /// The invoice id.
    pub id: Option<String>,
    /// Hex.
    #[arg(long)]
    pub payment_hash: Option<String>,
    /// The newest invoice with this external ref.
    #[arg(long)]
    pub external_ref: Option<String>,
}

#[derive(Args, Debug)]
pub struct IdArg {
    /// inv_… for an invoice, the endpoint's id for a webhook endpoint.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct List {
    #[arg(long, value_enum)]
    pub status: Option<InvoiceStatus>,
    /// RFC 3339, inclusive.
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub created_after: Option<prost_types::Timestamp>,
    /// RFC 3339, exclusive.
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub created_before: Option<prost_types::Timestamp>,
    /// 0 means 50; at most 500.
    #[arg(long, default_value_t = 0)]
    pub page_size: u32,
    /// next_page_token of the previous page.
    #[arg(long, default_value = "")]
    pub page_token: String,
}

#[derive(Args, Debug)]
pub struct Wait {
    /// The invoice id.
    pub id: String,
    /// 0 means 60 s; at most 3600.
    #[arg(long, default_value_t = 0)]
    pub timeout_seconds: u32,
}

#[derive(Args, Debug)]
pub struct Events {
    /// Start after this sequence (after_sequence); 0 replays everything kept.
    #[arg(long, visible_alias = "after-sequence", default_value_t = 0)]
    pub after: u64,
    /// Keep printing live events; on a lost connection, reconnect with
    /// backoff and resume after the last sequence printed.
    #[arg(long)]
    pub follow: bool,
    /// Only these event types; repeat for more. Default: every type.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub types: Vec<EventType>,
    /// Only this invoice's events.
    #[arg(long, default_value = "")]
    pub invoice_id: String,
}

#[derive(Args, Debug)]
pub struct ProviderMetrics {
    /// 0 means 86400.
    #[arg(long, default_value_t = 0)]
    pub window_seconds: u32,
}

#[derive(Args, Debug)]
pub struct Audit {
    #[arg(long, default_value = "")]
    pub invoice_id: String,
    #[arg(long, default_value = "")]
    pub provider: String,
    /// RFC 3339, inclusive.
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub since: Option<prost_types::Timestamp>,
    /// RFC 3339, exclusive.
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub until: Option<prost_types::Timestamp>,
    /// 0 means 100; at most 1000.
    #[arg(long, default_value_t = 0)]
    pub page_size: u32,
    #[arg(long, default_value = "")]
    pub page_token: String,
}

#[derive(Args, Debug)]
pub struct Simulate {
    /// The dev invoice's id.
    pub id: String,
    /// 0 means the invoice amount.
    #[arg(long, default_value_t = 0)]
    pub amount_msat: u64,
}

/// `lnpayd.v1.InvoiceStatus` without its prefix.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum InvoiceStatus {
    Pending,
    Paid,
    Expired,
    Canceled,
}

impl From<InvoiceStatus> for proto::InvoiceStatus {
    fn from(s: InvoiceStatus) -> Self {
        match s {
            InvoiceStatus::Pending => Self::Pending,
            InvoiceStatus::Paid => Self::Paid,
            InvoiceStatus::Expired => Self::Expired,
            InvoiceStatus::Canceled => Self::Canceled,
        }
    }
}

/// `lnpayd.v1.EventType` without its `EVENT_TYPE_INVOICE_` prefix.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum EventType {
    Created,
    Paid,
    Expired,
    Canceled,
}

impl From<EventType> for proto::EventType {
    fn from(t: EventType) -> Self {
        match t {
            EventType::Created => Self::InvoiceCreated,
            EventType::Paid => Self::InvoicePaid,
            EventType::Expired => Self::InvoiceExpired,
            EventType::Canceled => Self::InvoiceCanceled,
        }
    }
}

/// The wire values of `types`, as the requests carry them.
pub fn event_types(types: &[EventType]) -> Vec<i32> {
    types
        .iter()
        .map(|&t| proto::EventType::from(t) as i32)
        .collect()
}

/// Bytes given in hex (clap would read a bare `Vec<u8>` as many values).
#[derive(Clone, Debug)]
pub struct HexBytes(pub Vec<u8>);

fn parse_hex(s: &str) -> Result<HexBytes, String> {
    hex::decode(s)
        .map(HexBytes)
        .map_err(|e| format!("not hex: {e}"))
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))?;
    Ok((k.to_string(), v.to_string()))
}

pub(crate) fn parse_time(s: &str) -> Result<prost_types::Timestamp, String> {
    s.parse()
        .map_err(|e| format!("not an RFC 3339 time ({e}): {s:?}"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn metadata_pairs_and_times_parse() {
        assert_eq!(
            parse_pair("order=a=b").unwrap(),
            ("order".into(), "a=b".into())
        );
        assert!(parse_pair("order").is_err());
        assert_eq!(parse_time("1970-01-01T00:00:10Z").unwrap().seconds, 10);
        assert!(parse_time("yesterday").is_err());
    }
}
