//! SQL over the reports: every report is a DataFusion table whose `WHERE` equalities and time ranges
//! become ticket parameters (Graph parameters), so SQL and Flight go through the same
//! [`report_stream`](crate::plan::report_stream).
//!
//! ```no_run
//! # async fn demo(reports: std::sync::Arc<igflight::plan::ReportContext>) -> datafusion::error::Result<()> {
//! let ctx = igflight::sql::session(reports, Some("17841400000000001".into()));
//! let df = ctx
//!     .sql("SELECT media_type, count(*) FROM user_media WHERE timestamp >= '2024-01-01' GROUP BY 1")
//!     .await?;
//! df.show().await?;
//! # Ok(()) }
//! ```
//!
//! * [`pushdown`]: which filters are pushed, as what ticket key, and how exactly (Exact / Inexact).
//! * [`table::ReportTable`]: the `TableProvider`; a query without a required parameter is refused at
//!   planning with the `WHERE` clause to add (`report hashtag_recent_media needs a hashtag: add WHERE
//!   hashtag = '…'`).
//! * [`exec::ReportExec`]: the scan; `EXPLAIN` shows `report=…, graph_params=[…], fields=[…], limit=…`.
//!
//! Errors: a report error reaches the caller as `DataFusionError::External(Box<ReportError>)`, possibly
//! wrapped by DataFusion; [`report_error`] recovers it and [`to_status`] turns any DataFusion error into
//! the gRPC status of CONTRACT §5.

pub mod capped;
pub mod exec;
pub mod limits;
pub mod pushdown;
pub mod table;

use std::error::Error;
use std::sync::Arc;

use arrow::error::ArrowError;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::{SessionConfig, SessionContext};
use tonic::{Code, Status};

pub use exec::ReportExec;
pub use limits::{SqlEngine, SqlLimits, sql_for_log};
pub use table::ReportTable;

use crate::error::ReportError;
use crate::plan::ReportContext;
use crate::reports::catalog::ReportKind;

/// Register the twelve report tables under their names (unqualified names work: they go into the
/// session's default catalog and schema).
pub fn register_reports(
    ctx: &SessionContext,
    reports: Arc<ReportContext>,
    default_account: Option<String>,
) -> Result<()> {
    for kind in ReportKind::ALL {
        let table = ReportTable::new(kind, reports.clone(), default_account.clone());
        ctx.register_table(kind.name(), Arc::new(table))?;
    }
    Ok(())
}

/// A session with every report registered (and `information_schema`, for the catalog calls of SQL
/// clients). `default_account` is the account of reports whose query names none (`WHERE ig_user_id = …`);
/// without it, the report's own account resolution applies (the one account the token reaches).
///
/// The session runs within the default [`SqlLimits`] (one memory pool for the process); a server or a
/// command with configured limits uses [`SqlEngine::session`].
pub fn session(reports: Arc<ReportContext>, default_account: Option<String>) -> SessionContext {
    SqlEngine::default().session(reports, default_account)
}

impl SqlEngine {
    /// A session like [`session`], within this engine's limits: its memory pool, and the size-checked
    /// value-building functions ([`capped`]); with the engine's synced datasets as `synced.<name>`
    /// ([`SqlEngine::with_synced`]).
    pub fn session(
        &self,
        reports: Arc<ReportContext>,
        default_account: Option<String>,
    ) -> SessionContext {
        let config = SessionConfig::new().with_information_schema(true);
        let ctx = SessionContext::new_with_config_rt(config, self.runtime().clone());
        let caps = self.limits().caps();
        ctx.add_analyzer_rule(Arc::new(capped::CapFunctions::new(caps)));
        let series: Vec<_> = ctx
            .state()
            .table_functions()
            .iter()
            .filter(|(name, _)| matches!(name.as_str(), "generate_series" | "range"))
            .map(|(name, f)| (name.clone(), f.function().clone()))
            .collect();
        for (name, f) in series {
            ctx.register_udtf(
                &name,
                Arc::new(capped::capped_series(&name, f, caps.max_series_rows)),
            );
        }
        register_reports(&ctx, reports, default_account)
            .expect("registering tables in a fresh in-memory catalog cannot fail");
        crate::sync::table::register(&ctx, self.synced())
            .expect("registering synced tables in a fresh in-memory catalog cannot fail");
        ctx
    }
}

/// The report error inside a DataFusion error, through DataFusion's wrappers (`External`, `Context`,
/// `Shared`, `Diagnostic`, `Collection`, `ArrowError(ExternalError)`), by downcasting.
pub fn report_error(e: &DataFusionError) -> Option<&ReportError> {
    find(e)
}

