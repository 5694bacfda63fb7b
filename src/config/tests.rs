use std::path::Path;

use figment::providers::{Format, Toml};
use figment::Figment;

use super::*;

#[test]
fn the_example_config_is_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
    let from_file: Config = Figment::from(Toml::file_exact(&path))
        .extract()
        .expect("example parses");
    assert_eq!(from_file, Config::default());
}

fn lnd_section() -> LndConfig {
    LndConfig {
        address: Some("127.0.0.1:10009".into()),
        addresses: Vec::new(),
        tls_cert: None,
        tls_cert_base64: Some("MIIBAA==".into()),
        macaroon: None,
        macaroon_hex: Some(Secret::new("0201")),
        readonly_macaroon: None,
        network: bitcoin::Network::Regtest,
        timeout_secs: 5,
        private_route_hints: false,
        reconnect_max_secs: 5,
    }
}

fn daznode_section() -> DazNodeConfig {
    DazNodeConfig {
        url: "http://127.0.0.1:5000".into(),
        api_key_file: None,
        api_key: Some(Secret::new("k")),
        network: bitcoin::Network::Bitcoin,
        timeout_secs: 5,
        reconnect_max_secs: 5,
        webhook_url: None,
    }
}

#[test]
fn the_sections_become_one_ordered_list() {
    let config = Config {
        daznode: Some(daznode_section()),
        lnd: Some(lnd_section()),
        ..Config::default()
    }
    .into_runtime(false)
    .unwrap();
    let names: Vec<&str> = config.providers.iter().map(ProviderConfig::name).collect();
    assert_eq!(names, ["lnd", "daznode"]);
    assert!(config.lnd.is_none() && config.daznode.is_none());
    let ProviderConfig::Lnd(lnd) = &config.providers[0] else {
        panic!("LND first");
    };
    assert_eq!(lnd.address.as_deref(), Some("https://127.0.0.1:10009"));
}

#[test]
fn a_providers_list_keeps_its_order() {
    let toml = r#"
        [[providers]]
        type = "daznode"
        url = "http://127.0.0.1:5000"
        api_key = "k"

        [[providers]]
        type = "lnd"
        address = "127.0.0.1:10009"
        tls_cert_base64 = "MIIBAA=="
        macaroon_hex = "0201"
    "#;
    let config: Config = Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::string(toml))
        .extract()
        .unwrap();
    let config = config.into_runtime(false).unwrap();
    let names: Vec<&str> = config.providers.iter().map(ProviderConfig::name).collect();
    assert_eq!(names, ["daznode", "lnd"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut lnd = lnd_section();
    lnd.address = Some("not a uri at all".into());
    lnd.macaroon_hex = None;
    let mut daz = daznode_section();
    daz.url = "ftp://x".into();
    let mut config = Config {
        lnd: Some(lnd),
        daznode: Some(daz),
        ..Config::default()
    };
    config.invoices.max_amount_sat = 0;
    let Err(ConfigError::Invalid(problems)) = config.into_runtime(true) else {
        panic!("invalid");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "LIGHTNING_FALLBACK_ENABLE_MOCK",
            "invoices.max_amount_sat",
            "lnd.address",
            "lnd.macaroon",
            "daznode.url"
        ]
    );
}

