//! Insights reports.
//!
//! `user_insights`: the calls come from the catalog of the version the ticket was checked against
//! ([`user_calls`]): one call per (shape, breakdown, timeframe) group of metrics of the period. Time
//! series (every v15 metric but `audience_*`) and total values (`metric_type=total_value`, with the
//! ticket's breakdown) are asked per ≤ 30-day window; lifetime maps (v15's `audience_*`) in one call
//! without a window; demographics (v18+) in one call per breakdown with `metric_type=total_value` and a
//! `timeframe`. Values are selected by the UTC date of their `end_time` and deduplicated across windows;
//! a total value's row ends on the last day of its window.
//!
//! `media_insights` spends about N / 100 + N / 50 calls for N media, not N: the media are listed once
//! (100 per page), then the insights of up to 50 media that take the same metric set (the version's
//! set for their kind) are asked in one `GET /?ids=…&fields=insights.metric(…)`. Such a call fails whole
//! when one media cannot answer. Media that cannot have insights are skipped and counted
//! (`RunSummary::skipped`): posts from before the business conversion and stories with too few viewers.
//! The conversion boundary is searched across all metric sets in time order, each probe a chunk of
//! one set whose answer is data (plan/conversion.rs: about log2 N calls more than knowing it, none when
//! no media is from before a conversion), and kept for later runs (the ledger). Groups known to be past
//! it, and the parts of failed groups, are asked at once (`--graph-concurrency`). Each media's answer is
//! kept in the connection's response cache, so a later run asks only what is new.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;

use chrono::NaiveTime;
use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::Value;

use super::conversion::{self, Known, Waiting};
use super::dropped::{
    Owner, all_refused, note_refused, note_refused_before, note_removed, refused,
};
use super::media::{LISTING_FIELDS, kept_listing, unix_bounds};
use super::{CallTracker, ReportContext, RunSummary, check_affordable, get_json, resolve_account};
use crate::error::ReportError;
use crate::graph::insight_window_count;
use crate::graph::{CacheClass, Endpoint};
use crate::graph::{
    Edge, ErrorClass, GraphError, InsightWindow, MAX_INSIGHT_WINDOW_DAYS, MetricRefusal, NodeId,
    PageRequest, insight_windows,
};
use crate::reports::catalog::{Catalog, MediaKind, Period, ReportKind, Shape, Timeframe};
use crate::reports::convert::parse_graph_timestamp;
use crate::reports::insights::{
    MediaInsights, insight_rows, media_insights_batch, user_insights_batch,
};
use crate::reports::schema::report_schema;
use crate::ticket::{MediaInsightsParams, MediaItems, ReportRequest, UserInsightsParams};

/// Media per multi-id insights call (the Graph API's `ids` maximum).
pub const IDS_PER_CALL: usize = 50;

/// Rounds of insights calls per listed media before a run gives up on the rest (a bound that cannot be
/// reached: every round answers, skips, splits or narrows something).
const ROUNDS_PER_MEDIA: usize = 4;

/// One group of user metrics asked together: same shape, breakdown and timeframe (and the run's period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCall {
    /// How the metrics are asked.
    pub shape: Shape,
    /// The metrics, comma-joined into `metric`.
    pub metrics: Vec<String>,
    /// The period.
    pub period: Period,
    /// `breakdown` (total values and demographics).
    pub breakdown: Option<String>,
    /// `timeframe` (demographics).
    pub timeframe: Option<Timeframe>,
}

impl UserCall {
    /// The Graph parameters of this call, for one window when the shape is asked per window.
    pub fn params(&self, window: Option<&InsightWindow>) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("metric", self.metrics.join(",")),
            ("period", self.period.name().to_string()),
        ];
        if self.shape.total_value() {
            p.push(("metric_type", "total_value".to_string()));
        }
        if let Some(b) = &self.breakdown {
            p.push(("breakdown", b.clone()));
        }
        if let Some(t) = self.timeframe {
            p.push(("timeframe", t.name().to_string()));
        }
        if let Some(w) = window {
            let (since, until) = w.as_pair();
            p.push(("since", since.to_string()));
            p.push(("until", until.to_string()));
        }
        p
    }
}

/// The calls of a `user_insights` run, from the catalog of the version its params were checked against:
/// its metrics grouped by (shape, breakdown, timeframe), the calls without a window first. A demographic
/// metric without a ticket breakdown is asked once per default breakdown of the catalog.
pub fn user_calls(p: &UserInsightsParams) -> Vec<UserCall> {
    let cat = Catalog::of(p.version);
    let mut calls: Vec<UserCall> = Vec::new();
    for m in &p.metrics {
        let Some(def) = cat.user_metric(m) else {
            continue;
        };
        let Some(shape) = def.shape_for(p.metric_type, p.breakdown.is_some()) else {
            continue;
        };
        let breakdowns: Vec<Option<String>> = match (shape, &p.breakdown) {
            (Shape::Demographic, None) => def
                .default_breakdowns
                .iter()
                .map(|b| Some(b.to_string()))
                .collect(),
            (Shape::Demographic | Shape::TotalValue, b) => vec![b.clone()],
            _ => vec![None],
        };
        let timeframe =
            (shape == Shape::Demographic).then(|| p.timeframe.unwrap_or(cat.default_timeframe));
        for breakdown in breakdowns {
            let same = |c: &&mut UserCall| {
                c.shape == shape && c.breakdown == breakdown && c.timeframe == timeframe
            };
            match calls.iter_mut().find(same) {
                Some(c) => c.metrics.push(m.clone()),
                None => calls.push(UserCall {
                    shape,
                    metrics: vec![m.clone()],
                    period: p.period,
                    breakdown,
                    timeframe,
                }),
            }
        }
    }
    // one call each without a window (lifetime maps, demographics) before the windows
    calls.sort_by_key(|c| c.shape.ranged());
    calls
}

