import { type Client } from "@connectrpc/connect";
import { type Event, Invoices } from "./gen/lnpayd/v1/invoices_pb.js";
import { Admin } from "./gen/lnpayd/v1/admin_pb.js";
import { type FollowOptions, type Follower } from "./follow.js";
export interface ClientOptions {
    /**
     * The daemon's gRPC address: "127.0.0.1:50051" (plaintext, as lnpayd
     * listens), or a URL ("https://pay.example.com") behind a TLS proxy.
     */
    address: string;
    /** The invoice token for Invoices; the admin token also opens Admin. */
    token: string;
    /** HTTP/2 PING interval, so a dead connection is noticed; default 30 s. */
    pingIntervalMs?: number;
    /** Deadline for unary calls without their own; default none. */
    defaultTimeoutMs?: number;
}
export interface LnpaydClient {
    /** The Invoices service; every call rejects with an LnpaydError. */
    readonly invoices: Client<typeof Invoices>;
    /** The Admin service (needs the admin token); same error contract. */
    readonly admin: Client<typeof Admin>;
    /**
     * Delivers every event after `afterSequence` to `onEvent`, once each and
     * in order, across reconnects: see {@link follow}.
     */
    follow(afterSequence: bigint | number, onEvent: (event: Event) => void | Promise<void>, options?: FollowOptions): Follower;
    /** Closes the HTTP/2 connection; calls in flight fail. */
    close(): void;
}
/** A client for one lnpayd daemon; share it, it multiplexes one connection. */
export declare function createLnpaydClient(options: ClientOptions): LnpaydClient;
