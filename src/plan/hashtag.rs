//! Hashtag media: `ig_hashtag_search` (cached: hashtag ids are global and never change), then
//! `/{hashtag-id}/recent_media` or `/top_media`. The 30-unique-hashtags-per-7-days budget is tracked per
//! account (seeded from `recently_searched_hashtags`), and a query that would need a new hashtag past it
//! is refused without a call.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use chrono::Duration;
use futures::{Stream, TryStreamExt};
use serde_json::Value;

use super::media::{DISCOVERY_MEDIA_FIELDS, keep, needed_columns, page_size};
use super::{
    CallTracker, ReportContext, RunSummary, get_json, media_graph_fields, resolve_account,
};
use crate::error::ReportError;
use crate::graph::PageRequest;
use crate::reports::catalog::ReportKind;
use crate::reports::rows::items_to_batch;
use crate::reports::schema::report_schema;
use crate::ticket::ReportRequest;

/// Unique hashtags an account may query in a rolling 7 days.
pub const HASHTAG_BUDGET: usize = 30;

/// Fields hashtag media answer: the same public set as business discovery (`username` is refused).
const HASHTAG_MEDIA_FIELDS: [&str; 10] = DISCOVERY_MEDIA_FIELDS;

/// Resolve a hashtag name to its id for `ig`, spending a search only for a hashtag not yet known.
pub(super) async fn hashtag_id(
    ctx: &ReportContext,
    summary: &RunSummary,
    ig: &str,
    name: &str,
) -> Result<String, ReportError> {
    let now = ctx.now();
    let week = Duration::days(7);
    // Seed the account's window from what it already searched (other apps count too).
    let seeded = ctx.hashtag_window.lock().contains_key(ig);
    if !seeded {
        let v = get_json(
            ctx,
            summary,
            &format!("{ig}/recently_searched_hashtags"),
            &[
                ("fields", "id,name".to_string()),
                ("limit", "30".to_string()),
            ],
        )
        .await?;
        let mut window = HashMap::new();
        let mut ids = ctx.hashtag_ids.lock();
        for h in v["data"].as_array().into_iter().flatten() {
            if let Some(n) = h["name"].as_str() {
                // No search time is given: assume "just now", the conservative choice.
                window.insert(n.to_lowercase(), now);
                if let Some(id) = h["id"].as_str() {
                    ids.insert(n.to_lowercase(), id.to_string());
                }
            }
        }
        ctx.hashtag_window
            .lock()
            .entry(ig.to_string())
            .or_insert(window);
    }
    {
        let mut windows = ctx.hashtag_window.lock();
        let window = windows.entry(ig.to_string()).or_default();
        window.retain(|_, first| now - *first < week);
        if !window.contains_key(name) && window.len() >= HASHTAG_BUDGET {
            let oldest = window.values().min().copied().unwrap_or(now);
            return Err(ReportError::HashtagBudget {
                account: ig.to_string(),
                hashtag: name.to_string(),
                frees_at: (oldest + week).to_rfc3339(),
            });
        }
    }
    let cached = ctx.hashtag_ids.lock().get(name).cloned();
    let id = match cached {
        Some(id) => id,
        None => {
            let v = get_json(
                ctx,
                summary,
                "ig_hashtag_search",
                &[("user_id", ig.to_string()), ("q", name.to_string())],
            )
            .await?;
            let id = v["data"][0]["id"]
                .as_str()
                .ok_or_else(|| ReportError::NotFound(format!("no hashtag `#{name}` was found")))?
                .to_string();
            ctx.hashtag_ids.lock().insert(name.to_string(), id.clone());
            id
        }
    };
    ctx.hashtag_window
        .lock()
        .entry(ig.to_string())
        .or_default()
        .entry(name.to_string())
        .or_insert(now);
    Ok(id)
}

pub(super) fn hashtag_media(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let name = req.hashtag.clone().unwrap_or_default();
        let id = hashtag_id(&ctx, &summary, &ig, &name).await?;
        let edge = if req.report == ReportKind::HashtagTopMedia { "top_media" } else { "recent_media" };
        let schema = report_schema(req.report);
        let cols = needed_columns(&req, &HASHTAG_MEDIA_FIELDS);
        let fields = media_graph_fields(&cols, &HASHTAG_MEDIA_FIELDS);
        let mut pr = PageRequest::new(format!("{id}/{edge}"), &[("user_id", ig.clone()), ("fields", fields)])
            .page_size(page_size(&req, 50, 50));
        if let Some(l) = req.limit {
            pr = pr.limit(l as usize);
        }
        let context = [("hashtag_id", id.as_str()), ("hashtag", name.as_str())];
        let mut tracker = CallTracker::new();
        let mut pages = Box::pin(ctx.graph.pages(pr));
        while let Some(page) = pages.try_next().await? {
            tracker.page(&summary, &page);
            let items: Vec<Value> = page.items.into_iter().filter(|v| keep(&req, v)).collect();
            yield items_to_batch(&schema, &items, &[], &context)?;
        }
    }
}
