//! `user_insights`: account insights per metric, period and day (long format), with the breakdown of
//! total values and demographics (`breakdown`, `dimension`).
//!
//! Graph API: `/{ig-user-id}/insights`, in the shapes of the answering version's catalog: one call per
//! ≤ 30-day window and shape, one per demographic breakdown (all counted against the budget before the
//! first).

use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{INSIGHTS, ReportSpec, i, key, s, ts};
use crate::ticket::ReportParams;

/// The `user_insights` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::UserInsights,
    name: "user_insights",
    description: "Account insights per metric, period and day (long format)",
    required: &[],
    accepted: &[
        "account",
        "page",
        "fields",
        "metrics",
        "period",
        "breakdown",
        "metric_type",
        "timeframe",
        "date_from",
        "date_to",
        "date_from_offset",
        "date_to_offset",
        "limit",
    ],
    media_kinds: &[],
    params: |k| Ok(ReportParams::UserInsights(k.user_insights()?)),
    permissions: INSIGHTS,
    schema: || {
        Arc::new(Schema::new(vec![
            key("ig_user_id"),
            key("metric"),
            key("period"),
            Field::new("end_time", ts(), true),
            s("breakdown"),
            s("dimension"),
            i("value"),
        ]))
    },
    example: r#"{"report": "user_insights", "period": "day", "date_from_offset": 7, "date_to_offset": 1}"#,
    sql_equalities: &[
        ("ig_user_id", "account"),
        ("period", "period"),
        ("metric", "metrics"),
        ("breakdown", "breakdown"),
    ],
    sql_range: Some("end_time"),
    identity: &[
        "ig_user_id",
        "metric",
        "period",
        "end_time",
        "breakdown",
        "dimension",
    ],
    sync_date: Some("end_time"),
    plan: |c, r, s| match r.params.clone() {
        ReportParams::UserInsights(p) => crate::plan::insights::user_insights(c, r, p, s).boxed(),
        _ => mismatch(r.report),
    },
};
