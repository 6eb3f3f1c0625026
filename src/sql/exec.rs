//! `ReportExec`: the physical scan of one report through [`report_stream`]: one partition, or — when
//! the request splits ([`split`]: a `user_insights` range of several 30-day windows) — one output
//! partition per part, which DataFusion runs concurrently and merges as the query needs (ORDER BY,
//! aggregates and LIMIT above the scan work as on one partition).
//!
//! Nothing happens when the plan is built or executed: the Graph calls start when the returned stream is
//! first polled, one batch is yielded per Graph page, and dropping the stream (a `LIMIT` reached above,
//! a client gone) stops the calls.
//!
//! Errors: a [`ReportError`] travels as `DataFusionError::External(Box<ReportError>)`; DataFusion may
//! wrap it further (`Context`, `Shared`, `ArrowError(ExternalError)`, …), so recover it with
//! [`super::report_error`], which walks those wrappers and downcasts.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions, SendableRecordBatchStream,
};
use futures::{StreamExt, TryStreamExt};

use crate::error::ReportError;
use crate::plan::split::{plan_parts, split};
use crate::plan::{ReportContext, report_stream};
use crate::reports::catalog::ReportKind;
use crate::ticket::{ReportRequest, to_json};

/// Scan of one report for one validated request.
#[derive(Debug, Clone)]
pub struct ReportExec {
    reports: Arc<ReportContext>,
    report: ReportKind,
    /// `None`: the pushed filters contradict each other; the scan is empty and makes no Graph call.
    request: Option<ReportRequest>,
    /// Output schema (the table schema projected).
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    /// `graph_calls` and `cache_hits` of the runs (`EXPLAIN ANALYZE` shows them).
    metrics: ExecutionPlanMetricsSet,
    /// Output partitions: the parts [`split`] makes of the request as planned (1 when it does not split).
    parts: usize,
    /// The requests the partitions run, decided once by the first partition executed
    /// ([`plan_parts`]: the request as the connection's version takes it, split): `parts` of them, or
    /// the whole request alone (partition 0) when the split came out otherwise or the server has too
    /// few run slots free to run them at once.
    planned: Arc<tokio::sync::OnceCell<Vec<ReportRequest>>>,
}

impl ReportExec {
    /// A scan producing `schema` (a projection of the report's schema; may have no column) from `request`.
    /// `request.fields` must cover every column of `schema`.
    pub fn new(
        reports: Arc<ReportContext>,
        report: ReportKind,
        request: Option<ReportRequest>,
        schema: SchemaRef,
    ) -> Self {
        let parts = request.as_ref().map_or(1, |r| split(r).len().max(1));
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(parts),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        ReportExec {
            reports,
            report,
            request,
            schema,
            properties,
            metrics: ExecutionPlanMetricsSet::new(),
            parts,
            planned: Arc::default(),
        }
    }

    /// Output partitions: one per part of the request (1 when it does not split).
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// The report scanned.
    pub fn report(&self) -> ReportKind {
        self.report
    }

    /// The validated request (`None` for a scan the filters made empty).
    pub fn request(&self) -> Option<&ReportRequest> {
        self.request.as_ref()
    }

    /// `key=value` of the ticket parameters sent to the plan (what `EXPLAIN` shows).
    pub fn graph_params(&self) -> Vec<String> {
        let Some(req) = &self.request else {
            return Vec::new();
        };
        let json = to_json(&req.raw);
        let mut out = Vec::new();
        if let serde_json::Value::Object(m) = json {
            for (k, v) in m {
                if matches!(k.as_str(), "report" | "fields" | "limit") {
                    continue;
                }
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join("|"),
                    other => other.to_string(),
                };
                out.push(format!("{k}={v}"));
            }
        }
        out
    }
}

impl DisplayAs for ReportExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let Some(req) = &self.request else {
            return write!(
                f,
                "ReportExec: report={}, empty (the pushed filters contradict each other: no Graph call)",
                self.report
            );
        };
        let fields = req
            .fields
            .as_ref()
            .map_or_else(|| "*".to_string(), |v| v.join(", "));
        let limit = req
            .limit
            .map_or_else(|| "None".to_string(), |l| l.to_string());
        match t {
            DisplayFormatType::TreeRender => write!(
                f,
                "report={}\ngraph_params=[{}]\nfields=[{}]\nlimit={}",
                self.report,
                self.graph_params().join(", "),
                fields,
                limit
            )?,
            _ => write!(
                f,
                "ReportExec: report={}, graph_params=[{}], fields=[{}], limit={}",
                self.report,
                self.graph_params().join(", "),
                fields,
                limit
            )?,
        }
        if self.parts > 1 {
            let sep = if matches!(t, DisplayFormatType::TreeRender) {
                "\n"
            } else {
                ", "
            };
            write!(f, "{sep}partitions={} (one per 30-day window)", self.parts)?;
        }
        Ok(())
    }
}

/// Take the output columns (by name) from a batch of the report stream (the plan's one projection).
fn to_output(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    crate::plan::project_to(batch, schema).map_err(external)
}

/// A report error as the DataFusion error that carries it.
pub fn external(e: ReportError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl ExecutionPlan for ReportExec {
    fn name(&self) -> &str {
        "ReportExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition >= self.parts {
            return Err(DataFusionError::Internal(format!(
                "ReportExec has {} partitions, asked for partition {partition}",
                self.parts
            )));
        }
        let schema = self.schema.clone();
        let Some(req) = self.request.clone() else {
            return Ok(Box::pin(RecordBatchStreamAdapter::new(
                schema,
                futures::stream::empty(),
            )));
        };
        let reports = self.reports.clone();
        let out = schema.clone();
        // what the run spent and what its caches saved, for EXPLAIN ANALYZE
        let calls = MetricBuilder::new(&self.metrics).gauge("graph_calls", partition);
        let hits = MetricBuilder::new(&self.metrics).gauge("cache_hits", partition);
        let parts = self.parts;
        let planned = self.planned.clone();
        // Lazy: report_stream is only called (and the Graph only asked) when the stream is first polled.
        let stream = futures::stream::once(async move {
            let all = planned
                .get_or_try_init(|| async {
                    let whole = req.clone();
                    let split = plan_parts(&reports, req).await?;
                    let free = reports
                        .run_slots
                        .as_ref()
                        .is_none_or(|s| s.available_permits() >= parts);
                    Ok::<_, ReportError>(if split.len() == parts && free {
                        split
                    } else {
                        vec![whole]
                    })
                })
                .await
                .map_err(external)?;
            // the whole request runs on partition 0 when the parts were not kept
            let mine = if all.len() == parts {
                all.get(partition).cloned()
            } else {
                all.first().cloned().filter(|_| partition == 0)
            };
            let Some(req) = mine else {
                return Ok::<_, DataFusionError>(futures::stream::empty().boxed());
            };
            let req = reports.final_request(req).await.map_err(external)?;
            let rs = report_stream(reports, req);
            let summary = rs.summary.clone();
            let record = move || {
                calls.set(summary.graph_calls() as usize);
                hits.set(summary.cache_hits() as usize);
            };
            let done = record.clone();
            Ok(rs
                .batches
                .map(move |b| {
                    record();
                    match b {
                        Ok(b) => to_output(&b, &out),
                        Err(e) => Err(external(e)),
                    }
                })
                .chain(futures::stream::once(async move { done() }).filter_map(|()| async { None }))
                .boxed())
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}
