//! A dataset as a SQL table: `synced.<name>`, a DataFusion listing table over the dataset's Parquet
//! files, read at each query (a run that commits meanwhile is seen by the next query; no Graph call).
//!
//! The table's columns are the files' ([`file_schema`]: the report's columns as stored, plus
//! `_synced_at` for `append` datasets), then the columns of the folder names with their natural types:
//! `ig_user_id` as text (an id, never inferred as a number), `date` as a date for dated reports (the
//! partition of rows without a date, `date=__HIVE_DEFAULT_PARTITION__`, reads as NULL). A dataset
//! without files yet is an empty table with these columns.
//!
//! ```no_run
//! # async fn demo(reports: std::sync::Arc<igflight::plan::ReportContext>, specs: Vec<igflight::sync::DatasetSpec>) -> datafusion::error::Result<()> {
//! let engine = igflight::sql::SqlEngine::default().with_synced(specs);
//! let ctx = engine.session(reports, None);
//! ctx.sql("SELECT date, count(*) FROM synced.media GROUP BY 1").await?.show().await?;
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{MemorySchemaProvider, Session, TableProvider};
use datafusion::common::TableReference;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{ViewTable, provider_as_source};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    Expr, LogicalPlan, LogicalPlanBuilder, TableProviderFilterPushDown, TableType,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionContext, ident, try_cast};

use super::file::DatasetSpec;
use super::run::{by_account, file_schema};

/// The SQL schema of the synced datasets (in the session's default catalog).
pub const SCHEMA: &str = "synced";

/// The folder-name column of the account.
pub const ACCOUNT_COLUMN: &str = "ig_user_id";
/// The folder-name column of the date (dated reports).
pub const DATE_COLUMN: &str = "date";

/// The columns a dataset's folder names hold, in folder order, with their SQL types: `ig_user_id`
/// (text) for reports about one account, then `date` (a date) for dated reports.
pub fn partition_fields(spec: &DatasetSpec) -> Vec<Field> {
    let mut out = Vec::new();
    if by_account(spec.report) {
        out.push(Field::new(ACCOUNT_COLUMN, DataType::Utf8, false));
    }
    if spec.report.spec().sync_date.is_some() {
        out.push(Field::new(DATE_COLUMN, DataType::Date32, true));
    }
    out
}

/// The schema of `synced.<name>`: the files' columns, then the folder names' ([`partition_fields`]).
pub fn table_schema(spec: &DatasetSpec) -> SchemaRef {
    let mut fields: Vec<Field> = file_schema(spec)
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.extend(partition_fields(spec));
    Arc::new(Schema::new(fields))
}

/// The table of one dataset.
pub fn table(spec: &DatasetSpec) -> Result<Arc<dyn TableProvider>> {
    let parts = partition_fields(spec);
    // the folder names are read as text; `date` becomes a date in the projection below, where the
    // partition of rows without a date (not a date) is NULL instead of a failed cast
    let raw: Vec<(String, DataType)> = parts
        .iter()
        .map(|f| (f.name().clone(), DataType::Utf8))
        .collect();
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(raw);
    let files = file_schema(spec);
    let config = ListingTableConfig::new(folder_url(&spec.path)?)
        .with_listing_options(options)
        .with_schema(files.clone());
    let listing = ListingTable::try_new(config)?;
    let mut columns: Vec<Expr> = files.fields().iter().map(|f| ident(f.name())).collect();
    for f in &parts {
        columns.push(match f.data_type() {
            DataType::Utf8 => ident(f.name()),
            t => try_cast(ident(f.name()), t.clone()).alias(f.name()),
        });
    }
    let plan = LogicalPlanBuilder::scan(
        TableReference::partial(SCHEMA, spec.name.as_str()),
        provider_as_source(Arc::new(listing)),
        None,
    )?
    .project(columns)?
    .build()?;
    Ok(Arc::new(SyncedTable {
        view: ViewTable::new(plan, None),
    }))
}

