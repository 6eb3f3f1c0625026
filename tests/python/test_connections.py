"""One `igflight serve` over two stored connections (two tokens of an `igflight simulate` process),
with credentials from an `--auth-file`: a user limited to one connection reads it with ADBC
(username/password) and pyarrow, and is refused the other, without a Graph call."""

import json
import os
import threading
import time
import urllib.request

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow.flight as flight
import pytest

from conftest import free_port, start_listening, stop

ANN = ("ann", "pw-Ann-4711")  # limited to blog
ROOT = ("root", "pw-Root-0815")  # every connection


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    d = tmp_path_factory.mktemp("connections")
    sim_port = free_port()
    sim = start_listening(["simulate", "--listen", f"127.0.0.1:{sim_port}"], sim_port)
    threading.Thread(target=sim.stdout.read, daemon=True).start()
    base = f"http://127.0.0.1:{sim_port}"
    # a second user token: the demo token exchanged for a long-lived one
    url = (
        f"{base}/v15.0/oauth/access_token?grant_type=fb_exchange_token&client_id=demo-app"
        "&client_secret=demo-secret&fb_exchange_token=demo-token"
    )
    second = json.load(urllib.request.urlopen(url))["access_token"]
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
                    {"name": "blog", "token": second, "expires_at": now + 3 * 86400, "issued_at": now},
                ],
            }
        )
    )
    os.chmod(store, 0o600)
    auth = d / "clients.auth"
    auth.write_text(f"# clients\nuser {ANN[0]}:{ANN[1]} blog\nuser {ROOT[0]}:{ROOT[1]}\n")
    os.chmod(auth, 0o600)
    port = free_port()
    env = {"IGFLIGHT_CONFIG_DIR": str(config), "IGFLIGHT_GRAPH_URL": base, "IGFLIGHT_ACCESS_TOKEN": ""}
    proc = start_listening(
        ["serve", "--listen", f"127.0.0.1:{port}", "--auth-file", str(auth)], port, env
    )
    out = []
    threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True).start()
    yield {"uri": f"grpc://127.0.0.1:{port}", "sim": base}
    stop(proc)
    stop(sim)
    time.sleep(0.2)
    text = "".join(out)
    for secret in ("demo-token", second, ANN[1], ROOT[1]):
        assert secret not in text


def graph_calls(rig):
    return json.load(urllib.request.urlopen(f"{rig['sim']}/__stats"))["total"]


def client_as(rig, user):
    c = flight.FlightClient(rig["uri"])
    header = c.authenticate_basic_token(*user)
    return c, flight.FlightCallOptions(headers=[header])


def ticket(connection=None):
    t = {"report": "pages"}
    if connection:
        t["connection"] = connection
    return flight.Ticket(json.dumps(t).encode())


def test_adbc_user_limited_to_one_connection_reads_it(rig):
    with flightsql.connect(
        rig["uri"], db_kwargs={"username": ANN[0], "password": ANN[1]}, autocommit=True
    ) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pages")
        assert cur.fetchone()[0] == 3


def test_adbc_user_limited_to_one_connection_cannot_read_another(rig):
    before = graph_calls(rig)
    with pytest.raises(adbc_driver_manager.Error, match="may not read connection `shop`; it may read: blog"):
        with flightsql.connect(
            rig["uri"],
            db_kwargs={
                "username": ANN[0],
                "password": ANN[1],
                "adbc.flight.sql.rpc.call_header.x-igflight-connection": "shop",
            },
            autocommit=True,
        ) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pages")
            cur.fetchone()
    assert graph_calls(rig) == before


def test_pyarrow_ticket_naming_another_connection_is_permission_denied(rig):
    c, opts = client_as(rig, ANN)
    assert c.do_get(ticket(), opts).read_all().num_rows == 3
    assert c.do_get(ticket("blog"), opts).read_all().num_rows == 3
    before = graph_calls(rig)
    with pytest.raises(flight.FlightUnauthorizedError, match="may not read connection `shop`"):
        c.do_get(ticket("shop"), opts).read_all()
    assert graph_calls(rig) == before
    # the accounts action: ann sees blog only, with its expiry warning (3 days left)
    (result,) = list(c.do_action(flight.Action("accounts", b""), opts))
    body = json.loads(result.body.to_pybytes())
    assert [x["name"] for x in body["connections"]] == ["blog"]
    assert body["connection"] == "blog"
    assert "expires in" in body["warning"]
    c.close()


def test_unlimited_user_reads_both_connections(rig):
    c, opts = client_as(rig, ROOT)
    for name in ("shop", "blog"):
        assert c.do_get(ticket(name), opts).read_all().num_rows == 3
    (result,) = list(c.do_action(flight.Action("accounts", b""), opts))
    body = json.loads(result.body.to_pybytes())
    assert [x["name"] for x in body["connections"]] == ["shop", "blog"]
    c.close()
