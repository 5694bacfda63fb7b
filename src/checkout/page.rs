//! The payment page, rendered from a template compiled into the binary.
//! Every value is HTML-escaped; the QR code is inline SVG, so the page
//! loads nothing but its own stylesheet and script.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::{lightning_uri, Links};
use crate::domain::{Invoice, InvoiceStatus};
use crate::time::now_ms;

const PAGE: &str = include_str!("assets/page.html");
pub const CSS: &str = include_str!("assets/checkout.css");
pub const JS: &str = include_str!("assets/checkout.js");

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The QR code of `data` as an SVG element. Medium error correction: a
/// phone screen or a printout with a smudge still scans.
pub fn qr_svg(data: &str) -> String {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .expect("a BOLT11 invoice fits in a QR code");
    code.render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build()
        // The XML declaration is for standalone files, not inline SVG.
        .split_once("?>")
        .map(|(_, svg)| svg.to_string())
        .unwrap_or_default()
}

/// Where the paid page may send the payer: the invoice's success_url, if
/// its origin is still allowed.
pub fn redirect_of(inv: &Invoice, links: &Links) -> Option<String> {
    inv.success_url
        .clone()
        .filter(|u| links.redirect_allowed(u))
}

pub fn status_name(s: InvoiceStatus) -> &'static str {
    match s {
        InvoiceStatus::Pending => "pending",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Expired => "expired",
        InvoiceStatus::Canceled => "canceled",
    }
}

pub fn render(inv: &Invoice, links: &Links) -> String {
    let status = status_name(inv.status);
    let hidden = |s: InvoiceStatus| if inv.status == s { "" } else { "hidden" };
    let redirect = redirect_of(inv, links);
    let description = match inv.description.as_str() {
        "" => "Lightning payment",
        d => d,
    };
    let fiat = inv
        .sale
        .as_ref()
        .and_then(|s| s.fiat.as_ref())
        .map(|f| {
            format!(
                r#"<span class="fiat">≈ {} {}</span>"#,
                escape(&f.amount),
                escape(&f.currency)
            )
        })
        .unwrap_or_default();
    // Without JavaScript: refresh while pending; once paid, go back to the shop.
    let noscript_refresh = match (inv.status, &redirect) {
        (InvoiceStatus::Pending, _) => r#"<meta http-equiv="refresh" content="5">"#.to_string(),
        (InvoiceStatus::Paid, Some(url)) => {
            format!(
                r#"<meta http-equiv="refresh" content="2;url={}">"#,
                escape(url)
            )
        }
        _ => String::new(),
    };
    let left_s = inv.expires_at_ms.saturating_sub(now_ms()) / 1000;
    let uri = lightning_uri(&inv.payment_request);
    let qr = if inv.status == InvoiceStatus::Pending {
        qr_svg(&uri)
    } else {
        String::new()
    };
    let values: [(&str, String); 16] = [
        ("{{description}}", escape(description)),
        ("{{noscript_refresh}}", noscript_refresh),
        ("{{id}}", escape(&inv.id)),
        ("{{status}}", status.into()),
        ("{{expires_ms}}", inv.expires_at_ms.to_string()),
        ("{{success_url}}", escape(redirect.as_deref().unwrap_or(""))),
        ("{{amount_sat}}", inv.amount_msat.div_ceil(1000).to_string()),
        ("{{fiat}}", fiat),
        ("{{pending_hidden}}", hidden(InvoiceStatus::Pending).into()),
        ("{{paid_hidden}}", hidden(InvoiceStatus::Paid).into()),
        ("{{expired_hidden}}", hidden(InvoiceStatus::Expired).into()),
        (
            "{{canceled_hidden}}",
            hidden(InvoiceStatus::Canceled).into(),
        ),
        ("{{lightning_uri}}", escape(&uri)),
        ("{{qr_svg}}", qr),
        ("{{payment_request}}", escape(&inv.payment_request)),
        (
            "{{expires_in}}",
            format!("{}:{:02}", left_s / 60, left_s % 60),
        ),
    ];
    let mut page = PAGE.to_string();
    for (k, v) in values {
        page = page.replace(k, &v);
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_every_placeholder_is_filled() {
        let mut inv = crate::store::contract::invoice(1, now_ms(), now_ms() + 60_000);
        inv.description = r#"<script>alert("x")</script>"#.into();
        let html = render(&inv, &Links::default());
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("{{"), "a placeholder is left");
        assert!(html.contains("<svg"));
    }
}