/// One window of a user insights call; a refusal drops the refused metrics (for this run: they are
/// left out of every later call) and asks again, at most once per metric. `None` when no metric is
/// left.
#[allow(clippy::too_many_arguments)]
async fn ask_window(
    ctx: &ReportContext,
    summary: &RunSummary,
    path: &Endpoint,
    call: &mut UserCall,
    w: Option<&InsightWindow>,
    refused_here: &mut HashSet<String>,
    accepted: &mut Option<Vec<String>>,
    period: &str,
) -> Result<Option<Value>, ReportError> {
    loop {
        call.metrics.retain(|m| !refused_here.contains(m));
        if call.metrics.is_empty() {
            return Ok(None);
        }
        match get_json(ctx, summary, path, &call.params(w)).await {
            Ok(v) => return Ok(Some(v)),
            Err(e) => match refused(&e, &call.metrics) {
                Some((metrics, refusal)) => {
                    note_refused(ctx, summary, &metrics, &refusal, Owner::User, period);
                    if let MetricRefusal::NotOneOf {
                        accepted: a,
                        complete: true,
                        ..
                    } = &refusal
                    {
                        *accepted = Some(a.clone());
                    }
                    refused_here.extend(metrics);
                }
                None => return Err(e),
            },
        }
    }
}

/// Unix seconds of UTC midnight starting `day`: the `end_time` of a total value asked for a range
/// ending that day (its date is the range's last day, like a daily value of that day).
fn day_start(day: chrono::NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp()
}

pub(crate) fn user_insights(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    p: UserInsightsParams,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let schema = report_schema(ReportKind::UserInsights);
        note_removed(&summary, &p.removed, Owner::User, p.period.name());
        let mut calls = user_calls(&p);
        let path = ig.edge(Edge::UserInsights);
        // one call per group without a window, one per ≤ 30-day window for the others: known before
        // the first call
        let range = p.dates;
        let windows = insight_window_count(range.from, range.to, MAX_INSIGHT_WINDOW_DAYS);
        let needed: u64 = calls.iter().map(|c| if c.shape.ranged() { windows } else { 1 }).sum();
        check_affordable(&ctx, &summary, needed).await?;
        let (lo, hi) = unix_bounds(&range);
        let mut seen = HashSet::new();
        // the metrics the Graph API refused in this run (left out of every later call), and the
        // list of what it accepts when it sent one
        let mut refused_here: HashSet<String> = HashSet::new();
        let mut accepted: Option<Vec<String>> = None;
        let mut asked_any = false;
        for call in calls.iter_mut() {
            let windows: Vec<Option<InsightWindow>> = if call.shape.ranged() {
                insight_windows(range.from, range.to, MAX_INSIGHT_WINDOW_DAYS).map(Some).collect()
            } else {
                vec![None]
            };
            // the first window alone (a refusal found there is left out of the others), then the other
            // windows of a long range at once (`--graph-concurrency`), their rows in order
            let mut windows = windows.into_iter();
            let first = windows.next();
            let rest: Vec<Option<InsightWindow>> = windows.collect();
            let mut answers = Vec::new();
            if let Some(w) = first {
                let v = ask_window(&ctx, &summary, &path, call, w.as_ref(), &mut refused_here, &mut accepted, p.period.name()).await?;
                answers.push((w, v));
            }
            let at_once: Vec<_> = rest
                .into_iter()
                .map(|w| {
                    let (ctx, summary, path) = (ctx.clone(), summary.clone(), path.clone());
                    let params = (!call.metrics.is_empty()).then(|| call.params(w.as_ref()));
                    async move {
                        let Some(params) = params else { return (w, Ok(None)) };
                        let r = get_json(&ctx, &summary, &path, &params).await.map(Some);
                        (w, r)
                    }
                })
                .collect();
            let mut rest = futures::stream::iter(at_once).buffered(ctx.graph_concurrency);
            loop {
                let (w, v) = match answers.pop() {
                    Some(first) => first,
                    None => match rest.next().await {
                        None => break,
                        Some((w, Ok(v))) => (w, v),
                        // a refusal met by a later window: that window the sequential way
                        Some((w, Err(e))) => match refused(&e, &call.metrics) {
                            Some(_) => {
                                let v = ask_window(&ctx, &summary, &path, call, w.as_ref(), &mut refused_here, &mut accepted, p.period.name()).await?;
                                (w, v)
                            }
                            None => Err(e)?,
                        },
                    },
                };
                let Some(v) = v else { continue };
                asked_any = true;
                let data = v["data"].as_array().map_or(&[][..], Vec::as_slice);
                let Some(w) = w else {
                    yield user_insights_batch(&schema, ig.as_str(), &insight_rows(data, None))?;
                    continue;
                };
                let rows: Vec<_> = insight_rows(data, Some(day_start(w.last)))
                    .into_iter()
                    // a value belongs to the UTC date of its end_time
                    .filter(|r| r.end_time.is_none_or(|t| t >= lo && t < hi))
                    .filter(|r| seen.insert((r.metric.clone(), r.end_time, r.breakdown.clone(), r.dimension.clone())))
                    .collect();
                yield user_insights_batch(&schema, ig.as_str(), &rows)?;
            }
        }
        if !asked_any && !refused_here.is_empty() {
            Err(all_refused(&ctx, &summary, accepted.as_deref(), Owner::User))?;
        }
    }
}

