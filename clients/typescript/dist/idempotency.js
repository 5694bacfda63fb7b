import { createHash, randomUUID } from "node:crypto";
/**
 * A fresh idempotency key. Make it once per intended invoice and store it
 * with the order *before* calling CreateInvoice: a retry with the same key
 * and parameters returns the same invoice, so a timeout or a crash between
 * the call and its answer never makes two invoices.
 */
export function newIdempotencyKey() {
    return randomUUID();
}
/**
 * A key derived from what identifies the invoice in your system
 * (`idempotencyKeyFor("order", orderId, "attempt", 1)`): the same parts give
 * the same key, in any process, with nothing to store. 64 hex characters,
 * within the server's 255.
 */
export function idempotencyKeyFor(...parts) {
    const h = createHash("sha256");
    for (const p of parts) {
        const s = String(p);
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        h.update(`${Buffer.byteLength(s)}:${s};`);
    }
    return h.digest("hex");
}
