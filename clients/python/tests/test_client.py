import asyncio
import threading
import time

import grpc
import pytest

import lnpayd
from lnpayd import LnpaydError, invoices_pb2
from lnpayd.aio import AsyncClient
from lnpayd.v1 import admin_pb2

from conftest import restart_daemon, until


def create_req(sat: int, description: str, key: str = "") -> invoices_pb2.CreateInvoiceRequest:
    return invoices_pb2.CreateInvoiceRequest(
        amount_sat=sat, description=description, idempotency_key=key
    )


def test_create_then_the_same_key_returns_the_same_invoice(client):
    key = lnpayd.new_idempotency_key()
    first = client.invoices.CreateInvoice(create_req(1234, "py idempotency", key))
    again = client.invoices.CreateInvoice(create_req(1234, "py idempotency", key))
    assert again.id == first.id
    assert again.payment_request == first.payment_request
    read = client.invoices.GetInvoice(invoices_pb2.GetInvoiceRequest(id=first.id))
    assert (read.id, read.amount_msat, read.description) == (first.id, 1_234_000, "py idempotency")

    with pytest.raises(LnpaydError) as reused:
        client.invoices.CreateInvoice(create_req(999, "py idempotency", key))
    assert reused.value.code == grpc.StatusCode.ALREADY_EXISTS
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert reused.value.metadata["invoice_id"] == first.id

    # The same derived key as the TypeScript client's idempotencyKeyFor.
    assert lnpayd.idempotency_key_for("order", 42) == (
        "53481d18abcb25f1ef119808a30ce0a4a9ebc66e212b53e13c6d4a48cd894cd5"
    )
    assert lnpayd.idempotency_key_for("ab", "c") != lnpayd.idempotency_key_for("a", "bc")


def test_a_validation_error_carries_its_reason_and_field(client):
    with pytest.raises(LnpaydError) as e:
        client.invoices.CreateInvoice(create_req(0, "zero"))
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert e.value.reason == "AMOUNT_NOT_POSITIVE"
    assert e.value.metadata["field"] == "amount_sat"
    assert not e.value.retryable

    with pytest.raises(LnpaydError) as denied:
        client.admin.GetStatus(admin_pb2.GetStatusRequest())
    assert denied.value.code == grpc.StatusCode.PERMISSION_DENIED
    assert denied.value.reason == "ROLE_NOT_ALLOWED"


def test_asyncio_client(address, invoice_token):
    async def main():
        async with AsyncClient(address, invoice_token) as c:
            key = lnpayd.new_idempotency_key()
            first = await c.invoices.CreateInvoice(create_req(777, "py aio", key))
            again = await c.invoices.CreateInvoice(create_req(777, "py aio", key))
            assert again.id == first.id
            read = await c.invoices.GetInvoice(invoices_pb2.GetInvoiceRequest(id=first.id))
            assert read.amount_msat == 777_000
            with pytest.raises(LnpaydError) as e:
                await c.invoices.CreateInvoice(create_req(0, "zero"))
            assert e.value.reason == "AMOUNT_NOT_POSITIVE"
            assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT

    asyncio.run(main())


def test_an_on_event_that_raises_stops_follow_and_its_event_is_not_counted(client, admin):
    start = admin.admin.GetStatus(admin_pb2.GetStatusRequest()).last_event_sequence
    calls = []

    def on_event(event):
        calls.append(event.sequence)
        if len(calls) == 2:
            raise ValueError("boom")

    follower = client.follow(start, on_event)
    client.invoices.CreateInvoice(create_req(300, "py raises 1"))
    client.invoices.CreateInvoice(create_req(301, "py raises 2"))
    with pytest.raises(ValueError, match="boom"):
        follower.wait(timeout=30)
    assert calls == [start + 1, start + 2]
    # A new follow from last_sequence gets the failed event again.
    assert follower.last_sequence == start + 1


def test_follow_delivers_every_event_once_across_kill_9_and_restart(address, invoice_token, client, admin):
    """The blocking follower and the asyncio one side by side, through one
    kill -9 of the daemon: each sees the same events, in order, once each."""
    start = admin.admin.GetStatus(admin_pb2.GetStatusRequest()).last_event_sequence
    seen_sync: list = []
    retries = {"sync": 0, "aio": 0}
    sync_follower = client.follow(
        start,
        seen_sync.append,
        min_backoff=0.05,
        max_backoff=0.5,
        on_retry=lambda *_: retries.__setitem__("sync", retries["sync"] + 1),
    )

    seen_aio: list = []
    aio_ready = threading.Event()
    aio_finish = threading.Event()
    aio_error: list = []

    async def on_aio_event(event):
        await asyncio.sleep(0)  # a coroutine callback is awaited
        seen_aio.append(event)

    def aio_thread():
        async def main():
            async with AsyncClient(address, invoice_token) as c:
                f = c.follow(
                    start,
                    on_aio_event,
                    min_backoff=0.05,
                    max_backoff=0.5,
                    on_retry=lambda *_: retries.__setitem__("aio", retries["aio"] + 1),
                )
                aio_ready.set()
                while not aio_finish.is_set():
                    await asyncio.sleep(0.05)
                await f.stop()
                await f.wait()

        try:
            asyncio.run(main())
        except BaseException as e:  # reported by the test thread
            aio_error.append(e)
            aio_ready.set()

    t = threading.Thread(target=aio_thread, name="aio-follower", daemon=True)
    t.start()
    aio_ready.wait(10)

    created = [client.invoices.CreateInvoice(create_req(100 + i, f"py follow {i}")).id for i in range(3)]
    admin.admin.SimulatePayment(admin_pb2.SimulatePaymentRequest(id=created[0]))
    until("4 events before the restart", lambda: len(seen_sync) >= 4 and len(seen_aio) >= 4)

    # The Rust side creates 2 invoices right after the restart, while the
    # followers are still backing off or reconnecting.
    try:
        restart_daemon()
        # The channel saw the daemon die: wait for its reconnect rather than fail fast.
        for i in range(3, 5):
            req = create_req(100 + i, f"py follow {i}")
            created.append(client.invoices.CreateInvoice(req, wait_for_ready=True, timeout=10).id)
        admin.admin.SimulatePayment(
            admin_pb2.SimulatePaymentRequest(id=created[4]), wait_for_ready=True, timeout=10
        )
        total = 4 + 2 + 3
        until(f"{total} events", lambda: len(seen_sync) >= total and len(seen_aio) >= total)
        time.sleep(0.5)  # anything delivered twice would arrive now
    finally:
        sync_follower.stop()
        aio_finish.set()
        t.join(10)
    sync_follower.wait()
    assert not aio_error, aio_error

    want = list(range(start + 1, start + total + 1))
    for name, seen in (("sync", seen_sync), ("aio", seen_aio)):
        assert retries[name] > 0, f"the {name} follower never reconnected: no restart happened"
        assert [e.sequence for e in seen] == want, f"{name}: a gap or a duplicate"
        ids = {e.invoice.id for e in seen}
        assert set(created) <= ids, name
        paid = [e.invoice.id for e in seen if e.type == invoices_pb2.EVENT_TYPE_INVOICE_PAID]
        assert paid == [created[0], created[4]], name
    assert sync_follower.last_sequence == start + total
