//! BTC exchange rates for fiat prices. Every configured source is asked in
//! parallel and the median of the answers is used, so one wrong or stale
//! exchange cannot move a price alone. A rate is reused for `cache_secs`;
//! past `max_age_secs` it is never used: the create is refused instead of
//! priced on a guess.

mod sources;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use crate::config::{RateSourceKind, RatesConfig};
use crate::time::now_ms;
pub use sources::SourceError;

/// The price of one BTC, in units of 1e-8 of the fiat currency: exact for
/// every quote the exchanges send, and no float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate(u128);

const RATE_SCALE: u128 = 100_000_000;

impl Rate {
    /// A positive decimal with at most 8 decimals ("61234.50000").
    pub fn parse(s: &str) -> Option<Rate> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (s.contains('.') && !digits(frac)) || frac.len() > 8 {
            return None;
        }
        let frac_scaled = if frac.is_empty() {
            0
        } else {
            frac.parse::<u128>().ok()? * 10u128.pow(8 - frac.len() as u32)
        };
        let v = whole
            .parse::<u128>()
            .ok()?
            .checked_mul(RATE_SCALE)?
            .checked_add(frac_scaled)?;
        (v > 0).then_some(Rate(v))
    }

    /// The satoshis that `cents` buy, rounded up: the payer never pays less than the price.
    pub fn sat_for_cents(self, cents: u64) -> u64 {
        // sat = cents/100 / (rate/1e8) * 1e8 = cents * 1e14 / rate
        let num = cents as u128 * 100_000_000_000_000;
        num.div_ceil(self.0).min(u64::MAX as u128) as u64
    }
}

impl std::fmt::Display for Rate {
    /// At least 2 decimals, trailing zeros trimmed: "61234.50", "61234.12345".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let frac = format!("{:08}", self.0 % RATE_SCALE);
        let frac = frac.trim_end_matches('0');
        write!(f, "{}.{:0<2}", self.0 / RATE_SCALE, frac)
    }
}

/// The middle answer; for an even count, the mean of the two middle ones.
pub fn median(mut rates: Vec<Rate>) -> Option<Rate> {
    rates.sort();
    let n = rates.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(rates[n / 2]),
        _ => Some(Rate((rates[n / 2 - 1].0 + rates[n / 2].0) / 2)),
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("no {currency} rate younger than {max_age_secs} s: {detail}")]
pub struct RateError {
    pub currency: String,
    pub max_age_secs: u64,
    pub detail: String,
}

/// A rate as used for an invoice: its value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub rate: Rate,
    pub fetched_at_ms: u64,
    /// "median of bitstamp, kraken"
    pub source: String,
}

/// One source's state, for GetStatus.
#[derive(Clone, Debug, Default)]
pub struct SourceHealth {
    pub name: &'static str,
    pub ok: bool,
    pub last_success_ms: Option<u64>,
    pub last_error: Option<String>,
    pub last_rates: BTreeMap<String, String>,
}

pub struct Rates {
    config: RatesConfig,
    client: reqwest::Client,
    cache: Mutex<HashMap<String, Quote>>,
    /// One refresh at a time: concurrent creates wait for it instead of
    /// each asking every exchange.
    refreshing: tokio::sync::Mutex<()>,
    health: Mutex<BTreeMap<RateSourceKind, SourceHealth>>,
}

impl Rates {
    pub fn new(config: RatesConfig) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .user_agent(concat!("lnpayd/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with rustls builds");
        let health = config
            .sources
            .iter()
            .map(|s| {
                let h = SourceHealth {
                    name: s.kind.as_str(),
                    ..Default::default()
                };
                (s.kind, h)
            })
            .collect();
        Self {
            config,
            client,
            cache: Mutex::default(),
            refreshing: tokio::sync::Mutex::new(()),
            health: Mutex::new(health),
        }
    }

    pub fn health(&self) -> Vec<SourceHealth> {
        self.health
            .lock()
            .expect("rates lock poisoned")
            .values()
            .cloned()
            .collect()
    }

    fn cached(&self, currency: &str) -> Option<Quote> {
        self.cache
            .lock()
            .expect("rates lock poisoned")
            .get(currency)
            .cloned()
    }

