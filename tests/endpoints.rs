//! Parallel endpoints (issue 12 §2): `GetFlightInfo` of a big request answers one endpoint per part
//! (a `user_insights` range: one per 30-day window); the endpoints, fetched in parallel, return together
//! exactly the rows of the unsplit `DoGet` of the same ticket, for no more Graph calls. A SQL scan of
//! such a range runs one DataFusion partition per window, with the same rows.

mod common;

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use arrow_flight::error::FlightError;
use arrow_flight::{FlightClient, FlightDescriptor, Ticket};
use futures::TryStreamExt;
use igflight::plan::ReportContext;
use igflight::reports::catalog::GraphVersion;
use igflight::sim::{SimConfig, SimHandle};
use serde_json::{Value, json};
use tonic::Code;

use common::{client, start_flight, start_sim};

/// Each row as one line of text (every column), for comparing row sets.
fn row_lines(batches: &[RecordBatch]) -> Vec<String> {
    let mut out = Vec::new();
    let opts = FormatOptions::default().with_null("∅");
    for b in batches {
        let fmts: Vec<ArrayFormatter> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).unwrap())
            .collect();
        for i in 0..b.num_rows() {
            let cells: Vec<String> = fmts.iter().map(|f| f.value(i).to_string()).collect();
            out.push(cells.join(" | "));
        }
    }
    out
}

/// The rows, sorted, checked free of duplicates (insights rows are unique by metric, end time and
/// dimension).
fn row_set(batches: &[RecordBatch]) -> Vec<String> {
    let mut rows = row_lines(batches);
    let n = rows.len();
    rows.sort();
    rows.dedup();
    assert_eq!(rows.len(), n, "no duplicate row");
    rows
}

async fn fetch(fc: &mut FlightClient, t: Ticket) -> Result<Vec<RecordBatch>, FlightError> {
    fc.do_get(t).await?.try_collect().await
}

fn status_of(e: &FlightError) -> &tonic::Status {
    match e {
        FlightError::Tonic(s) => s,
        other => panic!("expected a gRPC status, got {other:?}"),
    }
}

fn ticket(v: &Value) -> Ticket {
    Ticket::new(v.to_string())
}

/// `from_offset`..`to_offset` days before today, as dates.
fn days_ago(n: u64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Days::new(n))
        .format("%Y-%m-%d")
        .to_string()
}

fn decode(bytes: &[u8]) -> igflight::ticket::ReportRequest {
    igflight::ticket::decode(bytes, chrono::Utc::now().date_naive(), GraphVersion::V15).unwrap()
}

