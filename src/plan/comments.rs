//! `media_comments`: top-level comments with their replies through nested `replies{…}` expansion; replies
//! are paged (following the nested `next`) only where a comment has more than one page of them.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use futures::{Stream, TryStreamExt};
use serde_json::Value;

use super::media::page_size;
use super::{CallTracker, ReportContext, RunSummary};
use crate::error::ReportError;
use crate::graph::{ErrorClass, PageRequest};
use crate::reports::catalog::ReportKind;
use crate::reports::rows::items_to_batch;
use crate::reports::schema::report_schema;
use crate::ticket::ReportRequest;

const COMMENT_FIELDS: &str = "id,text,username,timestamp,like_count,hidden";
/// Replies asked per nested page (the edge's maximum).
const REPLIES_PAGE: usize = 50;

pub(super) fn media_comments(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let media_id = req.media_id.as_ref().map(|m| m.to_string()).unwrap_or_default();
        let schema = report_schema(ReportKind::MediaComments);
        let fields = if req.include_replies {
            format!("{COMMENT_FIELDS},replies.limit({REPLIES_PAGE}){{{COMMENT_FIELDS},parent_id}}")
        } else {
            COMMENT_FIELDS.to_string()
        };
        let mut pr = PageRequest::new(format!("{media_id}/comments"), &[("fields", fields)])
            .page_size(page_size(&req, 50, 50));
        if let Some(l) = req.limit {
            // at most `limit` rows, and every top-level comment is a row
            pr = pr.limit(l as usize);
        }
        let context = [("media_id", media_id.as_str())];
        let mut tracker = CallTracker::new();
        let mut pages = Box::pin(ctx.graph.pages(pr));
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
            let mut rows: Vec<Value> = Vec::with_capacity(page.items.len());
            for mut c in page.items {
                let replies = c.as_object_mut().and_then(|o| o.remove("replies"));
                let cid = c["id"].as_str().unwrap_or_default().to_string();
                rows.push(c);
                if !req.include_replies {
                    continue;
                }
                let Some(replies) = replies else { continue };
                let mut next = replies["paging"]["next"].as_str().map(str::to_string);
                push_replies(&mut rows, &replies, &cid);
                while let Some(url) = next.take() {
                    let resp = ctx.graph.get_url(&url).await;
                    let resp = match resp {
                        Ok(r) => {
                            summary.add_calls(u64::from(r.attempts));
                            r
                        }
                        Err(e) => {
                            summary.add_calls(1);
                            Err(e)?
                        }
                    };
                    let more: Value = resp.json()?;
                    push_replies(&mut rows, &more, &cid);
                    next = more["paging"]["next"].as_str().map(str::to_string);
                }
            }
            yield items_to_batch(&schema, &rows, &[], &context)?;
        }
    }
}

fn push_replies(rows: &mut Vec<Value>, page: &Value, parent: &str) {
    for r in page["data"].as_array().into_iter().flatten() {
        let mut r = r.clone();
        if r.get("parent_id").is_none_or(Value::is_null)
            && let Some(o) = r.as_object_mut()
        {
            o.insert("parent_id".into(), Value::String(parent.to_string()));
        }
        rows.push(r);
    }
}