    /// The BTC price in `currency`, fresh enough to sell at.
    pub async fn quote(&self, currency: &str) -> Result<Quote, RateError> {
        let fresh =
            |q: &Quote| now_ms().saturating_sub(q.fetched_at_ms) < self.config.cache_secs * 1000;
        if let Some(q) = self.cached(currency).filter(fresh) {
            return Ok(q);
        }
        let _one = self.refreshing.lock().await;
        if let Some(q) = self.cached(currency).filter(fresh) {
            return Ok(q);
        }
        let detail = match self.fetch(currency).await {
            Ok(q) => {
                self.cache
                    .lock()
                    .expect("rates lock poisoned")
                    .insert(currency.to_string(), q.clone());
                return Ok(q);
            }
            Err(detail) => detail,
        };
        let max_age_ms = self.config.max_age_secs * 1000;
        match self.cached(currency) {
            Some(q) if now_ms().saturating_sub(q.fetched_at_ms) < max_age_ms => {
                tracing::warn!(currency, error = %detail, age_ms = now_ms() - q.fetched_at_ms,
                    "rate refresh failed; using the last rate, still within rates.max_age_secs");
                Ok(q)
            }
            _ => Err(RateError {
                currency: currency.to_string(),
                max_age_secs: self.config.max_age_secs,
                detail,
            }),
        }
    }

    /// Asks every source at once; the median of at least `min_sources` answers.
    async fn fetch(&self, currency: &str) -> Result<Quote, String> {
        let asks = self.config.sources.iter().map(|s| async move {
            let base = s.url.as_deref().unwrap_or(s.kind.default_url());
            (
                s.kind,
                sources::fetch(&self.client, s.kind, base, currency).await,
            )
        });
        let answers = futures::future::join_all(asks).await;
        let now = now_ms();
        let mut got = Vec::new();
        let mut failures = Vec::new();
        {
            let mut health = self.health.lock().expect("rates lock poisoned");
            for (kind, answer) in answers {
                let outcome = if answer.is_ok() { "ok" } else { "error" };
                crate::metrics::metrics().rate_fetch(kind.as_str(), outcome);
                let h = health.entry(kind).or_default();
                h.name = kind.as_str();
                match answer {
                    Ok(rate) => {
                        h.ok = true;
                        h.last_success_ms = Some(now);
                        h.last_error = None;
                        h.last_rates.insert(currency.to_string(), rate.to_string());
                        got.push((kind, rate));
                    }
                    Err(e) => {
                        tracing::warn!(source = kind.as_str(), currency, error = %e, "exchange rate source failed");
                        h.ok = false;
                        h.last_error = Some(e.to_string());
                        failures.push(format!("{}: {e}", kind.as_str()));
                    }
                }
            }
        }
        if got.len() < self.config.min_sources {
            return Err(format!(
                "{} of the {} required sources answered ({})",
                got.len(),
                self.config.min_sources,
                failures.join("; ")
            ));
        }
        let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        let rate = median(got.iter().map(|(_, r)| *r).collect()).expect("at least one answer");
        Ok(Quote {
            rate,
            fetched_at_ms: now,
            source: format!("median of {}", names.join(", ")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_exactly_and_print_back() {
        let r = Rate::parse("61234.5").unwrap();
        assert_eq!(r.to_string(), "61234.50");
        assert_eq!(
            Rate::parse("61234.12345678").unwrap().to_string(),
            "61234.12345678"
        );
        for bad in ["", "0", "-1", "1e5", "1.", ".1", "1.123456789", "NaN"] {
            assert_eq!(Rate::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_median_resists_one_outlier() {
        let r = |s| Rate::parse(s).unwrap();
        assert_eq!(
            median(vec![r("60000"), r("1"), r("61000")]),
            Some(r("60000"))
        );
        assert_eq!(median(vec![r("60000"), r("62000")]), Some(r("61000")));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn fiat_converts_to_sat_rounding_up() {
        // 49.00 EUR at 50 000 EUR/BTC = 0.00098 BTC = 98 000 sat.
        assert_eq!(Rate::parse("50000").unwrap().sat_for_cents(4900), 98_000);
        // 1 cent at 30 000: 33.33… sat → 34.
        assert_eq!(Rate::parse("30000").unwrap().sat_for_cents(1), 34);
    }
}
