//! Checks the whole configuration at start-up and reports every problem at
//! once, each naming its key, so a deployment is fixed in one round.

use super::{Config, Invalid, ProviderConfig};

impl Config {
    pub(super) fn problems(&self) -> Vec<Invalid> {
        let mut errors = Vec::new();
        let mut bad = |key: &str, message: String| errors.push(Invalid::new(key, message));
        let i = &self.invoices;
        // 21 million BTC: nothing above it can be an amount.
        if i.max_amount_sat == 0 || i.max_amount_sat > 21_000_000 * 100_000_000 {
            bad(
                "invoices.max_amount_sat",
                format!("{} is not between 1 and 2.1e15", i.max_amount_sat),
            );
        }
        if i.min_expiry_secs == 0 || i.min_expiry_secs > i.max_expiry_secs {
            bad(
                "invoices.min_expiry_secs",
                "must be at least 1 and at most invoices.max_expiry_secs".into(),
            );
        }
        if !(i.min_expiry_secs..=i.max_expiry_secs).contains(&i.default_expiry_secs) {
            bad(
                "invoices.default_expiry_secs",
                format!(
                    "{} is outside [{}, {}]",
                    i.default_expiry_secs, i.min_expiry_secs, i.max_expiry_secs
                ),
            );
        }
        let st = &self.store;
        match st.backend {
            super::StoreBackend::Postgres => {
                if st.url.is_none() && st.url_file.is_none() {
                    bad(
                        "store.url",
                        "backend = \"postgres\" needs store.url or store.url_file".into(),
                    );
                }
                if let (Some(url), None) = (&st.url, &st.url_file) {
                    if url.expose().parse::<tokio_postgres::Config>().is_err() {
                        // Not echoed: the URL may hold a password.
                        bad("store.url", "is not a PostgreSQL URL".into());
                    }
                }
                if !(1..=1000).contains(&st.pool_size) {
                    bad(
                        "store.pool_size",
                        format!("{} is not between 1 and 1000", st.pool_size),
                    );
                }
            }
            super::StoreBackend::Sled | super::StoreBackend::Fjall => {
                if st.url.is_some() || st.url_file.is_some() {
                    bad(
                        "store.url",
                        "is only used with backend = \"postgres\"".into(),
                    );
                }
            }
        }
        if self.worker_threads > 256 {
            bad(
                "worker_threads",
                format!("{} is more than 256", self.worker_threads),
            );
        }
        if self.retention.idempotency_secs < 24 * 3600 {
            bad(
                "retention.idempotency_secs",
                "idempotency keys are kept at least 86400 s (24 h)".into(),
            );
        }
        if self.retention.prune_interval_secs == 0 {
            bad("retention.prune_interval_secs", "must be at least 1".into());
        }
        if self.events.max_streams == 0 {
            bad("events.max_streams", "must be at least 1".into());
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            bad("log.level", e.to_string());
        }
        if let Some(url) = &self.alerts.webhook_url {
            match url::Url::parse(url.expose()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                // Not echoed: the URL is a secret.
                _ => bad("alerts.webhook_url", "is not an http(s) URL".into()),
            }
        }
        if self.alerts.evaluate_interval_ms < 100 {
            bad("alerts.evaluate_interval_ms", "must be at least 100".into());
        }
        let f = &self.failover;
        if f.attempt_timeout_ms == 0 {
            bad("failover.attempt_timeout_ms", "must be at least 1".into());
        }
        if f.health_check_interval_ms < 100 {
            bad(
                "failover.health_check_interval_ms",
                "must be at least 100".into(),
            );
        }
        if f.breaker_window == 0 || f.breaker_failures == 0 || f.breaker_failures > f.breaker_window
        {
            bad(
                "failover.breaker_failures",
                "must be between 1 and failover.breaker_window".into(),
            );
        }
        if !self.providers.is_empty()
            && (self.lnd.is_some() || self.daznode.is_some() || self.nwc.is_some())
        {
            bad(
                "providers",
                "list the providers in [[providers]] or in the [lnd]/[daznode]/[nwc] sections, not both"
                    .into(),
            );
        }
        for (at, p) in self.provider_entries() {
            p.settings().validate(&at, &mut errors);
            // The webhook is received on the checkout listener: it needs one.
            let hook = matches!(&p, ProviderConfig::DazNode(d) if d.webhook_url.is_some());
            if hook && self.checkout.listen.is_none() && !self.dev {
                errors.push(Invalid::new(
                    format!("{at}.webhook_url"),
                    "needs checkout.listen: DazNode's webhook is received on the checkout listener",
                ));
            }
        }
        let mut names: Vec<&str> = self.providers.iter().map(ProviderConfig::name).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            errors.push(Invalid::new(
                "providers",
                "each provider may be listed once (invoices are pinned to it by name)",
            ));
        }
        errors.extend(self.webhooks.problems());
        errors.extend(self.cluster.problems());
        errors
    }

    /// Each provider entry with the key its errors are named by: `lnd` and
    /// `daznode` and `nwc` for the sections, `providers[i]` for the list.
    fn provider_entries(&self) -> Vec<(String, ProviderConfig)> {
        let legacy = self
            .lnd
            .iter()
            .map(|c| ("lnd".to_string(), ProviderConfig::Lnd(c.clone())))
            .chain(
                self.daznode
                    .iter()
                    .map(|c| ("daznode".to_string(), ProviderConfig::DazNode(c.clone()))),
            )
            .chain(
                self.nwc
                    .iter()
                    .map(|c| ("nwc".to_string(), ProviderConfig::Nwc(c.clone()))),
            );
        self.providers
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("providers[{i}]"), p.clone()))
            .chain(legacy)
            .collect()
    }
}
