//! Plans: a validated request becomes Graph calls, and their pages become Arrow batches.
//!
//! [`report_stream`] is the one function both Flight (`DoGet`) and SQL (table scans) call, so they cannot
//! disagree. It returns at once; no Graph call is made until the stream is polled, each Graph page is
//! converted and yielded as it arrives, and dropping the stream (a client that went away) stops the calls.

mod account;
pub(crate) mod comments;
pub mod context;
pub(crate) mod conversion;
mod dropped;
pub(crate) mod hashtag;
pub(crate) mod insights;
pub(crate) mod media;
pub(crate) mod profile;
pub mod split;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use parking_lot::Mutex;
use serde_json::Value;

pub use account::{list_pages, resolve_account};
pub use context::ReportContext;
pub use hashtag::hashtag_searches_used;

use crate::error::ReportError;
use crate::graph::{Endpoint, PageOut};
use crate::reports::catalog::ReportKind;
use crate::reports::schema::projected_schema;
use crate::ticket::ReportRequest;

/// What one report run did: visible to the client at the end of the stream and in the log.
#[derive(Debug, Default)]
pub struct RunSummary {
    rows: AtomicU64,
    batches: AtomicU64,
    graph_calls: AtomicU64,
    skipped: Mutex<BTreeMap<String, u64>>,
    dropped: Mutex<Vec<DroppedMetric>>,
    cache_hits: AtomicU64,
}

/// A metric a run left out: one the Graph API version removed (known before the run, from the catalog)
/// or one the Graph API refused during the run (the rest of the report is kept).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DroppedMetric {
    /// The metric.
    pub metric: String,
    /// The metric the changelog names in its place (`impressions` → `views`), if any.
    pub replacement: Option<String>,
    /// What it was left out for: a media kind (`image`, `reels`, …), a period (`day`), or `all`.
    pub scope: String,
    /// Why: `removed in v22.0` or the Graph API's refusal.
    pub reason: String,
}

impl RunSummary {
    /// Count Graph calls (HTTP attempts, retries included).
    pub fn add_calls(&self, n: u64) {
        self.graph_calls.fetch_add(n, Ordering::Relaxed);
    }

    /// Count items skipped for `reason` (e.g. `before_business_conversion`).
    pub fn skip(&self, reason: &str, n: u64) {
        *self.skipped.lock().entry(reason.to_string()).or_default() += n;
    }

    /// Note a metric left out of the run (once per metric and scope); each is also counted in
    /// `skipped` as `removed_metric`, and logged.
    pub fn drop_metric(&self, d: DroppedMetric) {
        let mut dropped = self.dropped.lock();
        if dropped
            .iter()
            .any(|x| x.metric == d.metric && x.scope == d.scope)
        {
            return;
        }
        tracing::warn!(
            metric = %d.metric,
            replacement = d.replacement.as_deref().unwrap_or("none"),
            scope = %d.scope,
            reason = %d.reason,
            "metric left out of the report"
        );
        dropped.push(d);
        drop(dropped);
        self.skip("removed_metric", 1);
    }

    /// The metrics left out so far.
    pub fn dropped_metrics(&self) -> Vec<DroppedMetric> {
        self.dropped.lock().clone()
    }

    /// Count a Graph answer served from the connection's caches instead of a call.
    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Answers served from the connection's caches so far.
    pub fn cache_hits(&self) -> u64 {
        self.cache_hits.load(Ordering::Relaxed)
    }

    /// Rows sent so far.
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// Graph calls so far.
    pub fn graph_calls(&self) -> u64 {
        self.graph_calls.load(Ordering::Relaxed)
    }

    /// Skipped items by reason.
    pub fn skipped(&self) -> BTreeMap<String, u64> {
        self.skipped.lock().clone()
    }

    /// JSON form: `{"rows":…,"batches":…,"graph_calls":…,"skipped":{…}}`, with
    /// `"dropped_metrics":[{"metric","replacement","scope","reason"},…]` when a metric was left out.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::json!({
            "rows": self.rows(),
            "batches": self.batches.load(Ordering::Relaxed),
            "graph_calls": self.graph_calls(),
            "skipped": self.skipped(),
        });
        if self.cache_hits() > 0 {
            v["cache_hits"] = self.cache_hits().into();
        }
        let dropped = self.dropped_metrics();
        if !dropped.is_empty() {
            v["dropped_metrics"] = serde_json::to_value(dropped).unwrap_or_default();
        }
        v
    }
}

/// A report being produced: its schema (known before any call) and its batches.
pub struct ReportStream {
    /// The schema every batch has (the report's columns narrowed to `fields`).
    pub schema: SchemaRef,
    /// The batches, as Graph pages arrive. Ends with an error if the report fails part way.
    pub batches: BoxStream<'static, Result<RecordBatch, ReportError>>,
    /// Rows, calls and skipped items of this run.
    pub summary: Arc<RunSummary>,
}

impl std::fmt::Debug for ReportStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportStream")
            .field("schema", &self.schema)
            .field("summary", &self.summary)
            .finish()
    }
}

