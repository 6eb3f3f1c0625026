"""A Python Flight client for `igflight serve --demo`: list the reports, run each example ticket, and
query the result with DuckDB.

    python examples/flight_client.py [grpc://127.0.0.1:50051]
"""

import json
import sys

import duckdb
import pyarrow.flight as flight

uri = sys.argv[1] if len(sys.argv) > 1 else "grpc://127.0.0.1:50051"
client = flight.FlightClient(uri)

reports = json.loads(next(iter(client.do_action(flight.Action("list-reports", b"")))).body.to_pybytes())
for r in reports:
    reader = client.do_get(flight.Ticket(json.dumps(r["example"])))
    table = reader.read_all()
    print(f"{r['name']:<28} {table.num_rows:>6} rows   {json.dumps(r['example'])}")

example = next(r["example"] for r in reports if r["name"] == "user_media")
media = client.do_get(flight.Ticket(json.dumps(example))).read_all()
print(duckdb.sql("SELECT media_type, count(*) AS n FROM media GROUP BY 1 ORDER BY n DESC"))
