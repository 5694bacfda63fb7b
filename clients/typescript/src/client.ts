import type { DescService } from "@bufbuild/protobuf";
import { type Client, type Interceptor, createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { LnpaydError } from "./error.js";
import { type Event, Invoices } from "./gen/lnpayd/v1/invoices_pb.js";
import { Admin } from "./gen/lnpayd/v1/admin_pb.js";
import { type FollowOptions, type Follower, follow } from "./follow.js";

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
  follow(
    afterSequence: bigint | number,
    onEvent: (event: Event) => void | Promise<void>,
    options?: FollowOptions,
  ): Follower;
  /** Closes the HTTP/2 connection; calls in flight fail. */
  close(): void;
}

/** A client for one lnpayd daemon; share it, it multiplexes one connection. */
export function createLnpaydClient(options: ClientOptions): LnpaydClient {
  const baseUrl = /^[a-z]+:\/\//i.test(options.address)
    ? options.address
    : `http://${options.address}`;
  const authorization = `Bearer ${options.token}`;
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", authorization);
    return next(req);
  };
  const sessionManager = new Http2SessionManager(baseUrl, {
    pingIntervalMs: options.pingIntervalMs ?? 30_000,
  });
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    interceptors: [auth],
    defaultTimeoutMs: options.defaultTimeoutMs,
  });
  const invoices = withLnpaydErrors(createClient(Invoices, transport), Invoices);
  const admin = withLnpaydErrors(createClient(Admin, transport), Admin);
  return {
    invoices,
    admin,
    follow: (afterSequence, onEvent, opts) =>
      follow(invoices, afterSequence, onEvent, opts),
    close: () => sessionManager.abort(),
  };
}

/** The same client, with every error turned into an LnpaydError. */
function withLnpaydErrors<S extends DescService>(client: Client<S>, service: S): Client<S> {
  const wrapped: Record<string, unknown> = {};
  for (const method of service.methods) {
    const call = (client as Record<string, (...a: unknown[]) => unknown>)[method.localName];
    wrapped[method.localName] =
      method.methodKind === "server_streaming"
        ? (...args: unknown[]) => rethrowing(call(...args) as AsyncIterable<unknown>)
        : async (...args: unknown[]) => {
            try {
              return await call(...args);
            } catch (e) {
              throw LnpaydError.from(e);
            }
          };
  }
  return wrapped as Client<S>;
}

async function* rethrowing<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (e) {
    throw LnpaydError.from(e);
  }
}
