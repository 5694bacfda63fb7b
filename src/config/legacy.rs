//! The previous deployment's environment names (`DAZNODE_API_URL`,
//! `DAZNODE_WEBHOOK_URL`,
//! `LND_SOCKET`, `NWC_URL`, `LIGHTNING_FALLBACK_…`), so existing `.env` files keep
//! working. They rank below `LNPAYD_…` variables.

use std::path::Path;

use super::{ConfigError, Invalid};

/// The previous deployment's environment names, so existing `.env` files keep
/// working. They rank below `LNPAYD_…` variables. Returns the values as a
/// config tree, and whether `LIGHTNING_FALLBACK_ENABLE_MOCK` asked for the
/// mock provider (accepted only in dev mode).
pub(super) fn legacy_env(
    get: impl Fn(&str) -> Option<String>,
) -> Result<(serde_json::Value, bool), ConfigError> {
    use serde_json::{json, Value};
    let mut tree = json!({});
    let mut errors = Vec::new();
    let mut set = |section: &str, key: &str, v: Value| {
        tree.as_object_mut()
            .expect("object")
            .entry(section)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object")
            .insert(key.into(), v);
    };
    let num = |var: &'static str, v: &str| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| Invalid::new(var, format!("{v:?} is not a whole number")))
    };
    let flag = |var: &'static str, v: &str| match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Invalid::new(var, format!("{v:?} is not true or false"))),
    };
    if let Some(v) = get("DAZNODE_API_URL") {
        set("daznode", "url", json!(v));
    }
    if let Some(v) = get("DAZNODE_API_KEY") {
        set("daznode", "api_key", json!(v));
    }
    if let Some(v) = get("DAZNODE_WEBHOOK_URL") {
        set("daznode", "webhook_url", json!(v.trim()));
    }
    // The previous deployment's NWC fallback: the URI itself (a secret).
    if let Some(v) = get("NWC_URL") {
        set("nwc", "uri", json!(v.trim()));
    }
    if let Some(v) = get("LND_SOCKET") {
        set("lnd", "address", json!(v));
    }
    if let Some(v) = get("LND_TLS_CERT") {
        if Path::new(v.trim()).is_file() {
            set("lnd", "tls_cert", json!(v.trim()));
        } else {
            set("lnd", "tls_cert_base64", json!(v.trim()));
        }
    }
    if let Some(v) = get("LND_ADMIN_MACAROON") {
        let v = v.trim();
        if Path::new(v).is_file() {
            set("lnd", "macaroon", json!(v));
        } else if v.len() % 2 == 0 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            set("lnd", "macaroon_hex", json!(v));
        } else {
            use base64::Engine;
            match base64::engine::general_purpose::STANDARD.decode(v) {
                Ok(bytes) => set("lnd", "macaroon_hex", json!(hex::encode(bytes))),
                Err(_) => errors.push(Invalid::new(
                    "LND_ADMIN_MACAROON",
                    "is neither a file, hex nor base64",
                )),
            }
        }
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_MAX_RETRIES") {
        match num("LIGHTNING_FALLBACK_MAX_RETRIES", &v) {
            Ok(x) => set("failover", "max_retries", json!(x)),
            Err(e) => errors.push(e),
        }
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_RETRY_DELAY") {
        match num("LIGHTNING_FALLBACK_RETRY_DELAY", &v) {
            Ok(x) => set("failover", "retry_delay_ms", json!(x)),
            Err(e) => errors.push(e),
        }
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_HEALTH_CHECK_INTERVAL") {
        match num("LIGHTNING_FALLBACK_HEALTH_CHECK_INTERVAL", &v) {
            Ok(x) => set("failover", "health_check_interval_ms", json!(x)),
            Err(e) => errors.push(e),
        }
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_ENABLE_LOCAL_LND") {
        match flag("LIGHTNING_FALLBACK_ENABLE_LOCAL_LND", &v) {
            Ok(x) => set("failover", "enable_lnd", json!(x)),
            Err(e) => errors.push(e),
        }
    }
    let wants_mock = match get("LIGHTNING_FALLBACK_ENABLE_MOCK")
        .map(|v| flag("LIGHTNING_FALLBACK_ENABLE_MOCK", &v))
    {
        Some(Ok(wants)) => wants,
        Some(Err(e)) => {
            errors.push(e);
            false
        }
        None => false,
    };
    if !errors.is_empty() {
        return Err(ConfigError::Invalid(errors));
    }
    Ok((tree, wants_mock))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy(vars: &[(&str, &str)]) -> Result<(serde_json::Value, bool), ConfigError> {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        legacy_env(|k| vars.get(k).cloned())
    }

    #[test]
    fn legacy_environment_names_map_to_config_keys() {
        let (tree, mock) = legacy(&[
            ("DAZNODE_API_URL", "https://daznode.invalid"),
            ("DAZNODE_API_KEY", "placeholder-key"),
            ("DAZNODE_WEBHOOK_URL", " https://pay.invalid "),
            ("LND_SOCKET", "127.0.0.1:10009"),
            ("LND_ADMIN_MACAROON", "AgEDbG5k"),
            ("LIGHTNING_FALLBACK_MAX_RETRIES", "3"),
            ("LIGHTNING_FALLBACK_RETRY_DELAY", "250"),
            ("LIGHTNING_FALLBACK_HEALTH_CHECK_INTERVAL", "15000"),
            ("LIGHTNING_FALLBACK_ENABLE_LOCAL_LND", "false"),
            (
                "NWC_URL",
                " nostr+walletconnect://w?relay=wss://r&secret=s ",
            ),
        ])
        .unwrap();
        assert!(!mock);
        assert_eq!(tree["daznode"]["url"], "https://daznode.invalid");
        assert_eq!(tree["daznode"]["api_key"], "placeholder-key");
        assert_eq!(tree["daznode"]["webhook_url"], "https://pay.invalid");
        assert_eq!(tree["lnd"]["address"], "127.0.0.1:10009");
        // base64 "AgEDbG5k" is the bytes 02 01 03 6c 6e 64.
        assert_eq!(tree["lnd"]["macaroon_hex"], "0201036c6e64");
        assert_eq!(tree["failover"]["max_retries"], 3);
        assert_eq!(tree["failover"]["retry_delay_ms"], 250);
        assert_eq!(tree["failover"]["health_check_interval_ms"], 15000);
        assert_eq!(tree["failover"]["enable_lnd"], false);
        assert_eq!(
            tree["nwc"]["uri"],
            "nostr+walletconnect://w?relay=wss://r&secret=s"
        );
    }

    #[test]
    fn legacy_values_are_checked_naming_the_variable() {
        let err = legacy(&[("LIGHTNING_FALLBACK_MAX_RETRIES", "many")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("LIGHTNING_FALLBACK_MAX_RETRIES"),
            "{err}"
        );
        let err = legacy(&[("LIGHTNING_FALLBACK_ENABLE_MOCK", "perhaps")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("LIGHTNING_FALLBACK_ENABLE_MOCK"),
            "{err}"
        );
        assert!(
            legacy(&[("LIGHTNING_FALLBACK_ENABLE_MOCK", "true")])
                .unwrap()
                .1
        );
    }

    #[test]
    fn every_bad_legacy_value_is_reported() {
        let err = legacy(&[
            ("LIGHTNING_FALLBACK_MAX_RETRIES", "many"),
            ("LIGHTNING_FALLBACK_RETRY_DELAY", "soon"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("LIGHTNING_FALLBACK_MAX_RETRIES"), "{text}");
        assert!(text.contains("LIGHTNING_FALLBACK_RETRY_DELAY"), "{text}");
    }
}
