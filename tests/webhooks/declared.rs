//! An endpoint declared in config.toml, with its secret read from a file.

use std::time::Duration;

use lnpayd::proto;

use crate::harness::{reason, Daemon};
use crate::receiver::{free_port, pay, url, Kind, Receiver};

#[tokio::test(flavor = "multi_thread")]
async fn a_config_endpoint_gets_its_event_types_and_is_changed_only_in_config() {
    let dir = tempfile::tempdir().unwrap();
    let secret = lnpayd::webhooks::signing::new_secret();
    let secret_file = dir.path().join("shop.whsec");
    std::fs::write(&secret_file, format!("{}\n", secret.expose())).unwrap();
    let port = free_port();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[webhooks.endpoints]]\nid = \"shop\"\nurl = \"{}\"\nsecret_file = \"{}\"\nevent_types = [\"invoice_paid\"]\n",
            url(port),
            secret_file.display()
        ),
    )
    .unwrap();
    let d = Daemon::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
    let r = Receiver::start(Kind::Python, port, secret.expose(), &[]);
    let mut admin = d.admin().await;

    let inv = d.create(1_000, "declared endpoint").await;
    pay(&mut admin, &inv.id).await;
    let got = r
        .wait_accepted(Duration::from_secs(10), |a| !a.is_empty())
        .await;
    assert_eq!(got[0]["type"], "EVENT_TYPE_INVOICE_PAID");
    assert_eq!(got[0]["invoice_id"], inv.id);
    let seq = got[0]["sequence"].as_str().unwrap();
    assert_eq!(got[0]["webhook_id"], format!("msg_shop_{seq}"));
    // Only PAID was asked for: CREATED was never sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.posts().len(), 1, "{:?}", r.posts());

    let list = admin
        .list_webhook_endpoints(proto::ListWebhookEndpointsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.endpoints.len(), 1);
    assert!(list.endpoints[0].from_config);
    let err = admin
        .delete_webhook_endpoint(proto::DeleteWebhookEndpointRequest { id: "shop".into() })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "WEBHOOK_ENDPOINT_FROM_CONFIG");
    assert!(
        !d.log_text().contains(&secret.expose()[6..]),
        "secret in the log"
    );
}
