//! `events`: the event log, printed once, or followed across lost
//! connections and daemon restarts. The cursor is the last sequence
//! printed, so a reconnection neither skips an event nor prints one twice.

use std::time::Duration;

use lnpayd::proto;
use tonic::Code;
use tonic_types::StatusExt;

use crate::args::{event_types, Events};
use crate::connect::Target;
use crate::exit::{code_name, CliError};
use crate::output::print_event;
use crate::Ctx;

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub async fn events(ctx: &Ctx, target: &Target, a: Events) -> Result<(), CliError> {
    if a.follow {
        follow(ctx, target, a).await
    } else {
        replay(ctx, target, a).await
    }
}

/// Prints what the log holds now, then returns. The stream itself never
/// ends, so the end is the newest sequence at the start; the stream is read
/// unfiltered and filtered here, so that the end is seen even when the
/// newest event is not one the filter keeps.
async fn replay(ctx: &Ctx, target: &Target, a: Events) -> Result<(), CliError> {
    let mut client = target.invoices().await?;
    let newest = newest_sequence(&mut client).await?;
    if a.after == newest {
        return Ok(());
    }
    // Past the newest, the daemon's own OUT_OF_RANGE says so.
    let req = proto::SubscribeEventsRequest {
        after_sequence: a.after,
        ..Default::default()
    };
    let mut stream = client.subscribe_events(req).await?.into_inner();
    let wanted = event_types(&a.types);
    let mut printed = 0;
    while let Some(event) = stream.message().await? {
        let type_ok = wanted.is_empty() || wanted.contains(&event.r#type);
        let invoice_ok =
            a.invoice_id.is_empty() || event.invoice.as_ref().is_some_and(|i| i.id == a.invoice_id);
        if type_ok && invoice_ok {
            print_event(ctx.format, &event, printed == 0)?;
            printed += 1;
        }
        if event.sequence >= newest {
            return Ok(());
        }
    }
    Err(
        tonic::Status::unavailable("the daemon ended the event stream before its newest event")
            .into(),
    )
}

/// The newest durable sequence, for either token: a cursor past the end of
/// the log is refused with OUT_OF_RANGE CURSOR_AHEAD_OF_LOG and
/// metadata["last_sequence"] (errors.proto), which is exactly the number.
async fn newest_sequence(client: &mut crate::connect::Invoices) -> Result<u64, CliError> {
    let probe = proto::SubscribeEventsRequest {
        after_sequence: u64::MAX,
        ..Default::default()
    };
    let status = match client.subscribe_events(probe).await {
        Ok(_) => {
            return Err(tonic::Status::internal(
                "the daemon accepted a cursor past the end of its event log",
            )
            .into())
        }
        Err(s) if s.code() == Code::OutOfRange => s,
        Err(s) => return Err(s.into()),
    };
    status
        .get_details_error_info()
        .and_then(|i| i.metadata.get("last_sequence")?.parse().ok())
        .ok_or_else(|| {
            let msg = "OUT_OF_RANGE without metadata last_sequence";
            tonic::Status::internal(msg).into()
        })
}

async fn follow(ctx: &Ctx, target: &Target, a: Events) -> Result<(), CliError> {
    let mut last = a.after;
    let mut printed = 0u64;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let req = proto::SubscribeEventsRequest {
            after_sequence: last,
            types: event_types(&a.types),
            invoice_id: a.invoice_id.clone(),
        };
        let lost = match stream_once(ctx, target, req, &mut last, &mut printed, &mut backoff).await
        {
            Ok(()) => "the daemon ended the stream".to_string(),
            Err(e) if retryable(&e) => describe(&e),
            Err(e) => return Err(e),
        };
        eprintln!(
            "lnpayd-cli: event stream lost ({lost}); reconnecting in {backoff:?}, after sequence {last}"
        );
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One stream, until it breaks: prints each event and moves the cursor.
async fn stream_once(
    ctx: &Ctx,
    target: &Target,
    req: proto::SubscribeEventsRequest,
    last: &mut u64,
    printed: &mut u64,
    backoff: &mut Duration,
) -> Result<(), CliError> {
    let mut client = target.invoices().await?;
    let mut stream = client.subscribe_events(req).await?.into_inner();
    // The daemon took the cursor: the next failure starts a fresh backoff.
    *backoff = FIRST_BACKOFF;
    while let Some(event) = stream.message().await? {
        // The daemon never repeats one; this keeps that true for the reader
        // even if a replay overlapped what a broken stream had delivered.
        if event.sequence <= *last {
            continue;
        }
        print_event(ctx.format, &event, *printed == 0)?;
        *printed += 1;
        *last = event.sequence;
    }
    Ok(())
}

/// What a follower waits out: the daemon away or restarting, a broken
/// connection (tonic reports those as UNKNOWN or INTERNAL), a full stream
/// table. A refused cursor or token is not retried.
fn retryable(e: &CliError) -> bool {
    match e {
        CliError::Connect { .. } => true,
        CliError::Rpc(s) => matches!(
            s.code(),
            Code::Unavailable
                | Code::Unknown
                | Code::Internal
                | Code::Cancelled
                | Code::DeadlineExceeded
                | Code::ResourceExhausted
                | Code::Aborted
        ),
        CliError::Token { .. } | CliError::Usage(_) | CliError::Io(_) => false,
    }
}

fn describe(e: &CliError) -> String {
    match e {
        CliError::Rpc(s) => format!("{}: {}", code_name(s.code()), s.message()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_waits_out_the_daemon_but_not_a_refusal() {
        let rpc = |code| CliError::from(tonic::Status::new(code, "x"));
        for code in [Code::Unavailable, Code::Unknown, Code::ResourceExhausted] {
            assert!(retryable(&rpc(code)), "{code:?}");
        }
        let gone = CliError::Connect {
            addr: "127.0.0.1:1".into(),
            cause: "refused".into(),
        };
        assert!(retryable(&gone));
        for code in [
            Code::OutOfRange,
            Code::InvalidArgument,
            Code::Unauthenticated,
            Code::PermissionDenied,
        ] {
            assert!(!retryable(&rpc(code)), "{code:?}");
        }
    }
}
