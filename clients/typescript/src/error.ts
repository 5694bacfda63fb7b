import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { ErrorReason } from "./gen/lnpayd/v1/errors_pb.js";

/** The domain lnpayd puts in every ErrorInfo it sends. */
export const ERROR_DOMAIN = "lnpayd";

/**
 * A reason lnpayd sends, as ErrorInfo.reason spells it: ErrorReason's name
 * without the ERROR_REASON_ prefix ("AMOUNT_NOT_POSITIVE"). errors.proto
 * documents each one.
 */
export type Reason = Exclude<keyof typeof ErrorReason, "UNSPECIFIED">;

/**
 * Every failed call. `code` is the gRPC status code; `reason` is the
 * machine-readable cause from the google.rpc.ErrorInfo lnpayd puts in the
 * grpc-status-details-bin trailer, or undefined when the error did not come
 * from lnpayd (the connection failed, a proxy answered). Match on `reason`,
 * never on `message`.
 */
export class LnpaydError extends Error {
  override readonly name = "LnpaydError";

  constructor(
    readonly code: Code,
    readonly reason: Reason | undefined,
    message: string,
    /** ErrorInfo.metadata: "field" for a request field, "invoice_id", "last_sequence", ... */
    readonly metadata: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The gRPC code's name, as in the gRPC spec: "INVALID_ARGUMENT". */
  get codeName(): string {
    return Code[this.code]
      .replace(/([a-z])([A-Z])/g, "$1_$2")
      .toUpperCase();
  }

  /**
   * Whether the same call may succeed later unchanged: the daemon or its
   * providers are unavailable, a limit was hit, or the connection broke.
   */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  /** Any thrown value as an LnpaydError (an LnpaydError is returned as is). */
  static from(e: unknown): LnpaydError {
    if (e instanceof LnpaydError) return e;
    const ce = ConnectError.from(e);
    const info = ce
      .findDetails(ErrorInfoSchema)
      .find((i) => i.domain === ERROR_DOMAIN);
    // An unknown reason comes from a newer server; it is kept as sent.
    const reason = info?.reason ? (info.reason as Reason) : undefined;
    return new LnpaydError(ce.code, reason, ce.rawMessage, info?.metadata ?? {}, { cause: e });
  }
}

const RETRYABLE = new Set<Code>([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.ResourceExhausted,
  Code.Aborted,
  // A connection cut mid-stream (the daemon restarted) surfaces as one of these.
  Code.Internal,
  Code.Unknown,
]);
