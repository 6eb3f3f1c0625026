//! `igflight sync` against the simulated Graph API in-process: every update method holds the report's
//! rows, an incremental refresh costs a handful of calls, a run that stops half way commits what it
//! finished and the next one completes it, and a dataset held by another run is refused.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use chrono::DurationRound;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use futures::TryStreamExt;
use igflight::plan::{ReportContext, report_stream};
use igflight::sim::{SimConfig, SimHandle};
use igflight::sync::store::{META_DIR, Store, read_state, staging_dir};
use igflight::sync::{DatasetSpec, Method, Schedule, SyncError, run_dataset};
use igflight::ticket::decode;
use serde_json::{Value, json};

use common::{client, start_sim};

fn spec(name: &str, dir: &Path, method: Method, ticket: Value) -> DatasetSpec {
    let report = igflight::reports::catalog::ReportKind::ALL
        .into_iter()
        .find(|r| r.name() == ticket["report"])
        .unwrap();
    DatasetSpec {
        name: name.into(),
        report,
        ticket,
        schedule: Schedule::Every(std::time::Duration::from_secs(900)),
        method,
        path: dir.join(name),
        lookback_days: 3,
    }
}

fn ctx(sim: &SimHandle) -> Arc<ReportContext> {
    Arc::new(ReportContext::new(client(sim)))
}

async fn sync(
    ctx: &Arc<ReportContext>,
    s: &DatasetSpec,
) -> Result<igflight::sync::RunOutcome, SyncError> {
    run_dataset(ctx.clone(), s, chrono::Utc::now(), &mut |_, _, _| {}).await
}

/// Every row of a dataset as a plain glob reads it: (relative folder, batch) per file.
fn read_dataset(root: &Path) -> Vec<(String, RecordBatch)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                let rel = p
                    .parent()
                    .unwrap()
                    .strip_prefix(root)
                    .unwrap()
                    .display()
                    .to_string();
                let r = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&p).unwrap())
                    .unwrap()
                    .build()
                    .unwrap();
                for b in r {
                    out.push((rel.clone(), b.unwrap()));
                }
            }
        }
    }
    out
}

fn strings(b: &RecordBatch, col: &str) -> Vec<String> {
    let c = b
        .column_by_name(col)
        .unwrap_or_else(|| panic!("no column {col}"));
    let s = arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).unwrap();
    let s = s.as_string::<i32>();
    (0..s.len())
        .map(|i| {
            if s.is_null(i) {
                "NULL".into()
            } else {
                s.value(i).to_string()
            }
        })
        .collect()
}

/// The ids a dataset holds, with how often each appears.
fn held_ids(root: &Path) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (_, b) in read_dataset(root) {
        for id in strings(&b, "id") {
            *m.entry(id).or_default() += 1;
        }
    }
    m
}

/// The report's rows now (the truth a dataset is compared with).
async fn report_ids(ctx: &Arc<ReportContext>, ticket: &Value) -> Vec<String> {
    let req = decode(
        ticket.to_string().as_bytes(),
        ctx.today(),
        ctx.api_version(),
    )
    .unwrap();
    let batches: Vec<RecordBatch> = report_stream(ctx.clone(), req)
        .batches
        .try_collect()
        .await
        .unwrap();
    let mut ids: Vec<String> = batches.iter().flat_map(|b| strings(b, "id")).collect();
    ids.sort();
    ids
}

fn account(sim: &SimHandle) -> String {
    sim.dataset().accounts[0].id.clone()
}

