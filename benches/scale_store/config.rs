//! The bench's arguments, and the environment the daemon gets.

use std::path::PathBuf;

pub(crate) struct Args {
    pub(crate) n: usize,
    pub(crate) compare: Option<PathBuf>,
    pub(crate) backend: String,
    pub(crate) convert: bool,
}

pub(crate) fn args() -> Args {
    let mut a = Args {
        n: 1_000_000,
        compare: None,
        backend: "fjall".into(),
        convert: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => a.n = 50_000,
            "--n" => a.n = it.next().and_then(|v| v.parse().ok()).expect("--n N"),
            "--compare" => a.compare = Some(it.next().expect("--compare PATH").into()),
            "--backend" => a.backend = it.next().expect("--backend sled|fjall|both"),
            "--convert" => a.convert = true,
            _ => {} // cargo's own (--bench)
        }
    }
    a
}

pub(crate) fn daemon_env() -> Vec<(String, String)> {
    // The level operators run (the harness's default is debug, which writes
    // a line per RPC: ~4 % of the daemon's CPU in a GetInvoice profile).
    let mut env = vec![("LNPAYD_LOG__LEVEL".to_string(), "info".to_string())];
    let v = std::env::var("SCALE_DAEMON_ENV").unwrap_or_default();
    env.extend(
        v.split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string())),
    );
    env
}