fn find<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a ReportError> {
    if let Some(r) = e.downcast_ref::<ReportError>() {
        return Some(r);
    }
    if let Some(d) = e.downcast_ref::<DataFusionError>() {
        return match d {
            DataFusionError::External(b) => find(b.as_ref()),
            DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
                find(inner.as_ref())
            }
            DataFusionError::Shared(inner) => find(inner.as_ref()),
            DataFusionError::ArrowError(a, _) => find(a.as_ref()),
            DataFusionError::Collection(v) => v.iter().find_map(|x| find(x)),
            _ => None,
        };
    }
    if let Some(ArrowError::ExternalError(b)) = e.downcast_ref::<ArrowError>() {
        return find(b.as_ref());
    }
    e.source().and_then(find)
}

/// What a failed SQL query is: the one classification of DataFusion errors, behind both the gRPC
/// status ([`to_status`]) and the exit code of `igflight sql`.
#[derive(Debug)]
pub enum SqlFailure<'a> {
    /// A report error inside it: its own status (CONTRACT §5).
    Report(&'a ReportError),
    /// Past a SQL limit ([`SqlLimits`]: memory, time, value sizes, series); the message names the limit.
    Exhausted(String),
    /// The query's fault: SQL, planning, a value of the query (a cast, a parse, an arithmetic that
    /// cannot be done, also when the optimizer folds the query's constants).
    Invalid,
    /// Anything else: the server's fault.
    Internal,
}

/// Classify a failed SQL query ([`SqlFailure`]).
pub fn classify(e: &DataFusionError) -> SqlFailure<'_> {
    if let Some(r) = report_error(e) {
        return SqlFailure::Report(r);
    }
    if let Some(m) = exhausted(e) {
        return SqlFailure::Exhausted(m);
    }
    match e.find_root() {
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::NotImplemented(_)
        | DataFusionError::Configuration(_) => SqlFailure::Invalid,
        // the query's own values: a cast, a parse or an arithmetic that cannot be done
        DataFusionError::ArrowError(a, _) if is_value_error(a) => SqlFailure::Invalid,
        // the optimizer evaluates the query's constants: what fails there is the query's
        _ if optimizer_failed(e) => SqlFailure::Invalid,
        _ => SqlFailure::Internal,
    }
}

/// The gRPC status of a failed SQL query ([`classify`]): the report error's own status (CONTRACT §5)
/// when there is one; otherwise `INVALID_ARGUMENT` for SQL, planning and value errors,
/// `RESOURCE_EXHAUSTED` for the SQL limits ([`SqlLimits`]; the message names the limit), and
/// `INTERNAL` for the rest.
pub fn to_status(e: &DataFusionError) -> Status {
    match classify(e) {
        SqlFailure::Report(r) => r.to_status(),
        SqlFailure::Exhausted(m) => Status::resource_exhausted(m),
        SqlFailure::Invalid => Status::new(Code::InvalidArgument, e.to_string()),
        SqlFailure::Internal => Status::new(Code::Internal, e.to_string()),
    }
}

/// The error comes from an optimizer rule (constant folding and simplification of the query's values).
fn optimizer_failed(e: &DataFusionError) -> bool {
    match e {
        DataFusionError::Context(c, inner) => {
            c.starts_with("Optimizer rule") || optimizer_failed(inner)
        }
        _ => false,
    }
}

/// An Arrow error about a value of the query (not about the server).
fn is_value_error(e: &ArrowError) -> bool {
    matches!(
        e,
        ArrowError::CastError(_)
            | ArrowError::ParseError(_)
            | ArrowError::ArithmeticOverflow(_)
            | ArrowError::DivideByZero
            | ArrowError::InvalidArgumentError(_)
    )
}

/// The message of a query past a SQL limit ([`SqlLimits`]), through DataFusion's wrappers.
pub fn exhausted(e: &DataFusionError) -> Option<String> {
    fn walk(e: &(dyn Error + 'static)) -> Option<String> {
        if let Some(d) = e.downcast_ref::<DataFusionError>() {
            return match d {
                DataFusionError::ResourcesExhausted(m) => Some(if m.contains("SQL") {
                    m.clone()
                } else {
                    format!(
                        "the query needs more memory than the SQL memory limit ({}): {m}",
                        limits::MEMORY_FLAG
                    )
                }),
                DataFusionError::External(b) => walk(b.as_ref()),
                DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
                    walk(inner.as_ref())
                }
                DataFusionError::Shared(inner) => walk(inner.as_ref()),
                DataFusionError::ArrowError(a, _) => walk(a.as_ref()),
                DataFusionError::Collection(v) => v.iter().find_map(|x| walk(x)),
                _ => None,
            };
        }
        if let Some(ArrowError::ExternalError(b)) = e.downcast_ref::<ArrowError>() {
            return walk(b.as_ref());
        }
        e.source().and_then(walk)
    }
    walk(e)
}
