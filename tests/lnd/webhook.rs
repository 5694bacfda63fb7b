//! A real payment on regtest reaches a webhook receiver: bob pays an
//! invoice lnpayd issued on alice's LND, and the README's Python receiver
//! gets the signed PAID event, verified by the standardwebhooks package.

use std::time::Duration;

use lnpayd::proto::EventType;

use crate::harness::{blocking, Daemon};
use crate::network::Network;
use crate::receiver::{create_endpoint, free_port, url, Kind, Receiver};

pub async fn a_real_payment_reaches_a_webhook_receiver(d: &Daemon, net: &Network) {
    let mut admin = d.admin().await;
    let port = free_port();
    let (endpoint_id, secret) =
        create_endpoint(&mut admin, &url(port), &[EventType::InvoicePaid]).await;
    let r = Receiver::start(Kind::Python, port, &secret, &[]);
    let inv = d.create(1_500, "regtest webhook").await;
    assert_eq!(inv.provider, "lnd");
    blocking(|| net.bob_pays(&inv.payment_request)).unwrap();
    let got = r
        .wait_accepted(Duration::from_secs(30), |a| !a.is_empty())
        .await;
    assert_eq!(got[0]["type"], "EVENT_TYPE_INVOICE_PAID");
    assert_eq!(got[0]["invoice_id"], inv.id);
    let seq = got[0]["sequence"].as_str().unwrap();
    assert_eq!(got[0]["webhook_id"], format!("msg_{endpoint_id}_{seq}"));
    // The endpoint's only delivery is this one, delivered at the first attempt.
    let log = crate::receiver::deliveries(&mut admin, &endpoint_id).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].attempts.len(), 1);
    assert_eq!(log[0].attempts[0].http_status, 200);
    // Stop delivering to a receiver that is about to go away.
    admin
        .delete_webhook_endpoint(lnpayd::proto::DeleteWebhookEndpointRequest { id: endpoint_id })
        .await
        .unwrap();
}
