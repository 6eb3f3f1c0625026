"""Flight SQL through ADBC (adbc_driver_flightsql, the Go driver) against `igflight serve --demo` (the
`sql_server` fixture), and its results handed to DuckDB."""

import collections
import json

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import duckdb
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from test_flight import REPORTS

ACCOUNT_HEADER = "adbc.flight.sql.rpc.call_header.x-igflight-account"


@pytest.fixture()
def conn(sql_server):
    # autocommit: the server is read-only, without transactions
    c = flightsql.connect(sql_server, autocommit=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def accounts(sql_server):
    """The demo's Instagram account ids, through SQL."""
    with flightsql.connect(sql_server, autocommit=True) as c, c.cursor() as cur:
        cur.execute("SELECT ig_user_id FROM pages WHERE ig_user_id IS NOT NULL ORDER BY 1")
        ids = [r[0] for r in cur.fetchall()]
    assert len(ids) == 2
    return ids


def flight_media_types(uri, account) -> dict:
    """media_type counts of the account's media, through a plain Flight report ticket."""
    client = flight.FlightClient(uri)
    try:
        ticket = flight.Ticket(json.dumps({"report": "user_media", "account": account}).encode())
        table = client.do_get(ticket).read_all()
    finally:
        client.close()
    return dict(collections.Counter(table.column("media_type").to_pylist()))


def test_an_aggregate_equals_the_flight_report(sql_server, conn, accounts):
    for account in accounts:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT media_type, count(*) AS n FROM user_media "
                f"WHERE ig_user_id = '{account}' GROUP BY 1"
            )
            got = dict(cur.fetchall())
        assert got == flight_media_types(sql_server, account)


def test_a_parameterized_aggregate(sql_server, conn, accounts):
    with conn.cursor() as cur:
        for account in accounts:
            cur.execute(
                "SELECT media_type, count(*) AS n FROM user_media WHERE ig_user_id = ? GROUP BY 1",
                (account,),
            )
            assert dict(cur.fetchall()) == flight_media_types(sql_server, account)


def test_a_join_of_media_and_insights(sql_server, accounts):
    account = accounts[0]
    with flightsql.connect(sql_server, db_kwargs={ACCOUNT_HEADER: account}, autocommit=True) as c:
        with c.cursor() as cur:
            cur.execute(
                "SELECT m.id, m.media_type, i.metric, i.value FROM user_media m "
                "JOIN media_insights i ON i.media_id = m.id"
            )
            joined = cur.fetch_arrow_table()
            cur.execute(f"SELECT id FROM user_media WHERE ig_user_id = '{account}'")
            own = {r[0] for r in cur.fetchall()}
    assert joined.num_rows > 0
    assert set(joined.column("id").to_pylist()) <= own
    assert set(joined.column("metric").to_pylist()) >= {"reach"}


def test_get_objects_lists_the_report_tables(conn):
    objects = conn.adbc_get_objects().read_all().to_pylist()
    tables = {
        (c["catalog_name"], s["db_schema_name"], t["table_name"], t["table_type"])
        for c in objects
        for s in c["catalog_db_schemas"]
        for t in s["db_schema_tables"]
    }
    assert {t[2] for t in tables} == REPORTS
    assert {(t[0], t[1], t[3]) for t in tables} == {("datafusion", "public", "TABLE")}
    schema = conn.adbc_get_table_schema("user_media")
    assert "media_type" in schema.names and "ig_user_id" in schema.names
    assert set(conn.adbc_get_table_types()) == {"TABLE"}
    info = conn.adbc_get_info()
    assert info["vendor_name"] == "igflight"


def test_results_go_to_duckdb(sql_server, conn, accounts):
    account = accounts[1]
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, media_type, like_count, timestamp FROM user_media WHERE ig_user_id = ?",
            (account,),
        )
        tbl = cur.fetch_arrow_table()
    assert isinstance(tbl, pa.Table)
    got = dict(duckdb.sql("SELECT media_type, count(*) FROM tbl GROUP BY 1").fetchall())
    assert got == flight_media_types(sql_server, account)
    [(latest,)] = duckdb.sql("SELECT max(timestamp) FROM tbl").fetchall()
    assert latest is not None


def test_a_hashtag_query_without_its_hashtag(conn):
    with conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.ProgrammingError) as e:
            cur.execute("SELECT * FROM hashtag_recent_media")
            cur.fetchall()
    assert "INVALID_ARGUMENT" in str(e.value)
    assert "WHERE hashtag = " in str(e.value)


def test_a_hashtag_query_with_its_hashtag(sql_server, accounts):
    with flightsql.connect(sql_server, db_kwargs={ACCOUNT_HEADER: accounts[0]}, autocommit=True) as c:
        with c.cursor() as cur:
            cur.execute("SELECT name FROM recently_searched_hashtags LIMIT 1")
            rows = cur.fetchall()
            if not rows:
                pytest.skip("no recently searched hashtag on the demo data")
            cur.execute("SELECT count(*) FROM hashtag_recent_media WHERE hashtag = ?", (rows[0][0],))
            (n,) = cur.fetchone()
    assert n > 0


def test_a_long_insights_range_equals_the_unsplit_report(sql_server, conn, accounts):
    """A 90-day user_insights scan runs one partition per 30-day window on the server: its rows equal the
    Flight report of the same range, also ordered and aggregated."""
    import datetime

    today = datetime.datetime.now(datetime.timezone.utc).date()
    first, last = today - datetime.timedelta(days=91), today - datetime.timedelta(days=2)
    until = last + datetime.timedelta(days=1)
    where = (
        f"ig_user_id = '{accounts[0]}' AND metric IN ('impressions', 'reach') "
        f"AND end_time >= '{first}' AND end_time < '{until}'"
    )
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM user_insights WHERE {where}")
        got = cur.fetch_arrow_table()
        cur.execute(f"SELECT * FROM user_insights WHERE {where} ORDER BY end_time, metric")
        ordered = cur.fetch_arrow_table()
        cur.execute(f"SELECT count(DISTINCT end_time) AS days, count(*) AS n FROM user_insights WHERE {where}")
        counted = cur.fetch_arrow_table().to_pylist()[0]
    client = flight.FlightClient(sql_server)
    try:
        ticket = {
            "report": "user_insights",
            "account": accounts[0],
            "metrics": ["impressions", "reach"],
            "date_from": str(first),
            "date_to": str(last),
        }
        whole = client.do_get(flight.Ticket(json.dumps(ticket).encode())).read_all()
    finally:
        client.close()

    def rows(t):
        return sorted(tuple(r.values()) for r in t.to_pylist())

    assert whole.num_rows > 0
    assert rows(got) == rows(whole)
    assert rows(ordered) == rows(whole)
    keys = [(r["end_time"], r["metric"]) for r in ordered.to_pylist()]
    assert keys == sorted(keys)
    assert counted == {"days": 90, "n": whole.num_rows}
