//! `user`: the Instagram business account's profile and counts.
//!
//! Graph API: `/{ig-user-id}?fields=…`, one call.

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::{BASIC, ReportSpec, profile_schema};
use crate::ticket::ReportParams;

/// The `user` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::User,
    name: "user",
    description: "The Instagram business account's profile and counts",
    required: &[],
    accepted: &["account", "page", "fields"],
    media_kinds: &[],
    params: |_| Ok(ReportParams::Plain),
    permissions: BASIC,
    schema: profile_schema,
    example: r#"{"report": "user"}"#,
    sql_equalities: &[("id", "account")],
    sql_range: None,
    identity: &["id"],
    sync_date: None,
    plan: |c, r, s| crate::plan::profile::user(c, r, s).boxed(),
};
