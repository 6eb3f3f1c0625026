//! `other_users_media`: the media of another business or creator account.
//!
//! Graph API: `business_discovery.username(…){media{…}}`, paged by cursors only (the nested paging has no `next`).

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{INSIGHTS, ReportSpec, media_with};
use crate::ticket::MediaFilter;
use crate::ticket::ReportParams;

/// The `other_users_media` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::OtherUsersMedia,
    name: "other_users_media",
    description: "The media of another business or creator account",
    required: &["username"],
    accepted: &[
        "account",
        "page",
        "fields",
        "username",
        "date_from",
        "date_to",
        "date_from_offset",
        "date_to_offset",
        "limit",
        "page_size",
    ],
    media_kinds: &[],
    params: |k| {
        Ok(ReportParams::OtherUserMedia {
            username: k.username()?,
            dates: k.dates(),
        })
    },
    permissions: INSIGHTS,
    schema: || media_with(&[]),
    example: r#"{"report": "other_users_media", "username": "bluebottle", "limit": 20}"#,
    sql_equalities: &[("username", "username")],
    sql_range: Some("timestamp"),
    identity: &["id"],
    sync_date: Some("timestamp"),
    plan: |c, r, s| match r.params.clone() {
        ReportParams::OtherUserMedia { username, dates } => {
            let filter = MediaFilter {
                media_type: None,
                dates,
            };
            crate::plan::media::other_users_media(c, r, username, filter, s).boxed()
        }
        _ => mismatch(r.report),
    },
};
