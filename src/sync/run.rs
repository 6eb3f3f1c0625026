//! One run of one dataset: ticket → narrowed ticket → the report stream → partitions → commits.
//!
//! Incremental (`merge`, `partition`, on reports that take a date range): a run asks from the start of
//! the last complete run minus `lookback_days` (values of recent days still change: insights, like and
//! comment counts), or from where a run that stopped early left off, whichever is earlier. `replace`
//! and `append` ask the ticket as written (the dataset is the latest run; each run is a snapshot).
//!
//! A run that fails half way (Graph error, exhausted budget) commits the partitions the stream had
//! finished — the stream's dates are monotone (media newest first, insight days oldest first), so a
//! partition is finished once a row of a later one arrived — keeps the state's start unchanged and
//! records where to resume; the next run asks that range again. Every commit is idempotent (a whole
//! partition replaced; an `append` file named by its run), so nothing is counted twice.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, TimestampMillisecondArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, SortField};
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use serde_json::Value;

use super::SyncError;
use super::file::{DatasetSpec, Method};
use super::store::{PartKey, RunRecord, State, Store, WHOLE};
use crate::error::ReportError;
use crate::plan::{ReportContext, RunSummary, report_stream, resolve_account};
use crate::reports::catalog::ReportKind;

/// The column `append` adds: when the run that fetched the row started.
pub const SYNCED_AT: &str = "_synced_at";

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// The dataset.
    pub name: String,
    /// Rows the report returned.
    pub rows: u64,
    /// Graph calls.
    pub calls: u64,
    /// Partitions written.
    pub partitions: u64,
    /// Partitions removed (replace: not in the latest run; partition: covered and now empty).
    pub removed: u64,
    /// The first date asked (incremental runs).
    pub from: Option<NaiveDate>,
    /// Media or values the report skipped, by reason.
    pub skipped: BTreeMap<String, u64>,
}

