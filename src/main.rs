use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lnpayd::config::{CliOverrides, Config, LogFormat};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer};

/// A Lightning payment daemon: a gRPC invoice API over LND, with DazNode failover.
#[derive(Parser, Debug, Clone)]
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
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug, Clone)]
enum Command {
    /// Copy an embedded store into an empty PostgreSQL database, then verify
    /// every table's row count and checksum. Stop the daemon first.
    Migrate {
        /// `fjall:<dir>` (the default engine's directory, `<datadir>/fjall`)
        /// or `sled:<dir>` (`<datadir>/store`).
        #[arg(long)]
        from: String,
        /// `postgres:<url>`; `postgres:` alone takes the URL from
        /// LNPAYD_STORE__URL, which keeps a password out of `ps`.
        #[arg(long)]
        to: String,
        /// A progress line every this many rows.
        #[arg(long, default_value_t = 10_000)]
        progress_every: u64,
    },
}

impl Cli {
    fn load(&self) -> Result<Config, lnpayd::config::ConfigError> {
        let overrides = CliOverrides {
            listen: self.listen,
            datadir: self.datadir.clone(),
            dev: self.dev.then_some(true),
        };
        Config::load(self.config.as_deref(), overrides)
    }
}

/// jemalloc rather than glibc's malloc: the store's memtables free millions
/// of small nodes as they flush, and glibc kept those pages as fragments
/// (RSS 174 MB at 1M invoices against a target of 150; BENCHMARKS.md, issue 11).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`. Freed pages go back to the kernel
/// after 1 s instead of 10, by a background thread rather than on the request
/// path: at 5k creates/s the memtables churn ~13 MB/s, and 10 s of it kept
/// RSS at 1M at 214 MB against 112. `_RJEM_MALLOC_CONF` in the environment
/// still overrides any of it.
#[export_name = "_rjem_malloc_conf"]
static JEMALLOC_CONF: Option<&'static std::ffi::c_char> =
    // SAFETY: a pointer to the first byte of a 'static NUL-terminated string,
    // which is what jemalloc's `malloc_conf` is.
    Some(unsafe { &*c"background_thread:true,dirty_decay_ms:1000".as_ptr() });

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Migrate {
        from,
        to,
        progress_every,
    }) = &cli.command
    {
        return migrate(from, to, *progress_every);
    }
    let config = match cli.load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lnpayd: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = init_tracing(&config);
    if let Err(code) = convert_store(&config) {
        return code;
    }
    // SIGHUP: read the configuration again and apply its log level; the
    // daemon takes the catalog from it and re-reads the tokens itself.
    // Everything else needs a restart.
    let reload_log_level = move || -> Result<Config, String> {
        let fresh = cli.load().map_err(|e| e.to_string())?;
        filter
            .reload(env_filter(&fresh.log.level))
            .map_err(|e| e.to_string())?;
        Ok(fresh)
    };
    let runtime = match config.runtime().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lnpayd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lnpayd::daemon::run(config, Box::new(reload_log_level))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "lnpayd stopped with an error");
            eprintln!("lnpayd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A sled data dir met by the fjall backend is converted before anything
/// else runs, and then the daemon starts again as a new image of itself
/// (same pid, so systemd follows): the conversion's memory (sled's page
/// table covers every invoice: ~800 MB at a million) goes with the old
/// image instead of staying for the life of the process.
fn convert_store(config: &Config) -> Result<(), ExitCode> {
    if config.store.backend != lnpayd::config::StoreBackend::Fjall {
        return Ok(());
    }
    match lnpayd::store::convert_in_place(&config.datadir) {
        Ok(None) => Ok(()),
        Ok(Some(_)) => {
            use std::os::unix::process::CommandExt;
            let mut args = std::env::args_os();
            let arg0 = args.next().unwrap_or_else(|| "lnpayd".into());
            tracing::info!("starting again, as a new image of this binary, to leave the conversion's memory behind");
            // /proc/self/exe: this very binary, even if a package upgrade
            // has replaced the file on disk since it started.
            let err = std::process::Command::new("/proc/self/exe")
                .arg0(arg0)
                .args(args)
                .exec();
            tracing::warn!(error = %err, "could not start again after the conversion; going on in this process");
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot convert the sled data dir to fjall");
            eprintln!("lnpayd: cannot convert the sled data dir to fjall: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

/// `lnpayd migrate`: see [`Command::Migrate`].
fn migrate(from: &str, to: &str, every: u64) -> ExitCode {
    let Some(from) = lnpayd::store::postgres::Source::parse(from) else {
        eprintln!("lnpayd migrate: --from must be fjall:<dir> or sled:<dir>");
        return ExitCode::from(2);
    };
    let url = match to.strip_prefix("postgres:") {
        Some("") => match std::env::var("LNPAYD_STORE__URL") {
            Ok(u) => u,
            Err(_) => {
                eprintln!("lnpayd migrate: --to postgres: needs LNPAYD_STORE__URL");
                return ExitCode::from(2);
            }
        },
        Some(u) => u.to_string(),
        None => {
            eprintln!("lnpayd migrate: --to must be postgres:<url>");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(env_filter("warn"))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lnpayd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lnpayd::store::postgres::migrate_command(&from, &url, every)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lnpayd migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn env_filter(level: &str) -> EnvFilter {
    // tungstenite traces the raw websocket request, whose path carries
    // DazNode's key (LNbits puts it in the URL): never below debug there,
    // whatever level the operator asks for.
    EnvFilter::new(level).add_directive(
        "tungstenite::handshake=debug"
            .parse()
            .expect("a valid directive"),
    )
}

fn init_tracing(config: &Config) -> reload::Handle<EnvFilter, tracing_subscriber::Registry> {
    use std::io::IsTerminal;
    let (filter, handle) = reload::Layer::new(env_filter(&config.log.level));
    let output = match config.log.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
        // Colour only on a terminal: journald and log files get plain text.
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .init();
    handle
}
