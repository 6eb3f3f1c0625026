//! Synced datasets as SQL tables (`synced.<name>`): a dataset run with `run_dataset` against the
//! in-process simulator reads back through the SQL session with the report's rows, its folder names as
//! typed columns (`ig_user_id` text, `date` a date) and no Graph call; a dataset without files is an
//! empty table; a bad sync file is refused naming the problem; the server's schedule runs a dataset
//! that never ran, and stops.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use chrono::Utc;
use futures::TryStreamExt;
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::{SimConfig, SimHandle};
use igflight::sql::SqlEngine;
use igflight::sync::file::load_checked;
use igflight::sync::scheduler::Scheduler;
use igflight::sync::store::read_state;
use igflight::sync::{DatasetSpec, SyncError, run_dataset};
use serde_json::json;

use common::{client, start_sim};

const BIN: &str = env!("CARGO_BIN_EXE_igflight");

fn ctx(sim: &SimHandle) -> Arc<ReportContext> {
    Arc::new(ReportContext::new(client(sim)))
}

/// A sync file in `dir` with these `[[dataset]]` tables (TOML text), loaded and checked.
fn sync_file(dir: &Path, datasets: &str) -> Result<Vec<DatasetSpec>, SyncError> {
    let path = dir.join("sync.toml");
    std::fs::write(&path, datasets).unwrap();
    load_checked(&path, "v15.0")
}

fn dataset(name: &str, report: &str, account: &str, method: &str) -> String {
    format!(
        "[[dataset]]\nname = \"{name}\"\nticket = {{ report = \"{report}\", account = \"{account}\" }}\nevery = \"15m\"\nmethod = \"{method}\"\npath = \"data/{name}\"\n"
    )
}

