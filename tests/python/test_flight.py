"""pyarrow.flight and DuckDB against `igflight serve --demo`."""

import json

import duckdb
import pyarrow as pa
import pyarrow.flight as flight
import pytest

REPORTS = {
    "hashtag_recent_media", "hashtag_top_media", "media_comments", "media_insights", "other_users",
    "other_users_media", "recently_searched_hashtags", "user", "user_insights", "user_media", "user_stories",
    "pages",
}


def action_json(client, name, body=b""):
    results = list(client.do_action(flight.Action(name, body)))
    assert results, f"action {name} returned nothing"
    return json.loads(results[0].body.to_pybytes())


def do_get(client, ticket: dict) -> pa.Table:
    return client.do_get(flight.Ticket(json.dumps(ticket).encode())).read_all()


def test_list_flights_shows_the_twelve_reports_with_schemas(client):
    infos = list(client.list_flights())
    names = {info.descriptor.path[0].decode() for info in infos}
    assert names == REPORTS
    for info in infos:
        assert len(info.schema) > 0


def test_every_list_reports_example_returns_rows(client):
    reports = action_json(client, "list-reports")
    assert {r["name"] for r in reports} == REPORTS
    for r in reports:
        table = do_get(client, r["example"])
        assert table.num_rows > 0, f"example of {r['name']} returned no rows: {r['example']}"


def pages(client):
    return do_get(client, {"report": "pages"}).to_pylist()


def test_user_media_rows_match_the_accounts_media_count(client):
    page = next(p for p in pages(client) if p["ig_user_id"])
    account = page["ig_user_id"]
    user = do_get(client, {"report": "user", "account": account}).to_pylist()[0]
    media = do_get(client, {"report": "user_media", "page": page["page_name"], "page_size": 25})
    assert media.num_rows == user["media_count"]
    assert len(set(media.column("id").to_pylist())) == media.num_rows
    assert media.schema.field("timestamp").type == pa.timestamp("s", tz="UTC")
    assert set(media.column("ig_user_id").to_pylist()) == {account}


def test_get_flight_info_then_do_get_each_endpoint(client):
    account = next(p["ig_user_id"] for p in pages(client) if p["ig_user_id"])
    ticket = {"report": "user_media", "account": account, "fields": ["id", "media_type"], "limit": 7}
    info = client.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(ticket)))
    assert info.schema.names == ["id", "media_type"]
    rows = sum(client.do_get(ep.ticket).read_all().num_rows for ep in info.endpoints)
    assert rows == 7


def rows_of(table: pa.Table) -> list:
    """The rows as sorted tuples, for comparing row sets."""
    return sorted(tuple(r.values()) for r in table.to_pylist())


def test_a_long_insights_range_answers_endpoints_fetched_in_parallel(server, client):
    """90 days of user_insights: one endpoint per 30-day window, fetched in parallel threads (each on a
    client of its own), together the rows of the unsplit DoGet of the same ticket."""
    from concurrent.futures import ThreadPoolExecutor

    page = next(p for p in pages(client) if p["ig_user_id"])
    ticket = {
        "report": "user_insights",
        "page": page["page_name"],
        "metrics": ["impressions", "reach", "profile_views"],
        "date_from_offset": 91,
        "date_to_offset": 2,
    }
    info = client.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(ticket)))
    assert len(info.endpoints) >= 3

    def fetch(endpoint):
        c = flight.FlightClient(server)
        try:
            return c.do_get(endpoint.ticket).read_all()
        finally:
            c.close()

    with ThreadPoolExecutor(max_workers=len(info.endpoints)) as pool:
        parts = list(pool.map(fetch, info.endpoints))
    assert all(p.num_rows > 0 for p in parts)
    split = pa.concat_tables(parts)
    whole = do_get(client, ticket)
    assert split.schema == whole.schema == info.schema
    assert rows_of(split) == rows_of(whole)
    assert len(set(rows_of(split))) == split.num_rows, "no row twice"


def test_duckdb_queries_the_arrow_table_flight_returned(client):
    account = next(p["ig_user_id"] for p in pages(client) if p["ig_user_id"])
    media = do_get(client, {"report": "user_media", "account": account})
    counts = duckdb.sql("SELECT media_type, count(*) AS n FROM media GROUP BY 1 ORDER BY 1").fetchall()
    assert sum(n for _, n in counts) == media.num_rows
    assert {t for t, _ in counts} >= {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
    insights = do_get(client, {"report": "media_insights", "account": account, "media_type": "image"})
    top = duckdb.sql(
        "SELECT m.id, i.value FROM media m JOIN insights i ON i.media_id = m.id "
        "WHERE i.metric = 'reach' ORDER BY i.value DESC LIMIT 3"
    ).fetchall()
    assert len(top) == 3


def test_a_refused_ticket_is_invalid_argument_and_names_the_key(client):
    with pytest.raises(pa.ArrowInvalid, match="unknown report `nope`"):
        do_get(client, {"report": "nope"})
    with pytest.raises(pa.ArrowInvalid, match="requires key `hashtag`"):
        do_get(client, {"report": "hashtag_top_media"})
    with pytest.raises(pa.ArrowInvalid, match="metric `profile_views` does not fit period `week`"):
        do_get(client, {"report": "user_insights", "period": "week", "metrics": ["profile_views"]})


def test_several_accounts_without_a_name_are_listed(client):
    with pytest.raises(pa.ArrowInvalid, match="name one with `account` or `page`"):
        do_get(client, {"report": "user"})


def test_unknown_username_is_not_found(client):
    account = next(p["ig_user_id"] for p in pages(client) if p["ig_user_id"])
    # pyarrow maps NOT_FOUND to ArrowKeyError
    with pytest.raises(pa.ArrowKeyError, match="nobody_here"):
        do_get(client, {"report": "other_users", "account": account, "username": "nobody_here"})