/// A media to ask insights for.
#[derive(Debug, Clone)]
struct Target {
    id: String,
    kind: MediaKind,
    media_type: Option<String>,
    product: Option<String>,
    timestamp: Option<i64>,
    /// Its place in the listing (newest first): orders media posted at the same second.
    seq: usize,
    metrics: Vec<String>,
}

/// Metrics to ask for a media kind: the requested ones that fit (all of the kind's in the version's
/// catalog when none requested, those taking the breakdown when one is asked).
fn metrics_for(p: &MediaInsightsParams, kind: MediaKind) -> Vec<String> {
    let cat = Catalog::of(p.version);
    let valid = cat.media_metrics(kind);
    if p.metrics.is_empty() {
        valid
            .iter()
            .filter(|m| {
                p.breakdown
                    .as_deref()
                    .is_none_or(|b| cat.media_takes_breakdown(m, b))
            })
            .map(|m| m.to_string())
            .collect()
    } else {
        p.metrics
            .iter()
            .filter(|m| valid.contains(&m.as_str()))
            .cloned()
            .collect()
    }
}

/// The `fields` of a multi-id insights call: `insights.metric(…)`, with `.breakdown(…)` when asked.
fn insights_fields(metrics: &[String], breakdown: Option<&str>) -> String {
    match breakdown {
        None => format!("insights.metric({})", metrics.join(",")),
        Some(b) => format!("insights.metric({}).breakdown({b})", metrics.join(",")),
    }
}

/// State shared by the group calls of one run.
struct Batcher {
    /// Pending targets per metric set, newest first.
    pending: BTreeMap<Vec<String>, Vec<Target>>,
    /// Media at or before this timestamp were posted before the business conversion.
    cutoff: Option<i64>,
    /// The oldest media that answered: every newer media was posted after the conversion.
    floor: Option<i64>,
    /// The run's `breakdown`, asked with every group.
    breakdown: Option<String>,
    /// Metrics the Graph API refused for every media in this run (left out of every later call).
    dropped_all: HashSet<String>,
    /// Metrics it refused for one media kind (in this run or, for this account, an earlier one).
    dropped: BTreeMap<MediaKind, BTreeSet<String>>,
    /// The account (its kind refusals are remembered on the connection).
    account: Option<String>,
    /// What it accepts, when a refusal listed it.
    accepted: Option<Vec<String>>,
    /// Whether any group call answered.
    answered: bool,
    /// Media left out because the Graph API refused every metric asked for their kind.
    without_metrics: u64,
    /// Parts of failed groups, asked as they are in the next round.
    forced: Vec<Vec<Target>>,
    /// Media listed so far.
    listed: usize,
    /// The oldest of them.
    oldest_listed: Option<i64>,
}

impl Batcher {
    fn new(breakdown: Option<String>) -> Batcher {
        Batcher {
            pending: BTreeMap::new(),
            cutoff: None,
            floor: None,
            breakdown,
            dropped_all: HashSet::new(),
            dropped: BTreeMap::new(),
            account: None,
            accepted: None,
            answered: false,
            without_metrics: 0,
            forced: Vec::new(),
            listed: 0,
            oldest_listed: None,
        }
    }

    /// `metrics` without those refused for `kind` in this run.
    fn effective(&self, kind: MediaKind, mut metrics: Vec<String>) -> Vec<String> {
        let of_kind = self.dropped.get(&kind);
        metrics.retain(|m| !self.dropped_all.contains(m) && of_kind.is_none_or(|d| !d.contains(m)));
        metrics
    }

    /// The next calls for the waiting media (taken out of `pending`): groups that cannot fail for
    /// the conversion, media without a timestamp (which cannot be placed) in groups of their own, and
    /// one probe of the boundary ([`conversion::plan`]). While the listing is not `closed`, only full
    /// groups.
    fn next_calls(&mut self, closed: bool) -> (Vec<Vec<Target>>, Option<Vec<Target>>) {
        let mut plain = Vec::new();
        let mut timed = Vec::new();
        for (metrics, list) in std::mem::take(&mut self.pending) {
            let (t, mut untimed): (Vec<Target>, Vec<Target>) =
                list.into_iter().partition(|t| t.timestamp.is_some());
            timed.extend(t);
            while untimed.len() >= IDS_PER_CALL || (closed && !untimed.is_empty()) {
                let rest = untimed.split_off(IDS_PER_CALL.min(untimed.len()));
                plain.push(std::mem::replace(&mut untimed, rest));
            }
            if !untimed.is_empty() {
                self.pending.entry(metrics).or_default().extend(untimed);
            }
        }
        timed.sort_by_key(|t| (std::cmp::Reverse(t.timestamp), t.seq));
        let mut sets: Vec<&Vec<String>> = Vec::new();
        let waiting: Vec<Waiting> = timed
            .iter()
            .map(|t| {
                let set = sets
                    .iter()
                    .position(|m| **m == t.metrics)
                    .unwrap_or_else(|| {
                        sets.push(&t.metrics);
                        sets.len() - 1
                    });
                Waiting {
                    set,
                    ts: t.timestamp.unwrap_or_default(),
                }
            })
            .collect();
        let plan = conversion::plan(
            &waiting,
            Known {
                floor: self.floor,
                cutoff: self.cutoff.is_some(),
                closed,
                per_call: IDS_PER_CALL,
            },
        );
        let mut slots: Vec<Option<Target>> = timed.into_iter().map(Some).collect();
        let mut take = |chunk: &[usize]| -> Vec<Target> {
            chunk
                .iter()
                .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
                .collect()
        };
        plain.extend(
            plan.certain
                .iter()
                .map(|c| take(c))
                .filter(|g| !g.is_empty()),
        );
        let probe = plan
            .probe
            .as_deref()
            .map(&mut take)
            .filter(|g| !g.is_empty());
        for t in slots.into_iter().flatten() {
            self.pending.entry(t.metrics.clone()).or_default().push(t);
        }
        (plain, probe)
    }