/// The one report-stream function: a validated request → a lazy stream of batches.
pub fn report_stream(ctx: Arc<ReportContext>, req: ReportRequest) -> ReportStream {
    let schema = projected_schema(req.report, req.fields.as_deref());
    let summary = Arc::new(RunSummary::default());
    let report = req.report;
    let limit = req.limit;
    let s = summary.clone();
    let ctx = Arc::new(ctx.for_run(req.max_age));
    let ctx_connection = ctx.connection.clone();
    let slots = ctx.run_slots.clone();
    let run_ctx = ctx.clone();
    let inner = (report.spec().plan)(ctx, req, s);
    let connection = ctx_connection.clone();
    let batches = finish(inner, schema.clone(), limit, summary.clone(), slots)
        .map(move |r| r.map_err(|e| e.for_connection(connection.as_deref()).for_report(report)));
    let batches = recorded(batches, run_ctx, summary.clone(), report).boxed();
    ReportStream {
        schema,
        batches,
        summary,
    }
}

/// Project to the output schema, cut at `limit` (and stop polling — no further Graph call), count rows,
/// drop empty batches.
fn finish(
    inner: BoxStream<'static, Result<RecordBatch, ReportError>>,
    schema: SchemaRef,
    limit: Option<u64>,
    summary: Arc<RunSummary>,
    slots: Option<Arc<tokio::sync::Semaphore>>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        // a run slot for as long as the run lasts (`--max-concurrent-reports`), taken before any call
        let _slot = match &slots {
            None => None,
            Some(s) => Some(s.clone().try_acquire_owned().map_err(|_| ReportError::Busy)?),
        };
        let mut inner = inner;
        let mut remaining = limit.unwrap_or(u64::MAX);
        while remaining > 0 {
            let Some(batch) = inner.next().await else { break };
            let batch = batch?;
            let batch = project_to(&batch, &schema)?;
            let n = batch.num_rows() as u64;
            if n == 0 {
                continue;
            }
            let batch = if n > remaining { batch.slice(0, remaining as usize) } else { batch };
            remaining -= batch.num_rows() as u64;
            summary.rows.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
            summary.batches.fetch_add(1, Ordering::Relaxed);
            yield batch;
        }
    }
}

/// Record the run (metrics and its one `report done` log line, see [`RunRecord`]) around its
/// batches: started at the first poll, recorded when the stream ends or fails — before the reader
/// sees the end or the error — or, when the reader goes away first, when the stream is dropped.
fn recorded(
    batches: impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static,
    ctx: Arc<ReportContext>,
    summary: Arc<RunSummary>,
    report: ReportKind,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::stream! {
        let mut run = RunRecord::start(report, ctx.served_name(), summary);
        let mut batches = std::pin::pin!(batches);
        loop {
            let item = batches.next().await;
            if !matches!(item, Some(Ok(_))) {
                // the calls the run made changed its connection's budget
                crate::monitoring::refresh_budget(&ctx).await;
            }
            match item {
                None => {
                    run.record(Ok(()));
                    break;
                }
                Some(Err(e)) => {
                    run.record(Err(&e));
                    yield Err(e);
                    break;
                }
                Some(Ok(batch)) => yield Ok(batch),
            }
        }
    }
}

/// One report run while it lasts: counted in [`crate::monitoring::REPORTS_ACTIVE`]; recorded once
/// (outcome, rows, duration, and the run's one summary line) when it ends, fails, or is dropped
/// unfinished (the client went away: `cancelled`).
struct RunRecord {
    report: ReportKind,
    connection: String,
    summary: Arc<RunSummary>,
    started: std::time::Instant,
    recorded: bool,
}

impl RunRecord {
    fn start(report: ReportKind, connection: &str, summary: Arc<RunSummary>) -> Self {
        metrics::gauge!(crate::monitoring::REPORTS_ACTIVE).increment(1.0);
        RunRecord {
            report,
            connection: connection.to_string(),
            summary,
            started: std::time::Instant::now(),
            recorded: false,
        }
    }

    /// Record the run as ended (`Ok`) or failed; `None`: dropped unfinished. Only the first call counts.
    fn record_outcome(&mut self, result: Option<Result<(), &ReportError>>) {
        use crate::monitoring::{REPORT_DURATION, REPORT_ROWS, REPORT_RUNS, REPORTS_ACTIVE};
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
        let elapsed = self.started.elapsed();
        let (outcome, error) = match result {
            None => ("cancelled", None),
            Some(Ok(())) => ("ok", None),
            Some(Err(e)) => (crate::monitoring::code_label(e.code()), Some(e.to_string())),
        };
        let report = self.report.name();
        let s = &self.summary;
        metrics::gauge!(REPORTS_ACTIVE).decrement(1.0);
        metrics::counter!(REPORT_RUNS, "report" => report, "connection" => self.connection.clone(), "outcome" => outcome)
            .increment(1);
        metrics::counter!(REPORT_ROWS, "report" => report, "connection" => self.connection.clone())
            .increment(s.rows());
        metrics::histogram!(REPORT_DURATION, "report" => report).record(elapsed.as_secs_f64());
        tracing::info!(
            report,
            connection = %self.connection,
            outcome,
            rows = s.rows(),
            graph_calls = s.graph_calls(),
            cache_hits = s.cache_hits(),
            skipped = ?s.skipped(),
            elapsed_ms = elapsed.as_millis() as u64,
            error,
            "report done"
        );
    }

