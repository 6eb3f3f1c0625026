//! `media_insights`: lifetime insights of the account's media, one row per metric.
//!
//! Graph API: the media listed once, then `GET /?ids=…&fields=insights.metric(…)` (`.breakdown(…)` when asked)
//! for up to 50 media of one metric set (the answering version's set for their kind).

use std::sync::Arc;

use arrow::datatypes::Schema;
use futures::StreamExt;

use super::catalog::MediaKind;
use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{INSIGHTS, ReportSpec, i, key, s};
use crate::ticket::ReportParams;

/// The `media_insights` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::MediaInsights,
    name: "media_insights",
    description: "Lifetime insights of the account's media, one row per metric",
    required: &[],
    accepted: &[
        "account",
        "page",
        "fields",
        "metrics",
        "period",
        "breakdown",
        "media_type",
        "media_items",
        "media_id",
        "date_from",
        "date_to",
        "date_from_offset",
        "date_to_offset",
        "limit",
        "page_size",
    ],
    media_kinds: &MediaKind::ALL,
    params: |k| Ok(ReportParams::MediaInsights(k.media_insights()?)),
    permissions: INSIGHTS,
    schema: || {
        Arc::new(Schema::new(vec![
            key("media_id"),
            s("media_type"),
            s("media_product_type"),
            key("metric"),
            key("period"),
            s("breakdown"),
            s("dimension"),
            i("value"),
        ]))
    },
    example: r#"{"report": "media_insights", "limit": 50}"#,
    sql_equalities: &[
        ("media_id", "media_id"),
        ("period", "period"),
        ("metric", "metrics"),
        ("breakdown", "breakdown"),
    ],
    sql_range: None,
    identity: &["media_id", "metric", "period", "breakdown", "dimension"],
    sync_date: None,
    plan: |c, r, s| match r.params.clone() {
        ReportParams::MediaInsights(p) => crate::plan::insights::media_insights(c, r, p, s).boxed(),
        _ => mismatch(r.report),
    },
};
