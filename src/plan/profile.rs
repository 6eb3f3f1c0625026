//! One-node reports: `pages`, `user`, `other_users`, and the `recently_searched_hashtags` edge.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use futures::{Stream, TryStreamExt};
use serde_json::Value;

use super::account::list_pages;
use super::{CallTracker, ReportContext, RunSummary, get_json, resolve_account};
use crate::error::ReportError;
use crate::graph::{Edge, Endpoint, PageRequest};
use crate::reports::catalog::ReportKind;
use crate::reports::rows::items_to_batch;
use crate::reports::schema::report_schema;
use crate::ticket::ReportRequest;

const USER_FIELDS: [&str; 10] = [
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "website",
    "profile_picture_url",
    "followers_count",
    "follows_count",
    "media_count",
];

fn wanted<'a>(req: &'a ReportRequest, all: &[&'a str]) -> Vec<&'a str> {
    match &req.fields {
        None => all.to_vec(),
        Some(f) => f.iter().map(String::as_str).collect(),
    }
}

fn user_fields(req: &ReportRequest) -> String {
    let mut f = vec!["id"];
    for c in wanted(req, &USER_FIELDS) {
        if c != "id" && USER_FIELDS.contains(&c) {
            f.push(c);
        }
    }
    f.join(",")
}

pub(crate) fn pages(
    ctx: Arc<ReportContext>,
    _req: ReportRequest,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        // Always a fresh listing for the report itself (the cache serves account resolution).
        *ctx.pages.lock() = None;
        let pages = list_pages(&ctx, &summary).await?;
        let items: Vec<Value> = pages.iter().map(|p| serde_json::to_value(p).unwrap_or_default()).collect();
        yield items_to_batch(&report_schema(ReportKind::Pages), &items, &[], &[])?;
    }
}

pub(crate) fn user(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let v = get_json(&ctx, &summary, &Endpoint::user(&ig), &[("fields", user_fields(&req))]).await?;
        yield items_to_batch(&report_schema(ReportKind::User), &[v], &[], &[])?;
    }
}

pub(crate) fn other_user(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    username: String,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let fields = format!("business_discovery.username({username}){{{}}}", user_fields(&req));
        let v = get_json(&ctx, &summary, &Endpoint::business_discovery(&ig), &[("fields", fields)]).await?;
        let bd = v.get("business_discovery").cloned().ok_or_else(|| {
            ReportError::NotFound(format!("no business or creator account named `{username}` was found"))
        })?;
        yield items_to_batch(&report_schema(ReportKind::OtherUsers), &[bd], &[], &[])?;
    }
}

pub(crate) fn recently_searched(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let mut pr = PageRequest::new(ig.edge(Edge::RecentlySearchedHashtags), &[("fields", "id,name".to_string())])
            .page_size(req.page_size.map_or(30, |p| p.min(30) as usize));
        if let Some(l) = req.limit {
            pr = pr.limit(l as usize);
        }
        let schema = report_schema(ReportKind::RecentlySearchedHashtags);
        let mut tracker = CallTracker::new();
        let mut pages = Box::pin(ctx.graph.pages(pr));
        while let Some(page) = pages.try_next().await? {
            tracker.page(&summary, &page);
            yield items_to_batch(&schema, &page.items, &[], &[("ig_user_id", ig.as_str())])?;
        }
    }
}
