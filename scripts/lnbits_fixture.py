#!/usr/bin/env python3
"""LNbits 1.6.2 test fixture for lnpayd.

Run with the venv made by scripts/ensure-tools.sh:

    .tools/lnbits-venv/bin/python scripts/lnbits_fixture.py --port P --data-dir D

Starts one uvicorn process serving LNbits (FakeWallet backend) on 127.0.0.1:P,
with its data (SQLite) in D and its output in D/lnbits.log. On a fresh data
dir it does the first install (super user); it creates (or reuses, from
D/fixture.json) two wallets, "merchant" and "payer", sets their currency to ""
and tops the payer up to 10,000,000 sats. Then it prints ONE JSON line:

    {"url": "http://127.0.0.1:P",
     "merchant": {"id": ..., "adminkey": ..., "inkey": ...},
     "payer": {"id": ..., "adminkey": ..., "inkey": ...}}

and stays alive until stdin reaches EOF (or SIGTERM/SIGINT), then stops
uvicorn (SIGTERM, SIGKILL after 5 s) and exits 0. Exits non-zero (with the
tail of D/lnbits.log on stderr) if LNbits does not come up or dies.

Only the standard library is used (http.client, not urllib: no proxy env).
"""

import argparse
import ctypes
import http.client
import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

START_TIMEOUT_S = 90.0
STOP_GRACE_S = 5.0
PAYER_BALANCE_SAT = 10_000_000
SUPERUSER_NAME = "fixture"

stop_event = threading.Event()


def log(msg: str) -> None:
    print(f"lnbits_fixture: {msg}", file=sys.stderr, flush=True)


