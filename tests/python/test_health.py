"""The standard gRPC health service on the Flight port, as a `grpc_health_probe`-style client sees it
(grpcio + grpcio-health-checking, no client credentials although the server wants a bearer token):
the server (`""`) SERVING, each connection (`igflight.connection.NAME`) SERVING, or NOT_SERVING while
its token is refused by the Graph API or past its expiry, and `""` NOT_SERVING once the server
drains on SIGTERM (it then exits 0)."""

import json
import os
import threading
import time

import grpc
import pyarrow.flight as flight
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import free_port, start_listening, stop

BEARER = "health-TOKEN-0123456789"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def health_stub(port):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    return channel, health_pb2_grpc.HealthStub(channel)


def check(stub, service):
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def wait_for(stub, service, status, limit=30):
    deadline = time.time() + limit
    while True:
        now = check(stub, service)
        if now == status:
            return
        assert time.time() < deadline, f"{service} is still {now}, not {status}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    """An `igflight simulate` and one `serve` (bearer token required) over three stored connections:
    `shop` (a good token), `old` (a token the Graph API refuses: expired at Facebook, not in the
    store) and `soon` (a good token whose stored expiry passes a few seconds after the start)."""
    d = tmp_path_factory.mktemp("health")
    sim_port = free_port()
    sim = start_listening(["simulate", "--listen", f"127.0.0.1:{sim_port}"], sim_port)
    threading.Thread(target=sim.stdout.read, daemon=True).start()
    config = d / "config"
    config.mkdir(mode=0o700)
    now = int(time.time())
    store = config / "accounts.json"
    store.write_text(
        json.dumps(
            {
                "version": 1,
                "connections": [
                    {"name": "shop", "token": "demo-token", "expires_at": now + 40 * 86400, "issued_at": now},
                    {"name": "old", "token": "expired-token", "expires_at": now + 40 * 86400, "issued_at": now},
                    {"name": "soon", "token": "demo-token", "expires_at": now + 15, "issued_at": now},
                ],
            }
        )
    )
    os.chmod(store, 0o600)
    port = free_port()
    env = {
        "IGFLIGHT_CONFIG_DIR": str(config),
        "IGFLIGHT_GRAPH_URL": f"http://127.0.0.1:{sim_port}",
        "IGFLIGHT_ACCESS_TOKEN": "",
        "IGFLIGHT_AUTH_TOKENS": BEARER,
    }
    proc = start_listening(["serve", "--listen", f"127.0.0.1:{port}"], port, env)
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    channel, stub = health_stub(port)
    yield {"port": port, "stub": stub}
    channel.close()
    stop(proc)
    stop(sim)


def test_the_server_is_serving_and_answers_without_credentials(rig):
    assert check(rig["stub"], "") == SERVING
    assert check(rig["stub"], "igflight.connection.shop") == SERVING
    # Flight itself wants the bearer token
    c = flight.FlightClient(f"grpc://127.0.0.1:{rig['port']}")
    with pytest.raises(flight.FlightUnauthenticatedError):
        list(c.do_action(flight.Action("health", b"")))
    c.close()


def test_an_unknown_service_is_not_found(rig):
    with pytest.raises(grpc.RpcError) as e:
        check(rig["stub"], "igflight.connection.nosuch")
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_refused_token_takes_out_its_connection_only(rig):
    c = flight.FlightClient(f"grpc://127.0.0.1:{rig['port']}")
    opts = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {BEARER}".encode())])
    ticket = lambda name: flight.Ticket(json.dumps({"report": "pages", "connection": name}).encode())
    with pytest.raises(flight.FlightUnauthenticatedError, match="connection `old` is invalid or expired"):
        c.do_get(ticket("old"), opts).read_all()
    wait_for(rig["stub"], "igflight.connection.old", NOT_SERVING)
    assert check(rig["stub"], "") == SERVING
    assert check(rig["stub"], "igflight.connection.shop") == SERVING
    assert c.do_get(ticket("shop"), opts).read_all().num_rows == 3
    c.close()


def test_a_connection_past_its_stored_expiry_is_not_serving(rig):
    wait_for(rig["stub"], "igflight.connection.soon", NOT_SERVING)
    assert check(rig["stub"], "") == SERVING
    assert check(rig["stub"], "igflight.connection.shop") == SERVING


def test_draining_says_not_serving_then_exits_0():
    port = free_port()
    proc = start_listening(
        ["serve", "--demo", "--listen", f"127.0.0.1:{port}", "--auth-token", BEARER], port
    )
    out = []
    threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True).start()
    channel, stub = health_stub(port)
    try:
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        assert next(watch).status == SERVING
        proc.terminate()  # SIGTERM
        assert next(watch).status == NOT_SERVING
        # the watch ends with the drain instead of holding the shutdown open
        assert list(watch) == []
        assert proc.wait(timeout=15) == 0
    finally:
        channel.close()
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.2)
    assert "draining" in "".join(out)
