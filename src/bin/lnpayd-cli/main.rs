//! `lnpayd-cli`: the operator's client of a running lnpayd, over the same
//! gRPC API and generated stubs the backends use.
//!
//! - `args`: the command line (one subcommand per RPC);
//! - `connect`: the daemon's address and token, and the clients;
//! - `invoices`, `events`, `admin`: the calls;
//! - `output`: JSON and tables; `exit`: errors and exit codes;
//! - `docs`: completions and the man page.

mod admin;
mod args;
mod connect;
mod docs;
mod events;
mod exit;
mod invoices;
mod output;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, Format};
use connect::Target;
use exit::CliError;

/// What every command's printer needs.
pub struct Ctx {
    pub format: Format,
}

fn main() -> ExitCode {
    // clap exits 2 on a usage error, the code `exit` documents for it.
    let cli = Cli::parse();
    let ctx = Ctx {
        format: cli.global.format,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return CliError::Io(e).report(ctx.format),
    };
    match runtime.block_on(run(&ctx, cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(ctx.format),
    }
}

async fn run(ctx: &Ctx, cli: Cli) -> Result<(), CliError> {
    // The generators need no daemon, and no token.
    let command = match cli.command {
        Command::Completions { shell } => {
            docs::completions(shell);
            return Ok(());
        }
        Command::Man { out_dir } => return Ok(docs::man(out_dir.as_deref())?),
        other => other,
    };
    let target = Target::resolve(&cli.global)?;
    let t = &target;
    match command {
        Command::Create(a) => invoices::create(ctx, t, a).await,
        Command::Get(a) => invoices::get(ctx, t, a).await,
        Command::List(a) => invoices::list(ctx, t, a).await,
        Command::Cancel(a) => invoices::cancel(ctx, t, a).await,
        Command::Wait(a) => invoices::wait(ctx, t, a).await,
        Command::Events(a) => events::events(ctx, t, a).await,
        Command::Status => admin::status(ctx, t).await,
        Command::ProviderMetrics(a) => admin::provider_metrics(ctx, t, a).await,
        Command::Audit(a) => admin::audit(ctx, t, a).await,
        Command::Simulate(a) => admin::simulate(ctx, t, a).await,
        Command::Products => admin::products(ctx, t).await,
        Command::Webhooks(cmd) => admin::webhooks(ctx, t, cmd).await,
        Command::Completions { .. } | Command::Man { .. } => Ok(()),
    }
}
