//! Alerts against an unreachable LND: structured log lines, and a webhook
//! that fails once and gets the alert on the retry.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::Daemon;

/// An HTTP endpoint recording JSON bodies; answers 500 to the first request.
struct Capture {
    url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    requests: Arc<Mutex<usize>>,
}

fn capture() -> Capture {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let requests = Arc::new(Mutex::new(0usize));
    let (b, r) = (bodies.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let n = {
                let mut n = r.lock().unwrap();
                *n += 1;
                *n
            };
            let status = if n == 1 {
                "500 Internal Server Error"
            } else {
                b.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or_default());
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    Capture {
        url: format!("http://{addr}/hooks/T0-placeholder-secret"),
        bodies,
        requests,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_lnd_raises_alerts_in_the_log_and_on_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let Capture {
        url,
        bodies,
        requests,
    } = capture();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cert = dir.path().join("tls.cert");
    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mac = dir.path().join("invoice.macaroon");
    std::fs::write(&mac, [2, 1, 3]).unwrap();
    let env = [
        ("LNPAYD_LND__ADDRESS", format!("127.0.0.1:{closed}")),
        ("LNPAYD_LND__TLS_CERT", cert.display().to_string()),
        ("LNPAYD_LND__MACAROON", mac.display().to_string()),
        ("LNPAYD_LND__NETWORK", "regtest".into()),
        ("LNPAYD_LND__RECONNECT_MAX_SECS", "1".into()),
        ("LNPAYD_FAILOVER__HEALTH_CHECK_INTERVAL_MS", "200".into()),
        ("LNPAYD_FAILOVER__BREAKER_COOLDOWN_SECS", "600".into()),
        ("LNPAYD_ALERTS__WEBHOOK_URL", url.clone()),
        ("LNPAYD_ALERTS__PROVIDER_DOWN_SECS", "1".into()),
        ("LNPAYD_ALERTS__STREAM_DOWN_SECS", "1".into()),
        ("LNPAYD_ALERTS__EVALUATE_INTERVAL_MS", "200".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let d = Daemon::start(dir.path(), &[], &env);

    let want = ["provider_failing", "provider_down", "stream_down"];
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got: Vec<String> = bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["alert"].as_str().unwrap_or("").to_string())
            .collect();
        if want.iter().all(|w| got.iter().any(|g| g == w)) {
            break;
        }
        assert!(Instant::now() < deadline, "webhook got only {got:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for b in bodies.lock().unwrap().iter() {
        assert_eq!(b["provider"], "lnd", "{b}");
        assert_eq!(b["state"], "raised", "{b}");
        assert!(
            b["text"].as_str().unwrap().starts_with("lnpayd alert "),
            "{b}"
        );
    }
    // The first delivery got a 500 and was retried: one more request than alerts received.
    assert!(*requests.lock().unwrap() > bodies.lock().unwrap().len());

    let log = d.log_text();
    for w in want {
        let line = log
            .lines()
            .find(|l| l.contains(&format!("alert=\"{w}\"")) || l.contains(&format!("alert={w}")));
        let line = line.unwrap_or_else(|| panic!("no log line for {w} in:\n{log}"));
        assert!(line.contains("raised"), "{line}");
    }
    assert!(log.contains("alert webhook delivery failed"));
    assert!(
        !log.contains("placeholder-secret"),
        "the webhook URL reached the log"
    );
}
