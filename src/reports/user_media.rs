//! `user_media`: the account's media (posts, reels, albums).
//!
//! Graph API: `/{ig-user-id}/media`, 100 per page, `since`/`until` for a date range.

use futures::StreamExt;

use super::catalog::MediaKind;
use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{BASIC, ReportSpec, media_with};
use crate::graph::Edge;
use crate::ticket::ReportParams;

/// The `user_media` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::UserMedia,
    name: "user_media",
    description: "The account's media (posts, reels, albums)",
    required: &[],
    accepted: &[
        "account",
        "page",
        "fields",
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
    media_kinds: &MediaKind::POSTS,
    params: |k| {
        Ok(ReportParams::UserMedia {
            filter: k.media_filter(),
            single: k.single_media(),
        })
    },
    permissions: BASIC,
    schema: || media_with(&["ig_user_id"]),
    example: r#"{"report": "user_media", "limit": 20}"#,
    sql_equalities: &[("ig_user_id", "account")],
    sql_range: Some("timestamp"),
    identity: &["id"],
    sync_date: Some("timestamp"),
    plan: |c, r, s| match r.params.clone() {
        ReportParams::UserMedia { filter, single } => {
            crate::plan::media::own_media(c, r, Edge::Media, filter, single, s).boxed()
        }
        _ => mismatch(r.report),
    },
};