/// Run dataset `spec` once on `ctx`, at `now`. `progress` is told the rows and batches received and
/// the Graph calls made after each batch.
pub async fn run_dataset(
    ctx: Arc<ReportContext>,
    spec: &DatasetSpec,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(u64, u64, u64) + Send),
) -> Result<RunOutcome, SyncError> {
    let store = Store::open(&spec.name, &spec.path)?;
    // a sync plans within the budget it has: it starts, commits what it finished, resumes later
    let ctx = Arc::new((*ctx).clone().with_partial_runs(true));
    let mut state = store.state()?;
    let today = now.date_naive();
    let report_err = |source: ReportError| SyncError::Report {
        name: spec.name.clone(),
        source: Box::new(source),
    };
    // the account, once (a page name or the token's one account is resolved here, not per run)
    let original = decode(&ctx, &spec.ticket, today).map_err(report_err)?;
    let by_account = by_account(spec.report);
    let account = if by_account {
        let s = RunSummary::default();
        Some(
            resolve_account(&ctx, &s, &original.account)
                .await
                .map_err(report_err)?
                .to_string(),
        )
    } else {
        None
    };
    let from = incremental_from(spec, &state, today);
    let ticket = narrowed_ticket(spec, account.as_deref(), from);
    let req = decode(&ctx, &ticket, today).map_err(report_err)?;
    let covered = req.params.dates().map(|r| (r.from, r.to));
    let req = ctx.final_request(req).await.map_err(report_err)?;
    let stream = report_stream(ctx.clone(), req);
    let summary = stream.summary.clone();
    let date_col = spec.report.spec().sync_date;
    let in_path = in_path(spec.report);
    let mut parts: BTreeMap<PartKey, Vec<RecordBatch>> = BTreeMap::new();
    let mut order = Order::default();
    let mut rows = 0u64;
    let mut received = 0u64;
    let mut batches = stream.batches;
    let mut failure = None;
    let mut stored: Option<SchemaRef> = None;
    while let Some(next) = batches.next().await {
        let batch = match next {
            Ok(b) => b,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        rows += batch.num_rows() as u64;
        received += 1;
        progress(rows, received, summary.graph_calls());
        let prepared = prepare(&batch, in_path).map_err(|e| data(spec, e))?;
        stored.get_or_insert_with(|| prepared.schema());
        match date_col {
            None => parts
                .entry(PartKey {
                    account: account.clone(),
                    date: None,
                })
                .or_default()
                .push(prepared),
            Some(col) => {
                let dates = row_dates(&batch, col).map_err(|e| data(spec, e))?;
                for (date, idx) in group_rows(&dates) {
                    order.saw(date);
                    let part = take(&prepared, &idx).map_err(|e| data(spec, e))?;
                    parts
                        .entry(PartKey {
                            account: account.clone(),
                            date: Some(date),
                        })
                        .or_default()
                        .push(part);
                }
            }
        }
    }
    drop(batches);
    let schema = match stored {
        Some(s) => s,
        None => prepared_schema(&stream.schema, in_path),
    };
    let stamp = state.pending_stamp.clone().unwrap_or_else(|| {
        // unique per run (two runs in one second must not share file names)
        format!(
            "{}-{:04x}",
            now.format("%Y%m%dT%H%M%S%.3fZ"),
            rand::random::<u16>()
        )
    });
    let mut out = RunOutcome {
        name: spec.name.clone(),
        rows,
        calls: summary.graph_calls(),
        from,
        skipped: summary.skipped(),
        ..RunOutcome::default()
    };
    if spec.method == Method::Append && state.pending_stamp.is_none() {
        // named before the first file is written: a run killed between its files is completed by
        // the next under the same names, not left as a partial snapshot
        state.pending_stamp = Some(stamp.clone());
        store.save_state(&state)?;
    }
    let commit = |parts: &BTreeMap<PartKey, Vec<RecordBatch>>,
                  out: &mut RunOutcome|
     -> Result<(), SyncError> {
        for (key, batches) in parts {
            write_partition(&store, spec, key, &schema, batches, now, &stamp)?;
            out.partitions += 1;
        }
        Ok(())
    };
    if let Some(e) = failure {
        // keep what the stream had finished; the next run asks the rest again
        let finished: BTreeMap<PartKey, Vec<RecordBatch>> = parts
            .into_iter()
            .filter(|(k, _)| k.date.is_some_and(|d| order.finished(d)))
            .collect();
        commit(&finished, &mut out)?;
        // insight days come oldest first: the next run starts at the first day not finished;
        // media come newest first: it asks the run's range again
        let restart = order.resume_point().or(from).or(covered.map(|c| c.0));
        state.resume_from = match (state.resume_from, restart) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        state.last_run = Some(record(now, &out, Some(e.to_string())));
        store.save_state(&state)?;
        store.finish();
        return Err(report_err(e));
    }
    commit(&parts, &mut out)?;
    // what the run's rows replace
    let gone: Vec<PartKey> = match spec.method {
        Method::Replace => store
            .partitions(by_account, date_col.is_some())?
            .into_iter()
            .filter(|k| !parts.contains_key(k))
            .collect(),
        Method::Partition => store
            .partitions(by_account, true)?
            .into_iter()
            .filter(|k| k.account == account && !parts.contains_key(k))
            .filter(|k| match (k.date, covered) {
                (Some(Some(d)), Some((lo, hi))) => d >= lo && d <= hi,
                (Some(None), _) => false,
                (_, None) => true,
                _ => false,
            })
            .collect(),
        Method::Append | Method::Merge => Vec::new(),
    };
    for k in &gone {
        store.remove(k)?;
        out.removed += 1;
    }
    state.last_complete = Some(now);
    state.resume_from = None;
    state.pending_stamp = None;
    state.last_run = Some(record(now, &out, None));
    store.save_state(&state)?;
    store.finish();
    Ok(out)
}

/// What a run that started at `started` did; `error`: why it stopped early.
fn record(started: DateTime<Utc>, out: &RunOutcome, error: Option<String>) -> RunRecord {
    RunRecord {
        started: Some(started),
        finished: Some(Utc::now()),
        rows: out.rows,
        calls: out.calls,
        partitions: out.partitions,
        complete: error.is_none(),
        error,
        from: out.from,
    }
}

fn data(spec: &DatasetSpec, e: impl std::fmt::Display) -> SyncError {
    SyncError::Data {
        name: spec.name.clone(),
        message: e.to_string(),
    }
}

/// Decode a ticket the way a Flight ticket is (the connection's version's catalog).
fn decode(
    ctx: &ReportContext,
    ticket: &Value,
    today: NaiveDate,
) -> Result<crate::ticket::ReportRequest, ReportError> {
    let bytes = serde_json::to_vec(ticket).unwrap_or_default();
    crate::ticket::decode(&bytes, today, ctx.api_version()).map_err(ReportError::Ticket)
}

/// The first date an incremental run asks: the start of the last complete run minus the lookback, or
/// where a run that stopped early left off (the earlier), never before the ticket's own start. `None`:
/// the ticket as written (a first run, `replace`/`append`, a report without a date range).
pub fn incremental_from(spec: &DatasetSpec, state: &State, today: NaiveDate) -> Option<NaiveDate> {
    let takes_dates = spec.report.spec().accepted.contains(&"date_from");
    let single = spec.ticket["media_items"] == "single";
    if !spec.method.incremental() || !takes_dates || single {
        return None;
    }
    let since_last = state.last_complete.map(|t| {
        let d = t.date_naive();
        // the state file is read from disk: a date at the calendar's edge must not overflow
        d.checked_sub_days(chrono::Days::new(u64::from(spec.lookback_days)))
            .unwrap_or(d)
    });
    let from = match (since_last, state.resume_from) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let own = ticket_from(&spec.ticket, today);
    Some(own.map_or(from, |o| from.max(o)).min(today))
}

/// The ticket's own first date (`date_from` or `date_from_offset`).
fn ticket_from(ticket: &Value, today: NaiveDate) -> Option<NaiveDate> {
    if let Some(d) = ticket["date_from"].as_str() {
        return d.parse().ok();
    }
    let o = ticket["date_from_offset"].as_u64()?;
    today.checked_sub_days(chrono::Days::new(o))
}

/// The ticket a run asks: the account resolved; from `from` on when incremental.
pub fn narrowed_ticket(
    spec: &DatasetSpec,
    account: Option<&str>,
    from: Option<NaiveDate>,
) -> Value {
    let mut t = spec.ticket.clone();
    let Some(obj) = t.as_object_mut() else {
        return t;
    };
    if let Some(a) = account {
        obj.remove("page");
        obj.insert("account".into(), Value::from(a));
    }
    if let Some(from) = from {
        obj.remove("date_from_offset");
        obj.insert("date_from".into(), Value::from(from.to_string()));
        if spec.report == ReportKind::MediaInsights {
            obj.insert("media_items".into(), Value::from("range"));
        }
    }
    t
}

/// Write one partition with the dataset's method.
fn write_partition(
    store: &Store,
    spec: &DatasetSpec,
    key: &PartKey,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    started: DateTime<Utc>,
    stamp: &str,
) -> Result<(), SyncError> {
    match spec.method {
        Method::Replace | Method::Partition => {
            store.commit(key, WHOLE, schema.clone(), batches, true)?;
        }
        Method::Append => {
            let with: Vec<RecordBatch> = batches
                .iter()
                .map(|b| with_synced_at(b, started))
                .collect::<Result<_, _>>()
                .map_err(|e| data(spec, e))?;
            let schema = with
                .first()
                .map(RecordBatch::schema)
                .unwrap_or_else(|| schema.clone());
            store.commit(key, &format!("part-{stamp}.parquet"), schema, &with, false)?;
        }
        Method::Merge => {
            let older = store.read(key)?;
            let merged =
                merge(schema, batches, &older, spec.report.spec().identity).map_err(|e| {
                    data(
                        spec,
                        format!("cannot merge partition {}: {e}", key.rel().display()),
                    )
                })?;
            store.commit(key, WHOLE, schema.clone(), &[merged], true)?;
        }
    }
    Ok(())
}

/// `newer` and `older` rows as one batch, one row per identity (nulls equal): the newer row wins.
pub fn merge(
    schema: &SchemaRef,
    newer: &[RecordBatch],
    older: &[RecordBatch],
    identity: &[&str],
) -> Result<RecordBatch, String> {
    let all: Vec<RecordBatch> = newer.iter().chain(older).cloned().collect();
    let one = arrow::compute::concat_batches(schema, &all).map_err(|e| e.to_string())?;
    let cols: Vec<ArrayRef> = identity
        .iter()
        .map(|c| {
            one.column_by_name(c)
                .cloned()
                .ok_or_else(|| format!("identity column `{c}` is missing"))
        })
        .collect::<Result<_, _>>()?;
    let fields = cols
        .iter()
        .map(|c| SortField::new(c.data_type().clone()))
        .collect();
    let conv = RowConverter::new(fields).map_err(|e| e.to_string())?;
    let keys = conv.convert_columns(&cols).map_err(|e| e.to_string())?;
    let mut seen = HashSet::with_capacity(one.num_rows());
    let keep: Vec<u32> = (0..one.num_rows())
        .filter(|&i| seen.insert(keys.row(i).owned()))
        .map(|i| i as u32)
        .collect();
    take(&one, &keep).map_err(|e| e.to_string())
}

/// `batch` as stored: seconds timestamps as milliseconds (Parquet has no seconds), without the columns
/// the partition path holds.
pub fn prepare(batch: &RecordBatch, drop: &[&str]) -> Result<RecordBatch, String> {
    let schema = prepared_schema(&batch.schema(), drop);
    let mut cols = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let c = batch
            .column_by_name(f.name())
            .ok_or_else(|| format!("column `{}` is missing", f.name()))?;
        cols.push(if c.data_type() == f.data_type() {
            c.clone()
        } else {
            arrow::compute::cast(c, f.data_type()).map_err(|e| e.to_string())?
        });
    }
    RecordBatch::try_new_with_options(
        schema,
        cols,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
    .map_err(|e| e.to_string())
}

/// Whether a report's dataset has an `ig_user_id=…` folder level (every report but `pages`, which is
/// not about one account).
pub fn by_account(report: ReportKind) -> bool {
    report != ReportKind::Pages
}

/// The report columns a dataset keeps in its folder names, not in its files.
pub fn in_path(report: ReportKind) -> &'static [&'static str] {
    if by_account(report) {
        &["ig_user_id"]
    } else {
        &[]
    }
}