    /// Media of a failed group wait for the next plan.
    fn wait_again(&mut self, g: Vec<Target>) {
        for t in g {
            self.pending.entry(t.metrics.clone()).or_default().push(t);
        }
    }

    /// The waiting media older than the known boundary, left out: how many.
    fn drop_before_cutoff(&mut self) -> u64 {
        let mut n = 0;
        let cutoff = self.cutoff;
        let before = |t: &Target| matches!((cutoff, t.timestamp), (Some(c), Some(ts)) if ts <= c);
        for list in self.pending.values_mut().chain(self.forced.iter_mut()) {
            let had = list.len();
            list.retain(|t| !before(t));
            n += (had - list.len()) as u64;
        }
        self.pending.retain(|_, l| !l.is_empty());
        self.forced.retain(|g| !g.is_empty());
        n
    }

    /// Whether the listing reached media older than the known boundary (every later one is older).
    fn listed_past_cutoff(&self) -> bool {
        matches!((self.cutoff, self.oldest_listed), (Some(c), Some(o)) if o <= c)
    }

    /// Every waiting media, taken out: how many.
    fn take_all(&mut self) -> u64 {
        let n = self
            .pending
            .values()
            .chain(self.forced.iter())
            .map(Vec::len)
            .sum::<usize>();
        self.pending.clear();
        self.forced.clear();
        n as u64
    }

    /// `g` without the metrics refused in this run, per metric set; media left with none are counted.
    fn by_metric_set(&mut self, g: Vec<Target>, summary: &RunSummary) -> Vec<Vec<Target>> {
        let mut by_metrics: BTreeMap<Vec<String>, Vec<Target>> = BTreeMap::new();
        for mut t in g {
            t.metrics = self.effective(t.kind, std::mem::take(&mut t.metrics));
            if t.metrics.is_empty() {
                self.without_metrics += 1;
                summary.skip("every_metric_refused", 1);
                continue;
            }
            by_metrics.entry(t.metrics.clone()).or_default().push(t);
        }
        by_metrics.into_values().collect()
    }

    /// A media at `ts` answered: every newer one is past the conversion.
    fn lower_floor(&mut self, ts: i64) {
        self.floor = Some(self.floor.map_or(ts, |f| f.min(ts)));
    }

    /// A media at `ts` is from before the conversion: every older one is too.
    fn raise_cutoff(&mut self, ts: i64) {
        self.cutoff = Some(self.cutoff.map_or(ts, |c| c.max(ts)));
    }

    fn before_cutoff(&self, t: &Target) -> bool {
        matches!((self.cutoff, t.timestamp), (Some(c), Some(ts)) if ts <= c)
    }
}

