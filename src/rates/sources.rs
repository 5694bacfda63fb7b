//! The exchanges' public ticker APIs, each parsed from its documented
//! response format. Prices stay decimal strings until [`Rate::parse`].

use serde::Deserialize;

use super::Rate;
use crate::config::RateSourceKind;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("request failed: {0}")]
    Http(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("unexpected response: {0}")]
    Format(String),
}

/// The URL that quotes BTC in `currency` (upper case) on `base`.
pub fn ticker_url(kind: RateSourceKind, base: &str, currency: &str) -> String {
    let base = base.trim_end_matches('/');
    match kind {
        // https://docs.kraken.com/api/docs/rest-api/get-ticker-information
        RateSourceKind::Kraken => format!("{base}/0/public/Ticker?pair=XBT{currency}"),
        // https://docs.cdp.coinbase.com/coinbase-app/track-apis/prices#get-spot-price
        RateSourceKind::Coinbase => format!("{base}/v2/prices/BTC-{currency}/spot"),
        // https://www.bitstamp.net/api/#tag/Tickers/operation/GetCurrencyPairTicker
        RateSourceKind::Bitstamp => {
            format!("{base}/api/v2/ticker/btc{}/", currency.to_ascii_lowercase())
        }
    }
}

#[derive(Deserialize)]
struct KrakenTicker {
    error: Vec<String>,
    #[serde(default)]
    result: std::collections::BTreeMap<String, KrakenPair>,
}

#[derive(Deserialize)]
struct KrakenPair {
    /// Last trade closed: [price, lot volume].
    c: Vec<String>,
}

#[derive(Deserialize)]
struct CoinbaseSpot {
    data: CoinbaseAmount,
}

#[derive(Deserialize)]
struct CoinbaseAmount {
    amount: String,
    currency: String,
}

#[derive(Deserialize)]
struct BitstampTicker {
    last: String,
}

/// Reads one source's answer for `currency`.
pub fn parse(kind: RateSourceKind, currency: &str, body: &[u8]) -> Result<Rate, SourceError> {
    let bad = |e: serde_json::Error| SourceError::Format(e.to_string());
    let price = match kind {
        RateSourceKind::Kraken => {
            let t: KrakenTicker = serde_json::from_slice(body).map_err(bad)?;
            if !t.error.is_empty() {
                return Err(SourceError::Format(t.error.join("; ")));
            }
            // One pair was asked for; Kraken names it its own way (XXBTZEUR).
            let mut pairs = t.result.into_values();
            match (pairs.next(), pairs.next()) {
                (Some(p), None) => p.c.into_iter().next().unwrap_or_default(),
                _ => return Err(SourceError::Format("not exactly one pair".into())),
            }
        }
        RateSourceKind::Coinbase => {
            let s: CoinbaseSpot = serde_json::from_slice(body).map_err(bad)?;
            if s.data.currency != currency {
                return Err(SourceError::Format(format!(
                    "quoted in {}, not {currency}",
                    s.data.currency
                )));
            }
            s.data.amount
        }
        RateSourceKind::Bitstamp => {
            let t: BitstampTicker = serde_json::from_slice(body).map_err(bad)?;
            t.last
        }
    };
    Rate::parse(&price).ok_or_else(|| SourceError::Format(format!("price {price:?}")))
}

pub async fn fetch(
    client: &reqwest::Client,
    kind: RateSourceKind,
    base: &str,
    currency: &str,
) -> Result<Rate, SourceError> {
    let resp = client
        .get(ticker_url(kind, base, currency))
        .send()
        .await
        .map_err(|e| SourceError::Http(e.without_url().to_string()))?;
    if !resp.status().is_success() {
        return Err(SourceError::Status(resp.status().as_u16()));
    }
    let body = resp
        .bytes()
        .await
        .map_err(|e| SourceError::Http(e.without_url().to_string()))?;
    parse(kind, currency, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_documented_format_parses() {
        let kraken = br#"{"error":[],"result":{"XXBTZEUR":{"a":["61235.00000","1","1.000"],"b":["61234.90000","2","2.000"],"c":["61234.50000","0.00100000"],"v":["1","2"],"p":["1","2"],"t":[1,2],"l":["1","2"],"h":["1","2"],"o":"61000.0"}}}"#;
        let coinbase = br#"{"data":{"amount":"61300.12","base":"BTC","currency":"EUR"}}"#;
        let bitstamp = br#"{"timestamp":"1700000000","open":"61000","high":"62000","low":"60000","last":"61250","volume":"12.3","vwap":"61100","bid":"61249","ask":"61251","side":"0","open_24":"60900","percent_change_24":"0.57"}"#;
        assert_eq!(
            parse(RateSourceKind::Kraken, "EUR", kraken).unwrap(),
            Rate::parse("61234.5").unwrap()
        );
        assert_eq!(
            parse(RateSourceKind::Coinbase, "EUR", coinbase).unwrap(),
            Rate::parse("61300.12").unwrap()
        );
        assert_eq!(
            parse(RateSourceKind::Bitstamp, "EUR", bitstamp).unwrap(),
            Rate::parse("61250").unwrap()
        );
        assert!(parse(RateSourceKind::Coinbase, "USD", coinbase).is_err());
        assert!(parse(
            RateSourceKind::Kraken,
            "EUR",
            br#"{"error":["EQuery:Unknown asset pair"]}"#
        )
        .is_err());
    }
}
