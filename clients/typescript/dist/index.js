export { createLnpaydClient } from "./client.js";
export { LnpaydError, ERROR_DOMAIN } from "./error.js";
export { follow } from "./follow.js";
export { idempotencyKeyFor, newIdempotencyKey } from "./idempotency.js";
export { Code } from "@connectrpc/connect";
export * from "./gen/lnpayd/v1/invoices_pb.js";
export * from "./gen/lnpayd/v1/admin_pb.js";
export * from "./gen/lnpayd/v1/errors_pb.js";