/// The schema of a dataset's Parquet files: the report's schema as stored ([`prepare`]: seconds
/// timestamps as milliseconds, without the columns of the folder names), plus [`SYNCED_AT`] for
/// `append` datasets.
pub fn file_schema(spec: &DatasetSpec) -> SchemaRef {
    let stored = prepared_schema(
        &crate::reports::schema::report_schema(spec.report),
        in_path(spec.report),
    );
    if spec.method != Method::Append {
        return stored;
    }
    let mut fields: Vec<Field> = stored.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(synced_at_field());
    Arc::new(Schema::new(fields))
}

fn synced_at_field() -> Field {
    Field::new(
        SYNCED_AT,
        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        false,
    )
}

/// The stored schema of a report schema (see [`prepare`]).
pub fn prepared_schema(schema: &SchemaRef, drop: &[&str]) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .filter(|f| !drop.contains(&f.name().as_str()))
        .map(|f| match f.data_type() {
            DataType::Timestamp(TimeUnit::Second, tz) => f
                .as_ref()
                .clone()
                .with_data_type(DataType::Timestamp(TimeUnit::Millisecond, tz.clone())),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// The UTC date of each row's `col` (a timestamp column).
fn row_dates(batch: &RecordBatch, col: &str) -> Result<Vec<Option<NaiveDate>>, String> {
    let c = batch
        .column_by_name(col)
        .ok_or_else(|| format!("column `{col}` is missing"))?;
    let ms = arrow::compute::cast(
        c,
        &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
    )
    .map_err(|e| e.to_string())?;
    let ms = ms
        .as_any()
        .downcast_ref::<TimestampMillisecondArray>()
        .ok_or("not a timestamp")?;
    Ok((0..ms.len())
        .map(|i| {
            (!ms.is_null(i))
                .then(|| DateTime::from_timestamp_millis(ms.value(i)).map(|t| t.date_naive()))
                .flatten()
        })
        .collect())
}

/// Row indices per date, in first-seen order.
fn group_rows(dates: &[Option<NaiveDate>]) -> Vec<(Option<NaiveDate>, Vec<u32>)> {
    let mut out: Vec<(Option<NaiveDate>, Vec<u32>)> = Vec::new();
    for (i, d) in dates.iter().enumerate() {
        match out.iter_mut().find(|(x, _)| x == d) {
            Some((_, v)) => v.push(i as u32),
            None => out.push((*d, vec![i as u32])),
        }
    }
    out
}

fn take(batch: &RecordBatch, idx: &[u32]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let idx = UInt32Array::from(idx.to_vec());
    let cols = batch
        .columns()
        .iter()
        .map(|c| arrow::compute::take(c, &idx, None))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new_with_options(
        batch.schema(),
        cols,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(idx.len())),
    )
}

/// `batch` with the `_synced_at` column (the run's start) at the end.
fn with_synced_at(batch: &RecordBatch, at: DateTime<Utc>) -> Result<RecordBatch, String> {
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(synced_at_field());
    let mut cols = batch.columns().to_vec();
    cols.push(Arc::new(
        TimestampMillisecondArray::from(vec![at.timestamp_millis(); batch.num_rows()])
            .with_timezone("UTC"),
    ));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| e.to_string())
}

