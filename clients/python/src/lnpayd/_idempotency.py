"""Idempotency keys for CreateInvoice."""

import hashlib
import uuid


def new_idempotency_key() -> str:
    """A fresh key. Make it once per intended invoice and store it with the
    order *before* calling CreateInvoice: a retry with the same key and
    parameters returns the same invoice, so a timeout or a crash between the
    call and its answer never makes two invoices."""
    return str(uuid.uuid4())


def idempotency_key_for(*parts: object) -> str:
    """A key derived from what identifies the invoice in your system
    (``idempotency_key_for("order", order_id, "attempt", 1)``): the same parts
    give the same key, in any process, with nothing to store. 64 hex
    characters, within the server's 255."""
    h = hashlib.sha256()
    for part in parts:
        s = str(part).encode()
        # Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        h.update(b"%d:%s;" % (len(s), s))
    return h.hexdigest()
