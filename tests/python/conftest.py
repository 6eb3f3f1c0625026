"""Fixtures: an `igflight serve --demo` process on a free port, and Flight clients for it."""

import os
import socket
import subprocess
import time
from pathlib import Path

import pyarrow.flight as flight
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every igflight process these tests start keeps its call ledger in a temporary data folder, never the
# user's (`--demo` keeps it in memory anyway): one folder for the session's servers, and one per test
# (the autouse fixture below) for the processes a test starts itself.
import tempfile as _tempfile

_SESSION_DATA = _tempfile.TemporaryDirectory(prefix="igflight-test-data-")
os.environ["IGFLIGHT_DATA_DIR"] = _SESSION_DATA.name
os.environ.pop("IGFLIGHT_STATE", None)


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IGFLIGHT_DATA_DIR", str(tmp_path / "igflight-data"))


def igflight_bin() -> str:
    return os.environ.get("IGFLIGHT_BIN", str(ROOT / "target" / "debug" / "igflight"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*extra: str, env: dict | None = None):
    port = free_port()
    proc = start_listening(
        ["serve", "--demo", "--listen", f"127.0.0.1:{port}", *extra], port, env
    )
    return proc, f"grpc://127.0.0.1:{port}"


def start_listening(args: list, port: int, env: dict | None = None):
    """Run `igflight ARGS` and wait until it listens on `port`."""
    proc = subprocess.Popen(
        [igflight_bin(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        text=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"igflight {args[0]} exited early: {proc.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"igflight {args[0]} did not start listening")
    return proc


# The Flight and SQL tests ask for the v15 metrics (media `impressions`, `engagement`, …) with the
# product's v15.0 client, so their demo serves the seed's Graph API (its CLI default is today's).
V15_API = ("--api-as-of", "2022-11-01")


@pytest.fixture(scope="session")
def server():
    import threading

    proc, uri = start_server(*V15_API)
    # drain the server's output: a pipe nobody reads fills up and blocks the server
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    yield uri
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture()
def client(server):
    c = flight.FlightClient(server)
    yield c
    c.close()


@pytest.fixture(scope="module")
def sql_server():
    """A `serve --demo` of its own, for SQL clients, whose output is drained: SQL joins log many Graph
    calls, and a pipe nobody reads would fill up and block the server."""
    import threading

    proc, uri = start_server(*V15_API)
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    yield uri
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def stop(proc):
    """Terminate a process started by `start_listening` (kill it after 10 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
