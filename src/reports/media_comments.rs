//! `media_comments`: comments (and replies) on one media object.
//!
//! Graph API: `/{media-id}/comments` with replies through nested expansion; reply pages only where a `next` exists.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use futures::StreamExt;

use super::catalog::ReportKind;
use super::spec::mismatch;
use super::spec::{ReportSpec, i, key, s, ts};
use crate::ticket::ReportParams;

/// The `media_comments` report.
pub const SPEC: ReportSpec = ReportSpec {
    kind: ReportKind::MediaComments,
    name: "media_comments",
    description: "Comments (and replies) on one media object",
    required: &["media_id"],
    accepted: &[
        "account",
        "page",
        "fields",
        "media_id",
        "include_replies",
        "limit",
        "page_size",
    ],
    media_kinds: &[],
    params: |k| {
        Ok(ReportParams::Comments {
            media_id: k.media_id()?,
            include_replies: k.include_replies(),
        })
    },
    permissions: &[
        "pages_show_list",
        "instagram_basic",
        "instagram_manage_comments",
    ],
    schema: || {
        Arc::new(Schema::new(vec![
            key("id"),
            key("media_id"),
            s("parent_id"),
            s("text"),
            s("username"),
            Field::new("timestamp", ts(), true),
            i("like_count"),
            Field::new("hidden", DataType::Boolean, true),
        ]))
    },
    example: r#"{"report": "media_comments", "media_id": "MEDIA_ID"}"#,
    sql_equalities: &[("media_id", "media_id")],
    sql_range: None,
    identity: &["id"],
    sync_date: Some("timestamp"),
    plan: |c, r, s| match r.params.clone() {
        ReportParams::Comments {
            media_id,
            include_replies,
        } => crate::plan::comments::media_comments(c, r, media_id, include_replies, s).boxed(),
        _ => mismatch(r.report),
    },
};
