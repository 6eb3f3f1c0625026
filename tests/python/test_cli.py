"""`igflight export` and `igflight sql` as processes (`--demo`, seed 42), checked with pyarrow against
Flight `do_get` on `igflight serve --demo` (the same seed, so the same data set; only timestamps, relative
to each simulator's start, may differ by a few seconds)."""

import io
import json
import subprocess

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.flight as flight
import pyarrow.parquet as pq

from conftest import igflight_bin


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([igflight_bin(), *args], capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def do_get(client, ticket: dict) -> pa.Table:
    return client.do_get(flight.Ticket(json.dumps(ticket).encode())).read_all()


def first_account(client) -> str:
    pages = do_get(client, {"report": "pages"}).to_pylist()
    return next(p["ig_user_id"] for p in pages if p["ig_user_id"])


def without_timestamps(table: pa.Table) -> pa.Table:
    return table.drop_columns([n for n in table.column_names if n == "timestamp"])


def test_export_comments_of_the_most_commented_media_to_parquet(client, tmp_path):
    account = first_account(client)
    media = do_get(client, {"report": "user_media", "account": account, "fields": ["id", "comments_count"]})
    top = media.sort_by([("comments_count", "descending")]).slice(0, 1).to_pylist()[0]
    assert top["comments_count"] > 0
    ticket = {"report": "media_comments", "media_id": top["id"]}

    out = tmp_path / "comments.parquet"
    proc = run("export", "--demo", "--ticket", json.dumps(ticket), "--format", "parquet", "--output", str(out))
    want = do_get(client, ticket)
    assert want.num_rows > 0
    assert f"exported {want.num_rows} rows of media_comments to {out}" in proc.stderr

    got = pq.read_table(out)
    # Parquet has no seconds unit: timestamps are stored as milliseconds (the same instants)
    assert got.schema.field("timestamp").type == pa.timestamp("ms", tz="UTC")
    want_ms = want.set_column(want.schema.get_field_index("timestamp"), "timestamp",
                              want.column("timestamp").cast(pa.timestamp("ms", tz="UTC")))
    assert got.schema.equals(want_ms.schema, check_metadata=False), f"{got.schema} != {want_ms.schema}"
    # the two simulators started a moment apart: timestamps are close, everything else equal
    diffs = pc.abs(pc.subtract(got.column("timestamp").cast(pa.int64()),
                               want_ms.column("timestamp").cast(pa.int64())))
    assert pc.max(diffs).as_py() <= 60_000
    assert got.num_rows == want.num_rows
    assert without_timestamps(got).equals(without_timestamps(want))
    # top-level comments and replies, all of that media
    assert set(got.column("media_id").to_pylist()) == {top["id"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comments.parquet"]


def test_export_csv_and_json_read_back(client, tmp_path):
    account = first_account(client)
    ticket = {"report": "user_media", "account": account, "fields": ["id", "media_type", "like_count"]}
    want = do_get(client, ticket)
    run("export", "--demo", "--ticket", json.dumps(ticket), "--output", str(tmp_path / "m.csv"))
    run("export", "--demo", "--ticket", json.dumps(ticket), "--output", str(tmp_path / "m.jsonl"))
    got_csv = pacsv.read_csv(
        tmp_path / "m.csv",
        convert_options=pacsv.ConvertOptions(column_types={"id": pa.string(), "like_count": pa.int64()}),
    )
    assert got_csv.column("id").to_pylist() == want.column("id").to_pylist()
    assert got_csv.column("like_count").to_pylist() == want.column("like_count").to_pylist()
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == want.column("id").to_pylist()


def test_refused_and_failing_exports_leave_no_file(tmp_path):
    out = tmp_path / "x.parquet"
    proc = run("export", "--demo", "--ticket", '{"report":"user_media","colour":"red"}', "--output", str(out),
               check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "colour" in proc.stderr
    proc = run("export", "--demo", "--ticket", '{"report":"user_media","account":"17841400000000000"}',
               "--output", str(out), check=False)
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_sql_group_by_to_parquet(client, tmp_path):
    account = first_account(client)
    out = tmp_path / "types.parquet"
    run("sql", "--demo",
        f"SELECT media_type, count(*) AS n FROM user_media WHERE ig_user_id = '{account}' GROUP BY 1",
        "--format", "parquet", "--output", str(out))
    got = pq.read_table(out).sort_by("media_type")

    media = do_get(client, {"report": "user_media", "account": account})
    want = media.group_by("media_type").aggregate([("id", "count")]).sort_by("media_type")
    assert got.column("media_type").to_pylist() == want.column("media_type").to_pylist()
    assert got.column("n").to_pylist() == want.column("id_count").to_pylist()
    assert pc.sum(got.column("n")).as_py() == media.num_rows


def test_sql_csv_to_stdout_and_table(client):
    account = first_account(client)
    q = f"SELECT id, like_count FROM user_media WHERE ig_user_id = '{account}' ORDER BY id LIMIT 5"
    proc = run("sql", "--demo", q, "--format", "csv")
    got = pacsv.read_csv(io.BytesIO(proc.stdout.encode()),
                         convert_options=pacsv.ConvertOptions(column_types={"id": pa.string()}))
    assert got.num_rows == 5
    assert got.column_names == ["id", "like_count"]
    # a pipe gets TSV, the same rows
    proc = run("sql", "--demo", q)
    tsv = pacsv.read_csv(io.BytesIO(proc.stdout.encode()),
                         parse_options=pacsv.ParseOptions(delimiter="\t"),
                         convert_options=pacsv.ConvertOptions(column_types={"id": pa.string()}))
    assert tsv.equals(got)
    proc = run("sql", "--demo", q, "--format", "table")
    assert "| id" in proc.stdout and got.column("id")[0].as_py() in proc.stdout
    proc = run("sql", "--demo", "SELECT * FROM media_comments", check=False)
    assert proc.returncode == 2
    assert "WHERE media_id" in proc.stderr