async fn query(
    engine: &SqlEngine,
    reports: &Arc<ReportContext>,
    sql: &str,
) -> (arrow::datatypes::SchemaRef, Vec<RecordBatch>) {
    let df = engine
        .session(reports.clone(), None)
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let schema = Arc::new(df.schema().as_arrow().clone());
    (schema, df.collect().await.unwrap())
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

#[tokio::test]
async fn a_synced_dataset_is_a_table_with_the_reports_rows_and_typed_folder_names() {
    let sim = start_sim(SimConfig::default()).await;
    let reports = ctx(&sim);
    let ds = sim.dataset();
    let acc = &ds.accounts[0];
    let dir = tempfile::tempdir().unwrap();
    let specs = sync_file(
        dir.path(),
        &dataset("media", "user_media", &acc.id, "merge"),
    )
    .unwrap();
    let outcome = run_dataset(reports.clone(), &specs[0], Utc::now(), &mut |_, _, _| {})
        .await
        .unwrap();
    assert_eq!(outcome.rows, acc.media.len() as u64);
    assert!(outcome.partitions > 1, "dated partitions");

    // the report itself, as the dataset stores it (seconds as milliseconds, no ig_user_id)
    let req = igflight::ticket::decode(
        json!({"report":"user_media","account":acc.id})
            .to_string()
            .as_bytes(),
        reports.today(),
        reports.api_version(),
    )
    .unwrap();
    let rs = report_stream(reports.clone(), req);
    let report: Vec<RecordBatch> = rs.batches.try_collect().await.unwrap();
    let report = arrow::compute::concat_batches(&rs.schema, &report).unwrap();
    let stored = igflight::sync::run::prepare(&report, &["ig_user_id"]).unwrap();
    let by_id =
        arrow::compute::sort_to_indices(stored.column_by_name("id").unwrap(), None, None).unwrap();
    let want: Vec<Arc<dyn Array>> = stored
        .columns()
        .iter()
        .map(|c| arrow::compute::take(c, &by_id, None).unwrap())
        .collect();

    let engine = SqlEngine::default().with_synced(specs.clone());
    let calls = sim.stats().total;
    let graph_calls = reports.graph.stats().total;
    let columns: Vec<String> = stored
        .schema()
        .fields()
        .iter()
        .map(|f| format!("\"{}\"", f.name()))
        .collect();
    let (_, got) = query(
        &engine,
        &reports,
        &format!(
            "SELECT {} FROM synced.media ORDER BY id",
            columns.join(", ")
        ),
    )
    .await;
    let got = arrow::compute::concat_batches(&got[0].schema(), &got).unwrap();
    assert_eq!(got.num_rows(), stored.num_rows());
    for (i, f) in stored.schema().fields().iter().enumerate() {
        assert_eq!(
            got.column(i).as_ref(),
            want[i].as_ref(),
            "column {}",
            f.name()
        );
    }

    // the folder names: ig_user_id as text, date as the UTC date of the timestamp
    let (schema, _) = query(&engine, &reports, "SELECT * FROM synced.media LIMIT 0").await;
    assert_eq!(
        schema.field_with_name("ig_user_id").unwrap().data_type(),
        &DataType::Utf8
    );
    assert_eq!(
        schema.field_with_name("date").unwrap().data_type(),
        &DataType::Date32
    );
    assert_eq!(
        schema.fields().len(),
        stored.num_columns() + 2,
        "the files' columns, then ig_user_id and date"
    );
    let (_, b) = query(
        &engine,
        &reports,
        &format!(
            "SELECT count(*) FROM synced.media WHERE ig_user_id = '{}' AND date = CAST(timestamp AS DATE)",
            acc.id
        ),
    )
    .await;
    assert_eq!(
        b[0].column(0).as_primitive::<Int64Type>().value(0),
        acc.media.len() as i64
    );
    // a date filter prunes folders and counts right
    let newest = acc.media.iter().map(|m| m.timestamp).max().unwrap();
    let day = newest.date_naive();
    let want_day = acc
        .media
        .iter()
        .filter(|m| m.timestamp.date_naive() == day)
        .count();
    let (_, b) = query(
        &engine,
        &reports,
        &format!("SELECT count(*) FROM synced.media WHERE date = DATE '{day}'"),
    )
    .await;
    assert_eq!(
        b[0].column(0).as_primitive::<Int64Type>().value(0),
        want_day as i64
    );

    assert_eq!(
        sim.stats().total,
        calls,
        "no Graph call reaches the simulator"
    );
    assert_eq!(
        reports.graph.stats().total,
        graph_calls,
        "nor leaves the client"
    );
}

#[tokio::test]
async fn a_dataset_without_files_is_an_empty_table_with_its_schema() {
    let sim = start_sim(SimConfig::default()).await;
    let reports = ctx(&sim);
    let acc = sim.dataset().accounts[0].id.clone();
    let dir = tempfile::tempdir().unwrap();
    let specs = sync_file(
        dir.path(),
        &format!(
            "{}{}",
            dataset("snapshots", "user", &acc, "append"),
            dataset("media", "user_media", &acc, "partition")
        ),
    )
    .unwrap();
    let engine = SqlEngine::default().with_synced(specs.clone());
    let calls = sim.stats().total;
    for spec in &specs {
        let (schema, batches) = query(
            &engine,
            &reports,
            &format!("SELECT * FROM synced.{}", spec.name),
        )
        .await;
        assert_eq!(rows(&batches), 0);
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let want = igflight::sync::table::table_schema(spec);
        let want: Vec<&str> = want.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, want);
    }
    let (schema, _) = query(&engine, &reports, "SELECT * FROM synced.snapshots").await;
    assert!(schema.field_with_name("_synced_at").is_ok(), "append");
    assert!(schema.field_with_name("date").is_err(), "user has no date");
    assert_eq!(sim.stats().total, calls);
    assert!(!dir.path().join("data").exists(), "a query creates nothing");
}

