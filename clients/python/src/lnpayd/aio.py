"""The asyncio client: the same surface as lnpayd.Client on grpc.aio."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Optional, Sequence, Union

import grpc
import grpc.aio

from lnpayd._client import STREAMING, CallbackError, backoff, channel_options
from lnpayd._errors import LnpaydError
from lnpayd.v1 import admin_pb2_grpc, invoices_pb2, invoices_pb2_grpc

OnEvent = Callable[[invoices_pb2.Event], Union[None, Awaitable[None]]]


class _AsyncService:
    """A stub whose methods send the token and raise LnpaydError."""

    def __init__(self, stub: Any, metadata: Sequence[tuple[str, str]]) -> None:
        self._stub = stub
        self._metadata = tuple(metadata)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._stub, name)
        md = self._metadata

        if name in STREAMING:

            def stream(request: Any, **kwargs: Any) -> "_AsyncStream":
                return _AsyncStream(method(request, metadata=md, **kwargs))

            return stream

        async def unary(request: Any, **kwargs: Any) -> Any:
            try:
                return await method(request, metadata=md, **kwargs)
            except grpc.RpcError as e:
                raise LnpaydError.from_rpc_error(e) from e

        return unary


class _AsyncStream:
    """A server stream that raises LnpaydError; ``cancel()`` ends it."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        try:
            async for item in self._call:
                yield item
        except grpc.RpcError as e:
            raise LnpaydError.from_rpc_error(e) from e

    def cancel(self) -> None:
        self._call.cancel()


class AsyncClient:
    """An asyncio client for one lnpayd daemon; see lnpayd.Client.

    Create it inside the event loop that uses it.
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
            grpc.aio.secure_channel(address, credentials, options=opts)
            if credentials is not None
            else grpc.aio.insecure_channel(address, options=opts)
        )
        md = [("authorization", f"Bearer {token}")]
        #: The Invoices service; every call is a coroutine, SubscribeEvents an async iterator.
        self.invoices = _AsyncService(invoices_pb2_grpc.InvoicesStub(self._channel), md)
        #: The Admin service; needs the admin token.
        self.admin = _AsyncService(admin_pb2_grpc.AdminStub(self._channel), md)

    def follow(
        self,
        after_sequence: int,
        on_event: OnEvent,
        *,
        types: Iterable[int] = (),
        invoice_id: str = "",
        min_backoff: float = 0.2,
        max_backoff: float = 10.0,
        on_retry: Optional[Callable[[LnpaydError, int, float], None]] = None,
    ) -> "AsyncFollower":
        """As lnpayd.Client.follow, as a task of the running loop; on_event
        may be a coroutine function (awaited before the next event)."""
        f = AsyncFollower(
            self.invoices,
            after_sequence,
            on_event,
            list(types),
            invoice_id,
            (min_backoff, max_backoff),
            on_retry,
        )
        f._task = asyncio.get_running_loop().create_task(f._loop(), name="lnpayd-follow")
        return f

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AsyncFollower:
    """A running follow(): ``await stop()`` ends it, ``await wait()`` joins it."""

    def __init__(self, invoices, after, on_event, types, invoice_id, backoffs, on_retry) -> None:
        self._invoices = invoices
        self._last = int(after)
        self._on_event = on_event
        self._types = types
        self._invoice_id = invoice_id
        self._backoffs = backoffs
        self._on_retry = on_retry
        self._stopped = asyncio.Event()
        self._stream: Optional[_AsyncStream] = None
        self._task: Optional[asyncio.Task[None]] = None

    @property
    def last_sequence(self) -> int:
        """The sequence of the last event on_event returned from."""
        return self._last

    async def stop(self) -> None:
        """No event is delivered once this returns."""
        self._stopped.set()
        if self._stream is not None:
            self._stream.cancel()
        assert self._task is not None
        try:
            await self._task
        except Exception:
            pass  # the error is wait()'s to report

    async def wait(self) -> None:
        """Returns once stopped; raises the error that ended following."""
        assert self._task is not None
        await self._task

    async def _loop(self) -> None:
        try:
            await self._follow()
        except CallbackError as e:
            raise e.error from None

    async def _follow(self) -> None:
        attempt = 0
        while not self._stopped.is_set():
            req = invoices_pb2.SubscribeEventsRequest(
                after_sequence=self._last, types=self._types, invoice_id=self._invoice_id
            )
            self._stream = self._invoices.SubscribeEvents(req)
            err: Optional[LnpaydError] = None
            try:
                async for event in self._stream:
                    attempt = 0
                    if self._stopped.is_set():
                        return
                    # The server replays from last + 1; this only guards the contract.
                    if event.sequence <= self._last:
                        continue
                    try:
                        result = self._on_event(event)
                        if inspect.isawaitable(result):
                            await result
                    except Exception as e:
                        raise CallbackError(e) from e
                    self._last = event.sequence
                # A stream that ends without an error: the daemon is shutting down.
            except LnpaydError as e:
                if self._stopped.is_set():
                    return
                # CANCELLED that is not ours: the connection died mid-stream.
                if not e.retryable and e.code != grpc.StatusCode.CANCELLED:
                    raise
                err = e
            except asyncio.CancelledError:
                if self._stopped.is_set():
                    return
                raise
            delay = backoff(attempt, *self._backoffs)
            attempt += 1
            if err is not None and self._on_retry is not None:
                self._on_retry(err, attempt, delay)
            try:
                await asyncio.wait_for(self._stopped.wait(), delay)
            except asyncio.TimeoutError:
                pass
