"""Prometheus metrics of `igflight serve --metrics-listen`: after a report run, /metrics holds the
Graph call, row and budget series with the values the run's summary line and the server report; the
server's redirected log has no colour codes; a taken metrics port is a runtime error naming it."""

import json
import re
import socket
import subprocess
import threading
import time
import urllib.request

import pyarrow.flight as flight
import pytest

from conftest import V15_API, free_port, igflight_bin, start_listening, stop

CALLS_PER_HOUR = 150


def scrape(port: int) -> dict:
    """The series of /metrics as {'name{labels}': value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.status == 200
        text = r.read().decode()
    series = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            series[name] = float(value)
    return series


def graph_calls(series: dict) -> float:
    return sum(v for k, v in series.items() if k.startswith("igflight_graph_calls_total{"))


def action(client, name: str):
    (result,) = list(client.do_action(flight.Action(name, b"")))
    return json.loads(result.body.to_pybytes())


@pytest.fixture()
def metered():
    port, metrics_port = free_port(), free_port()
    proc = start_listening(
        [
            "serve",
            "--demo",
            "--listen",
            f"127.0.0.1:{port}",
            "--metrics-listen",
            f"127.0.0.1:{metrics_port}",
            "--calls-per-hour",
            str(CALLS_PER_HOUR),
            *V15_API,
        ],
        port,
    )
    out = []
    # drain the server's output (stdout and its log on stderr); read once it has stopped
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()
    client = flight.FlightClient(f"grpc://127.0.0.1:{port}")

    def log():
        stop(proc)
        reader.join(timeout=10)
        return "".join(out)

    yield client, metrics_port, log
    client.close()
    stop(proc)


def test_metrics_after_a_report_run(metered):
    client, metrics_port, log = metered
    example = next(r["example"] for r in action(client, "list-reports") if r["name"] == "user_media")
    before = scrape(metrics_port)
    table = client.do_get(flight.Ticket(json.dumps(example).encode())).read_all()
    assert table.num_rows > 0
    after = scrape(metrics_port)
    server_calls = action(client, "health")["graph_calls"]

    run = '{report="user_media",connection="demo"'
    assert after[f"igflight_report_rows_total{run}}}"] == table.num_rows
    assert after[f'igflight_report_runs_total{run},outcome="ok"}}'] == 1
    assert after['igflight_report_duration_seconds_count{report="user_media"}'] == 1
    assert after["igflight_report_streams_active"] == 0
    # every Graph call the server made, and the run's among them
    assert graph_calls(after) == server_calls
    run_calls = graph_calls(after) - graph_calls(before)
    assert run_calls > 0
    assert after['igflight_graph_calls_total{endpoint="user/media",outcome="ok"}'] >= 1
    # the budget: what --calls-per-hour allows less the calls made in this hour (all of them)
    assert after['igflight_graph_budget_left{connection="demo"}'] == CALLS_PER_HOUR - server_calls

    # the run's one summary line says the same; redirected, the log has no colour codes
    text = log()
    assert "\x1b[" not in text
    done = [l for l in text.splitlines() if "report done" in l and 'report="user_media"' in l]
    assert len(done) == 1, text
    fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', done[0]))
    assert fields["connection"] == "demo"
    assert fields["outcome"] == '"ok"'
    assert int(fields["rows"]) == table.num_rows
    assert int(fields["graph_calls"]) == run_calls
    assert "cache_hits" in fields and "skipped" in fields and "elapsed_ms" in fields


def test_a_taken_metrics_port_is_a_runtime_error_naming_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        addr = f"127.0.0.1:{taken.getsockname()[1]}"
        r = subprocess.run(
            [
                igflight_bin(),
                "serve",
                "--demo",
                "--listen",
                f"127.0.0.1:{free_port()}",
                "--metrics-listen",
                addr,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 1, r.stderr
    assert f"error: could not serve metrics on {addr}:" in r.stderr
    assert "igflight serving Flight" not in r.stdout


def test_port_0_prints_the_port_it_got_and_serves_there():
    port = free_port()
    proc = start_listening(
        ["serve", "--demo", "--listen", f"127.0.0.1:{port}", "--metrics-listen", "127.0.0.1:0"],
        port,
    )
    try:
        got = None
        for line in proc.stdout:
            m = re.match(r"igflight metrics on http://127\.0\.0\.1:(\d+)/metrics$", line.strip())
            if m:
                got = int(m.group(1))
                break
            if "serving Flight" in line:
                break
        assert got and got != 0
        # the connection gauges are set by the server's refresh task once it has started
        deadline, text = time.time() + 20, ""
        while 'igflight_graph_budget_left{connection="demo"}' not in text:
            assert time.time() < deadline, text
            with urllib.request.urlopen(f"http://127.0.0.1:{got}/metrics", timeout=10) as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                text = r.read().decode()
            time.sleep(0.1)
    finally:
        stop(proc)
