//! The SQL limits (memory, time, value sizes, series, bound parameters): a query past one fails with
//! `RESOURCE_EXHAUSTED` (or `INVALID_ARGUMENT` for parameters) naming the limit, quickly and without
//! building the value, and the server goes on serving the next client. Over Flight SQL (the server as
//! `igflight serve` builds it, and a Flight SQL service with small limits) and `igflight sql`.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightServiceServer;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{CommandPreparedStatementQuery, ProstMessageExt};
use arrow_flight::{FlightClient, FlightDescriptor, FlightInfo};
use futures::{StreamExt, TryStreamExt};
use igflight::flight::sql::SqlService;
use igflight::flight::{Connections, FlightServerHandle, Served};
use igflight::plan::ReportContext;
use igflight::sim::{SimConfig, SimHandle};
use igflight::sql::SqlLimits;
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

use common::{client, start_flight, start_sim};

/// The server as `igflight serve` runs it (default limits).
struct Rig {
    _sim: SimHandle,
    _server: FlightServerHandle,
    flight: FlightClient,
    channel: Channel,
}

impl Rig {
    async fn new() -> Rig {
        let sim = start_sim(SimConfig::default()).await;
        let graph = client(&sim);
        let (server, flight) = start_flight(&sim, graph).await;
        let channel = Channel::from_shared(server.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        Rig {
            _sim: sim,
            _server: server,
            flight,
            channel,
        }
    }

    fn sql(&self) -> FlightSqlServiceClient<Channel> {
        FlightSqlServiceClient::new(self.channel.clone())
    }
}

/// A Flight SQL service alone, with `limits`, over a simulator configured by `sim`.
async fn small(limits: SqlLimits, sim: SimConfig) -> (SimHandle, FlightSqlServiceClient<Channel>) {
    let sim = start_sim(sim).await;
    let ctx = Arc::new(ReportContext::new(client(&sim)));
    let conns = Arc::new(Connections::single(Served::new(ctx)));
    let service = SqlService::with_limits(conns, limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(
                FlightServiceServer::new(service)
                    .max_decoding_message_size(64 << 20)
                    .max_encoding_message_size(64 << 20),
            )
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    (sim, FlightSqlServiceClient::new(channel))
}

async fn fetch(
    c: &mut FlightSqlServiceClient<Channel>,
    info: FlightInfo,
) -> Result<Vec<RecordBatch>, FlightError> {
    let mut out = Vec::new();
    for ep in info.endpoint {
        let batches: Vec<RecordBatch> = c.do_get(ep.ticket.unwrap()).await?.try_collect().await?;
        out.extend(batches);
    }
    Ok(out)
}

/// Plan and run `q`: the rows, or the status of whichever step failed.
async fn run(
    c: &mut FlightSqlServiceClient<Channel>,
    q: &str,
) -> Result<Vec<RecordBatch>, (Code, String)> {
    let status = |e: FlightError| match e {
        FlightError::Tonic(s) => (s.code(), s.message().to_string()),
        other => panic!("expected a gRPC status, got {other:?}"),
    };
    let info = c.execute(q.to_string(), None).await.map_err(status)?;
    fetch(c, info).await.map_err(status)
}

/// `q` fails with RESOURCE_EXHAUSTED, quickly; the message contains `needle`.
async fn exhausted(c: &mut FlightSqlServiceClient<Channel>, q: &str, needle: &str) {
    let started = Instant::now();
    let (code, msg) = run(c, q).await.expect_err(q);
    eprintln!("{q}: {:?} {code:?} {msg}", started.elapsed());
    assert_eq!(code, Code::ResourceExhausted, "{q}: {msg}");
    assert!(msg.contains(needle), "{q}: {msg}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{q} took {:?}",
        started.elapsed()
    );
}

async fn one_int(c: &mut FlightSqlServiceClient<Channel>, q: &str) -> i64 {
    let b = run(c, q).await.unwrap_or_else(|e| panic!("{q}: {e:?}"));
    let col = arrow::compute::cast(b[0].column(0), &DataType::Int64).unwrap();
    col.as_primitive::<Int64Type>().value(0)
}

#[tokio::test]
async fn huge_values_are_refused_before_they_are_built_and_the_server_goes_on() {
    let rig = Rig::new().await;
    let mut c = rig.sql();
    // the probe: 600 MB folded at planning, 2.4 GB of server memory before the fix
    exhausted(
        &mut c,
        "SELECT length(repeat('x', 600000000))",
        "SQL value size limit",
    )
    .await;
    for q in [
        "SELECT repeat('ab', 9223372036854775807)",
        "SELECT lpad('x', 100000000)",
        "SELECT rpad('x', 100000000, 'yz')",
        "SELECT cardinality(array_repeat('x', 100000000))",
        "SELECT array_resize([1], 100000000, 7)",
        "SELECT cardinality(range(1, 1000000000000))",
        "SELECT cardinality(generate_series(-9223372036854775807, 9223372036854775807))",
        // values built from a column (not folded while planning)
        "SELECT replace(repeat(x, 10000000), 'x', 'yyyyyyyyyy') FROM (VALUES ('x')) t(x)",
        "SELECT regexp_replace(repeat(x, 10000000), 'x', 'yyyyyyyyyy', 'g') FROM (VALUES ('x')) t(x)",
        "SELECT encode(encode(encode(repeat(x, 5000000), 'hex'), 'hex'), 'hex') FROM (VALUES ('x')) t(x)",
        "SELECT array_to_string(array_repeat(x, 1000000), repeat('-', 1000)) FROM (VALUES ('x')) t(x)",
        // doubling through nesting and common table expressions
        "WITH a AS (SELECT repeat(x, 10000000) s FROM (VALUES ('x')) t(x)), b AS (SELECT concat(s, s) s FROM a) SELECT length(concat(s, s)) FROM b",
        "WITH a AS (SELECT repeat(x, 10000000) s FROM (VALUES ('x')) t(x)) SELECT length(s || s || s) FROM a",
        "WITH a AS (SELECT repeat(x, 10000000) s FROM (VALUES ('x')) t(x)) SELECT length(concat_ws(s, s, s)) FROM a",
        "WITH a AS (SELECT repeat(x, 10000000) s FROM (VALUES ('x')) t(x)) SELECT length(overlay(s placing s from 1 for 0)) FROM a",
        "WITH a AS (SELECT repeat(x, 10000000) s FROM (VALUES ('x')) t(x)) SELECT cardinality(make_array(s, s)) FROM a",
        "WITH a AS (SELECT repeat(x, 10000000) s FROM (VALUES ('x')) t(x)) SELECT cardinality([s, s]) FROM a",
        // many rows of a value under the limit: past the limit of one batch
        "SELECT max(length(repeat(x, 1000000))) FROM (SELECT 'x' AS x FROM generate_series(1, 1000))",
    ] {
        exhausted(&mut c, q, "limit").await;
    }
    // ordinary values still work, and so does the next query
    assert_eq!(
        one_int(&mut c, "SELECT length(repeat('x', 1000000))").await,
        1_000_000
    );
    assert_eq!(
        one_int(&mut c, "SELECT length('a' || 'b' || repeat('c', 3))").await,
        5
    );
    assert_eq!(
        one_int(&mut c, "SELECT length(lpad('x', 10, 'ab'))").await,
        10
    );
    assert_eq!(
        one_int(&mut c, "SELECT cardinality(range(1, 11))").await,
        10
    );
    assert_eq!(
        one_int(&mut c, "SELECT count(*) FROM generate_series(1, 100000)").await,
        100_000
    );
    assert_eq!(one_int(&mut c, "SELECT 1").await, 1);
    // `||` keeps its meaning (NULL in, NULL out) and its column name
    let b = run(&mut c, "SELECT 'a' || NULL AS n, 'x' || 'y'")
        .await
        .unwrap();
    assert!(b[0].column(0).is_null(0));
    assert_eq!(b[0].schema().field(1).name(), "Utf8(\"x\") || Utf8(\"y\")");
}

#[tokio::test]
async fn small_limits_memory_time_and_series() {
    let limits = SqlLimits {
        memory_bytes: 4 << 20,
        query_timeout: Duration::from_millis(1500),
        max_series_rows: 1_000_000,
        ..SqlLimits::default()
    };
    // every Graph call takes 5 s: past the time limit
    let sim = SimConfig {
        latency: Duration::from_secs(5),
        ..SimConfig::default()
    };
    let (_sim, mut c) = small(limits, sim).await;

    // memory: a sort of 2 million rows needs more than 4 MiB, and nothing spills
    exhausted(
        &mut c,
        "SELECT v FROM generate_series(1, 900000) t(v) ORDER BY v DESC",
        "--sql-memory",
    )
    .await;
    // series rows
    exhausted(
        &mut c,
        "SELECT sum(value) FROM generate_series(1, 2000000)",
        "SQL series limit",
    )
    .await;
    exhausted(
        &mut c,
        "SELECT sum(value) FROM range(1000001)",
        "SQL series limit",
    )
    .await;
    // time: planning and execution together
    exhausted(&mut c, "SELECT * FROM user_media", "--sql-timeout").await;
    // the server goes on
    assert_eq!(
        one_int(&mut c, "SELECT count(*) FROM generate_series(1, 1000)").await,
        1000
    );
    assert_eq!(one_int(&mut c, "SELECT 41 + 1").await, 42);
}

/// DoPut of prepared-statement parameters whose first messages carry `batches` (then endlessly more
/// when `endless`): the server's answer, within 30 s.
async fn put_params(
    flight: &mut FlightClient,
    batches: Vec<RecordBatch>,
    endless: bool,
) -> Result<(), FlightError> {
    let cmd = CommandPreparedStatementQuery {
        prepared_statement_handle: br#"{"sql":"SELECT $1 AS v"}"#.to_vec().into(),
    };
    let d = FlightDescriptor::new_cmd(cmd.as_any().encode_to_vec());
    let last = batches.last().cloned().unwrap();
    let first = futures::stream::iter(batches.into_iter().map(Ok));
    let rest = futures::stream::repeat_with(move || Ok(last.clone())).take(if endless {
        usize::MAX
    } else {
        0
    });
    let data = FlightDataEncoderBuilder::new()
        .with_flight_descriptor(Some(d))
        .build(first.chain(rest));
    let put = async {
        let s = flight.do_put(data).await?;
        s.try_collect::<Vec<_>>().await.map(drop)
    };
    tokio::time::timeout(Duration::from_secs(30), put)
        .await
        .expect("the server answers without reading the whole stream")
}

fn status(e: FlightError) -> (Code, String) {
    match e {
        FlightError::Tonic(s) => (s.code(), s.message().to_string()),
        other => panic!("expected a gRPC status, got {other:?}"),
    }
}

#[tokio::test]
async fn bound_parameters_stop_at_one_row_and_a_size_limit() {
    let mut rig = Rig::new().await;
    let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Utf8, false)]));
    let row = |v: &str| {
        RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(vec![v]))]).unwrap()
    };
    // one row: bound
    put_params(&mut rig.flight, vec![row("ok")], false)
        .await
        .unwrap();
    // rows without end: refused at the second
    let (code, msg) = status(
        put_params(&mut rig.flight, vec![row("a")], true)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::InvalidArgument, "{msg}");
    assert!(msg.contains("one row"), "{msg}");
    // one row of 20 MiB: past the 16 MiB of parameters
    let big = "x".repeat(20 << 20);
    let (code, msg) = status(
        put_params(&mut rig.flight, vec![row(&big)], false)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::ResourceExhausted, "{msg}");
    assert!(msg.contains("16.0 MiB"), "{msg}");
    // the server goes on
    let mut c = rig.sql();
    assert_eq!(one_int(&mut c, "SELECT 1").await, 1);
}