pub(crate) fn media_insights(
    ctx: Arc<ReportContext>,
    req: ReportRequest,
    p: MediaInsightsParams,
    summary: Arc<RunSummary>,
) -> impl Stream<Item = Result<RecordBatch, ReportError>> + Send + 'static {
    async_stream::try_stream! {
        let ig = resolve_account(&ctx, &summary, &req.account).await?;
        let schema = report_schema(ReportKind::MediaInsights);
        let scope = p.media_type.map_or("all", MediaKind::name);
        note_removed(&summary, &p.removed, Owner::Media, scope);
        let mut b = Batcher::new(p.breakdown.clone());
        // what the Graph API refused for a media kind of this account in earlier runs: left out
        // without a call, and named
        b.account = Some(ig.as_str().to_string());
        // the conversion boundary earlier runs found: no call is spent finding it again
        let known = ctx.known_conversion(ig.as_str()).await;
        b.cutoff = known.cutoff;
        b.floor = known.floor;
        b.dropped = ctx.refused_media.lock().get(ig.as_str()).cloned().unwrap_or_default();
        for (kind, metrics) in &b.dropped {
            if p.media_type.is_some_and(|k| k != *kind) {
                continue;
            }
            let would_ask = metrics_for(&p, *kind);
            let left_out: Vec<String> = metrics.iter().filter(|m| would_ask.contains(m)).cloned().collect();
            note_refused_before(&summary, &left_out, kind.name());
        }
        let listing_fields = LISTING_FIELDS.join(",");

        // 1. the media to report on
        let mut listing: std::pin::Pin<Box<dyn Stream<Item = Result<Vec<Value>, ReportError>> + Send>> =
            if let MediaItems::Single(id) = &p.media {
                let v = get_json(&ctx, &summary, &Endpoint::media(id), &[("fields", listing_fields.clone())]).await?;
                Box::pin(futures::stream::iter(vec![Ok(vec![v])]))
            } else if let Some(items) = kept_listing(&ctx, ig.as_str(), listing_edge(&p)) {
                // the listing a user_media (user_stories) run just read: no call (the range is
                // applied below)
                summary.cache_hit();
                Box::pin(futures::stream::iter(vec![Ok(items.as_ref().clone())]))
            } else {
                let edge = listing_edge(&p);
                let mut params = vec![("fields", listing_fields.clone())];
                if let (MediaItems::Range(r), Edge::Media) = (&p.media, edge) {
                    let (since, until) = unix_bounds(r);
                    params.push(("since", since.to_string()));
                    params.push(("until", until.to_string()));
                }
                let pr = PageRequest::new(ig.edge(edge), &params).page_size(100);
                let s = summary.clone();
                let mut tracker = CallTracker::new();
                Box::pin(ctx.graph.pages(pr).map_ok(move |p| {
                    tracker.page(&s, &p);
                    p.items
                }).map_err(ReportError::from))
            };

        let range = match &p.media {
            MediaItems::Range(r) => Some(unix_bounds(r)),
            _ => None,
        };
        let mut done = false;
        while !done {
            // 2. take the next listing page into the pending groups
            let mut kept = Vec::new();
            match listing.try_next().await? {
                Some(items) => {
                    for v in items {
                        let timestamp = v["timestamp"].as_str().and_then(parse_graph_timestamp);
                        b.listed += 1;
                        if let Some(ts) = timestamp {
                            b.oldest_listed = Some(b.oldest_listed.map_or(ts, |o| o.min(ts)));
                        }
                        let kind = MediaKind::classify(v["media_type"].as_str(), v["media_product_type"].as_str());
                        let Some(kind) = kind else {
                            summary.skip("unknown_media_type", 1);
                            continue;
                        };
                        if p.media_type.is_some_and(|k| k != kind) {
                            continue;
                        }
                        if let (Some((lo, hi)), Some(t)) = (range, timestamp)
                            && (t < lo || t >= hi)
                        {
                            continue;
                        }
                        let metrics = metrics_for(&p, kind);
                        if metrics.is_empty() {
                            summary.skip("no_requested_metric_fits", 1);
                            continue;
                        }
                        let metrics = b.effective(kind, metrics);
                        if metrics.is_empty() {
                            b.without_metrics += 1;
                            summary.skip("every_metric_refused", 1);
                            continue;
                        }
                        // the id goes into an `ids=` list: a hostile one must not add or split ids
                        let Some(id) = v["id"].as_str().and_then(NodeId::parse) else {
                            summary.skip("media_without_numeric_id", 1);
                            continue;
                        };
                        let t = Target {
                            id: id.to_string(),
                            kind,
                            media_type: v["media_type"].as_str().map(str::to_string),
                            product: v["media_product_type"].as_str().map(str::to_string),
                            timestamp,
                            seq: b.listed,
                            metrics: metrics.clone(),
                        };
                        if b.before_cutoff(&t) {
                            summary.skip("before_business_conversion", 1);
                            continue;
                        }
                        // an earlier run's answer for this media, still fresh: no call
                        match kept_insights(&ctx, &t, b.breakdown.as_deref()).await {
                            Some(Kept::Answer(m)) => {
                                summary.cache_hit();
                                b.answered = true;
                                kept.push(m);
                                continue;
                            }
                            Some(Kept::Skip(reason)) => {
                                summary.cache_hit();
                                summary.skip(reason, 1);
                                continue;
                            }
                            None => {}
                        }
                        b.pending.entry(metrics).or_default().push(t);
                    }
                }
                None => done = true,
            }
            if !kept.is_empty() {
                yield media_insights_batch(&schema, &kept)?;
            }
            // 3. the calls the media listed so far allow (all of them once the listing is done): groups
            // known to be past the conversion boundary and the parts of failed groups at once (at most
            // `--graph-concurrency` calls at a time), with one probe of the boundary (plan/conversion.rs)
            let mut rounds = 0usize;
            loop {
                rounds += 1;
                if rounds > ROUNDS_PER_MEDIA.saturating_mul(b.listed).saturating_add(64) {
                    // cannot happen (every round answers, skips, splits or narrows something): said,
                    // not looped on
                    let left = b.take_all();
                    tracing::error!(left, "media insights: the search did not settle; media left out");
                    summary.skip("search_did_not_settle", left);
                    break;
                }
                let closed = done || b.listed_past_cutoff();
                let skipped = b.drop_before_cutoff();
                if skipped > 0 {
                    summary.skip("before_business_conversion", skipped);
                }
                let mut calls: Vec<(bool, Vec<Target>)> = Vec::new();
                for g in std::mem::take(&mut b.forced) {
                    calls.extend(b.by_metric_set(g, &summary).into_iter().map(|g| (false, g)));
                }
                let (plain, probe) = b.next_calls(closed);
                calls.extend(plain.into_iter().map(|g| (false, g)));
                calls.extend(probe.map(|g| (true, g)));
                if calls.is_empty() {
                    break;
                }
                let mut failed = Vec::new();
                let mut answered_at = Vec::new();
                let mut answers = futures::stream::iter(calls.into_iter().map(|(_, g)| {
                    let oldest = g.iter().filter_map(|t| t.timestamp).min();
                    futures::FutureExt::map(ask_group(&ctx, &summary, &b, g), move |r| (oldest, r))
                }))
                .buffer_unordered(ctx.graph_concurrency);
                while let Some((oldest, answer)) = answers.next().await {
                    match answer {
                        Ok(media) => {
                            answered_at.push(oldest);
                            if !media.is_empty() {
                                yield media_insights_batch(&schema, &media)?;
                            }
                        }
                        Err(failure) => failed.push(failure),
                    }
                }
                drop(answers);
                if !answered_at.is_empty() {
                    b.answered = true;
                }
                for ts in answered_at.into_iter().flatten() {
                    b.lower_floor(ts);
                }
                for (g, e) in failed {
                    if let Some((metrics, refusal)) = refused(&e, &g[0].metrics) {
                        // asked again without them (each refusal leaves out at least one metric), or
                        // per kind
                        let mut parts = apply_refusal(&ctx, &summary, &mut b, g, metrics, &refusal);
                        if parts.len() == 1 {
                            // fewer metrics now: its media wait for the next plan with them
                            for g in b.by_metric_set(parts.remove(0), &summary) {
                                b.wait_again(g);
                            }
                        } else {
                            // one part per kind, to learn which kind refuses: asked as they are
                            b.forced.extend(parts);
                        }
                        continue;
                    }
                    let ReportError::Graph(e) = e else { Err(e)? };
                    if !splittable(&e) {
                        Err(ReportError::Graph(e))?
                    } else if g.len() == 1 {
                        // one media that cannot have insights: skipped (not asked again)
                        skip_one(&ctx, &summary, &mut b, &g[0], &e).await;
                    } else if skip_reason(&e) == "before_business_conversion"
                        && g.iter().all(|t| t.timestamp.is_some())
                    {
                        // its oldest media is from before the conversion: so is every older one; the
                        // others wait for the next plan
                        if let Some(oldest) = g.iter().filter_map(|t| t.timestamp).min() {
                            b.raise_cutoff(oldest);
                        }
                        b.wait_again(g);
                    } else {
                        // one media at fault (too few viewers, no timestamp to place it): its part is
                        // found without asking the whole again
                        b.forced.extend(split_failed(&e, g));
                    }
                }
                remember_conversion(&ctx, &b).await;
            }
        }
        if !b.answered && b.without_metrics > 0 {
            Err(all_refused(&ctx, &summary, b.accepted.as_deref(), Owner::Media))?;
        }
    }
}