#[tokio::test]
async fn every_method_holds_the_reports_rows_in_hive_partitions() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let dir = tempfile::tempdir().unwrap();
    let acc = account(&sim);
    // the last 60 days (fewer partitions to write than the whole history: a faster test)
    let ticket = json!({"report":"user_media","account":acc,"date_from_offset":60});
    let truth = report_ids(&ctx, &ticket).await;
    assert!(truth.len() > 20, "{}", truth.len());
    for method in Method::ALL {
        let s = spec(method.name(), dir.path(), method, ticket.clone());
        let first = sync(&ctx, &s).await.unwrap();
        assert_eq!(first.rows as usize, truth.len(), "{method:?}");
        let second = sync(&ctx, &s).await.unwrap();
        let held = held_ids(&s.path);
        let ids: Vec<String> = held.keys().cloned().collect();
        assert_eq!(
            ids, truth,
            "{method:?}: the dataset holds the report's media"
        );
        let times = if method == Method::Append { 2 } else { 1 };
        assert!(
            held.values().all(|n| *n == times),
            "{method:?}: each media {times}×"
        );
        // incremental methods asked only the recent days the second time
        if method.incremental() {
            assert!(second.from.is_some(), "{method:?}");
            assert!(second.rows < first.rows, "{method:?}");
        } else {
            assert_eq!(second.from, None);
        }
        // Hive layout: the account and the date in the path, not in the files; natural types
        for (rel, b) in read_dataset(&s.path) {
            assert!(rel.starts_with(&format!("ig_user_id={acc}/date=")), "{rel}");
            assert!(b.column_by_name("ig_user_id").is_none());
            let ts = b
                .schema()
                .field_with_name("timestamp")
                .unwrap()
                .data_type()
                .clone();
            assert_eq!(
                ts,
                arrow::datatypes::DataType::Timestamp(
                    arrow::datatypes::TimeUnit::Millisecond,
                    Some("UTC".into())
                )
            );
            assert_eq!(
                b.schema()
                    .field_with_name("like_count")
                    .unwrap()
                    .data_type(),
                &arrow::datatypes::DataType::Int64
            );
            // the file's rows belong to its date partition
            let date = rel.rsplit("date=").next().unwrap();
            assert!(
                strings(&b, "timestamp").iter().all(|t| t.starts_with(date)),
                "{rel}"
            );
            assert_eq!(
                b.column_by_name("_synced_at").is_some(),
                method == Method::Append
            );
        }
        // the staging folder is gone; the state says the run completed
        assert!(!staging_dir(&s.path).exists());
        let state = read_state(&s.name, &s.path).unwrap();
        assert!(state.last_run.unwrap().complete);
    }
}

#[tokio::test]
async fn an_incremental_refresh_of_media_and_their_insights_costs_a_handful_of_calls() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let dir = tempfile::tempdir().unwrap();
    let acc = account(&sim);
    let media = spec(
        "media",
        dir.path(),
        Method::Merge,
        json!({"report":"user_media","account":acc}),
    );
    let insights = spec(
        "insights",
        dir.path(),
        Method::Merge,
        json!({"report":"media_insights","account":acc}),
    );
    let cold = sync(&ctx, &media).await.unwrap().calls + sync(&ctx, &insights).await.unwrap().calls;
    let rows_before = read_dataset(&insights.path)
        .iter()
        .map(|(_, b)| b.num_rows())
        .sum::<usize>();
    // a fresh connection (no cached answers): what a 15-minute refresh in another process costs
    let ctx2 = self::ctx(&sim);
    let m = sync(&ctx2, &media).await.unwrap();
    let i = sync(&ctx2, &insights).await.unwrap();
    let refresh = m.calls + i.calls;
    assert!(
        refresh < 10,
        "refresh: {} + {} calls (cold {cold})",
        m.calls,
        i.calls
    );
    assert!(cold > 3 * refresh, "cold {cold}, refresh {refresh}");
    // merged: the same media-metric rows, none twice
    let held = read_dataset(&insights.path);
    let rows: usize = held.iter().map(|(_, b)| b.num_rows()).sum();
    assert_eq!(rows, rows_before);
    let mut keys: Vec<(String, String)> = held
        .iter()
        .flat_map(|(_, b)| strings(b, "media_id").into_iter().zip(strings(b, "metric")))
        .collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "no media-metric row twice");
}

#[tokio::test]
async fn a_run_that_stops_half_way_commits_what_it_finished_and_the_next_completes_it() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let acc = account(&sim);
    let ticket = json!({"report":"user_media","account":acc});
    let full = ctx(&sim);
    let truth = report_ids(&full, &ticket).await;
    for method in [Method::Merge, Method::Append, Method::Partition] {
        let s = spec(method.name(), dir.path(), method, ticket.clone());
        // two Graph calls per request: the listing stops after its second page
        let short = Arc::new(ReportContext::new(client(&sim)).with_max_calls_per_request(2));
        let e = sync(&short, &s).await.unwrap_err();
        let text = e.to_string();
        assert!(text.contains(&format!("dataset `{}`", s.name)), "{text}");
        let state = read_state(&s.name, &s.path).unwrap();
        let last = state.last_run.clone().unwrap();
        assert!(!last.complete && last.error.is_some(), "{last:?}");
        assert!(
            last.partitions > 0,
            "the finished partitions are committed: {last:?}"
        );
        let partial = held_ids(&s.path);
        assert!(!partial.is_empty() && partial.len() < truth.len());
        assert!(partial.values().all(|n| *n == 1));
        // every id held is a real one, and whole days: the committed partitions are complete
        // the next run (full budget) completes it: no gap, no duplicate
        sync(&full, &s).await.unwrap();
        let held = held_ids(&s.path);
        let ids: Vec<String> = held.keys().cloned().collect();
        assert_eq!(ids, truth, "{method:?}");
        assert!(held.values().all(|n| *n == 1), "{method:?}: no duplicate");
        let state = read_state(&s.name, &s.path).unwrap();
        assert_eq!(state.resume_from, None);
        assert!(state.last_run.unwrap().complete);
    }
}