    fn record(&mut self, result: Result<(), &ReportError>) {
        self.record_outcome(Some(result));
    }
}

impl Drop for RunRecord {
    fn drop(&mut self) {
        self.record_outcome(None);
    }
}

/// Select (by name, in order) the output columns from a batch built with a wider schema; keeps the row
/// count when the output has no column (`count(*)`). Used by `report_stream` and the SQL scan.
pub fn project_to(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ReportError> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let cols = schema
        .fields()
        .iter()
        .map(|f| {
            batch.column_by_name(f.name()).cloned().ok_or_else(|| {
                ReportError::Unexpected(format!("column `{}` was not built", f.name()))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )?)
}

/// Track the calls of a page stream in the summary (PageOut carries a running total).
pub(crate) struct CallTracker {
    seen: u32,
    hits: u32,
}

impl CallTracker {
    pub(crate) fn new() -> Self {
        CallTracker { seen: 0, hits: 0 }
    }

    pub(crate) fn page(&mut self, summary: &RunSummary, page: &PageOut) {
        if page.calls_so_far > self.seen {
            summary.add_calls(u64::from(page.calls_so_far - self.seen));
            self.seen = page.calls_so_far;
        }
        for _ in self.hits..page.cache_hits_so_far {
            summary.cache_hit();
        }
        self.hits = self.hits.max(page.cache_hits_so_far);
        if page.ended_on_repeat {
            // the Graph API answered a page of rows already sent and paging stopped there: the
            // result may be short, and the client is told so in the run summary
            summary.skip("paging_ended_on_a_repeated_page", 1);
            tracing::warn!(
                page_index = page.page_index,
                "a Graph page repeated rows already sent: paging stopped there (counted in the run summary)"
            );
        }
    }
}

/// Refuse, before its first call, a run that plainly needs `needed` more Graph calls than it may spend:
/// more than the per-request cap, more than the budget allows in a window, or more than the budget has
/// left before the longest allowed wait. The message says how many calls and when they are available.
pub(crate) async fn check_affordable(
    ctx: &ReportContext,
    summary: &RunSummary,
    needed: u64,
) -> Result<(), ReportError> {
    if ctx.partial_runs {
        // the run goes as far as the budget allows; its caller keeps what it finished
        return Ok(());
    }
    let cap = u64::from(ctx.max_calls_per_request);
    let total = needed.saturating_add(summary.graph_calls());
    if total > cap {
        return Err(ReportError::NeedsCalls {
            needed: total,
            why: format!(
                "one request may make at most {cap} (the per-request cap): narrow it (date range, metrics, limit) or raise --max-calls-per-request"
            ),
        });
    }
    let budget = ctx.graph.budget();
    let cfg = budget.config();
    let key = ctx.graph.token_key();
    let n = u32::try_from(needed).unwrap_or(u32::MAX);
    match budget.wait_for(key, n).await? {
        None => Err(ReportError::NeedsCalls {
            needed,
            why: format!(
                "the call budget allows {} per {} s: split the request (a shorter date range)",
                cfg.limit,
                cfg.window.as_secs()
            ),
        }),
        Some(wait) if wait > cfg.max_wait => {
            let at = chrono::Utc::now()
                .checked_add_signed(
                    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
                )
                .map_or_else(|| "later".to_string(), |t| t.to_rfc3339());
            Err(ReportError::NeedsCalls {
                needed,
                why: format!(
                    "the call budget has {} of {} left in this {} s window; {needed} calls will be available at {at}",
                    budget.remaining_for(key).await?,
                    cfg.limit,
                    cfg.window.as_secs()
                ),
            })
        }
        Some(_) => Ok(()),
    }
}

/// `GET` a node and count its attempts.
pub(crate) async fn get_json(
    ctx: &ReportContext,
    summary: &RunSummary,
    endpoint: &Endpoint,
    params: &[(&str, String)],
) -> Result<Value, ReportError> {
    match ctx.graph.get(endpoint, params).await {
        Ok(resp) => {
            summary.add_calls(u64::from(resp.attempts));
            if resp.cached {
                summary.cache_hit();
            }
            Ok(resp.json::<Value>()?)
        }
        Err(e) => {
            summary.add_calls(1);
            Err(e.into())
        }
    }
}

/// The Graph `fields` list for media columns (`children` → `children{id}`; context columns left out).
pub(crate) fn media_graph_fields(columns: &[&str], allowed: &[&str]) -> String {
    let mut out: Vec<String> = vec!["id".into()];
    for c in columns {
        if *c == "id" || !allowed.contains(c) {
            continue;
        }
        let f = if *c == "children" {
            "children{id}".to_string()
        } else {
            c.to_string()
        };
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out.join(",")
}

#[cfg(test)]
mod tests;
