//! Local stand-ins for the exchanges' ticker APIs, answering in each one's
//! documented format, so no test reaches the internet. Each price can be
//! changed or switched off (503) while the daemon runs.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// BTC/EUR per exchange; None answers 503.
#[derive(Default)]
pub struct Prices {
    pub kraken: Option<String>,
    pub coinbase: Option<String>,
    pub bitstamp: Option<String>,
}

pub struct RateFixture {
    pub url: String,
    pub prices: Arc<Mutex<Prices>>,
    pub hits: Arc<Mutex<HashMap<&'static str, usize>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RateFixture {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RateFixture {
    pub async fn start(prices: Prices) -> RateFixture {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let prices = Arc::new(Mutex::new(prices));
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let (p, h) = (prices.clone(), hits.clone());
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (p, h) = (p.clone(), h.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let answer = answer(&p, &h, req.uri().path(), req.uri().query());
                        async move { Ok::<_, Infallible>(answer) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        RateFixture {
            url,
            prices,
            hits,
            server,
        }
    }

    pub fn set(&self, f: impl FnOnce(&mut Prices)) {
        f(&mut self.prices.lock().unwrap());
    }

    pub fn hits(&self, source: &str) -> usize {
        self.hits.lock().unwrap().get(source).copied().unwrap_or(0)
    }
}

fn answer(
    prices: &Mutex<Prices>,
    hits: &Mutex<HashMap<&'static str, usize>>,
    path: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    let p = prices.lock().unwrap();
    let (source, price, body): (&'static str, &Option<String>, fn(&str) -> String) = match (
        path, query,
    ) {
        ("/0/public/Ticker", Some("pair=XBTEUR")) => ("kraken", &p.kraken, |v| {
            format!(
                r#"{{"error":[],"result":{{"XXBTZEUR":{{"a":["{v}","1","1.000"],"b":["{v}","1","1.000"],"c":["{v}","0.00050000"],"v":["10.1","20.2"],"p":["{v}","{v}"],"t":[100,200],"l":["{v}","{v}"],"h":["{v}","{v}"],"o":"{v}"}}}}}}"#
            )
        }),
        ("/v2/prices/BTC-EUR/spot", None) => ("coinbase", &p.coinbase, |v| {
            format!(r#"{{"data":{{"amount":"{v}","base":"BTC","currency":"EUR"}}}}"#)
        }),
        ("/api/v2/ticker/btceur/", None) => ("bitstamp", &p.bitstamp, |v| {
            format!(
                r#"{{"timestamp":"1700000000","open":"{v}","high":"{v}","low":"{v}","last":"{v}","volume":"1.0","vwap":"{v}","bid":"{v}","ask":"{v}","side":"0","open_24":"{v}","percent_change_24":"0.00"}}"#
            )
        }),
        _ => {
            return Response::builder()
                .status(404)
                .body(Full::new(Bytes::from_static(b"{}")))
                .unwrap()
        }
    };
    *hits.lock().unwrap().entry(source).or_default() += 1;
    match price {
        Some(v) => Response::new(Full::new(Bytes::from(body(v)))),
        None => Response::builder()
            .status(503)
            .body(Full::new(Bytes::from_static(b"down")))
            .unwrap(),
    }
}