#[tokio::test]
async fn a_90_day_user_insights_answers_an_endpoint_per_window_with_the_same_rows() {
    let sim = start_sim(SimConfig::default()).await;
    let (server, mut fc) = start_flight(&sim, client(&sim)).await;
    let account = sim.dataset().accounts[0].id.clone();
    let t = json!({
        "report": "user_insights",
        "page": sim.dataset().pages[0].name,
        "metrics": ["impressions", "reach", "profile_views"],
        "date_from_offset": 91,
        "date_to_offset": 2,
    });
    let info = fc
        .get_flight_info(FlightDescriptor::new_cmd(t.to_string()))
        .await
        .unwrap();
    assert!(
        info.endpoint.len() >= 3,
        "{} endpoints",
        info.endpoint.len()
    );
    assert!(!info.ordered);
    let tickets: Vec<Ticket> = info
        .endpoint
        .iter()
        .map(|e| e.ticket.clone().unwrap())
        .collect();
    // each endpoint names its account, connection and dates: no page to resolve, no offset to move
    let mut next_from: Option<chrono::NaiveDate> = None;
    for (i, tk) in tickets.iter().enumerate() {
        let r = decode(&tk.ticket);
        assert_eq!(r.raw.account.as_deref(), Some(account.as_str()), "{i}");
        assert!(r.raw.page.is_none() && r.raw.connection.is_some());
        assert_eq!(r.partition as usize, i + 1);
        let d = r.params.dates().unwrap();
        if let Some(f) = next_from {
            assert_eq!(d.from, f, "endpoint {i} starts where the last ended");
        }
        assert!((d.to - d.from).num_days() < 30);
        next_from = d.to.succ_opt();
    }

    // the hand-written ticket is never split: its DoGet streams everything
    let before = sim.stats().total;
    let whole = fetch(&mut fc, ticket(&t)).await.unwrap();
    let whole_calls = sim.stats().total - before;
    assert!(!whole.is_empty());

    // the endpoints, fetched in parallel, on connections of their own
    let before = sim.stats().total;
    let mut tasks = Vec::new();
    for tk in tickets.clone() {
        let url = server.url();
        tasks.push(tokio::spawn(async move {
            let channel = tonic::transport::Channel::from_shared(url)
                .unwrap()
                .connect()
                .await
                .unwrap();
            fetch(&mut FlightClient::new(channel), tk).await.unwrap()
        }));
    }
    let mut parts = Vec::new();
    for task in tasks {
        parts.extend(task.await.unwrap());
    }
    let parts_calls = sim.stats().total - before;
    assert_eq!(row_set(&parts), row_set(&whole), "the same rows");
    assert!(
        parts_calls <= whole_calls,
        "endpoints: {parts_calls} calls, unsplit: {whole_calls}"
    );

    // a failed endpoint is retried alone: its own rows, for its own calls
    let before = sim.stats().total;
    let one = fetch(&mut fc, tickets[1].clone()).await.unwrap();
    assert!(sim.stats().total - before < whole_calls);
    let one = row_set(&one);
    assert!(!one.is_empty() && one.len() < row_lines(&whole).len());
    assert!(one.iter().all(|r| row_set(&parts).contains(r)));

    // GetFlightInfo of an endpoint's ticket: that endpoint alone
    let info = fc
        .get_flight_info(FlightDescriptor::new_cmd(tickets[0].ticket.clone()))
        .await
        .unwrap();
    assert_eq!(info.endpoint.len(), 1);
    assert_eq!(info.endpoint[0].ticket.as_ref(), Some(&tickets[0]));
    sim.shutdown().await;
}

#[tokio::test]
async fn small_or_limited_requests_keep_one_endpoint_without_a_graph_call() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    let account = sim.dataset().accounts[0].id.clone();
    for t in [
        json!({"report": "user_insights", "account": account, "metrics": ["reach"]}),
        json!({"report": "user_insights", "account": account, "metrics": ["reach"], "date_from_offset": 30, "date_to_offset": 1}),
        json!({"report": "user_insights", "account": account, "metrics": ["reach"], "date_from_offset": 91, "date_to_offset": 2, "limit": 5}),
        json!({"report": "user_media", "account": account, "date_from": "2020-01-01", "date_to": days_ago(1)}),
        json!({"report": "media_insights", "account": account, "media_items": "range", "date_from": "2020-01-01", "date_to": days_ago(1)}),
    ] {
        let info = fc
            .get_flight_info(FlightDescriptor::new_cmd(t.to_string()))
            .await
            .unwrap();
        assert_eq!(info.endpoint.len(), 1, "{t}");
        assert!(info.ordered);
        let r = decode(&info.endpoint[0].ticket.as_ref().unwrap().ticket);
        assert_eq!(r.partition, 0);
    }
    assert_eq!(sim.stats().total, 0, "no Graph call");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_split_request_with_a_bad_account_is_refused_at_get_flight_info() {
    let sim = start_sim(SimConfig::default()).await;
    let (_server, mut fc) = start_flight(&sim, client(&sim)).await;
    // the token reaches two accounts: a ticket naming none is ambiguous
    let t = json!({"report": "user_insights", "metrics": ["reach"], "date_from_offset": 91, "date_to_offset": 2});
    let e = fc
        .get_flight_info(FlightDescriptor::new_cmd(t.to_string()))
        .await
        .unwrap_err();
    let s = status_of(&e);
    assert_eq!(s.code(), Code::InvalidArgument, "{s}");
    assert!(s.message().contains("account"), "{s}");
    // a page the token does not reach
    let t = json!({"report": "user_insights", "page": "No Such Page", "metrics": ["reach"], "date_from_offset": 91, "date_to_offset": 2});
    let e = fc
        .get_flight_info(FlightDescriptor::new_cmd(t.to_string()))
        .await
        .unwrap_err();
    let s = status_of(&e);
    assert_eq!(s.code(), Code::NotFound, "{s}");
    assert!(s.message().contains("No Such Page"), "{s}");
    sim.shutdown().await;
}

