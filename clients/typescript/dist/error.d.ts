import { Code } from "@connectrpc/connect";
import { ErrorReason } from "./gen/lnpayd/v1/errors_pb.js";
/** The domain lnpayd puts in every ErrorInfo it sends. */
export declare const ERROR_DOMAIN = "lnpayd";
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
export declare class LnpaydError extends Error {
    readonly code: Code;
    readonly reason: Reason | undefined;
    /** ErrorInfo.metadata: "field" for a request field, "invoice_id", "last_sequence", ... */
    readonly metadata: Readonly<Record<string, string>>;
    readonly name = "LnpaydError";
    constructor(code: Code, reason: Reason | undefined, message: string, 
    /** ErrorInfo.metadata: "field" for a request field, "invoice_id", "last_sequence", ... */
    metadata?: Readonly<Record<string, string>>, options?: {
        cause?: unknown;
    });
    /** The gRPC code's name, as in the gRPC spec: "INVALID_ARGUMENT". */
    get codeName(): string;
    /**
     * Whether the same call may succeed later unchanged: the daemon or its
     * providers are unavailable, a limit was hit, or the connection broke.
     */
    get retryable(): boolean;
    /** Any thrown value as an LnpaydError (an LnpaydError is returned as is). */
    static from(e: unknown): LnpaydError;
}
