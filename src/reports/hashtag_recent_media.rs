//! `hashtag_recent_media`: public media tagged with a hashtag in the last 24 hours.
//!
//! Graph API: `ig_hashtag_search` (cached), then `/{hashtag-id}/recent_media`; the 30-hashtags-per-7-days budget is checked first.

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{ReportSpec, media_with};
use crate::graph::Edge;
use crate::ticket::ReportParams;

/// The `hashtag_recent_media` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::HashtagRecentMedia,
    name: "hashtag_recent_media",
    description: "Public media tagged with a hashtag in the last 24 hours",
    required: &["hashtag"],
    accepted: &["account", "page", "fields", "hashtag", "limit", "page_size"],
    media_kinds: &[],
    params: |k| Ok(ReportParams::Hashtag { name: k.hashtag()? }),
    permissions: &[
        "pages_show_list",
        "instagram_basic",
        "the app feature Instagram Public Content Access",
    ],
    schema: || media_with(&["hashtag_id", "hashtag"]),
    example: r#"{"report": "hashtag_recent_media", "hashtag": "coffee", "limit": 20}"#,
    sql_equalities: &[("hashtag", "hashtag")],
    sql_range: None,
    identity: &["id"],
    sync_date: Some("timestamp"),
    plan: |c, r, s| match r.params.clone() {
        ReportParams::Hashtag { name } => {
            crate::plan::hashtag::hashtag_media(c, r, Edge::RecentMedia, name, s).boxed()
        }
        _ => mismatch(r.report),
    },
};