/// SQL: a range of 90 days scans in one partition per window; plain, ordered and aggregated queries
/// give the rows of the unsplit ticket.
#[tokio::test]
async fn a_sql_scan_of_a_long_range_runs_a_partition_per_window() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = Arc::new(ReportContext::new(client(&sim)));
    let account = sim.dataset().accounts[0].id.clone();
    let (from, to, until) = (days_ago(91), days_ago(2), days_ago(1));
    let sql = igflight::sql::session(ctx.clone(), Some(account.clone()));
    let filter = format!(
        "metric IN ('impressions', 'reach') AND end_time >= '{from}' AND end_time < '{until}'"
    );
    let q = format!("SELECT * FROM user_insights WHERE {filter}");
    let df = sql.sql(&q).await.unwrap();
    let plan = df.clone().create_physical_plan().await.unwrap();
    let shown = datafusion::physical_plan::displayable(plan.as_ref())
        .indent(true)
        .to_string();
    assert!(shown.contains("partitions=3"), "{shown}");
    let got = df.collect().await.unwrap();

    let whole = unsplit_rows(&sim, &account, &from, &to).await;
    assert_eq!(row_set(&got), row_set(&whole));

    // ORDER BY and aggregates above the partitions
    let ordered = sql
        .sql(&format!("{q} ORDER BY end_time, metric"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(row_lines(&ordered).len(), row_lines(&whole).len());
    let counted = sql
        .sql(&format!(
            "SELECT count(*) AS n, count(DISTINCT end_time) AS days FROM user_insights WHERE {filter}"
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let lines = row_lines(&counted);
    assert_eq!(
        lines,
        vec![format!("{} | 90", row_lines(&whole).len())],
        "{lines:?}"
    );
    sim.shutdown().await;
}

/// With fewer run slots free than parts, the scan runs whole (one partition does it) instead of
/// failing for want of slots.
#[tokio::test]
async fn a_sql_split_without_free_run_slots_runs_whole() {
    let sim = start_sim(SimConfig::default()).await;
    let slots = Arc::new(tokio::sync::Semaphore::new(1));
    let ctx = Arc::new(ReportContext::new(client(&sim)).with_run_slots(slots));
    let account = sim.dataset().accounts[0].id.clone();
    let (from, to, until) = (days_ago(91), days_ago(2), days_ago(1));
    let sql = igflight::sql::session(ctx, Some(account.clone()));
    let got = sql
        .sql(&format!(
            "SELECT * FROM user_insights WHERE metric IN ('impressions', 'reach') AND end_time >= '{from}' AND end_time < '{until}'"
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let whole = unsplit_rows(&sim, &account, &from, &to).await;
    assert_eq!(row_set(&got), row_set(&whole));
    sim.shutdown().await;
}

/// The rows of the unsplit `user_insights` ticket (`report_stream` directly).
async fn unsplit_rows(sim: &SimHandle, account: &str, from: &str, to: &str) -> Vec<RecordBatch> {
    let ctx = Arc::new(ReportContext::new(client(sim)));
    let t = json!({"report": "user_insights", "account": account, "metrics": ["impressions", "reach"], "date_from": from, "date_to": to});
    let req = ctx
        .final_request(decode(t.to_string().as_bytes()))
        .await
        .unwrap();
    let got: Vec<RecordBatch> = igflight::plan::report_stream(ctx, req)
        .batches
        .try_collect()
        .await
        .unwrap();
    got
}