/// The edge that lists the media of a `media_insights` run: the stories, or the other media.
fn listing_edge(p: &MediaInsightsParams) -> Edge {
    if p.media_type == Some(MediaKind::Story) {
        Edge::Stories
    } else {
        Edge::Media
    }
}

/// Keep what this run knows of the account's conversion for later runs on the connection (the cutoff
/// only moves later, the floor only earlier).
async fn remember_conversion(ctx: &ReportContext, b: &Batcher) {
    let Some(account) = &b.account else { return };
    let learned = super::context::Conversion {
        cutoff: b.cutoff,
        floor: b.floor,
    };
    ctx.keep_conversion(account, learned).await;
}

/// Leave out of the run the metrics a Graph refusal of group `g` names, and say what to ask next: `g`
/// again (its media wait with fewer metrics: [`Batcher::by_metric_set`]), or `g` per media kind when the refusal
/// may hold for one kind only and `g` mixes kinds (nothing is dropped then).
fn apply_refusal(
    ctx: &ReportContext,
    summary: &RunSummary,
    b: &mut Batcher,
    g: Vec<Target>,
    metrics: Vec<String>,
    refusal: &MetricRefusal,
) -> Vec<Vec<Target>> {
    let kinds: BTreeSet<MediaKind> = g.iter().map(|t| t.kind).collect();
    if !refusal.version_wide() && kinds.len() > 1 {
        return kinds
            .into_iter()
            .map(|k| g.iter().filter(|t| t.kind == k).cloned().collect())
            .collect();
    }
    if let MetricRefusal::NotOneOf {
        accepted,
        complete: true,
        ..
    } = refusal
    {
        b.accepted = Some(accepted.clone());
    }
    if refusal.version_wide() {
        note_refused(ctx, summary, &metrics, refusal, Owner::Media, "all");
        b.dropped_all.extend(metrics);
    } else {
        let kind = g[0].kind;
        note_refused(ctx, summary, &metrics, refusal, Owner::Media, kind.name());
        if let Some(account) = &b.account {
            ctx.refused_media
                .lock()
                .entry(account.clone())
                .or_default()
                .entry(kind)
                .or_default()
                .extend(metrics.iter().cloned());
        }
        b.dropped.entry(kind).or_default().extend(metrics);
    }
    vec![g]
}

