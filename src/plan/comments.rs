//! `media_comments`: top-level comments with their replies through nested `replies{…}` expansion; replies
//! are paged (following the nested `next` with the pager, so its stop rules apply) only where a
//! comment has more than one page of them, and only as far as `limit` still needs rows.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::Value;

use super::media::page_size;
use super::{CallTracker, ReportContext, RunSummary};
use crate::error::ReportError;
use crate::graph::{Edge, ErrorClass, NodeId, PageRequest};
use crate::reports::catalog::ReportKind;
use crate::reports::rows::items_to_batch;
use crate::reports::schema::report_schema;
use crate::ticket::ReportRequest;

const COMMENT_FIELDS: &str = "id,text,username,timestamp,like_count,hidden";
/// Replies asked per nested page (the edge's maximum).
const REPLIES_PAGE: usize = 50;

pub(crate) fn media_comments(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    media: NodeId,
    include_replies: bool,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let media_id = media.to_string();
        let schema = report_schema(ReportKind::MediaComments);
        let fields = if include_replies {
            format!("{COMMENT_FIELDS},replies.limit({REPLIES_PAGE}){{{COMMENT_FIELDS},parent_id}}")
        } else {
            COMMENT_FIELDS.to_string()
        };
        let mut pr = PageRequest::new(media.edge(Edge::Comments), &[("fields", fields)])
            .page_size(page_size(&req, 50, 50));
        let limit = req.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
        if let Some(l) = limit {
            // at most `limit` rows, and every top-level comment is a row
            pr = pr.limit(l);
        }
        let context = [("media_id", media_id.as_str())];
        let mut tracker = CallTracker::new();
        let mut pages = Box::pin(ctx.graph.pages(pr));
        // Rows in the batches already yielded.
        let mut emitted = 0usize;
        loop {
            let page = match pages.try_next().await {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) if e.class() == ErrorClass::NotFound => {
                    Err(ReportError::NotFound(format!("media `{media_id}` does not exist or is not reachable ({e})")))?
                }
                Err(e) => Err(e)?,
            };
            tracker.page(&summary, &page);
            // Each comment's row and its nested first page of replies; the comments with more replies
            // than that are paged after, all at once when no `limit` bounds the rows
            // (`--graph-concurrency`), else one after the other and only as far as `limit` needs.
            let mut segments: Vec<Vec<Value>> = Vec::with_capacity(page.items.len());
            let mut more: Vec<(usize, NodeId, String, Vec<String>)> = Vec::new();
            for mut c in page.items {
                let replies = c.as_object_mut().and_then(|o| o.remove("replies"));
                let cid = c["id"].as_str().unwrap_or_default().to_string();
                let mut seg = vec![c];
                if let (true, Some(replies)) = (include_replies, replies) {
                    let first = replies["data"].as_array().map(Vec::as_slice).unwrap_or_default();
                    push_replies(&mut seg, first, &cid);
                    // a comment whose id is not a Graph id: only its nested first page of replies
                    if let (Some(next), Some(comment)) = (replies["paging"]["next"].as_str(), NodeId::parse(&cid)) {
                        let first_ids = first.iter().filter_map(|r| r["id"].as_str().map(str::to_string)).collect();
                        more.push((segments.len(), comment, next.to_string(), first_ids));
                    }
                }
                segments.push(seg);
            }
            if limit.is_none() {
                let asks: Vec<_> = more
                    .into_iter()
                    .map(|(i, comment, next, first_ids)| {
                        let (ctx, summary) = (ctx.clone(), summary.clone());
                        async move { (i, more_replies(&ctx, &summary, comment, next, first_ids, None).await) }
                    })
                    .collect();
                let mut answers = futures::stream::iter(asks).buffered(ctx.graph_concurrency);
                while let Some((i, replies)) = answers.next().await {
                    segments[i].extend(replies?);
                }
            } else {
                // only as far as `limit` still needs (the rows up to this comment's replies counted)
                for (i, comment, next, first_ids) in more {
                    let so_far = emitted + segments[..=i].iter().map(Vec::len).sum::<usize>();
                    let remaining = limit.map(|l| l.saturating_sub(so_far));
                    if remaining == Some(0) {
                        break;
                    }
                    let replies = more_replies(&ctx, &summary, comment, next, first_ids, remaining).await?;
                    segments[i].extend(replies);
                }
            }
            let rows: Vec<Value> = segments.into_iter().flatten().collect();
            emitted += rows.len();
            yield items_to_batch(&schema, &rows, &[], &context)?;
            if limit.is_some_and(|l| emitted >= l) {
                break;
            }
        }
    }
}

/// The replies of `comment` after its nested first page (`next`), paged with the pager's stop rules
/// (page cap, repeats, empty pages, dedup against the nested page `first_ids`), at most `remaining`,
/// as rows with `parent_id`.
async fn more_replies(
    ctx: &ReportContext,
    summary: &RunSummary,
    comment: NodeId,
    next: String,
    first_ids: Vec<String>,
    remaining: Option<usize>,
) -> Result<Vec<Value>, ReportError> {
    let parent = comment.to_string();
    let mut rp = PageRequest::new(comment.edge(Edge::Replies), &[])
        .page_size(REPLIES_PAGE)
        .continue_from(&next, first_ids);
    if let Some(r) = remaining {
        rp = rp.limit(r);
    }
    let mut tracker = CallTracker::new();
    let mut pages = Box::pin(ctx.graph.pages(rp));
    let mut out = Vec::new();
    loop {
        let more = match pages.try_next().await {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(out),
            Err(e) => {
                summary.add_calls(1);
                return Err(e.into());
            }
        };
        tracker.page(summary, &more);
        push_replies(&mut out, &more.items, &parent);
    }
}

/// Append replies as rows, with `parent_id` filled in where the Graph API leaves it out.
fn push_replies(rows: &mut Vec<Value>, replies: &[Value], parent: &str) {
    for r in replies {
        let mut r = r.clone();
        if r.get("parent_id").is_none_or(Value::is_null)
            && let Some(o) = r.as_object_mut()
        {
            o.insert("parent_id".into(), Value::String(parent.to_string()));
        }
        rows.push(r);
    }
}
