"""The daemon comes from tests/clients (cargo test --test clients), which
passes its address and tokens in the environment and restarts it on request."""

import os
import pathlib
import time

import pytest

import lnpayd


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run this through cargo test --test clients")
    return value


@pytest.fixture(scope="session")
def address() -> str:
    return env("LNPAYD_TEST_ADDR")


@pytest.fixture(scope="session")
def invoice_token() -> str:
    return env("LNPAYD_TEST_INVOICE_TOKEN")


@pytest.fixture(scope="session")
def admin_token() -> str:
    return env("LNPAYD_TEST_ADMIN_TOKEN")


@pytest.fixture
def client(address, invoice_token):
    with lnpayd.Client(address, invoice_token) as c:
        yield c


@pytest.fixture
def admin(address, admin_token):
    with lnpayd.Client(address, admin_token) as c:
        yield c


def until(what: str, f, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not f():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def restart_daemon() -> None:
    """Asks the Rust side to kill -9 the daemon and start it again on the
    same data dir and port; returns once it is serving again."""
    signals = pathlib.Path(env("LNPAYD_TEST_SIGNAL_DIR"))
    (signals / "restart-requested").touch()
    until("the daemon's restart", (signals / "restarted").exists, timeout=60.0)
