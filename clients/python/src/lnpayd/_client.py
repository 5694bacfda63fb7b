"""The blocking client: grpcio channels, LnpaydError, and a follower thread."""

from __future__ import annotations

import random
import threading
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import grpc

from lnpayd._errors import LnpaydError
from lnpayd.v1 import admin_pb2_grpc, invoices_pb2, invoices_pb2_grpc

#: Server-streaming RPCs: their wrapper returns an iterator.
STREAMING = frozenset({"SubscribeEvents"})


def channel_options(keepalive_ms: int) -> list[tuple[str, Any]]:
    # HTTP/2 PINGs, so a dead connection is noticed while a stream is idle.
    return [
        ("grpc.keepalive_time_ms", keepalive_ms),
        ("grpc.keepalive_permit_without_calls", 0),
        # grpc's default grows to 120 s while the daemon is down: a restart
        # would then go unnoticed for minutes.
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 5_000),
    ]


def backoff(attempt: int, low: float, high: float) -> float:
    """Exponential, capped, jittered in its upper half (no reconnect storms)."""
    ceiling = min(high, low * 2 ** min(attempt, 30))
    return ceiling / 2 + random.random() * ceiling / 2


class CallbackError(Exception):
    """What on_event raised, kept apart from the stream's own errors."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Service:
    """A stub whose methods send the token and raise LnpaydError."""

    def __init__(self, stub: Any, metadata: Sequence[tuple[str, str]]) -> None:
        self._stub = stub
        self._metadata = tuple(metadata)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._stub, name)
        md = self._metadata

        if name in STREAMING:

            def stream(request: Any, **kwargs: Any) -> Iterator[Any]:
                call = method(request, metadata=md, **kwargs)
                return _Stream(call)

            return stream

        def unary(request: Any, **kwargs: Any) -> Any:
            try:
                return method(request, metadata=md, **kwargs)
            except grpc.RpcError as e:
                raise LnpaydError.from_rpc_error(e) from e

        return unary


class _Stream:
    """A server stream that raises LnpaydError; ``cancel()`` ends it."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def __iter__(self) -> "_Stream":
        return self

    def __next__(self) -> Any:
        try:
            return next(self._call)
        except grpc.RpcError as e:
            raise LnpaydError.from_rpc_error(e) from e

    def cancel(self) -> None:
        self._call.cancel()


class Client:
    """A blocking client for one lnpayd daemon; thread-safe, share it.

    ``address`` is "host:port" (plaintext, as lnpayd listens), or pass
    ``credentials`` (grpc.ssl_channel_credentials()) behind a TLS proxy.
    ``token`` is the invoice token (the admin token also opens ``admin``).
    Calls take the generated request messages and the stubs' keyword
    arguments (``timeout=``), and raise LnpaydError.
    """

    def __init__(
        self,
        address: str,
        token: str,
        *,
        credentials: Optional[grpc.ChannelCredentials] = None,
        keepalive_ms: int = 30_000,
    ) -> None:
        opts = channel_options(keepalive_ms)
        self._channel = (
            grpc.secure_channel(address, credentials, options=opts)
            if credentials is not None
            else grpc.insecure_channel(address, options=opts)
        )
        md = [("authorization", f"Bearer {token}")]
        #: The Invoices service (CreateInvoice, GetInvoice, ..., SubscribeEvents).
        self.invoices = _Service(invoices_pb2_grpc.InvoicesStub(self._channel), md)
        #: The Admin service; needs the admin token.
        self.admin = _Service(admin_pb2_grpc.AdminStub(self._channel), md)

    def follow(
        self,
        after_sequence: int,
        on_event: Callable[[invoices_pb2.Event], None],
        *,
        types: Iterable[int] = (),
        invoice_id: str = "",
        min_backoff: float = 0.2,
        max_backoff: float = 10.0,
        on_retry: Optional[Callable[[LnpaydError, int, float], None]] = None,
    ) -> "Follower":
        """Calls ``on_event`` for every event after ``after_sequence``, once
        each and in order, on a thread of its own, resuming after a broken
        stream from the last sequence it delivered: no gap, no duplicate. An
        event counts as delivered once on_event returns; if it raises,
        following stops with that error (``wait()`` raises it) and the event
        is not counted. Non-retryable errors (a bad token, a cursor ahead of
        the log) stop it too."""
        f = Follower(
            self.invoices,
            after_sequence,
            on_event,
            list(types),
            invoice_id,
            (min_backoff, max_backoff),
            on_retry,
        )
        f._thread.start()
        return f

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Follower:
    """A running follow(): ``stop()`` ends it, ``wait()`` joins it."""

    def __init__(self, invoices, after, on_event, types, invoice_id, backoffs, on_retry) -> None:
        self._invoices = invoices
        self._last = int(after)
        self._on_event = on_event
        self._types = types
        self._invoice_id = invoice_id
        self._backoffs = backoffs
        self._on_retry = on_retry
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._stream: Optional[_Stream] = None
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="lnpayd-follow", daemon=True)

    @property
    def last_sequence(self) -> int:
        """The sequence of the last event on_event returned from."""
        return self._last

    def stop(self, timeout: Optional[float] = None) -> None:
        """No event is delivered once this returns (unless it times out)."""
        self._stopped.set()
        with self._lock:
            if self._stream is not None:
                self._stream.cancel()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def wait(self, timeout: Optional[float] = None) -> None:
        """Joins the thread; raises the error that ended following, if any."""
        self._thread.join(timeout)
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            self._loop()
        except CallbackError as e:  # handed to wait()
            self._error = e.error
        except BaseException as e:
            self._error = e

    def _loop(self) -> None:
        attempt = 0
        while not self._stopped.is_set():
            req = invoices_pb2.SubscribeEventsRequest(
                after_sequence=self._last, types=self._types, invoice_id=self._invoice_id
            )
            with self._lock:
                if self._stopped.is_set():
                    return
                self._stream = self._invoices.SubscribeEvents(req)
            try:
                for event in self._stream:
                    attempt = 0
                    if self._stopped.is_set():
                        return
                    # The server replays from last + 1; this only guards the contract.
                    if event.sequence <= self._last:
                        continue
                    try:
                        self._on_event(event)
                    except BaseException as e:
                        raise CallbackError(e) from e
                    self._last = event.sequence
                # A stream that ends without an error: the daemon is shutting down.
                err: Optional[LnpaydError] = None
            except LnpaydError as e:
                if self._stopped.is_set():
                    return
                # CANCELLED that is not ours: the connection died mid-stream.
                if not e.retryable and e.code != grpc.StatusCode.CANCELLED:
                    raise
                err = e
            delay = backoff(attempt, *self._backoffs)
            attempt += 1
            if err is not None and self._on_retry is not None:
                self._on_retry(err, attempt, delay)
            self._stopped.wait(delay)
