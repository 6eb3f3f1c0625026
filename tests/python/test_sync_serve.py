"""`igflight serve --demo --sync-file FILE`: the server runs the sync file's schedule (a dataset that
never ran is run at start) and serves each dataset as the Flight SQL table `synced.<name>`, read through
ADBC and listed by GetTables."""

import json
import threading
import time

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pytest

from conftest import free_port, start_listening, stop

ACCOUNT = "17841168502017485"  # a demo account: 250 posts


@pytest.fixture(scope="module")
def synced_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("sync")
    sync_file = d / "sync.toml"
    sync_file.write_text(
        "[[dataset]]\n"
        'name = "media"\n'
        f'ticket = {{ report = "user_media", account = "{ACCOUNT}" }}\n'
        'every = "1m"\n'
        'method = "merge"\n'
        'path = "data/media"\n'
    )
    port = free_port()
    proc = start_listening(
        [
            "serve",
            "--demo",
            "--log-json",
            "--listen",
            f"127.0.0.1:{port}",
            "--sync-file",
            str(sync_file),
        ],
        port,
    )
    lines = []
    # drain the output (a full pipe would block the server), keeping the lines
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    yield f"grpc://127.0.0.1:{port}", d / "data" / "media", lines
    stop(proc)


def wait_for(what, check, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def synced_lines(lines):
    out = []
    for line in list(lines):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("fields", {}).get("message") == "synced dataset":
            out.append(event["fields"])
    return out


def test_the_schedule_runs_the_dataset_and_sql_reads_it(synced_server):
    uri, folder, lines = synced_server
    # the schedule runs it at start (it never ran); its log line says what it did
    [run] = wait_for("the dataset's run", lambda: synced_lines(lines))
    assert run["dataset"] == "media"
    assert run["rows"] == 250 and run["calls"] > 0 and run["partitions"] > 0
    assert "duration_ms" in run
    assert list(folder.glob(f"ig_user_id={ACCOUNT}/date=*/*.parquet"))
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM synced.media")
        assert cur.fetchall() == [(250,)]
        cur.execute(
            "SELECT ig_user_id, min(date) AS first, count(*) AS n FROM synced.media GROUP BY 1"
        )
        tbl = cur.fetch_arrow_table()
    assert tbl.column("ig_user_id").to_pylist() == [ACCOUNT]
    assert tbl.schema.field("ig_user_id").type == pa.string()
    assert tbl.schema.field("first").type == pa.date32()
    assert tbl.column("n").to_pylist() == [250]


def test_get_tables_lists_the_synced_table(synced_server):
    uri, folder, lines = synced_server
    with flightsql.connect(uri, autocommit=True) as conn:
        objects = conn.adbc_get_objects(db_schema_filter="synced").read_all().to_pylist()
        tables = {
            (c["catalog_name"], s["db_schema_name"], t["table_name"])
            for c in objects
            for s in c["catalog_db_schemas"] or []
            for t in s["db_schema_tables"] or []
        }
        assert tables == {("datafusion", "synced", "media")}
        schema = conn.adbc_get_table_schema("media", db_schema_filter="synced")
    assert schema.field("ig_user_id").type == pa.string()
    assert schema.field("date").type == pa.date32()
    assert "media_type" in schema.names and "timestamp" in schema.names
    # the live report tables stay where they were
    with flightsql.connect(uri, autocommit=True) as conn:
        objects = conn.adbc_get_objects(db_schema_filter="public").read_all().to_pylist()
        public = {
            t["table_name"]
            for c in objects
            for s in c["catalog_db_schemas"] or []
            for t in s["db_schema_tables"] or []
        }
    assert "user_media" in public and "media" not in public
