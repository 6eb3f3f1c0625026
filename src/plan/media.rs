//! Media reports on the account's own edges (`user_media`, `user_stories`) and through business
//! discovery (`other_users_media`).

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use chrono::{Days, NaiveTime};
use futures::{Stream, TryStreamExt};
use serde_json::Value;

use super::{
    CallTracker, ReportContext, RunSummary, get_json, media_graph_fields, resolve_account,
};
use crate::error::ReportError;
use crate::graph::{Edge, Endpoint, NodeId, PageRequest};
use crate::reports::catalog::{MediaKind, ReportKind};
use crate::reports::convert::parse_graph_timestamp;
use crate::reports::rows::items_to_batch;
use crate::reports::schema::report_schema;
use crate::ticket::{DateRange, MediaFilter, ReportRequest};

/// Media fields the account's own edges answer.
pub(super) const OWN_MEDIA_FIELDS: [&str; 14] = [
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "media_url",
    "thumbnail_url",
    "permalink",
    "shortcode",
    "timestamp",
    "like_count",
    "comments_count",
    "username",
    "is_comment_enabled",
    "children",
];

/// Media fields business discovery answers (reference §2.6: not ig_id, is_comment_enabled, shortcode,
/// thumbnail_url).
pub(super) const DISCOVERY_MEDIA_FIELDS: [&str; 10] = [
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "media_url",
    "permalink",
    "timestamp",
    "like_count",
    "comments_count",
    "children",
];

/// The columns the request wants, plus those a local filter needs.
pub(super) fn needed_columns(
    req: &ReportRequest,
    filter: &MediaFilter,
    all: &[&'static str],
) -> Vec<&'static str> {
    let mut cols: Vec<&'static str> = match &req.fields {
        None => all.to_vec(),
        Some(f) => all
            .iter()
            .copied()
            .filter(|c| f.iter().any(|x| x == c))
            .collect(),
    };
    let mut need = |c: &'static str| {
        if !cols.contains(&c) {
            cols.push(c);
        }
    };
    if filter.media_type.is_some() {
        need("media_type");
        need("media_product_type");
    }
    if filter.dates.is_some() {
        need("timestamp");
    }
    cols
}

/// `since`/`until` (Unix seconds) of an inclusive UTC date range.
pub(super) fn unix_bounds(r: &DateRange) -> (i64, i64) {
    let since = r.from.and_time(NaiveTime::MIN).and_utc().timestamp();
    let until =
        r.to.checked_add_days(Days::new(1))
            .unwrap_or(r.to)
            .and_time(NaiveTime::MIN)
            .and_utc()
            .timestamp();
    (since, until)
}

/// Keep the items that pass the local filters (media type, date range): the Graph API has no media-type
/// filter, and the date range is checked again on `timestamp` so a lenient `since`/`until` can't widen it.
pub(super) fn keep(filter: &MediaFilter, item: &Value) -> bool {
    if let Some(kind) = filter.media_type {
        let k = MediaKind::classify(
            item["media_type"].as_str(),
            item["media_product_type"].as_str(),
        );
        if k != Some(kind) {
            return false;
        }
    }
    if let Some(r) = &filter.dates {
        let (since, until) = unix_bounds(r);
        match item["timestamp"].as_str().and_then(parse_graph_timestamp) {
            Some(t) if t >= since && t < until => {}
            _ => return false,
        }
    }
    true
}

/// Page size: the ticket's, capped at the edge's maximum.
pub(super) fn page_size(req: &ReportRequest, default: usize, max: usize) -> usize {
    req.page_size.map_or(default, |p| (p as usize).min(max))
}

