//! `other_users`: another business or creator account, through business discovery.
//!
//! Graph API: `/{ig-user-id}?fields=business_discovery.username(…){…}`.

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::{INSIGHTS, ReportSpec, profile_schema};

/// The `other_users` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::OtherUsers,
    name: "other_users",
    description: "Another business or creator account, through business discovery",
    required: &["username"],
    accepted: &["account", "page", "fields", "username"],
    permissions: INSIGHTS,
    schema: profile_schema,
    example: r#"{"report": "other_users", "username": "bluebottle"}"#,
    sql_equalities: &[("username", "username")],
    sql_range: None,
    plan: |c, r, s| crate::plan::profile::other_user(c, r, s).boxed(),
};
