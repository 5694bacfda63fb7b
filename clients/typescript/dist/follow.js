import { Code } from "@connectrpc/connect";
import { LnpaydError } from "./error.js";
/**
 * Streams the events after `afterSequence` to `onEvent`, one at a time, and
 * resumes after a broken stream from the last sequence it delivered: the
 * caller sees no gap and no event twice, whatever happens to the daemon in
 * between. An event counts as delivered once onEvent returns (or its promise
 * resolves); persist lastSequence there to resume after your own restart. If
 * onEvent throws, following stops with that error and the event is not
 * counted, so a new follow from lastSequence delivers it again.
 */
export function follow(invoices, afterSequence, onEvent, options = {}) {
    const minBackoff = options.minBackoffMs ?? 200;
    const maxBackoff = options.maxBackoffMs ?? 10_000;
    let last = BigInt(afterSequence);
    let stopped = false;
    // Aborts the stream in flight and the backoff sleep.
    const stop = new AbortController();
    const run = async () => {
        let attempt = 0;
        while (!stopped) {
            try {
                const stream = invoices.subscribeEvents({ afterSequence: last, types: options.types, invoiceId: options.invoiceId }, { signal: stop.signal });
                for await (const event of stream) {
                    attempt = 0;
                    if (stopped)
                        return;
                    // The server replays from last + 1; this only guards the contract.
                    if (event.sequence <= last)
                        continue;
                    try {
                        await onEvent(event);
                    }
                    catch (e) {
                        throw new CallbackError(e);
                    }
                    last = event.sequence;
                }
                // A stream that ends without an error: the daemon is shutting down.
            }
            catch (e) {
                if (e instanceof CallbackError)
                    throw e.cause;
                if (stopped)
                    return;
                const err = LnpaydError.from(e);
                // A connection that dies mid-stream (a kill -9 of the daemon) ends
                // the stream as CANCELED ("http/2 stream closed with error code
                // CANCEL"); this follower's own cancel returned above.
                if (!err.retryable && err.code !== Code.Canceled)
                    throw err;
                const delay = backoff(attempt++, minBackoff, maxBackoff);
                options.onRetry?.(err, attempt, delay);
                await sleep(delay, stop.signal);
                continue;
            }
            if (stopped)
                return;
            await sleep(backoff(attempt++, minBackoff, maxBackoff), stop.signal);
        }
    };
    const done = run();
    // `done` may never be awaited when the caller only stops: no unhandled rejection then.
    done.catch(() => { });
    return {
        async stop() {
            stopped = true;
            stop.abort();
            await done.catch(() => { });
        },
        done,
        get lastSequence() {
            return last;
        },
    };
}
class CallbackError {
    cause;
    constructor(cause) {
        this.cause = cause;
    }
}
/** Exponential, capped, with full jitter in its upper half (no reconnect storms). */
function backoff(attempt, min, max) {
    const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
    return ceiling / 2 + Math.random() * (ceiling / 2);
}
function sleep(ms, signal) {
    return new Promise((resolve) => {
        if (signal.aborted)
            return resolve();
        const t = setTimeout(done, ms);
        function done() {
            clearTimeout(t);
            signal.removeEventListener("abort", done);
            resolve();
        }
        signal.addEventListener("abort", done);
    });
}
