//! `hashtag_top_media`: the most popular public media tagged with a hashtag.
//!
//! Graph API: `ig_hashtag_search` (cached), then `/{hashtag-id}/top_media`.

use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::{ReportSpec, media_with};

/// The `hashtag_top_media` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::HashtagTopMedia,
    name: "hashtag_top_media",
    description: "The most popular public media tagged with a hashtag",
    required: &["hashtag"],
    accepted: &["account", "page", "fields", "hashtag", "limit", "page_size"],
    permissions: super::hashtag_recent_media::SPEC.permissions,
    schema: || media_with(&["hashtag_id", "hashtag"]),
    example: r#"{"report": "hashtag_top_media", "hashtag": "coffee", "limit": 20}"#,
    sql_equalities: &[("hashtag", "hashtag")],
    sql_range: None,
    plan: |c, r, s| crate::plan::hashtag::hashtag_media(c, r, s).boxed(),
};
