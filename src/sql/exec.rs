//! `ReportExec`: the physical scan of one report, one partition, through [`report_stream`].
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
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
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
        }
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
            ),
            _ => write!(
                f,
                "ReportExec: report={}, graph_params=[{}], fields=[{}], limit={}",
                self.report,
                self.graph_params().join(", "),
                fields,
                limit
            ),
        }
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
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "ReportExec has one partition, asked for partition {partition}"
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
        // Lazy: report_stream is only called (and the Graph only asked) when the stream is first polled.
        let stream = futures::stream::once(async move {
            let req = reports.final_request(req).await.map_err(external)?;
            let rs = report_stream(reports, req);
            let summary = rs.summary.clone();
            let record = move || {
                calls.set(summary.graph_calls() as usize);
                hits.set(summary.cache_hits() as usize);
            };
            let done = record.clone();
            Ok::<_, DataFusionError>(
                rs.batches
                    .map(move |b| {
                        record();
                        match b {
                            Ok(b) => to_output(&b, &out),
                            Err(e) => Err(external(e)),
                        }
                    })
                    .chain(
                        futures::stream::once(async move { done() })
                            .filter_map(|()| async { None }),
                    ),
            )
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}
