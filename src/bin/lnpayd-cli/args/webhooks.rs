//! The `webhooks` subcommands: the Admin service's endpoint RPCs.

use clap::{Args, Subcommand, ValueEnum};
use lnpayd::proto;

use super::{parse_time, EventType, IdArg};

#[derive(Subcommand, Debug)]
pub enum Webhooks {
    /// Creates an endpoint; prints its secret, shown this once.
    Create {
        #[arg(long)]
        url: String,
        /// Repeat for more; default: every type.
        #[arg(long = "event-type", value_enum, value_name = "TYPE")]
        event_types: Vec<EventType>,
        #[arg(long, default_value = "")]
        description: String,
    },
    List,
    Get(IdArg),
    /// Changes the fields given; the others stay.
    Update(Update),
    /// Deletes the endpoint and its delivery log.
    Delete(IdArg),
    /// A new secret; the old one keeps signing for the overlap period.
    RotateSecret(IdArg),
    /// The delivery log, newest event first.
    Deliveries(Deliveries),
    /// Delivers one event again, or every failed one since a time.
    Redeliver(Redeliver),
}

#[derive(Args, Debug)]
pub struct Update {
    pub id: String,
    #[arg(long)]
    pub url: Option<String>,
    /// Replaces the endpoint's types; repeat for more.
    #[arg(
        long = "event-type",
        value_enum,
        value_name = "TYPE",
        conflicts_with = "all_event_types"
    )]
    pub event_types: Vec<EventType>,
    /// Deliver every event type.
    #[arg(long)]
    pub all_event_types: bool,
    #[arg(long)]
    pub enabled: Option<bool>,
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Args, Debug)]
pub struct Deliveries {
    #[arg(long, default_value = "")]
    pub endpoint_id: String,
    /// 0 means any event.
    #[arg(long, default_value_t = 0)]
    pub sequence: u64,
    #[arg(long, default_value = "")]
    pub invoice_id: String,
    #[arg(long, value_enum)]
    pub state: Option<DeliveryState>,
    /// 0 means 50; at most 500.
    #[arg(long, default_value_t = 0)]
    pub page_size: u32,
    #[arg(long, default_value = "")]
    pub page_token: String,
}

#[derive(Args, Debug)]
pub struct Redeliver {
    #[arg(long)]
    pub endpoint_id: String,
    /// One event's delivery, whatever its state.
    #[arg(
        long,
        required_unless_present = "failed_since",
        conflicts_with = "failed_since"
    )]
    pub sequence: Option<u64>,
    /// Every failed delivery of an event at or after this time (RFC 3339).
    #[arg(long, value_parser = parse_time, value_name = "RFC3339")]
    pub failed_since: Option<prost_types::Timestamp>,
}

/// `lnpayd.v1.WebhookDeliveryState` without its prefix.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl From<DeliveryState> for proto::WebhookDeliveryState {
    fn from(s: DeliveryState) -> Self {
        match s {
            DeliveryState::Pending => Self::Pending,
            DeliveryState::Delivered => Self::Delivered,
            DeliveryState::Failed => Self::Failed,
        }
    }
}
