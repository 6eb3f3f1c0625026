//! What igflight knows about one report, in one value: [`ReportSpec`]. Each report has its own file in
//! `src/reports/` holding its spec (name, description, ticket keys, permissions, schema, example ticket,
//! SQL pushdown columns, plan); [`ReportKind::spec`](super::catalog::ReportKind::spec) is the registry.
//! Everything else (the catalog's methods, schemas, examples, SQL pushdown, `report_stream`) reads the
//! spec, so adding a report means adding one file and one line in the registry.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::catalog::{MediaKind, ReportKind};
use crate::error::ReportError;
use crate::plan::{ReportContext, RunSummary};
use crate::ticket::{Keys, ReportParams, ReportRequest, TicketError};

/// A report's plan: a validated request → a lazy stream of batches (no call until polled).
pub type PlanFn = fn(
    Arc<ReportContext>,
    ReportRequest,
    Arc<RunSummary>,
) -> BoxStream<'static, Result<RecordBatch, ReportError>>;

/// A report's typed parameters from the checked ticket keys (see [`crate::ticket::ReportParams`]).
pub type ParamsFn = fn(&Keys<'_>) -> Result<ReportParams, TicketError>;

/// Everything about one report.
#[derive(Debug)]
pub struct ReportSpec {
    /// The report.
    pub kind: ReportKind,
    /// The snake_case name used in tickets, Flight paths and SQL.
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Ticket keys it requires.
    pub required: &'static [&'static str],
    /// Ticket keys it accepts besides `report` (the required ones included).
    pub accepted: &'static [&'static str],
    /// The values `media_type` takes (empty when the report does not take `media_type`).
    pub media_kinds: &'static [MediaKind],
    /// Its typed parameters, from the checked keys.
    pub params: ParamsFn,
    /// The Facebook Login permissions its Graph calls need (named in `PERMISSION_DENIED`).
    pub permissions: &'static [&'static str],
    /// Its Arrow schema (CONTRACT §4), built once by [`report_schema`](super::schema::report_schema).
    pub schema: fn() -> SchemaRef,
    /// An example ticket (JSON) for `list-reports`, with placeholders where a real id is needed.
    pub example: &'static str,
    /// SQL: equalities on these columns become these ticket keys (`(column, key)`).
    pub sql_equalities: &'static [(&'static str, &'static str)],
    /// SQL: a range on this column becomes `date_from`/`date_to`.
    pub sql_range: Option<&'static str>,
    /// The columns that identify a row: `igflight sync`'s `merge` upserts on them (nulls equal).
    pub identity: &'static [&'static str],
    /// The timestamp column whose UTC date names a row's date partition in a synced dataset
    /// (`…/date=YYYY-MM-DD/`); `None`: the report has no date (one partition per account).
    pub sync_date: Option<&'static str>,
    /// The plan.
    pub plan: PlanFn,
}

/// The stream of a plan handed the parameters of another report: a bug (the report's `params` and
/// `plan` disagree), reported as such instead of a panic.
pub(super) fn mismatch(report: ReportKind) -> BoxStream<'static, Result<RecordBatch, ReportError>> {
    futures::stream::once(async move {
        Err(ReportError::Unexpected(format!(
            "report `{report}` was planned with the parameters of another report"
        )))
    })
    .boxed()
}

/// Permissions of reports that read the account's own data.
pub const BASIC: &[&str] = &["pages_show_list", "instagram_basic"];
/// Permissions of insights and business discovery.
pub const INSIGHTS: &[&str] = &[
    "pages_show_list",
    "instagram_basic",
    "instagram_manage_insights",
];

pub(super) fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Second, Some("UTC".into()))
}

/// A nullable string column.
pub(super) fn s(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

/// A nullable Int64 column.
pub(super) fn i(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

/// A not-null string column.
pub(super) fn key(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

/// The columns every media report starts with, in order (CONTRACT §4).
pub fn media_fields() -> Vec<Field> {
    vec![
        key("id"),
        s("caption"),
        s("media_type"),
        s("media_product_type"),
        s("media_url"),
        s("thumbnail_url"),
        s("permalink"),
        s("shortcode"),
        Field::new("timestamp", ts(), true),
        i("like_count"),
        i("comments_count"),
        s("username"),
        Field::new("is_comment_enabled", DataType::Boolean, true),
        Field::new(
            "children",
            DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            true,
        ),
    ]
}

/// The media columns followed by these context columns (strings).
pub(super) fn media_with(extra: &[&str]) -> SchemaRef {
    let mut f = media_fields();
    f.extend(extra.iter().map(|n| s(n)));
    Arc::new(Schema::new(f))
}

/// The columns of a profile (`user`, `other_users`).
pub(super) fn profile_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        key("id"),
        s("ig_id"),
        s("username"),
        s("name"),
        s("biography"),
        s("website"),
        s("profile_picture_url"),
        i("followers_count"),
        i("follows_count"),
        i("media_count"),
    ]))
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn a_plan_handed_another_reports_params_fails_as_a_bug_not_a_panic() {
        let mut s = mismatch(ReportKind::UserMedia);
        match s.next().await {
            Some(Err(ReportError::Unexpected(m))) => {
                assert!(m.contains("`user_media`"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert!(s.next().await.is_none());
    }

    #[test]
    fn identity_and_sync_date_columns_exist_with_the_right_types() {
        use arrow::datatypes::DataType;
        for r in ReportKind::ALL {
            let spec = r.spec();
            let schema = (spec.schema)();
            assert!(!spec.identity.is_empty(), "{}", spec.name);
            for c in spec.identity {
                assert!(schema.field_with_name(c).is_ok(), "{}: {c}", spec.name);
            }
            if let Some(c) = spec.sync_date {
                let f = schema.field_with_name(c).unwrap();
                assert!(
                    matches!(f.data_type(), DataType::Timestamp(_, Some(_))),
                    "{}: {c}",
                    spec.name
                );
            }
        }
    }
}
