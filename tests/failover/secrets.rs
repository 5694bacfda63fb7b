//! 9: no token, macaroon or LNbits key in lnpayd's trace-level log, checked
//! at the end of every scenario, on each lnpayd it ran.

use testkit::daemon::Daemon;
use testkit::lnbits::LnBits;
use testkit::lnd::Network;

/// The secrets lnpayd handles, by name; none may reach its log.
fn secrets(d: &Daemon, net: &Network, lnb: &LnBits) -> Vec<(&'static str, String)> {
    let macaroon = std::fs::read(net.alice.macaroon("invoice")).unwrap();
    vec![
        ("the admin token", d.token("admin")),
        ("the invoice token", d.token("invoice")),
        ("alice's invoice macaroon (hex)", hex::encode(&macaroon)),
        (
            "alice's invoice macaroon (HEX)",
            hex::encode_upper(&macaroon),
        ),
        ("the merchant's invoice key", lnb.merchant.inkey.clone()),
        ("the merchant's admin key", lnb.merchant.adminkey.clone()),
        ("the payer's invoice key", lnb.payer.inkey.clone()),
        ("the payer's admin key", lnb.payer.adminkey.clone()),
    ]
}

/// Each secret found in a log: what it is, how often, from which tracing targets.
fn leaks(which: &str, log: &str, secrets: &[(&str, String)]) -> Vec<String> {
    assert!(
        log.contains("TRACE"),
        "{which}: the log is not at trace level"
    );
    let mut leaks = Vec::new();
    for (what, secret) in secrets {
        assert!(!secret.is_empty(), "{what} is empty");
        let lines: Vec<String> = log
            .lines()
            .filter(|l| l.contains(secret.as_str()))
            .map(strip_ansi)
            .collect();
        if let Some(first) = lines.first() {
            let mut targets: Vec<&str> = lines.iter().filter_map(|l| target_of(l)).collect();
            targets.sort_unstable();
            targets.dedup();
            let shown: String = first.chars().take(300).collect();
            leaks.push(format!(
                "{which}: {what}: {} line(s), from {targets:?}; first: {shown}",
                lines.len()
            ));
        }
    }
    leaks
}

/// A log line without its colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The tracing target of a human-format line: `<time> <LEVEL> <target>: …`.
fn target_of(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    words.next()?;
    words.next()?;
    words.next()?.strip_suffix(':')
}

/// 9. No secret in lnpayd's trace-level log: stops `d` and reads it.
pub(super) fn assert_no_secret_logged(which: &str, d: &mut Daemon, net: &Network, lnb: &LnBits) {
    let secrets = secrets(d, net, lnb);
    assert!(d.terminate().success());
    let log = d.log_text();
    eprintln!("{which} log: {} bytes", log.len());
    let found = leaks(which, &log, &secrets);
    assert!(
        found.is_empty(),
        "secrets in lnpayd's log:\n{}",
        found.join("\n")
    );
}