#[tokio::test]
async fn a_bad_sync_file_is_refused_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let good = dataset("media", "user_media", "17841400000000001", "merge");
    for (text, want) in [
        (good.replace("merge", "upsert"), "method `upsert`"),
        (
            good.replace("user_media", "no_such_report"),
            "dataset `media`: ticket refused",
        ),
        (
            good.replace("name = \"media\"", "name = \"Media\""),
            "Media",
        ),
        (format!("{good}{good}"), "two datasets are named `media`"),
    ] {
        let e = sync_file(dir.path(), &text).unwrap_err();
        assert!(e.is_usage(), "{e}");
        let m = e.to_string();
        assert!(
            m.contains("sync.toml") && m.contains(want),
            "{want:?} in {m}"
        );
    }
    // `igflight sql --sync-file` exits 2 with the message, before any query
    std::fs::write(dir.path().join("bad.toml"), good.replace("merge", "upsert")).unwrap();
    let out = Command::new(BIN)
        .args(["sql", "--demo", "--sync-file"])
        .arg(dir.path().join("bad.toml"))
        .arg("SELECT 1")
        .env("IGFLIGHT_CONFIG_DIR", dir.path())
        .env("IGFLIGHT_DATA_DIR", dir.path().join("state"))
        .env_remove("IGFLIGHT_STATE")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.toml") && stderr.contains("method `upsert`"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_schedule_runs_a_dataset_that_never_ran_then_stops() {
    let sim = start_sim(SimConfig::default()).await;
    let reports = ctx(&sim);
    let acc = &sim.dataset().accounts[0];
    let dir = tempfile::tempdir().unwrap();
    let specs = sync_file(
        dir.path(),
        &dataset("media", "user_media", &acc.id, "merge"),
    )
    .unwrap();
    let spec = specs[0].clone();
    let scheduler = Scheduler::start(reports.clone(), specs.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let run = loop {
        if let Some(r) = read_state(&spec.name, &spec.path).unwrap().last_run {
            break r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the schedule did not run the dataset"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(run.complete, "{run:?}");
    assert_eq!(run.rows, acc.media.len() as u64);
    let calls = sim.stats().total;
    // not due again for 15 minutes: stopping is immediate, and nothing more was asked
    let stopped = tokio::time::timeout(Duration::from_secs(5), scheduler.stop()).await;
    assert!(stopped.is_ok(), "the schedule stops when asked");
    assert_eq!(sim.stats().total, calls);
    let engine = SqlEngine::default().with_synced(specs);
    let (_, b) = query(&engine, &reports, "SELECT count(*) FROM synced.media").await;
    assert_eq!(
        b[0].column(0).as_primitive::<Int64Type>().value(0),
        acc.media.len() as i64
    );
}

/// A scheduled run that the Graph API refuses for its token calls the scheduler's hook (which `serve`
/// uses to turn the connection's health NOT_SERVING), and only for a refused token.
#[tokio::test]
async fn a_scheduled_run_with_a_refused_token_calls_the_hook() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let sim = start_sim(SimConfig::default()).await;
    let acc = &sim.dataset().accounts[0];
    let dir = tempfile::tempdir().unwrap();
    let specs = sync_file(
        dir.path(),
        &dataset("media", "user_media", &acc.id, "merge"),
    )
    .unwrap();
    let count = |token: &str| {
        let reports = Arc::new(ReportContext::new(common::client_with(
            &sim, token, 1000, 1,
        )));
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let hook: igflight::sync::scheduler::TokenRefused = Arc::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        (reports, calls, hook)
    };
    let (reports, refused, hook) = count("expired-token");
    let scheduler = Scheduler::start_with(reports, specs.clone(), Some(hook));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while refused.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hook was not called"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    scheduler.stop().await;
    assert_eq!(refused.load(Ordering::SeqCst), 1);
    // a good token: the run succeeds and the hook stays silent (a dataset of its own: the refused run
    // counts as the other's last run, so it is not due again)
    let (reports, refused, hook) = count("demo-token");
    let dir2 = tempfile::tempdir().unwrap();
    let specs = sync_file(
        dir2.path(),
        &dataset("media", "user_media", &acc.id, "merge"),
    )
    .unwrap();
    let spec = specs[0].clone();
    let scheduler = Scheduler::start_with(reports, specs, Some(hook));
    while read_state(&spec.name, &spec.path)
        .unwrap()
        .last_run
        .is_none_or(|r| !r.complete)
    {
        assert!(tokio::time::Instant::now() < deadline + Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    scheduler.stop().await;
    assert_eq!(refused.load(Ordering::SeqCst), 0);
}