#[tokio::test]
async fn a_dataset_held_by_another_run_is_refused_and_left_as_it_was() {
    let sim = start_sim(SimConfig::default()).await;
    let ctx = ctx(&sim);
    let dir = tempfile::tempdir().unwrap();
    let s = spec(
        "media",
        dir.path(),
        Method::Merge,
        json!({"report":"user_media","account":account(&sim)}),
    );
    sync(&ctx, &s).await.unwrap();
    let before = held_ids(&s.path);
    let holder = Store::open(&s.name, &s.path).unwrap();
    sim.reset_stats();
    let e = sync(&ctx, &s).await.unwrap_err();
    assert!(matches!(e, SyncError::Busy { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("being synced by another process") && text.contains(META_DIR),
        "{text}"
    );
    assert_eq!(sim.stats().total, 0, "no Graph call for a busy dataset");
    assert_eq!(held_ids(&s.path), before);
    drop(holder);
    sync(&ctx, &s).await.unwrap();
}

#[tokio::test]
async fn insights_over_more_than_the_budget_start_commit_the_finished_days_and_resume_there() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let acc = account(&sim);
    // 90 days of daily insights: three 30-day windows, oldest first
    let ticket = json!({"report":"user_insights","account":acc,"period":"day","metrics":["reach"],
                        "date_from_offset":90,"date_to_offset":1});
    let s = spec("daily", dir.path(), Method::Partition, ticket);
    // one call per request: refused up front for a report, but a sync starts and keeps what it got
    let short = Arc::new(ReportContext::new(client(&sim)).with_max_calls_per_request(1));
    let e = sync(&short, &s).await.unwrap_err();
    assert!(matches!(e, SyncError::Report { .. }), "{e:?}");
    let state = read_state(&s.name, &s.path).unwrap();
    let resume = state.resume_from.expect("where to resume");
    let days = |root: &Path| -> Vec<String> {
        let mut v: Vec<String> = read_dataset(root)
            .into_iter()
            .map(|(rel, _)| rel.rsplit("date=").next().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let partial = days(&s.path);
    assert!(partial.len() >= 25, "the first window's days: {partial:?}");
    assert!(
        partial
            .iter()
            .all(|d| d.as_str() < resume.to_string().as_str())
    );
    // the next run asks from where it stopped, not the whole range
    let full = ctx(&sim);
    let next = sync(&full, &s).await.unwrap();
    assert_eq!(next.from, Some(resume));
    assert!(next.calls <= 3, "{} calls", next.calls);
    let all = days(&s.path);
    assert_eq!(all.len(), 90, "{} days", all.len());
    let mut dedup = all.clone();
    dedup.dedup();
    assert_eq!(dedup, all, "one partition per day");
}

/// Rows of a report at the simulator's current clock, keyed by `key` columns, valued by `value`.
async fn truth(
    sim: &SimHandle,
    ticket: &Value,
    key: &[&str],
    value: &str,
) -> BTreeMap<Vec<String>, String> {
    let ctx = Arc::new(ReportContext::new(client(sim)).with_now(sim.now()));
    let req = decode(
        ticket.to_string().as_bytes(),
        ctx.today(),
        ctx.api_version(),
    )
    .unwrap();
    let batches: Vec<RecordBatch> = report_stream(ctx, req).batches.try_collect().await.unwrap();
    keyed(batches.iter(), key, value)
}

fn keyed<'a>(
    batches: impl Iterator<Item = &'a RecordBatch>,
    key: &[&str],
    value: &str,
) -> BTreeMap<Vec<String>, String> {
    let mut m = BTreeMap::new();
    for b in batches {
        let keys: Vec<Vec<String>> = key.iter().map(|k| strings(b, k)).collect();
        let vals = strings(b, value);
        for (i, v) in vals.into_iter().enumerate() {
            let k: Vec<String> = keys.iter().map(|c| c[i].clone()).collect();
            assert!(m.insert(k.clone(), v).is_none(), "{k:?} twice");
        }
    }
    m
}

/// Several simulated days of syncs, one dataset per update method: after each run every dataset
/// equals what the simulator served, for its method (replace: the latest run; append: every
/// snapshot; merge: the latest values fetched; partition: the right days), and a daily incremental
/// refresh of media + media insights costs a handful of calls.
#[tokio::test]
async fn days_of_syncs_keep_every_method_equal_to_the_simulators_truth() {
    // a clock well inside an hour (values change on the hour)
    let start = (chrono::Utc::now() - chrono::Duration::days(1))
        .duration_trunc(chrono::TimeDelta::hours(1))
        .unwrap()
        + chrono::Duration::minutes(10);
    let sim = start_sim(SimConfig {
        now: start,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let acc = account(&sim);
    let media_t = json!({"report":"user_media","account":acc});
    let insights_t = json!({"report":"media_insights","account":acc});
    let profile_t = json!({"report":"user","account":acc});
    // one dataset per update method, from a sync file
    let text = format!(
        r#"
[[dataset]]
name = "replace"
ticket = {{ report = "user_media", account = "{acc}" }}
every = "24h"
method = "replace"
path = "replace"

[[dataset]]
name = "merge"
ticket = {{ report = "user_media", account = "{acc}" }}
every = "24h"
method = "merge"
path = "merge"

[[dataset]]
name = "insights"
ticket = {{ report = "media_insights", account = "{acc}" }}
at = "00:05"
timezone = "America/Los_Angeles"
method = "merge"
path = "insights"

[[dataset]]
name = "append"
ticket = {{ report = "user", account = "{acc}" }}
every = "1h"
method = "append"
path = "append"

[[dataset]]
name = "partition"
ticket = {{ report = "user_insights", account = "{acc}", period = "day", metrics = ["reach"], date_from_offset = 20, date_to_offset = 1 }}
every = "24h"
method = "partition"
path = "partition"
"#
    );
    let specs = igflight::sync::file::parse(&text, dir.path(), |t| {
        Ok(igflight::reports::catalog::ReportKind::ALL
            .into_iter()
            .find(|r| r.name() == t["report"])
            .unwrap())
    })
    .unwrap();
    let [replace, merge, insights, append, partition] =
        <[DatasetSpec; 5]>::try_from(specs).unwrap();
    for s in [&replace, &merge, &insights, &append, &partition] {
        assert!(
            s.schedule.is_due(None, sim.now()),
            "{}: never ran, due",
            s.name
        );
    }
    let mut snapshots: Vec<String> = Vec::new();
    for day in 0..4 {
        if day > 0 {
            sim.advance(chrono::Duration::days(1)).unwrap();
        }
        // each day a fresh process: no cached answer
        let ctx = Arc::new(ReportContext::new(client(&sim)).with_now(sim.now()));
        let now = sim.now();
        let run = |s: &DatasetSpec| {
            let ctx = ctx.clone();
            let s = s.clone();
            async move { run_dataset(ctx, &s, now, &mut |_, _, _| {}).await.unwrap() }
        };
        let m = run(&merge).await;
        let i = run(&insights).await;
        if day > 0 {
            assert!(
                m.calls + i.calls < 10,
                "day {day}: refresh of media + insights: {} + {} calls",
                m.calls,
                i.calls
            );
        }
        run(&replace).await;
        run(&append).await;
        run(&partition).await;

        // replace and merge: the media as served now, with their like counts
        let media = truth(&sim, &media_t, &["id"], "like_count").await;
        assert!(media.len() >= 250 + day, "new posts appear");
        for s in [&replace, &merge] {
            let held = keyed(
                read_dataset(&s.path).iter().map(|(_, b)| b),
                &["id"],
                "like_count",
            );
            assert_eq!(held, media, "day {day}: {}", s.name);
        }
        // merge of insights: the values as served now (settled ones were fetched settled)
        let want = truth(&sim, &insights_t, &["media_id", "metric"], "value").await;
        let held = keyed(
            read_dataset(&insights.path).iter().map(|(_, b)| b),
            &["media_id", "metric"],
            "value",
        );
        assert_eq!(held, want, "day {day}: insights");
        // append: one snapshot per run, each what was served then
        let now_profile = truth(&sim, &profile_t, &["id"], "media_count").await;
        snapshots.push(now_profile.values().next().unwrap().clone());
        let mut held: Vec<(String, String)> = read_dataset(&append.path)
            .iter()
            .flat_map(|(_, b)| {
                strings(b, "_synced_at")
                    .into_iter()
                    .zip(strings(b, "media_count"))
            })
            .collect();
        held.sort();
        let counts: Vec<String> = held.into_iter().map(|(_, c)| c).collect();
        assert_eq!(counts, snapshots, "day {day}: append");
        // partition: the days of the ticket's range as served now, one partition each
        let want = truth(
            &sim,
            &json!({"report":"user_insights","account":acc,"period":"day","metrics":["reach"],
                    "date_from_offset":20 + day,"date_to_offset":1}),
            &["end_time"],
            "value",
        )
        .await;
        let held = keyed(
            read_dataset(&partition.path).iter().map(|(_, b)| b),
            &["end_time"],
            "value",
        );
        assert_eq!(held, want, "day {day}: partition");
    }
}