/// One `ids=` call for a group of one metric set: its insights (each kept for later runs), or the
/// group back with the error.
async fn ask_group(
    ctx: &ReportContext,
    summary: &RunSummary,
    b: &Batcher,
    g: Vec<Target>,
) -> Result<Vec<MediaInsights>, (Vec<Target>, ReportError)> {
    let ids = g
        .iter()
        .map(|t| t.id.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let fields = insights_fields(&g[0].metrics, b.breakdown.as_deref());
    match get_json(
        ctx,
        summary,
        &Endpoint::ids(),
        &[("ids", ids), ("fields", fields)],
    )
    .await
    {
        Ok(v) => Ok(group_answers(ctx, b.breakdown.as_deref(), &v, g).await),
        Err(e) => Err((g, e)),
    }
}

/// The insights of each media of `g` in a multi-id answer, each kept for later runs
/// ([`kept_insights`]).
async fn group_answers(
    ctx: &ReportContext,
    breakdown: Option<&str>,
    v: &Value,
    g: Vec<Target>,
) -> Vec<MediaInsights> {
    let mut out = Vec::with_capacity(g.len());
    for t in g {
        let data = v[&t.id]["insights"]["data"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        keep_insights(ctx, &t, breakdown, &serde_json::json!({ "data": data })).await;
        out.push(media_answer(t, data));
    }
    out
}

fn media_answer(t: Target, data: &[Value]) -> MediaInsights {
    MediaInsights {
        rows: insight_rows(data, None),
        media_id: t.id,
        media_type: t.media_type,
        media_product_type: t.product,
    }
}

/// The name one media's insights are kept under: its id, the metrics and the breakdown asked.
fn kept_name(t: &Target, breakdown: Option<&str>) -> String {
    format!(
        "media-insights {} {} {}",
        t.id,
        t.metrics.join(","),
        breakdown.unwrap_or("")
    )
}

/// Keep one media's answer (`{"data":[…]}`) or why it has none (`{"skip":"not_enough_viewers"}`) in
/// the connection's cache: a later run asks no call for it while it is fresh.
async fn keep_insights(ctx: &ReportContext, t: &Target, breakdown: Option<&str>, answer: &Value) {
    ctx.graph
        .keep(
            &kept_name(t, breakdown),
            CacheClass::Insights,
            answer.to_string().into(),
        )
        .await;
}

/// What an earlier run learned of one media's insights, if still fresh.
enum Kept {
    Answer(MediaInsights),
    Skip(&'static str),
}

async fn kept_insights(ctx: &ReportContext, t: &Target, breakdown: Option<&str>) -> Option<Kept> {
    let body = ctx
        .graph
        .kept(&kept_name(t, breakdown), CacheClass::Insights)
        .await?;
    let v: Value = serde_json::from_slice(&body).ok()?;
    if v["skip"] == "not_enough_viewers" {
        return Some(Kept::Skip("not_enough_viewers"));
    }
    let data = v["data"].as_array()?;
    Some(Kept::Answer(media_answer(t.clone(), data)))
}

/// One media that cannot have insights (its own call failed with `e`): skipped and counted; a story
/// with too few viewers is remembered (no call for it while that is fresh), a post from before the
/// conversion moves the cutoff.
async fn skip_one(
    ctx: &ReportContext,
    summary: &RunSummary,
    b: &mut Batcher,
    t: &Target,
    e: &GraphError,
) {
    let reason = skip_reason(e);
    tracing::info!(media_id = %t.id, reason, "media skipped: it cannot have insights");
    summary.skip(reason, 1);
    if reason == "not_enough_viewers" {
        keep_insights(
            ctx,
            t,
            b.breakdown.as_deref(),
            &serde_json::json!({ "skip": reason }),
        )
        .await;
    }
    if reason == "before_business_conversion" {
        let ts = t.timestamp.unwrap_or(i64::MAX);
        b.raise_cutoff(ts);
    }
}

/// The parts of a group that failed for a reason one media can cause, to ask next (not the
/// conversion of timed media: the plan searches that). A few stories, one or more with too few viewers,
/// are asked one by one: at most as many calls as halving (n ≤ 4), and fewer when several fail;
/// others in halves, newer first (a conversion boundary found there spares the older half's calls).
fn split_failed(e: &GraphError, mut g: Vec<Target>) -> Vec<Vec<Target>> {
    if skip_reason(e) == "not_enough_viewers" && g.len() <= 4 {
        return g.into_iter().map(|t| vec![t]).collect();
    }
    let older = g.split_off(g.len() / 2);
    vec![g, older]
}

/// Errors one media in a multi-id call causes for all: skippable items (2108006, "Not enough viewers").
fn splittable(e: &GraphError) -> bool {
    e.class() == ErrorClass::SkippableItem
}

fn skip_reason(e: &GraphError) -> &'static str {
    match e.api_body() {
        Some(b) if b.error_subcode == Some(2108006) => "before_business_conversion",
        Some(b) if b.code == 10 => "not_enough_viewers",
        _ => "cannot_have_insights",
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::reports::catalog::GraphVersion;
    use crate::ticket::{ReportParams, decode};

    fn params(json: &str, version: GraphVersion) -> ReportParams {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        decode(json.as_bytes(), today, version).unwrap().params
    }

    fn calls(json: &str, version: GraphVersion) -> Vec<UserCall> {
        match params(json, version) {
            ReportParams::UserInsights(p) => user_calls(&p),
            other => panic!("{other:?}"),
        }
    }

    fn keys(p: &[(&'static str, String)]) -> Vec<&'static str> {
        p.iter().map(|(k, _)| *k).collect()
    }

    fn window() -> InsightWindow {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        insight_windows(d, d, MAX_INSIGHT_WINDOW_DAYS)
            .next()
            .unwrap()
    }

    #[test]
    fn v15_calls_stay_as_they_were() {
        let c = calls(r#"{"report":"user_insights"}"#, GraphVersion::V15);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].shape, Shape::TimeSeries);
        let p = c[0].params(Some(&window()));
        assert_eq!(keys(&p), ["metric", "period", "since", "until"]);
        assert_eq!(
            p[0].1,
            "impressions,reach,follower_count,email_contacts,phone_call_clicks,text_message_clicks,get_directions_clicks,website_clicks,profile_views"
        );
        assert_eq!(p[1].1, "day");
        // lifetime: the maps in one call without a window, first; online_followers per window
        let c = calls(
            r#"{"report":"user_insights","period":"lifetime"}"#,
            GraphVersion::V15,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].shape, Shape::Snapshot);
        assert_eq!(
            c[0].params(None),
            [
                (
                    "metric",
                    "audience_city,audience_country,audience_gender_age,audience_locale"
                        .to_string()
                ),
                ("period", "lifetime".to_string())
            ]
        );
        assert_eq!(c[1].shape, Shape::TimeSeries);
        assert_eq!(c[1].metrics, ["online_followers"]);
    }

    #[test]
    fn v18_asks_series_and_totals_apart_and_each_demographic_breakdown_once() {
        let c = calls(r#"{"report":"user_insights"}"#, GraphVersion::V18);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].shape, Shape::TimeSeries);
        assert!(c[0].metrics.contains(&"follower_count".to_string()));
        assert_eq!(c[1].shape, Shape::TotalValue);
        assert_eq!(c[1].metrics[0], "accounts_engaged");
        let p = c[1].params(Some(&window()));
        assert_eq!(
            keys(&p),
            ["metric", "period", "metric_type", "since", "until"]
        );
        assert_eq!(p[2].1, "total_value");

        let c = calls(
            r#"{"report":"user_insights","period":"lifetime"}"#,
            GraphVersion::V18,
        );
        let demographics = [
            "follower_demographics",
            "engaged_audience_demographics",
            "reached_audience_demographics",
        ];
        assert_eq!(c.len(), 4, "{c:?}");
        for (call, breakdown) in c.iter().zip(["age,gender", "city", "country"]) {
            assert_eq!(call.shape, Shape::Demographic);
            assert_eq!(call.metrics, demographics);
            assert_eq!(
                call.params(None),
                [
                    ("metric", demographics.join(",")),
                    ("period", "lifetime".to_string()),
                    ("metric_type", "total_value".to_string()),
                    ("breakdown", breakdown.to_string()),
                    ("timeframe", "this_month".to_string()),
                ]
            );
        }
        assert_eq!(c[3].shape, Shape::TimeSeries);
        assert_eq!(c[3].metrics, ["online_followers"]);
    }

    #[test]
    fn a_ticket_breakdown_timeframe_or_metric_type_goes_into_every_call() {
        let c = calls(
            r#"{"report":"user_insights","breakdown":"media_product_type"}"#,
            GraphVersion::V22,
        );
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].shape, Shape::TotalValue);
        assert_eq!(
            c[0].metrics,
            [
                "reach",
                "views",
                "total_interactions",
                "likes",
                "comments",
                "shares",
                "saves"
            ]
        );
        let p = c[0].params(Some(&window()));
        assert_eq!(
            keys(&p),
            [
                "metric",
                "period",
                "metric_type",
                "breakdown",
                "since",
                "until"
            ]
        );
        assert_eq!(p[3].1, "media_product_type");

        let c = calls(
            r#"{"report":"user_insights","period":"lifetime","metrics":["follower_demographics"],"breakdown":"country","timeframe":"this_week"}"#,
            GraphVersion::V22,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].breakdown.as_deref(), Some("country"));
        assert_eq!(c[0].timeframe, Some(Timeframe::ThisWeek));

        // reach as a total value: with the other totals, not as a series
        let c = calls(
            r#"{"report":"user_insights","metrics":["reach","follows_and_unfollows"],"metric_type":"total_value"}"#,
            GraphVersion::V18,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].shape, Shape::TotalValue);
        assert_eq!(c[0].metrics, ["reach", "follows_and_unfollows"]);
    }

    #[test]
    fn media_metric_sets_come_from_the_versions_catalog() {
        let media = |json: &str, v| match params(json, v) {
            ReportParams::MediaInsights(p) => p,
            other => panic!("{other:?}"),
        };
        let all = media(r#"{"report":"media_insights"}"#, GraphVersion::V15);
        assert_eq!(
            metrics_for(&all, MediaKind::Image),
            ["engagement", "impressions", "reach", "saved"]
        );
        let all = media(r#"{"report":"media_insights"}"#, GraphVersion::V22);
        let reels = metrics_for(&all, MediaKind::Reels);
        assert!(reels.contains(&"views".to_string()) && !reels.contains(&"plays".to_string()));
        let b = media(
            r#"{"report":"media_insights","breakdown":"action_type"}"#,
            GraphVersion::V22,
        );
        assert_eq!(metrics_for(&b, MediaKind::Story), ["profile_activity"]);
        assert_eq!(
            metrics_for(&b, MediaKind::CarouselAlbum),
            Vec::<String>::new()
        );
        assert_eq!(
            insights_fields(&["reach".into(), "saved".into()], None),
            "insights.metric(reach,saved)"
        );
        assert_eq!(
            insights_fields(&["profile_activity".into()], Some("action_type")),
            "insights.metric(profile_activity).breakdown(action_type)"
        );
    }

    #[test]
    fn a_total_value_row_ends_on_the_last_day_of_its_window() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(day_start(d), 1_795_737_600); // 2026-11-27T00:00:00Z
        let lo = unix_bounds(&crate::ticket::DateRange { from: d, to: d });
        assert!(day_start(d) >= lo.0 && day_start(d) < lo.1);
    }
}