/// Register each dataset as `synced.<name>` in `ctx`'s default catalog (the schema is made if
/// needed). Nothing is read until a query scans a table.
pub fn register(ctx: &SessionContext, specs: &[DatasetSpec]) -> Result<()> {
    if specs.is_empty() {
        return Ok(());
    }
    let catalog_name = ctx.state().config_options().catalog.default_catalog.clone();
    let catalog = ctx.catalog(&catalog_name).ok_or_else(|| {
        DataFusionError::Internal(format!("the default catalog {catalog_name} is missing"))
    })?;
    let schema = match catalog.schema(SCHEMA) {
        Some(s) => s,
        None => {
            let s = Arc::new(MemorySchemaProvider::new());
            catalog.register_schema(SCHEMA, s.clone())?;
            s
        }
    };
    for spec in specs {
        schema.register_table(spec.name.clone(), table(spec)?)?;
    }
    Ok(())
}

/// The dataset's folder as a listing URL (a folder, whether or not it exists yet; its name is taken
/// literally, not as a glob).
fn folder_url(path: &Path) -> Result<ListingTableUrl> {
    let abs = std::path::absolute(path).map_err(|e| {
        DataFusionError::Execution(format!("dataset folder {}: {e}", path.display()))
    })?;
    let url = url::Url::from_directory_path(&abs).map_err(|()| {
        DataFusionError::Execution(format!(
            "dataset folder {} cannot be made a file URL",
            abs.display()
        ))
    })?;
    ListingTableUrl::try_new(url, None)
}

/// A dataset's table: the listing table under a projection that types the folder-name columns
/// (inlined into each query's plan, so filters on `ig_user_id` and `date` still prune folders), listed
/// as a base table.
#[derive(Debug)]
struct SyncedTable {
    view: ViewTable,
}

#[async_trait]
impl TableProvider for SyncedTable {
    fn schema(&self) -> SchemaRef {
        self.view.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn get_logical_plan(&self) -> Option<Cow<'_, LogicalPlan>> {
        self.view.get_logical_plan()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.view.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.view.scan(state, projection, filters, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::catalog::ReportKind;
    use crate::sync::Method;
    use crate::sync::schedule::Schedule;
    use std::collections::BTreeSet;

    fn spec(report: ReportKind, method: Method) -> DatasetSpec {
        DatasetSpec {
            name: "ds".into(),
            report,
            ticket: serde_json::json!({"report": report.name()}),
            schedule: Schedule::Every(std::time::Duration::from_secs(900)),
            method,
            path: "/nonexistent/igflight/ds".into(),
            lookback_days: 3,
        }
    }

    #[test]
    fn every_report_makes_a_table_with_distinct_columns_and_typed_folder_names() {
        for report in ReportKind::ALL {
            for method in Method::ALL {
                let s = spec(report, method);
                let schema = table_schema(&s);
                let names: BTreeSet<&String> = schema.fields().iter().map(|f| f.name()).collect();
                assert_eq!(names.len(), schema.fields().len(), "{}", report.name());
                // a folder name for reports about one account (pages has its own, nullable, column)
                assert_eq!(
                    partition_fields(&s)
                        .iter()
                        .any(|f| f.name() == ACCOUNT_COLUMN),
                    report != ReportKind::Pages
                );
                if let Ok(f) = schema.field_with_name(ACCOUNT_COLUMN) {
                    assert_eq!(f.data_type(), &DataType::Utf8, "{}", report.name());
                }
                assert_eq!(
                    schema
                        .field_with_name(DATE_COLUMN)
                        .ok()
                        .map(|f| f.data_type()),
                    report.spec().sync_date.map(|_| &DataType::Date32),
                    "{}",
                    report.name()
                );
                assert_eq!(
                    schema.field_with_name("_synced_at").is_ok(),
                    method == Method::Append
                );
                let t = table(&s).unwrap();
                let got: Vec<(String, DataType)> = t
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| (f.name().clone(), f.data_type().clone()))
                    .collect();
                let want: Vec<(String, DataType)> = schema
                    .fields()
                    .iter()
                    .map(|f| (f.name().clone(), f.data_type().clone()))
                    .collect();
                assert_eq!(got, want, "{}", report.name());
            }
        }
    }
}
