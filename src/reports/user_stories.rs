//! `user_stories`: the account's live stories (last 24 hours).
//!
//! Graph API: `/{ig-user-id}/stories`.

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::{BASIC, ReportSpec, media_with};
use crate::graph::Edge;
use crate::ticket::MediaFilter;
use crate::ticket::ReportParams;

/// The `user_stories` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::UserStories,
    name: "user_stories",
    description: "The account's live stories (last 24 hours)",
    required: &[],
    accepted: &["account", "page", "fields", "limit", "page_size"],
    media_kinds: &[],
    params: |_| Ok(ReportParams::Plain),
    permissions: BASIC,
    schema: || media_with(&["ig_user_id"]),
    example: r#"{"report": "user_stories"}"#,
    sql_equalities: &[("ig_user_id", "account")],
    sql_range: None,
    identity: &["id"],
    sync_date: Some("timestamp"),
    plan: |c, r, s| {
        let all = MediaFilter::default();
        crate::plan::media::own_media(c, r, Edge::Stories, all, None, s).boxed()
    },
};
