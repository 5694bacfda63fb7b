#![allow(dead_code)]
//! The receivers as child processes: bound to 127.0.0.1, killed on drop,
//! their JSON stdout lines collected for the test to read.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lnpayd::proto;
use serde_json::Value;

use crate::harness::Admin;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Python,
    Node,
}

pub struct Receiver {
    child: Option<Child>,
    pub kind: Kind,
    lines: Arc<Mutex<Vec<Value>>>,
}

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools")
}

fn receivers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/webhooks/receivers")
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/hook")
}

impl Receiver {
    /// Starts the receiver on `port` with `secret`; `env` adds the test
    /// server's knobs (FAIL_FIRST, SLEEP_SECS, CHECK_SECRETS_FILE).
    pub fn start(kind: Kind, port: u16, secret: &str, env: &[(&str, &str)]) -> Receiver {
        let mut cmd = match kind {
            Kind::Python => {
                let python = tools().join("webhooks-venv/bin/python");
                assert!(
                    python.exists(),
                    "{} is missing: run scripts/ensure-tools.sh webhooks",
                    python.display()
                );
                let mut c = Command::new(python);
                c.arg(receivers().join("python/test_server.py"));
                c
            }
            Kind::Node => {
                let modules = tools().join("webhooks-node/node_modules");
                assert!(
                    modules.exists(),
                    "{} is missing: run scripts/ensure-tools.sh webhooks",
                    modules.display()
                );
                let mut c = Command::new("node");
                c.arg(receivers().join("node/serve.js"))
                    .env("NODE_PATH", modules);
                c
            }
        };
        cmd.arg(port.to_string())
            .env("LNPAYD_WEBHOOK_SECRET", secret)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn receiver");
        let stdout = child.stdout.take().unwrap();
        let lines: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        let mut r = Receiver {
            child: Some(child),
            kind,
            lines,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !r.lines().iter().any(|l| l.get("listening").is_some()) {
            assert!(r.is_running(), "{kind:?} receiver exited before listening");
            assert!(Instant::now() < deadline, "{kind:?} receiver did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        r
    }

    pub fn lines(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }

    /// Events the receiver verified and handled (duplicates included).
    pub fn accepted(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l.get("type").is_some())
            .collect()
    }

    /// Every POST that reached the test server, before verification.
    pub fn posts(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l.get("post").is_some())
            .collect()
    }

    /// Waits (bounded) until `done` holds for the accepted events; returns them.
    pub async fn wait_accepted(
        &self,
        within: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.accepted();
            if done(&got) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{:?} receiver: not done within {within:?}; lines: {:#?}",
                self.kind,
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Accepted events of one type for one invoice.
pub fn of(accepted: &[Value], invoice_id: &str, kind: &str) -> Vec<Value> {
    accepted
        .iter()
        .filter(|l| l["invoice_id"] == invoice_id && l["type"] == kind)
        .cloned()
        .collect()
}

/// CreateWebhookEndpoint; returns the endpoint id and its secret.
pub async fn create_endpoint(
    admin: &mut Admin,
    url: &str,
    types: &[proto::EventType],
) -> (String, String) {
    let r = admin
        .create_webhook_endpoint(proto::CreateWebhookEndpointRequest {
            url: url.into(),
            event_types: types.iter().map(|t| *t as i32).collect(),
            description: "test".into(),
        })
        .await
        .unwrap_or_else(|e| panic!("create endpoint {url}: {e:?}"))
        .into_inner();
    (r.endpoint.unwrap().id, r.secret)
}

/// The delivery log of one endpoint (one page of 500).
pub async fn deliveries(admin: &mut Admin, endpoint_id: &str) -> Vec<proto::WebhookDelivery> {
    admin
        .list_webhook_deliveries(proto::ListWebhookDeliveriesRequest {
            endpoint_id: endpoint_id.into(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .deliveries
}

/// Waits (bounded) until the endpoint's delivery log satisfies `done`.
pub async fn wait_deliveries(
    admin: &mut Admin,
    endpoint_id: &str,
    within: Duration,
    done: impl Fn(&[proto::WebhookDelivery]) -> bool,
) -> Vec<proto::WebhookDelivery> {
    let deadline = Instant::now() + within;
    loop {
        let got = deliveries(admin, endpoint_id).await;
        if done(&got) {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "delivery log not as expected within {within:?}: {got:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Settles a dev invoice.
pub async fn pay(admin: &mut Admin, invoice_id: &str) {
    admin
        .simulate_payment(proto::SimulatePaymentRequest {
            id: invoice_id.into(),
            amount_msat: 0,
        })
        .await
        .unwrap();
}