class Api:
    def __init__(self, port: int):
        self.port = port

    def call(self, method, path, body=None, key=None, bearer=None, timeout=30.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            if key:
                headers["X-Api-Key"] = key
            if bearer:
                headers["Authorization"] = f"Bearer {bearer}"
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return resp.status, parsed
        finally:
            conn.close()

    def must(self, method, path, expect=(200, 201), **kw):
        status, body = self.call(method, path, **kw)
        # A test may start LNbits with a tight rate limit (--setting): wait it out.
        for _ in range(30):
            if status != 429:
                break
            time.sleep(0.5)
            status, body = self.call(method, path, **kw)
        if status not in expect:
            raise RuntimeError(f"{method} {path} -> {status}: {str(body)[:300]}")
        return body


def tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(lines[-n:])


def child_env(port: int, data_dir: Path, settings: dict) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "LNBITS_DATA_FOLDER": str(data_dir),
            "LNBITS_BACKEND_WALLET_CLASS": "FakeWallet",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LNBITS_RATE_LIMIT_NO": "1000000",
            "LNBITS_PRICE_AGGREGATOR_ENABLED": "false",
            "LNBITS_EXCHANGE_RATE_PROVIDERS": "[]",
            "LNBITS_EXTENSIONS_DEACTIVATE_ALL": "true",
            # Otherwise LNbits fetches extension manifests from raw.githubusercontent.com at start.
            "LNBITS_EXTENSIONS_MANIFESTS": "[]",
            "LNBITS_WASM_EXTENSIONS_MANIFESTS": "[]",
            "LNBITS_CALLBACK_URL_RULES": json.dumps(
                [r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?"]
            ),
            "LNBITS_CALLBACK_ALLOW_PRIVATE_IPS": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(settings)
    return env


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: SIGTERM us if the fixture dies
    # (even by SIGKILL). Same process group as the fixture (no setsid).
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def start_uvicorn(port: int, data_dir: Path, logfile: Path, settings: dict) -> subprocess.Popen:
    site = sysconfig.get_paths()["purelib"]  # LNbits mounts lnbits/static relative to cwd
    out = open(logfile, "ab", buffering=0)
    out.write(f"\n=== lnbits_fixture: starting uvicorn on 127.0.0.1:{port} at {time.ctime()} ===\n".encode())
    parent = os.getpid()

    def preexec():
        _die_with_parent()
        if os.getppid() != parent:  # parent already gone
            os._exit(1)

    try:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "lnbits.__main__:app",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=site,
            env=child_env(port, data_dir, settings),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec if sys.platform.startswith("linux") else None,
        )
    finally:
        out.close()


def stop_uvicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass


def wait_ready(api: Api, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if stop_event.is_set():
            raise KeyboardInterrupt
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with code {proc.returncode} during start-up")
        try:
            # 200, or 307 to /first_install on a fresh DB: either way it is serving.
            status, _ = api.call("GET", "/api/v1/health", timeout=5.0)
            if status < 500:
                return
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"LNbits did not answer within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.2)


def load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_state(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def superuser_token(api: Api, state: dict) -> str:
    password = state.get("password") or secrets.token_hex(16)
    username = state.get("username") or SUPERUSER_NAME
    status, body = api.call(
        "PUT", "/api/v1/auth/first_install",
        body={"username": username, "password": password, "password_repeat": password},
    )
    if status == 200:
        state["username"], state["password"] = username, password
        # Wallets recorded for an older DB are gone: forget them.
        state.pop("merchant", None)
        state.pop("payer", None)
        return body["access_token"]
    if status != 403:  # 403 = "This is not your first install"
        raise RuntimeError(f"first install failed: {status} {str(body)[:300]}")
    if "password" not in state:
        raise RuntimeError(
            "data dir already installed but fixture.json has no credentials; use a fresh --data-dir"
        )
    body = api.must("POST", "/api/v1/auth", body={"username": username, "password": password})
    return body["access_token"]


def ensure_wallet(api: Api, state: dict, name: str) -> dict:
    w = state.get(name)
    if w:
        status, _ = api.call("GET", "/api/v1/wallet", key=w["adminkey"])
        if status == 200:
            return w
        log(f"wallet {name} from fixture.json not found ({status}), creating a new one")
    body = api.must("POST", "/api/v1/account", body={"name": name})
    w = {"id": body["id"], "adminkey": body["adminkey"], "inkey": body["inkey"]}
    state[name] = w
    return w


def setup(api: Api, state_path: Path) -> dict:
    state = load_state(state_path)
    token = superuser_token(api, state)
    save_state(state_path, state)
    merchant = ensure_wallet(api, state, "merchant")
    payer = ensure_wallet(api, state, "payer")
    save_state(state_path, state)
    for w in (merchant, payer):
        # Default currency USD makes every invoice ask fiat price providers (slow offline).
        api.must("PATCH", "/api/v1/wallet", body={"currency": ""}, key=w["adminkey"])
    balance_msat = api.must("GET", "/api/v1/wallet", key=payer["inkey"])["balance"]
    missing = PAYER_BALANCE_SAT - balance_msat // 1000
    if missing > 0:
        api.must("PUT", "/users/api/v1/balance",
                 body={"id": payer["id"], "amount": missing}, bearer=token)
    return {"merchant": merchant, "payer": payer}


def stdin_closed() -> bool:
    """Drain stdin without blocking; True once it reached EOF (or is unusable).

    select + os.read on the raw fd instead of a reader thread: a daemon thread
    blocked in sys.stdin.read() aborts the interpreter at exit ("could not
    acquire lock for <stdin> at interpreter shutdown").
    """
    try:
        while select.select([0], [], [], 0)[0]:
            if not os.read(0, 65536):
                return True
    except (OSError, ValueError):
        return True
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--setting", action="append", default=[], metavar="LNBITS_NAME=VALUE",
                    help="an LNbits environment setting over the fixture's own (repeatable)")
    ap.add_argument("--ignore-stdin", action="store_true",
                    help="do not stop on stdin EOF (only on SIGTERM/SIGINT); for manual use with &")
    args = ap.parse_args()

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    logfile = data_dir / "lnbits.log"

    def on_signal(signum, _frame):
        stop_event.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    # Fail fast instead of talking to whatever already listens on the port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is fine
        try:
            probe.bind(("127.0.0.1", args.port))
        except OSError as exc:
            log(f"ERROR: cannot use 127.0.0.1:{args.port}: {exc}")
            return 1

    api = Api(args.port)
    settings = {}
    for item in args.setting:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("LNBITS_"):
            ap.error(f"--setting {item!r}: expected LNBITS_NAME=VALUE")
        settings[name] = value
    proc = start_uvicorn(args.port, data_dir, logfile, settings)
    rc = 0
    try:
        t0 = time.monotonic()
        try:
            wait_ready(api, proc)
            t_ready = time.monotonic()
            wallets = setup(api, data_dir / "fixture.json")
        except KeyboardInterrupt:
            return 0
        except Exception as exc:
            log(f"ERROR: {exc}")
            log(f"--- tail of {logfile} ---\n{tail(logfile)}")
            rc = 1
            return rc
        line = {"url": f"http://127.0.0.1:{args.port}", **wallets}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        log(f"ready (uvicorn pid {proc.pid}; up in {t_ready - t0:.1f} s, "
            f"setup {time.monotonic() - t_ready:.1f} s); log: {logfile}")

        while not stop_event.wait(0.25):
            if not args.ignore_stdin and stdin_closed():
                break
            if proc.poll() is not None:
                log(f"ERROR: uvicorn exited unexpectedly with code {proc.returncode}")
                log(f"--- tail of {logfile} ---\n{tail(logfile)}")
                rc = 1
                break
        return rc
    finally:
        stop_uvicorn(proc)


if __name__ == "__main__":
    sys.exit(main())