/// `user_media` (edge `media`, with filters and one media) and `user_stories` (edge `stories`).
pub(crate) fn own_media(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    edge: Edge,
    filter: MediaFilter,
    single: Option<NodeId>,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let schema = report_schema(req.report);
        let cols = needed_columns(&req, &filter, &OWN_MEDIA_FIELDS);
        let fields = media_graph_fields(&cols, &OWN_MEDIA_FIELDS);
        let context = [("ig_user_id", ig.as_str())];
        if let Some(id) = &single {
            let v = get_json(&ctx, &summary, &Endpoint::media(id), &[("fields", fields.clone())]).await?;
            let items: Vec<Value> = std::iter::once(v).filter(|v| keep(&filter, v)).collect();
            yield items_to_batch(&schema, &items, &[], &context)?;
            return;
        }
        let mut params = vec![("fields", fields)];
        if let (Some(r), Edge::Media) = (&filter.dates, edge) {
            let (since, until) = unix_bounds(r);
            params.push(("since", since.to_string()));
            params.push(("until", until.to_string()));
        }
        let mut pr = PageRequest::new(ig.edge(edge), &params).page_size(page_size(&req, 100, 100));
        if let (Some(l), false) = (req.limit, filter.filters()) {
            pr = pr.limit(l as usize);
        }
        // a full listing with the fields media_insights lists is kept for it (ReportContext::media_listings)
        let mut kept: Option<Vec<Value>> = (filter.dates.is_none()
            && req.limit.is_none()
            && LISTING_FIELDS.iter().all(|f| cols.contains(f)))
        .then(Vec::new);
        let mut tracker = CallTracker::new();
        let mut pages = Box::pin(ctx.graph.pages(pr));
        while let Some(page) = pages.try_next().await? {
            tracker.page(&summary, &page);
            if let Some(k) = &mut kept {
                if k.len() + page.items.len() > ReportContext::MEDIA_LISTING_MAX {
                    kept = None;
                } else {
                    k.extend(page.items.iter().map(listing_item));
                }
            }
            let items: Vec<Value> = page.items.into_iter().filter(|v| keep(&filter, v)).collect();
            yield items_to_batch(&schema, &items, &[], &context)?;
        }
        if let Some(k) = kept {
            ctx.media_listings
                .lock()
                .insert(listing_key(ig.as_str(), edge), (std::time::Instant::now(), Arc::new(k)));
        }
    }
}

/// The fields of a media listing that `media_insights` needs.
pub(super) const LISTING_FIELDS: [&str; 4] =
    ["id", "media_type", "media_product_type", "timestamp"];

/// A listed media reduced to [`LISTING_FIELDS`] (what a kept listing holds).
fn listing_item(v: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for f in LISTING_FIELDS {
        if let Some(x) = v.get(f) {
            m.insert(f.to_string(), x.clone());
        }
    }
    Value::Object(m)
}

/// Where a full listing of `edge` (media or stories) of an account is kept.
fn listing_key(account: &str, edge: Edge) -> String {
    format!("{account}/{}", edge.as_str())
}

/// The account's media (or stories) listing a `user_media` (`user_stories`) run kept within
/// [`ReportContext::MEDIA_LISTING_TTL`] and the run's `max_age`.
pub(super) fn kept_listing(
    ctx: &ReportContext,
    account: &str,
    edge: Edge,
) -> Option<Arc<Vec<Value>>> {
    let listings = ctx.media_listings.lock();
    let (at, items) = listings.get(&listing_key(account, edge))?;
    ctx.fresh(*at, ReportContext::MEDIA_LISTING_TTL)
        .then(|| items.clone())
}

pub(crate) fn other_users_media(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    username: String,
    filter: MediaFilter,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let schema = report_schema(ReportKind::OtherUsersMedia);
        let cols = needed_columns(&req, &filter, &DISCOVERY_MEDIA_FIELDS);
        let fields = media_graph_fields(&cols, &DISCOVERY_MEDIA_FIELDS);
        let window = filter.dates.as_ref().map(unix_bounds);
        let user = username.clone();
        let pr = PageRequest::nested(Endpoint::business_discovery(&ig), &[], "/business_discovery/media", move |after, limit| {
            let mut m = String::new();
            if let Some((since, until)) = window {
                m.push_str(&format!(".since({since}).until({until})"));
            }
            if let Some(a) = after {
                m.push_str(&format!(".after({a})"));
            }
            format!("business_discovery.username({user}){{username,media{m}.limit({limit}){{{fields}}}}}")
        })
        .page_size(page_size(&req, 50, 50));
        let pr = match (req.limit, filter.filters()) {
            (Some(l), false) => pr.limit(l as usize),
            _ => pr,
        };
        let mut tracker = CallTracker::new();
        let mut pages = Box::pin(ctx.graph.pages(pr));
        while let Some(page) = pages.try_next().await.map_err(|e| not_found_user(e, &username))? {
            tracker.page(&summary, &page);
            let items: Vec<Value> = page.items.into_iter().filter(|v| keep(&filter, v)).collect();
            yield items_to_batch(&schema, &items, &[], &[("username", username.as_str())])?;
        }
    }
}

fn not_found_user(e: crate::graph::GraphError, username: &str) -> ReportError {
    if e.class() == crate::graph::ErrorClass::NotFound {
        ReportError::NotFound(format!(
            "no business or creator account named `{username}` was found (business discovery: {e})"
        ))
    } else {
        e.into()
    }
}