#[test]
fn the_sql_command_refuses_huge_values_with_the_limit() {
    let config = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_igflight"))
        .args(["sql", "--demo", "SELECT length(repeat('x', 600000000))"])
        .env_remove("IGFLIGHT_ACCESS_TOKEN")
        .env("IGFLIGHT_CONFIG_DIR", config.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("SQL value size limit"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Dates at the edges of what chrono (and Arrow) represent, in every unit, in range filters: rows or
/// INVALID_ARGUMENT, never a panic; bounds outside the ticket's window are clamped to it.
#[tokio::test]
async fn dates_at_the_edges_never_panic() {
    let sim = start_sim(SimConfig::default()).await;
    let acc = sim.dataset().accounts[0].id.clone();
    let ctx = igflight::sql::session(
        Arc::new(ReportContext::new(client(&sim))),
        Some(acc.clone()),
    );
    let count = |q: String| {
        let ctx = ctx.clone();
        async move {
            let r = async { ctx.sql(&q).await?.collect().await }.await;
            match r {
                Ok(b) => Ok(b
                    .iter()
                    .map(|b| {
                        arrow::compute::cast(b.column(0), &DataType::Int64)
                            .unwrap()
                            .as_primitive::<Int64Type>()
                            .value(0)
                    })
                    .sum::<i64>()),
                Err(e) => {
                    let s = igflight::sql::to_status(&e);
                    assert_ne!(s.code(), Code::Internal, "{q}: {s}");
                    assert_ne!(s.code(), Code::Unknown, "{q}: {s}");
                    Err(s.code())
                }
            }
        }
    };
    let values = [
        "arrow_cast(-8334600451200, 'Timestamp(Second, None)')".to_string(),
        "arrow_cast(8210298412799, 'Timestamp(Second, None)')".to_string(),
        format!("arrow_cast({}, 'Timestamp(Second, None)')", i64::MIN),
        format!("arrow_cast({}, 'Timestamp(Second, None)')", i64::MAX),
        format!("arrow_cast({}, 'Timestamp(Millisecond, None)')", i64::MIN),
        format!("arrow_cast({}, 'Timestamp(Millisecond, None)')", i64::MAX),
        format!("arrow_cast({}, 'Timestamp(Microsecond, None)')", i64::MIN),
        format!(
            "arrow_cast({}, 'Timestamp(Microsecond, Some(\"UTC\"))')",
            i64::MAX
        ),
        format!("arrow_cast({}, 'Timestamp(Nanosecond, None)')", i64::MIN),
        format!("arrow_cast({}, 'Timestamp(Nanosecond, None)')", i64::MAX),
        format!("arrow_cast({}, 'Date32')", i32::MIN),
        format!("arrow_cast({}, 'Date32')", i32::MAX),
        "DATE '9999-12-31'".to_string(),
        "DATE '2999-01-01'".to_string(),
        "'1900-01-01'".to_string(),
    ];
    for v in &values {
        for op in [">=", ">", "<=", "<", "="] {
            let _ = count(format!(
                "SELECT count(*) FROM user_insights WHERE end_time {op} {v}"
            ))
            .await;
            let _ = count(format!(
                "SELECT count(*) FROM user_media WHERE timestamp {op} {v}"
            ))
            .await;
        }
        let _ = count(format!(
            "SELECT count(*) FROM user_media WHERE timestamp BETWEEN {v} AND {v}"
        ))
        .await;
    }
    // (values the column type cannot hold, e.g. year 1000 in nanoseconds, are INVALID_ARGUMENT above)
    // a bound before 2010 (or far ahead) is no bound: the same rows as without it
    let all = count("SELECT count(*) FROM user_media".into())
        .await
        .unwrap();
    assert!(all > 0);
    assert_eq!(
        count("SELECT count(*) FROM user_media WHERE timestamp >= '1900-01-01'".into()).await,
        Ok(all)
    );
    assert_eq!(
        count("SELECT count(*) FROM user_media WHERE timestamp <= DATE '2200-01-01' AND timestamp > '1700-01-01'".into()).await,
        Ok(all)
    );
    // wholly outside: no row, no error
    assert_eq!(
        count("SELECT count(*) FROM user_media WHERE timestamp < '1990-01-01'".into()).await,
        Ok(0)
    );
    assert_eq!(
        count("SELECT count(*) FROM user_media WHERE timestamp > DATE '2200-01-01'".into()).await,
        Ok(0)
    );
}
