import { type Client } from "@connectrpc/connect";
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
export declare function follow(invoices: Client<typeof Invoices>, afterSequence: bigint | number, onEvent: (event: Event) => void | Promise<void>, options?: FollowOptions): Follower;
