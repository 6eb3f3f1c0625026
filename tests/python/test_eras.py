"""pyarrow.flight and ADBC (Flight SQL) against `igflight serve --demo` on two eras of the Graph API, with
the product's default --graph-version v15.0: today's API (the CLI default, no --api-as-of: v21.0 answers a
v15.0 request and refuses the v15-only metrics) and the seed's (--api-as-of 2022-11-01: v15.0, its metrics).

On both, every list-reports example returns rows (pyarrow) and an ADBC media_insights query answers the
metrics of that era (today's: never `impressions`).
"""

import json
import threading

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import V15_API, start_server, stop

ACCOUNT_HEADER = "adbc.flight.sql.rpc.call_header.x-igflight-account"

# The media metrics today's API (v21.0 answering, 2026: past v22 for every version) serves: the simulator's
# catalog (src/sim/catalog.rs), not the product's.
TODAY_MEDIA_METRICS = {
    "reach", "replies", "saved", "likes", "comments", "shares", "total_interactions", "follows",
    "profile_visits", "profile_activity", "navigation", "ig_reels_avg_watch_time",
    "ig_reels_video_view_total_time", "views",
}
# The seed's (v15.0) media metrics.
SEED_MEDIA_METRICS = {
    "impressions", "reach", "carousel_album_impressions", "carousel_album_reach",
    "carousel_album_engagement", "carousel_album_saved", "carousel_album_video_views", "taps_forward",
    "taps_back", "exits", "replies", "engagement", "saved", "video_views", "likes", "comments", "shares",
    "plays", "total_interactions", "follows", "profile_visits", "profile_activity", "navigation",
}
# Metrics today's API no longer has.
GONE_TODAY = {"impressions", "engagement", "plays", "video_views", "carousel_album_impressions"}


def serve(*extra):
    proc, uri = start_server(*extra)
    # drain the server's output: a pipe nobody reads fills up and blocks the server
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, uri


@pytest.fixture(scope="module")
def today_server():
    """`serve --demo` on today's Graph API (no --api-as-of)."""
    proc, uri = serve()
    yield uri
    stop(proc)


@pytest.fixture(scope="module")
def seed_server():
    """`serve --demo --api-as-of 2022-11-01`: the seed's Graph API."""
    proc, uri = serve(*V15_API)
    yield uri
    stop(proc)


@pytest.fixture(params=["today", "seed"])
def era(request):
    """(era name, server uri)."""
    return request.param, request.getfixturevalue(f"{request.param}_server")


def test_every_example_returns_rows(era):
    name, uri = era
    client = flight.FlightClient(uri)
    try:
        reports = json.loads(
            list(client.do_action(flight.Action("list-reports", b"")))[0].body.to_pybytes()
        )
        assert len(reports) == 12
        failures = {}
        for r in reports:
            ticket = flight.Ticket(json.dumps(r["example"]).encode())
            try:
                table = client.do_get(ticket).read_all()
            except (flight.FlightError, pa.ArrowException) as e:  # INVALID_ARGUMENT is ArrowInvalid
                failures[r["name"]] = str(e)[:300]
                continue
            if table.num_rows == 0:
                failures[r["name"]] = f"no rows for {r['example']}"
            elif r["name"] == "media_insights" and name == "today":
                metrics = set(table.column("metric").to_pylist())
                if not metrics <= TODAY_MEDIA_METRICS:
                    failures[r["name"]] = f"not served today: {metrics - TODAY_MEDIA_METRICS}"
        assert not failures, f"{name}: {failures}"
    finally:
        client.close()


def test_adbc_media_insights_metrics_follow_the_era(era):
    name, uri = era
    with flightsql.connect(uri, autocommit=True) as c, c.cursor() as cur:
        cur.execute("SELECT ig_user_id FROM pages WHERE ig_user_id IS NOT NULL ORDER BY 1")
        account = cur.fetchall()[0][0]
        cur.execute("SELECT id FROM user_media WHERE ig_user_id = ? LIMIT 8", (account,))
        media = [r[0] for r in cur.fetchall()]
    assert len(media) == 8
    metrics = set()
    rows = 0
    with flightsql.connect(uri, db_kwargs={ACCOUNT_HEADER: account}, autocommit=True) as c:
        with c.cursor() as cur:
            for media_id in media:
                cur.execute(
                    "SELECT metric, value FROM media_insights WHERE media_id = ?", (media_id,)
                )
                got = cur.fetchall()
                rows += len(got)
                metrics |= {m for m, _ in got}
                assert all(isinstance(v, int) for _, v in got), got
    assert rows > 0, f"{name}: no media insights"
    assert "reach" in metrics, metrics
    if name == "today":
        assert metrics <= TODAY_MEDIA_METRICS, metrics - TODAY_MEDIA_METRICS
        assert not metrics & GONE_TODAY, metrics & GONE_TODAY
    else:
        assert metrics <= SEED_MEDIA_METRICS, metrics - SEED_MEDIA_METRICS
        assert "impressions" in metrics, metrics
