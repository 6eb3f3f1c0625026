//! Hashtag media: `ig_hashtag_search` (cached: hashtag ids are global and never change), then
//! `/{hashtag-id}/recent_media` or `/top_media`. The 30-unique-hashtags-per-7-days budget is tracked per
//! account (seeded from `recently_searched_hashtags`), and a query that would need a new hashtag past it
//! is refused without a call.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Duration, Utc};
use futures::{Stream, TryStreamExt};

use super::media::{DISCOVERY_MEDIA_FIELDS, needed_columns, page_size};
use super::{
    CallTracker, ReportContext, RunSummary, get_json, media_graph_fields, resolve_account,
};
use crate::error::ReportError;
use crate::graph::{Edge, Endpoint, GraphError, NodeId, PageRequest};
use crate::reports::rows::items_to_batch;
use crate::reports::schema::report_schema;
use crate::state::HashtagReservation;
use crate::ticket::{MediaFilter, ReportRequest};

/// Unique hashtags an account may query in a rolling 7 days.
pub const HASHTAG_BUDGET: usize = 30;

/// Fields hashtag media answer: the same public set as business discovery (`username` is refused).
const HASHTAG_MEDIA_FIELDS: [&str; 10] = DISCOVERY_MEDIA_FIELDS;

/// The rolling window of the hashtag budget, in milliseconds.
const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;

/// Resolve a hashtag name to its id for `ig`, spending a search only for a hashtag not yet known.
/// The 30-per-7-days slots are taken in the ledger ([`ReportContext::ledger`]), shared by every process
/// and server that shares it; the connection keeps its own view in `hashtag_window`.
pub(super) async fn hashtag_id(
    ctx: &ReportContext,
    summary: &RunSummary,
    ig: &NodeId,
    name: &str,
) -> Result<NodeId, ReportError> {
    let ig_key = ig.as_str();
    let now = ctx.now();
    let now_ms = now.timestamp_millis();
    let week = Duration::days(7);
    let ledger = ctx.ledger().clone();
    // Seed the account's window from what it already searched (other apps count too), once per
    // connection; the ledger keeps the first time it saw each.
    let seeded = ctx.hashtag_window.lock().contains_key(ig_key);
    if !seeded {
        let v = get_json(
            ctx,
            summary,
            &ig.edge(Edge::RecentlySearchedHashtags),
            &[
                ("fields", "id,name".to_string()),
                ("limit", "30".to_string()),
            ],
        )
        .await?;
        let mut names = Vec::new();
        {
            let mut ids = ctx.hashtag_ids.lock();
            for h in v["data"].as_array().into_iter().flatten().take(1000) {
                if let Some(n) = h["name"].as_str() {
                    // No search time is given: assume "just now", the conservative choice.
                    names.push(n.to_lowercase());
                    if let Some(id) = h["id"].as_str() {
                        ids.insert(n.to_lowercase(), id.to_string());
                    }
                }
            }
        }
        ledger.seed_hashtags(ig_key, &names, now_ms).await?;
        let window: HashMap<String, DateTime<Utc>> = names.into_iter().map(|n| (n, now)).collect();
        ctx.hashtag_window
            .lock()
            .entry(ig_key.to_string())
            .or_insert(window);
    }
    // Check and take the slot in one atomic step of the ledger: two new hashtags asked at once (in
    // this process or another) cannot both take the 30th slot. A reservation is given back only when
    // the search never reached the Graph API.
    let budget = u32::try_from(HASHTAG_BUDGET).unwrap_or(u32::MAX);
    let reserved = match ledger
        .reserve_hashtag(ig_key, name, budget, WEEK_MS, now_ms)
        .await?
    {
        HashtagReservation::Known => false,
        HashtagReservation::Reserved => true,
        HashtagReservation::Full { frees_at_ms } => {
            let frees = DateTime::<Utc>::from_timestamp_millis(frees_at_ms)
                .unwrap_or_else(|| now.checked_add_signed(week).unwrap_or(now));
            return Err(ReportError::HashtagBudget {
                account: ig.to_string(),
                hashtag: name.to_string(),
                frees_at: frees.to_rfc3339(),
            });
        }
    };
    {
        let mut windows = ctx.hashtag_window.lock();
        let window = windows.entry(ig_key.to_string()).or_default();
        window.retain(|_, first| now.signed_duration_since(*first) < week);
        window.entry(name.to_string()).or_insert(now);
    }
    metrics::gauge!(crate::monitoring::HASHTAG_SEARCHES_USED, "connection" => ctx.served_name().to_string())
        .set(hashtag_searches_used(ctx, now) as f64);
    let cached = ctx.hashtag_ids.lock().get(name).cloned();
    let id = match cached {
        Some(id) => id,
        None => {
            let searched = get_json(
                ctx,
                summary,
                &Endpoint::hashtag_search(),
                &[("user_id", ig.to_string()), ("q", name.to_string())],
            )
            .await;
            let v = match searched {
                Ok(v) => v,
                Err(e) => {
                    if reserved
                        && matches!(
                            &e,
                            ReportError::Graph(
                                GraphError::BudgetExhausted { .. }
                                    | GraphError::RunCallCap { .. }
                                    | GraphError::Ledger(_)
                            )
                        )
                    {
                        if let Some(w) = ctx.hashtag_window.lock().get_mut(ig_key) {
                            w.remove(name);
                        }
                        if let Err(le) = ledger.release_hashtag(ig_key, name).await {
                            tracing::warn!(account = ig_key, error = %le, "a hashtag slot could not be given back to the ledger");
                        }
                    }
                    return Err(e);
                }
            };
            let id = v["data"][0]["id"]
                .as_str()
                .ok_or_else(|| ReportError::NotFound(format!("no hashtag `#{name}` was found")))?
                .to_string();
            graph_id(&id, "ig_hashtag_search")?;
            ctx.hashtag_ids.lock().insert(name.to_string(), id.clone());
            id
        }
    };
    graph_id(&id, "ig_hashtag_search")
}

