//! The catalog, fiat prices, rate limits and the hosted checkout page, on
//! the real binary in dev mode. The exchanges are local fixtures.

use testkit::daemon as harness;

mod browser;
mod catalog;
mod fixture;
mod limits;
mod page;

use std::path::{Path, PathBuf};

/// A config file in `dir` with the test catalog and `extra` appended.
pub fn write_config(dir: &Path, rates_url: &str, extra: &str) -> PathBuf {
    let path = dir.join("lnpayd.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[products]]
id = "dazbox"
name = "DazBox"
amount_sat = 21000
metadata = {{ sku = "box-1" }}

[[products]]
id = "daznode"
name = "DazNode"
description = "A Lightning node, set up"
amount = "49.00"
currency = "EUR"

[rates]
cache_secs = 1
max_age_secs = 3
min_sources = 2
sources = [
  {{ type = "kraken", url = "{rates_url}" }},
  {{ type = "coinbase", url = "{rates_url}" }},
]
{extra}
"#
        ),
    )
    .unwrap();
    path
}
