"""`igflight serve --demo --auth-user … --auth-token …`: pyarrow's Basic handshake and bearer headers,
and ADBC's username/password, against a server that requires credentials."""

import subprocess

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow.flight as flight
import pytest

from conftest import start_server

USER = "alice"
PASSWORD = "pw-Secret-123"
TOKEN = "static-TOKEN-abc123"
PAGES = flight.Ticket(b'{"report":"pages"}')


@pytest.fixture(scope="module")
def auth_server():
    proc, uri = start_server("--auth-user", f"{USER}:{PASSWORD}", "--auth-token", TOKEN)
    yield uri
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    # Neither the password nor the token reaches the server's output.
    assert PASSWORD not in out
    assert TOKEN not in out


def test_without_credentials_unauthenticated(auth_server):
    c = flight.FlightClient(auth_server)
    with pytest.raises(flight.FlightUnauthenticatedError, match="requires credentials"):
        c.do_get(PAGES).read_all()
    with pytest.raises(flight.FlightUnauthenticatedError):
        list(c.list_flights())
    c.close()


def test_basic_token_then_rows(auth_server):
    c = flight.FlightClient(auth_server)
    key, value = c.authenticate_basic_token(USER, PASSWORD)
    assert key.lower() == b"authorization"
    assert value.startswith(b"Bearer ")
    opts = flight.FlightCallOptions(headers=[(key, value)])
    assert c.do_get(PAGES, opts).read_all().num_rows > 0
    assert len(list(c.list_flights(options=opts))) > 0
    c.close()


def test_wrong_password(auth_server):
    c = flight.FlightClient(auth_server)
    with pytest.raises(flight.FlightUnauthenticatedError):
        c.authenticate_basic_token(USER, "wrong")
    c.close()


def test_static_bearer_token(auth_server):
    c = flight.FlightClient(auth_server)
    opts = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {TOKEN}".encode())])
    assert c.do_get(PAGES, opts).read_all().num_rows > 0
    c.close()


def test_adbc_username_password(auth_server):
    with flightsql.connect(
        auth_server,
        db_kwargs={"username": USER, "password": PASSWORD},
        autocommit=True,
    ) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pages")
        assert cur.fetchone()[0] > 0


def test_adbc_wrong_password(auth_server):
    with pytest.raises(adbc_driver_manager.Error):
        with flightsql.connect(
            auth_server,
            db_kwargs={"username": USER, "password": "wrong"},
            autocommit=True,
        ) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pages")
            cur.fetchone()
