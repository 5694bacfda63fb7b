//! The product catalog: what a shop sells and at what price, from
//! `[[products]]` in the config. Swapped whole on SIGHUP, so a create sees
//! either the old catalog or the new one, never a mix.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::config::{Invalid, ProductConfig};
use crate::domain::MAX_DESCRIPTION_BYTES;

/// A fiat amount in minor units (cents): prices never pass through a float.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fiat {
    pub cents: u64,
    /// ISO 4217, upper case.
    pub currency: String,
}

impl Fiat {
    /// "49.00"
    pub fn amount_string(&self) -> String {
        format!("{}.{:02}", self.cents / 100, self.cents % 100)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Price {
    Sat(u64),
    Fiat(Fiat),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub price: Price,
}

#[derive(Default)]
pub struct Catalog {
    products: RwLock<Arc<BTreeMap<String, Product>>>,
}

impl Catalog {
    pub fn new(products: Vec<Product>) -> Self {
        let c = Self::default();
        c.replace(products);
        c
    }

    pub fn replace(&self, products: Vec<Product>) {
        let map = products.into_iter().map(|p| (p.id.clone(), p)).collect();
        *self.products.write().expect("catalog lock poisoned") = Arc::new(map);
    }

    /// SIGHUP: the products of a configuration `Config::load` validated
    /// (a bad catalog fails the whole reload before this).
    pub fn reload(&self, fresh: &crate::config::Config) {
        let products = products_from_config(&fresh.products).unwrap_or_default();
        tracing::info!(products = products.len(), "SIGHUP: catalog reloaded");
        self.replace(products);
    }

    pub fn get(&self, id: &str) -> Option<Product> {
        self.snapshot().get(id).cloned()
    }

    /// In id order.
    pub fn list(&self) -> Vec<Product> {
        self.snapshot().values().cloned().collect()
    }

    /// The currencies fiat prices are in: what the rate sources are asked for.
    pub fn currencies(&self) -> Vec<String> {
        let mut c: Vec<String> = self
            .snapshot()
            .values()
            .filter_map(|p| match &p.price {
                Price::Fiat(f) => Some(f.currency.clone()),
                Price::Sat(_) => None,
            })
            .collect();
        c.sort();
        c.dedup();
        c
    }

    fn snapshot(&self) -> Arc<BTreeMap<String, Product>> {
        self.products.read().expect("catalog lock poisoned").clone()
    }
}

/// Checks every entry (reporting all problems, each naming its key) and builds the catalog.
pub fn products_from_config(cfg: &[ProductConfig]) -> Result<Vec<Product>, Vec<Invalid>> {
    let mut errors = Vec::new();
    let mut products = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, p) in cfg.iter().enumerate() {
        let key = |k: &str| format!("products[{i}].{k}");
        let id_ok = !p.id.is_empty()
            && p.id.len() <= 64
            && p.id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !id_ok {
            errors.push(Invalid::new(
                key("id"),
                "1..64 characters of A-Z, a-z, 0-9, '-', '_', '.'",
            ));
        } else if !seen.insert(p.id.clone()) {
            errors.push(Invalid::new(key("id"), format!("{} is listed twice", p.id)));
        }
        if p.name.is_empty()
            || p.name.len() > MAX_DESCRIPTION_BYTES
            || p.name.chars().any(char::is_control)
        {
            errors.push(Invalid::new(
                key("name"),
                "1..639 bytes without control characters (it becomes the invoice's description)",
            ));
        }
        let price = match (p.amount_sat, &p.amount, &p.currency) {
            (Some(sat), None, None) if sat > 0 => Some(Price::Sat(sat)),
            (Some(_), None, None) => {
                errors.push(Invalid::new(key("amount_sat"), "must be at least 1"));
                None
            }
            (None, Some(amount), Some(currency)) => {
                let cents = parse_cents(amount);
                let currency_ok =
                    currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
                if cents.is_none() {
                    errors.push(Invalid::new(
                        key("amount"),
                        format!("{amount:?} is not a positive decimal with at most 2 decimals"),
                    ));
                }
                if !currency_ok {
                    errors.push(Invalid::new(
                        key("currency"),
                        format!("{currency:?} is not an ISO 4217 code such as \"EUR\""),
                    ));
                }
                cents.filter(|_| currency_ok).map(|cents| {
                    Price::Fiat(Fiat {
                        cents,
                        currency: currency.clone(),
                    })
                })
            }
            _ => {
                errors.push(Invalid::new(
                    key("amount_sat"),
                    "set either amount_sat, or amount and currency",
                ));
                None
            }
        };
        if let Some(price) = price {
            products.push(Product {
                id: p.id.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                metadata: p.metadata.clone(),
                price,
            });
        }
    }
    if errors.is_empty() {
        Ok(products)
    } else {
        Err(errors)
    }
}

/// "49", "49.5", "49.00" → cents; anything else (signs, exponents, 3 decimals, zero) → None.
pub fn parse_cents(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
        return None;
    }
    if s.contains('.') && frac.is_empty() {
        return None;
    }
    let frac_cents = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.parse::<u64>().ok()?,
    };
    let cents = whole
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac_cents)?;
    (cents > 0).then_some(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiat_amounts_parse_to_cents_without_floats() {
        assert_eq!(parse_cents("49.00"), Some(4900));
        assert_eq!(parse_cents("49.5"), Some(4950));
        assert_eq!(parse_cents("49"), Some(4900));
        for bad in [
            "", "0", "0.00", "-1", "1e3", "49.", ".5", "49.001", "4 9", "+1",
        ] {
            assert_eq!(parse_cents(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_bad_entry_is_named_and_good_ones_load() {
        let good = ProductConfig {
            id: "daznode".into(),
            name: "DazNode".into(),
            amount: Some("49.00".into()),
            currency: Some("EUR".into()),
            ..Default::default()
        };
        let both = ProductConfig {
            id: "x".into(),
            name: "X".into(),
            amount_sat: Some(1),
            currency: Some("EUR".into()),
            ..Default::default()
        };
        let dup = ProductConfig {
            amount_sat: Some(21),
            amount: None,
            currency: None,
            ..good.clone()
        };
        let errors = products_from_config(&[good.clone(), both, dup]).unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["products[1].amount_sat", "products[2].id"]);
        let ok = products_from_config(&[good]).unwrap();
        assert_eq!(
            ok[0].price,
            Price::Fiat(Fiat {
                cents: 4900,
                currency: "EUR".into()
            })
        );
    }
}