/// The order of the dates a stream returned: media come newest first, insight days oldest first. A
/// date is finished once a later date in that order arrived.
#[derive(Debug, Default)]
struct Order {
    seen: Vec<NaiveDate>,
    nulls: bool,
}

impl Order {
    fn saw(&mut self, d: Option<NaiveDate>) {
        match d {
            Some(d) if self.seen.last() != Some(&d) => self.seen.push(d),
            Some(_) => {}
            None => self.nulls = true,
        }
    }

    /// Where a run that stopped should start again when the dates came oldest first: the last date
    /// seen (not finished). `None` for any other order.
    fn resume_point(&self) -> Option<NaiveDate> {
        let asc = self.seen.windows(2).all(|w| w[0] < w[1]);
        (asc && self.seen.len() > 1 && !self.nulls)
            .then(|| self.seen.last().copied())
            .flatten()
    }

    /// Whether partition `d` is finished: the dates arrived in one direction, and a date past `d`
    /// in it arrived.
    fn finished(&self, d: Option<NaiveDate>) -> bool {
        let Some(d) = d else { return false };
        let distinct: BTreeSet<&NaiveDate> = self.seen.iter().collect();
        if distinct.len() != self.seen.len() {
            return false; // not monotone: nothing is known finished
        }
        let desc = self.seen.windows(2).all(|w| w[0] > w[1]);
        let asc = self.seen.windows(2).all(|w| w[0] < w[1]);
        match self.seen.last() {
            Some(last) if desc && self.seen.len() > 1 => d > *last,
            Some(last) if asc && self.seen.len() > 1 => d < *last,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::schedule::Schedule;
    use arrow::array::{Int64Array, StringArray};
    use serde_json::json;

    fn spec(report: ReportKind, method: Method, ticket: Value) -> DatasetSpec {
        DatasetSpec {
            name: "ds".into(),
            report,
            ticket,
            schedule: Schedule::Every(std::time::Duration::from_secs(900)),
            method,
            path: "/tmp/x".into(),
            lookback_days: 3,
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn incremental_runs_ask_from_the_last_run_minus_the_lookback() {
        let today = d("2026-11-30");
        let s = spec(
            ReportKind::UserMedia,
            Method::Merge,
            json!({"report":"user_media"}),
        );
        let mut state = State::default();
        assert_eq!(incremental_from(&s, &state, today), None, "first run: all");
        state.last_complete = Some("2026-11-29T10:00:00Z".parse().unwrap());
        assert_eq!(incremental_from(&s, &state, today), Some(d("2026-11-26")));
        // a run that stopped early: from where it stopped, if earlier
        state.resume_from = Some(d("2026-11-01"));
        assert_eq!(incremental_from(&s, &state, today), Some(d("2026-11-01")));
        // never before the ticket's own start
        let s2 = spec(
            ReportKind::UserMedia,
            Method::Merge,
            json!({"report":"user_media","date_from_offset":10}),
        );
        assert_eq!(incremental_from(&s2, &state, today), Some(d("2026-11-20")));
        // replace and append ask the ticket as written
        for m in [Method::Replace, Method::Append] {
            let s = spec(ReportKind::UserMedia, m, json!({"report":"user_media"}));
            assert_eq!(incremental_from(&s, &state, today), None);
        }
        // a report without a date range
        let s = spec(ReportKind::User, Method::Merge, json!({"report":"user"}));
        assert_eq!(incremental_from(&s, &state, today), None);
        // a state file holding the calendar's first day does not overflow
        let s = spec(
            ReportKind::UserMedia,
            Method::Merge,
            json!({"report":"user_media"}),
        );
        let edge = State {
            last_complete: Some(DateTime::<Utc>::MIN_UTC),
            ..State::default()
        };
        assert_eq!(
            incremental_from(&s, &edge, today),
            Some(DateTime::<Utc>::MIN_UTC.date_naive())
        );
    }

    #[test]
    fn the_narrowed_ticket_names_the_account_and_the_range() {
        let s = spec(
            ReportKind::MediaInsights,
            Method::Merge,
            json!({"report":"media_insights","page":"Harbor","date_from_offset":30}),
        );
        let t = narrowed_ticket(&s, Some("17841400000000001"), Some(d("2026-11-26")));
        assert_eq!(
            t,
            json!({"report":"media_insights","account":"17841400000000001","date_from":"2026-11-26","media_items":"range"})
        );
        let t = narrowed_ticket(&s, None, None);
        assert_eq!(t, s.ticket);
    }

    fn batch(ids: &[Option<&str>], n: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(ids.to_vec())),
                Arc::new(Int64Array::from(n.to_vec())),
            ],
        )
        .unwrap()
    }

    #[test]
    fn merge_keeps_one_row_per_identity_the_newer_and_nulls_compare_equal() {
        let older = batch(&[Some("a"), Some("b"), None], &[1, 2, 3]);
        let newer = batch(&[Some("b"), None, Some("c")], &[20, 30, 40]);
        let m = merge(&older.schema(), &[newer], &[older], &["id"]).unwrap();
        let ids = m.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        let n = m.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
        let got: Vec<(Option<&str>, i64)> = (0..m.num_rows())
            .map(|i| ((!ids.is_null(i)).then(|| ids.value(i)), n.value(i)))
            .collect();
        assert_eq!(
            got,
            vec![(Some("b"), 20), (None, 30), (Some("c"), 40), (Some("a"), 1)]
        );
        let e = merge(&m.schema(), &[], std::slice::from_ref(&m), &["nope"]).unwrap_err();
        assert!(e.contains("`nope`"), "{e}");
    }

    #[test]
    fn a_partition_is_finished_once_the_stream_moved_past_it() {
        let mut o = Order::default();
        for x in ["2026-11-30", "2026-11-29", "2026-11-28"] {
            o.saw(Some(d(x)));
        }
        assert!(o.finished(Some(d("2026-11-30"))));
        assert!(o.finished(Some(d("2026-11-29"))));
        assert!(!o.finished(Some(d("2026-11-28"))), "the last one may go on");
        let mut up = Order::default();
        for x in ["2026-11-01", "2026-11-02"] {
            up.saw(Some(d(x)));
        }
        assert!(up.finished(Some(d("2026-11-01"))));
        assert!(!up.finished(Some(d("2026-11-02"))));
        let mut mixed = Order::default();
        for x in ["2026-11-01", "2026-11-03", "2026-11-02"] {
            mixed.saw(Some(d(x)));
        }
        assert!(!mixed.finished(Some(d("2026-11-01"))), "not monotone");
        assert!(!o.finished(None));
    }

    #[test]
    fn stored_rows_lose_the_partition_columns_and_keep_instants_in_milliseconds() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("ig_user_id", DataType::Utf8, true),
            Field::new(
                "timestamp",
                DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                true,
            ),
        ]));
        let b = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["1"])),
                Arc::new(
                    arrow::array::TimestampSecondArray::from(vec![1_764_460_800])
                        .with_timezone("UTC"),
                ),
            ],
        )
        .unwrap();
        let p = prepare(&b, &["ig_user_id"]).unwrap();
        assert_eq!(p.num_columns(), 1);
        let ts = p
            .column(0)
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap();
        assert_eq!(ts.value(0), 1_764_460_800_000);
        assert_eq!(
            row_dates(&b, "timestamp").unwrap(),
            vec![Some(d("2025-11-30"))]
        );
        let s = with_synced_at(&p, "2026-11-30T10:00:00Z".parse().unwrap()).unwrap();
        assert_eq!(s.schema().field(1).name(), SYNCED_AT);
    }
}
