//! `hashtag_top_media`: the most popular public media tagged with a hashtag.
//!
//! Graph API: `ig_hashtag_search` (cached), then `/{hashtag-id}/top_media`.

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{ReportSpec, media_with};
use crate::graph::Edge;
use crate::ticket::ReportParams;

/// The `hashtag_top_media` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::HashtagTopMedia,
    name: "hashtag_top_media",
    description: "The most popular public media tagged with a hashtag",
    required: &["hashtag"],
    accepted: &["account", "page", "fields", "hashtag", "limit", "page_size"],
    media_kinds: &[],
    params: |k| Ok(ReportParams::Hashtag { name: k.hashtag()? }),
    permissions: super::hashtag_recent_media::SPEC.permissions,
    schema: || media_with(&["hashtag_id", "hashtag"]),
    example: r#"{"report": "hashtag_top_media", "hashtag": "coffee", "limit": 20}"#,
    sql_equalities: &[("hashtag", "hashtag")],
    sql_range: None,
    identity: &["id"],
    sync_date: Some("timestamp"),
    plan: |c, r, s| match r.params.clone() {
        ReportParams::Hashtag { name } => {
            crate::plan::hashtag::hashtag_media(c, r, Edge::TopMedia, name, s).boxed()
        }
        _ => mismatch(r.report),
    },
};
