//! `recently_searched_hashtags`: hashtags the account searched in the last 7 days.
//!
//! Graph API: `/{ig-user-id}/recently_searched_hashtags`.

use std::sync::Arc;

use arrow::datatypes::Schema;
use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::{BASIC, ReportSpec, key, s};
use crate::ticket::ReportParams;

/// The `recently_searched_hashtags` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::RecentlySearchedHashtags,
    name: "recently_searched_hashtags",
    description: "Hashtags the account searched in the last 7 days",
    required: &[],
    accepted: &["account", "page", "fields", "limit", "page_size"],
    media_kinds: &[],
    params: |_| Ok(ReportParams::Plain),
    permissions: BASIC,
    schema: || Arc::new(Schema::new(vec![key("ig_user_id"), key("id"), s("name")])),
    example: r#"{"report": "recently_searched_hashtags"}"#,
    sql_equalities: &[("ig_user_id", "account")],
    sql_range: None,
    identity: &["id"],
    sync_date: None,
    plan: |c, r, s| crate::plan::profile::recently_searched(c, r, s).boxed(),
};
