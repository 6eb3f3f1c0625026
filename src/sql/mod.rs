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

pub mod exec;
pub mod pushdown;
pub mod table;

use std::error::Error;
use std::sync::Arc;

use arrow::error::ArrowError;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::{SessionConfig, SessionContext};
use tonic::{Code, Status};

pub use exec::ReportExec;
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
pub fn session(reports: Arc<ReportContext>, default_account: Option<String>) -> SessionContext {
    let config = SessionConfig::new().with_information_schema(true);
    let ctx = SessionContext::new_with_config(config);
    register_reports(&ctx, reports, default_account)
        .expect("registering tables in a fresh in-memory catalog cannot fail");
    ctx
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

/// The gRPC status of a failed SQL query: the report error's own status (CONTRACT §5) when there is one;
/// otherwise `INVALID_ARGUMENT` for SQL and planning errors, `RESOURCE_EXHAUSTED` for memory limits, and
/// `INTERNAL` for the rest.
pub fn to_status(e: &DataFusionError) -> Status {
    if let Some(r) = report_error(e) {
        return r.to_status();
    }
    let code = match e.find_root() {
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::NotImplemented(_)
        | DataFusionError::Configuration(_) => Code::InvalidArgument,
        DataFusionError::ResourcesExhausted(_) => Code::ResourceExhausted,
        _ => Code::Internal,
    };
    Status::new(code, e.to_string())
}
