"""`igflight sync run --demo` datasets read by DuckDB, Polars and pyarrow with a plain glob and natural
types (timestamps UTC, ids strings, counts int64), the way the README shows."""

import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from conftest import igflight_bin

ACCOUNT = "17841168502017485"  # the demo's first account (seed 42): 250 media

SYNC = f"""
[[dataset]]
name = "media"
ticket = {{ report = "user_media", account = "{ACCOUNT}" }}
every = "15m"
method = "merge"
path = "data/media"

[[dataset]]
name = "followers"
ticket = {{ report = "user", account = "{ACCOUNT}" }}
every = "1h"
method = "append"
path = "data/followers"
"""


def synced(tmp_path: Path) -> Path:
    f = tmp_path / "sync.toml"
    f.write_text(SYNC)
    for _ in range(2):
        proc = subprocess.run(
            [igflight_bin(), "sync", "run", "--demo", "--force", "-q", "--sync-file", str(f)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
    assert "synced media:" in proc.stderr, proc.stderr
    return tmp_path / "data"


def test_duckdb_polars_and_pyarrow_read_a_synced_dataset(tmp_path):
    data = synced(tmp_path)
    glob = str(data / "media" / "**" / "*.parquet")

    # DuckDB: the partition columns typed as the README shows (an id is not a number)
    con = duckdb.connect()
    rows = con.execute(
        f"""SELECT count(*), count(DISTINCT id), any_value(ig_user_id), typeof(any_value(ig_user_id)),
                  typeof(any_value(date)), typeof(any_value(timestamp)), typeof(any_value(like_count))
            FROM read_parquet('{glob}', hive_partitioning = true,
                              hive_types = {{'ig_user_id': VARCHAR, 'date': DATE}})"""
    ).fetchone()
    assert rows == (250, 250, ACCOUNT, "VARCHAR", "DATE", "TIMESTAMP WITH TIME ZONE", "BIGINT")
    # each row's date partition is its timestamp's UTC date
    wrong = con.execute(
        f"""SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true,
                                              hive_types = {{'ig_user_id': VARCHAR, 'date': DATE}})
            WHERE CAST(timezone('UTC', timestamp) AS DATE) <> date"""
    ).fetchone()[0]
    assert wrong == 0

    # Polars
    lf = pl.scan_parquet(glob, hive_partitioning=True, hive_schema={"ig_user_id": pl.String, "date": pl.Date})
    df = lf.collect()
    assert df.height == 250
    assert df.schema["ig_user_id"] == pl.String
    assert df.schema["like_count"] == pl.Int64
    assert df.schema["timestamp"] == pl.Datetime("ms", "UTC")

    # pyarrow datasets
    part = ds.partitioning(pa.schema([("ig_user_id", pa.string()), ("date", pa.date32())]), flavor="hive")
    t = ds.dataset(str(data / "media"), format="parquet", partitioning=part).to_table()
    assert t.num_rows == 250
    assert t.schema.field("timestamp").type == pa.timestamp("ms", tz="UTC")
    assert t.schema.field("id").type == pa.string()

    # append: one snapshot per run, told apart by _synced_at
    snaps = con.execute(
        f"""SELECT count(*), count(DISTINCT _synced_at), typeof(any_value(followers_count))
            FROM read_parquet('{data / "followers" / "**" / "*.parquet"}', hive_partitioning = true,
                              hive_types = {{'ig_user_id': VARCHAR}})"""
    ).fetchone()
    assert snaps == (2, 2, "BIGINT")
