//! `other_users`: another business or creator account, through business discovery.
//!
//! Graph API: `/{ig-user-id}?fields=business_discovery.username(…){…}`.

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{INSIGHTS, ReportSpec, profile_schema};
use crate::ticket::ReportParams;

/// The `other_users` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::OtherUsers,
    name: "other_users",
    description: "Another business or creator account, through business discovery",
    required: &["username"],
    accepted: &["account", "page", "fields", "username"],
    media_kinds: &[],
    params: |k| {
        Ok(ReportParams::OtherUser {
            username: k.username()?,
        })
    },
    permissions: INSIGHTS,
    schema: profile_schema,
    example: r#"{"report": "other_users", "username": "bluebottle"}"#,
    sql_equalities: &[("username", "username")],
    sql_range: None,
    identity: &["id"],
    sync_date: None,
    plan: |c, r, s| match r.params.clone() {
        ReportParams::OtherUser { username } => {
            crate::plan::profile::other_user(c, r, username, s).boxed()
        }
        _ => mismatch(r.report),
    },
};
