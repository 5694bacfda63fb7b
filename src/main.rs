use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lnpayd::config::{CliOverrides, Config, LogFormat};

/// A Lightning payment daemon: a gRPC invoice API over LND, with DazNode failover.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Configuration file (TOML). Without one, the embedded defaults apply.
    #[arg(long, env = "LNPAYD_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: store, tokens, keys.
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// gRPC listen address (default 127.0.0.1:50051).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Enable the dev provider: regtest invoices signed by a local key, paid by Admin.SimulatePayment.
    #[arg(long)]
    dev: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = CliOverrides {
        listen: cli.listen,
        datadir: cli.datadir,
        dev: cli.dev.then_some(true),
    };
    let config = match Config::load(cli.config.as_deref(), overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lnpayd: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lnpayd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lnpayd::daemon::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "lnpayd stopped with an error");
            eprintln!("lnpayd: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(config: &Config) {
    // tungstenite traces the raw websocket request, whose path carries
    // DazNode's key (LNbits puts it in the URL): never below debug there,
    // whatever level the operator asks for.
    let filter = tracing_subscriber::EnvFilter::new(&config.log.level).add_directive(
        "tungstenite::handshake=debug"
            .parse()
            .expect("a valid directive"),
    );
    use std::io::IsTerminal;
    // Colour only on a terminal: journald and log files get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}
