//! Selling from the catalog: a CreateInvoice that names a product is priced
//! here (in sat, or in fiat at the current median rate) before the usual
//! validation, and remembers what it sold.

use std::sync::Arc;

use crate::catalog::{Catalog, Price};
use crate::checkout::Links;
use crate::domain::{CreateParams, FiatSale, InvalidField, Sale};
use crate::error::{Error, Reason, Result};
use crate::rates::Rates;

pub const MAX_QUANTITY: u32 = 1000;

/// What the catalog path needs: the products, their rates, the page's links.
pub struct Commerce {
    pub catalog: Arc<Catalog>,
    pub rates: Arc<Rates>,
    pub links: Links,
}

impl Default for Commerce {
    fn default() -> Self {
        Self {
            catalog: Arc::default(),
            rates: Arc::new(Rates::new(Default::default())),
            links: Links::default(),
        }
    }
}

fn invalid(reason: Reason, field: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid(InvalidField {
        reason,
        field,
        message: message.into(),
    })
}

impl Commerce {
    /// Fills in the amount (and the description and metadata the request
    /// left out) from the product named in `p`; None for a plain request.
    pub async fn price(&self, p: &mut CreateParams) -> Result<Option<Sale>> {
        if let Some(url) = &p.success_url {
            if !self.links.redirect_allowed(url) {
                return Err(invalid(
                    Reason::SuccessUrlNotAllowed,
                    "success_url",
                    "success_url must be on an origin listed in checkout.allowed_redirect_origins",
                ));
            }
        }
        if p.product_id.is_empty() {
            return Ok(None);
        }
        if p.amount_sat.is_some() || p.amount_msat.is_some() {
            return Err(invalid(
                Reason::ProductWithAmount,
                "product_id",
                "set product_id or an amount, not both",
            ));
        }
        let quantity = match p.quantity {
            0 => 1,
            q if q > MAX_QUANTITY => {
                return Err(invalid(
                    Reason::QuantityTooLarge,
                    "quantity",
                    format!("quantity is at most {MAX_QUANTITY}"),
                ))
            }
            q => q,
        };
        let product = self
            .catalog
            .get(&p.product_id)
            .ok_or_else(|| Error::ProductNotFound(p.product_id.clone()))?;
        let (sat, fiat) = match &product.price {
            // Saturating: an absurd total is then refused as AMOUNT_TOO_LARGE.
            Price::Sat(sat) => (sat.saturating_mul(quantity as u64), None),
            Price::Fiat(price) => {
                let quote = self.rates.quote(&price.currency).await?;
                let total = crate::catalog::Fiat {
                    cents: price.cents.saturating_mul(quantity as u64),
                    currency: price.currency.clone(),
                };
                let fiat = FiatSale {
                    amount: total.amount_string(),
                    currency: total.currency,
                    rate: quote.rate.to_string(),
                    rate_source: quote.source,
                };
                (quote.rate.sat_for_cents(total.cents), Some(fiat))
            }
        };
        p.amount_sat = Some(sat);
        if p.description.is_none() && p.description_hash.is_none() {
            p.description = Some(match quantity {
                1 => product.name.clone(),
                q => format!("{q} × {}", product.name),
            });
        }
        for (k, v) in product.metadata {
            p.metadata.entry(k).or_insert(v);
        }
        p.product = Some((product.id.clone(), quantity));
        Ok(Some(Sale {
            product_id: product.id,
            quantity,
            fiat,
        }))
    }
}