/// Unique hashtags the connection's busiest account searched in the 7 days before `now`, as this
/// connection saw them: the account closest to the limit of [`HASHTAG_BUDGET`] is the one to watch
/// (a per-account figure would make account ids metric labels).
pub fn hashtag_searches_used(ctx: &ReportContext, now: DateTime<Utc>) -> usize {
    let week = Duration::days(7);
    ctx.hashtag_window
        .lock()
        .values()
        .map(|w| {
            w.values()
                .filter(|first| now.signed_duration_since(**first) < week)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// An id from a Graph answer, checked before it becomes a request path.
fn graph_id(id: &str, from: &str) -> Result<NodeId, ReportError> {
    NodeId::parse(id).ok_or_else(|| {
        ReportError::Unexpected(format!(
            "{from} answered an id that is not numeric: `{}`",
            crate::telemetry::bounded(id, 40)
        ))
    })
}

/// `hashtag_recent_media` (edge `recent_media`) and `hashtag_top_media` (edge `top_media`).
pub(crate) fn hashtag_media(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    edge: Edge,
    name: String,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let id = hashtag_id(&ctx, &summary, &ig, &name).await?;
        let schema = report_schema(req.report);
        let cols = needed_columns(&req, &MediaFilter::default(), &HASHTAG_MEDIA_FIELDS);
        let fields = media_graph_fields(&cols, &HASHTAG_MEDIA_FIELDS);
        let mut pr = PageRequest::new(id.edge(edge), &[("user_id", ig.to_string()), ("fields", fields)])
            .page_size(page_size(&req, 50, 50));
        if let Some(l) = req.limit {
            pr = pr.limit(l as usize);
        }
        let context = [("hashtag_id", id.as_str()), ("hashtag", name.as_str())];
        let mut tracker = CallTracker::new();
        let mut pages = Box::pin(ctx.graph.pages(pr));
        while let Some(page) = pages.try_next().await? {
            tracker.page(&summary, &page);
            yield items_to_batch(&schema, &page.items, &[], &context)?;
        }
    }
}