#[test]
fn the_daznode_webhook_needs_a_plain_url_and_a_listener() {
    let problems = |webhook_url: &str, listen: bool| {
        let mut daz = daznode_section();
        daz.webhook_url = Some(webhook_url.into());
        let mut config = Config {
            daznode: Some(daz),
            ..Config::default()
        };
        config.checkout.listen = listen.then(|| "127.0.0.1:8080".parse().unwrap());
        match config.into_runtime(false) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid(p)) => p.into_iter().map(|p| p.key).collect(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(
        problems("https://pay.example.com/base", true),
        Vec::<String>::new()
    );
    for bad in [
        "pay.example.com",
        "ftp://pay.example.com",
        "https://user:pw@pay.example.com",
        "https://pay.example.com/?q=1",
        "https://pay.example.com/#f",
    ] {
        assert_eq!(problems(bad, true), ["daznode.webhook_url"], "{bad}");
    }
    // No checkout listener to receive it on.
    assert_eq!(
        problems("https://pay.example.com", false),
        ["daznode.webhook_url"]
    );
}

#[test]
fn a_list_and_sections_together_are_refused() {
    let config = Config {
        providers: vec![ProviderConfig::DazNode(daznode_section())],
        lnd: Some(lnd_section()),
        ..Config::default()
    };
    let err = config.into_runtime(false).unwrap_err().to_string();
    assert!(err.starts_with("providers: "), "{err}");
}

const NWC_SECRET: &str = "71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c";

fn nwc_section(uri: &str) -> NwcConfig {
    NwcConfig {
        uri_file: None,
        uri: Some(Secret::new(uri)),
        network: bitcoin::Network::Regtest,
        timeout_secs: 5,
        reconnect_max_secs: 5,
    }
}

#[test]
fn nwc_comes_third_and_its_uri_never_shows() {
    let uri = format!(
        "nostr+walletconnect://b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4?relay=ws://127.0.0.1:7447&secret={NWC_SECRET}"
    );
    let config = Config {
        nwc: Some(nwc_section(&uri)),
        daznode: Some(daznode_section()),
        lnd: Some(lnd_section()),
        ..Config::default()
    }
    .into_runtime(false)
    .unwrap();
    let names: Vec<&str> = config.providers.iter().map(ProviderConfig::name).collect();
    assert_eq!(names, ["lnd", "daznode", "nwc"]);
    assert!(!format!("{config:?}").contains(NWC_SECRET));

    let listed: Config = Figment::from(Toml::string(&format!(
        "[[providers]]\ntype = \"nwc\"\nuri = \"{uri}\"\nnetwork = \"regtest\"\n"
    )))
    .extract()
    .unwrap();
    assert!(
        matches!(&listed.providers[..], [ProviderConfig::Nwc(c)] if c.uri.as_ref().map(Secret::expose) == Some(uri.as_str()))
    );

    let broken = format!("nostr+walletconnect://nothex?relay=ws://r&secret={NWC_SECRET}");
    let err = Config {
        nwc: Some(nwc_section(&broken)),
        ..Config::default()
    }
    .into_runtime(false)
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("nwc.uri"), "{err}");
    assert!(!err.contains(NWC_SECRET), "{err}");
}

#[test]
fn a_postgres_store_needs_a_valid_url_and_pool_and_never_echoes_it() {
    let problems = |store: StoreConfig| -> Vec<(String, String)> {
        Config {
            store,
            ..Config::default()
        }
        .problems()
        .into_iter()
        .map(|p| (p.key, p.message))
        .collect()
    };
    let pg = StoreConfig {
        backend: StoreBackend::Postgres,
        ..StoreConfig::default()
    };
    let keys = |v: Vec<(String, String)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys(problems(pg.clone())), ["store.url"]);
    let secret = "postgresql://lnpayd:s3cret@db/pay?sslmode=nonsense";
    let bad = problems(StoreConfig {
        url: Some(Secret::new(secret)),
        pool_size: 0,
        ..pg.clone()
    });
    assert_eq!(keys(bad.clone()), ["store.url", "store.pool_size"]);
    assert!(bad.iter().all(|(_, m)| !m.contains("s3cret")), "{bad:?}");
    let good = StoreConfig {
        url: Some(Secret::new("postgresql://lnpayd:s3cret@db/pay")),
        ..pg.clone()
    };
    assert!(problems(good.clone()).is_empty());
    assert!(!format!("{good:?}").contains("s3cret"), "Debug redacts it");
    let sled_with_url = StoreConfig {
        backend: StoreBackend::Sled,
        ..good
    };
    assert_eq!(keys(problems(sled_with_url)), ["store.url"]);
}

#[test]
fn fjall_is_chosen_by_name() {
    let store: StoreConfig = Figment::from(Toml::string("backend = \"fjall\"\ncache_mb = 32"))
        .extract()
        .expect("parses");
    assert_eq!((store.backend, store.cache_mb), (StoreBackend::Fjall, 32));
    let config = Config {
        store,
        ..Config::default()
    };
    assert!(config.problems().is_empty());
}
