"""A client for lnpayd's gRPC API: ``Client`` (blocking) and
``lnpayd.aio.AsyncClient`` (asyncio), ``LnpaydError`` with the server's
reason, idempotency keys, and ``follow()``, which delivers every payment
event exactly once across reconnects. The messages are in ``lnpayd.v1``
(generated from the daemon's proto/)."""

from lnpayd._client import Client, Follower
from lnpayd._errors import ERROR_DOMAIN, LnpaydError
from lnpayd._idempotency import idempotency_key_for, new_idempotency_key
from lnpayd.v1 import admin_pb2, errors_pb2, invoices_pb2

__all__ = [
    "Client",
    "Follower",
    "LnpaydError",
    "ERROR_DOMAIN",
    "idempotency_key_for",
    "new_idempotency_key",
    "admin_pb2",
    "errors_pb2",
    "invoices_pb2",
]
