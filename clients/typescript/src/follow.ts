import { Code, type Client } from "@connectrpc/connect";
import { LnpaydError } from "./error.js";
import type { Event, EventType, Invoices } from "./gen/lnpayd/v1/invoices_pb.js";

export interface FollowOptions {
  /** Only these event types (the sequence then skips the others). */
  types?: EventType[];
  /** Only this invoice's events. */
  invoiceId?: string;
  /** First retry delay; doubles per failed attempt up to maxBackoffMs. Default 200. */
  minBackoffMs?: number;
  /** Default 10 000. */
  maxBackoffMs?: number;
  /** Told of each failure that will be retried, before the wait. */
  onRetry?: (error: LnpaydError, attempt: number, delayMs: number) => void;
}

export interface Follower {
  /** Ends following: no event is delivered after this resolves. */
  stop(): Promise<void>;
  /**
   * Resolves once stopped; rejects with the error that ended following: a
   * non-retryable LnpaydError (a bad token, a cursor ahead of the log) or
   * what onEvent threw.
   */
  readonly done: Promise<void>;
  /** The sequence of the last event onEvent returned from. */
  readonly lastSequence: bigint;
}

/**
 * Streams the events after `afterSequence` to `onEvent`, one at a time, and
 * resumes after a broken stream from the last sequence it delivered: the
 * caller sees no gap and no event twice, whatever happens to the daemon in
 * between. An event counts as delivered once onEvent returns (or its promise
 * resolves); persist lastSequence there to resume after your own restart. If
 * onEvent throws, following stops with that error and the event is not
 * counted, so a new follow from lastSequence delivers it again.
 */
export function follow(
  invoices: Client<typeof Invoices>,
  afterSequence: bigint | number,
  onEvent: (event: Event) => void | Promise<void>,
  options: FollowOptions = {},
): Follower {
  const minBackoff = options.minBackoffMs ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  let last = BigInt(afterSequence);
  let stopped = false;
  // Aborts the stream in flight and the backoff sleep.
  const stop = new AbortController();

  const run = async (): Promise<void> => {
    let attempt = 0;
    while (!stopped) {
      try {
        const stream = invoices.subscribeEvents(
          { afterSequence: last, types: options.types, invoiceId: options.invoiceId },
          { signal: stop.signal },
        );
        for await (const event of stream) {
          attempt = 0;
          if (stopped) return;
          // The server replays from last + 1; this only guards the contract.
          if (event.sequence <= last) continue;
          try {
            await onEvent(event);
          } catch (e) {
            throw new CallbackError(e);
          }
          last = event.sequence;
        }
        // A stream that ends without an error: the daemon is shutting down.
      } catch (e) {
        if (e instanceof CallbackError) throw e.cause;
        if (stopped) return;
        const err = LnpaydError.from(e);
        // A connection that dies mid-stream (a kill -9 of the daemon) ends
        // the stream as CANCELED ("http/2 stream closed with error code
        // CANCEL"); this follower's own cancel returned above.
        if (!err.retryable && err.code !== Code.Canceled) throw err;
        const delay = backoff(attempt++, minBackoff, maxBackoff);
        options.onRetry?.(err, attempt, delay);
        await sleep(delay, stop.signal);
        continue;
      }
      if (stopped) return;
      await sleep(backoff(attempt++, minBackoff, maxBackoff), stop.signal);
    }
  };

  const done = run();
  // `done` may never be awaited when the caller only stops: no unhandled rejection then.
  done.catch(() => {});
  return {
    async stop() {
      stopped = true;
      stop.abort();
      await done.catch(() => {});
    },
    done,
    get lastSequence() {
      return last;
    },
  };
}

class CallbackError {
  constructor(readonly cause: unknown) {}
}

/** Exponential, capped, with full jitter in its upper half (no reconnect storms). */
function backoff(attempt: number, min: number, max: number): number {
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
