"""`igflight serve --demo --tls-cert … --tls-key …` (and `--tls-client-ca` for mutual TLS) from pyarrow and
ADBC: a client with the CA connects, one without it fails; with mutual TLS a client certificate is
required. Certificates are made with the openssl CLI in a temporary folder: without it these tests fail
(they never pass without running; CI installs openssl)."""

import shutil
import subprocess
import threading

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow.flight as flight
import pytest

from conftest import free_port, start_listening, stop

PAGES = flight.Ticket(b'{"report":"pages"}')


def openssl(cwd, *args):
    if shutil.which("openssl") is None:
        pytest.fail("the TLS tests need the openssl CLI to make their certificates: install openssl")
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=igflight test CA")
    (d / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n")
    for who in ("server", "client"):
        openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{who}.key", "-out", f"{who}.csr",
                "-subj", f"/CN={who}")
        openssl(d, "x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{who}.pem", "-days", "2", "-extfile", f"{who}.ext")
    return d


def serve(*extra):
    port = free_port()
    proc = start_listening(["serve", "--demo", "--listen", f"127.0.0.1:{port}", *extra], port)
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, f"grpc+tls://localhost:{port}"


@pytest.fixture(scope="module")
def tls_server(certs):
    proc, uri = serve("--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"))
    yield uri
    stop(proc)


@pytest.fixture(scope="module")
def mtls_server(certs):
    proc, uri = serve("--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"),
                      "--tls-client-ca", str(certs / "ca.pem"))
    yield uri
    stop(proc)


def test_pyarrow_with_the_ca_reads_rows(tls_server, certs):
    c = flight.FlightClient(tls_server, tls_root_certs=(certs / "ca.pem").read_bytes())
    assert c.do_get(PAGES).read_all().num_rows == 3
    c.close()


def test_pyarrow_without_the_ca_fails(tls_server):
    c = flight.FlightClient(tls_server)
    with pytest.raises(flight.FlightUnavailableError):
        c.do_get(PAGES).read_all()
    c.close()


def test_adbc_with_the_ca_runs_a_query(tls_server, certs):
    with flightsql.connect(
        tls_server,
        db_kwargs={"adbc.flight.sql.client_option.tls_root_certs": (certs / "ca.pem").read_text()},
        autocommit=True,
    ) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pages")
        assert cur.fetchone()[0] == 3


def test_adbc_without_the_ca_fails(tls_server):
    with pytest.raises(adbc_driver_manager.Error):
        with flightsql.connect(tls_server, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pages")
            cur.fetchone()


def test_mutual_tls_needs_a_client_certificate(mtls_server, certs):
    ca = (certs / "ca.pem").read_bytes()
    with_cert = flight.FlightClient(
        mtls_server, tls_root_certs=ca,
        cert_chain=(certs / "client.pem").read_bytes(), private_key=(certs / "client.key").read_bytes())
    assert with_cert.do_get(PAGES).read_all().num_rows == 3
    with_cert.close()
    without = flight.FlightClient(mtls_server, tls_root_certs=ca)
    with pytest.raises(flight.FlightUnavailableError):
        without.do_get(PAGES).read_all()
    without.close()


def test_adbc_mutual_tls_with_a_client_certificate(mtls_server, certs):
    with flightsql.connect(
        mtls_server,
        db_kwargs={
            "adbc.flight.sql.client_option.tls_root_certs": (certs / "ca.pem").read_text(),
            "adbc.flight.sql.client_option.mtls_cert_chain": (certs / "client.pem").read_text(),
            "adbc.flight.sql.client_option.mtls_private_key": (certs / "client.key").read_text(),
        },
        autocommit=True,
    ) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pages")
        assert cur.fetchone()[0] == 3
