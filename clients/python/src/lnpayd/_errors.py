"""LnpaydError: the gRPC status code and lnpayd's machine-readable reason."""

from __future__ import annotations

from typing import Any, Mapping, Optional

import grpc
from google.rpc import error_details_pb2, status_pb2

#: The domain lnpayd puts in every ErrorInfo it sends.
ERROR_DOMAIN = "lnpayd"

_DETAILS_KEY = "grpc-status-details-bin"

RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        # A connection cut mid-stream (the daemon restarted) surfaces as one of these.
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)


class LnpaydError(Exception):
    """Every failed call.

    ``code`` is the gRPC status code; ``reason`` is the machine-readable cause
    from the google.rpc.ErrorInfo lnpayd sends in the grpc-status-details-bin
    trailer ("AMOUNT_NOT_POSITIVE"; errors.proto documents each one), or None
    when the error did not come from lnpayd (the connection failed, a proxy
    answered). Match on ``reason``, never on ``message``.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: Optional[str],
        message: str,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}" + (f" ({reason})" if reason else ""))
        self.code = code
        self.reason = reason
        self.message = message
        #: ErrorInfo.metadata: "field" for a request field, "invoice_id", "last_sequence", ...
        self.metadata: Mapping[str, str] = dict(metadata or {})

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later unchanged."""
        return self.code in RETRYABLE

    @classmethod
    def from_rpc_error(cls, e: grpc.RpcError) -> "LnpaydError":
        """The LnpaydError for a failed call (sync or asyncio)."""
        code = e.code() if hasattr(e, "code") else grpc.StatusCode.UNKNOWN
        message = (e.details() if hasattr(e, "details") else None) or ""
        trailers = e.trailing_metadata() if hasattr(e, "trailing_metadata") else None
        reason, metadata = _error_info(trailers)
        return cls(code or grpc.StatusCode.UNKNOWN, reason, message, metadata)


def _error_info(trailers: Any) -> tuple[Optional[str], dict[str, str]]:
    for key, value in trailers or ():
        if key != _DETAILS_KEY:
            continue
        status = status_pb2.Status()
        status.ParseFromString(value)
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info) and info.domain == ERROR_DOMAIN:
                return info.reason or None, dict(info.metadata)
    return None, {}
