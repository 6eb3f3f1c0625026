//! The `/insights` edges of IG users and media (top level or `insights.metric(…)` expansion), with the
//! real API's checks and error messages for the call's era. Which metric goes with which period, metric
//! type, breakdown or media kind is in [`catalog`](super::catalog); the values are computed in
//! `insight_values.rs`; the eras are described in [`versions`](super::versions).
//!
//! A single bad metric fails the whole call (no partial data), also inside an `ids=` expansion.
//! Before [`V18`] the parameters `metric_type`, `breakdown` and `timeframe` are ignored, as in the
//! seed's API.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::catalog::{
    METRIC_TYPES, USER_PERIODS, UserMetric, UserShape, media_metric_at, media_metric_title,
    timeframes, user_entries, user_metric_names_at, user_series, user_total,
};
use super::ctx::{Ctx, GResult, PageReq, time_param};
use super::data::{IgAccount, InsightError, fmt_ts, pacific_end_times};
use super::error::GraphError;
use super::fields::Field;
use super::insight_values::BreakdownRow;
use super::versions::{Api, V18, Version};

/// The parameters of one `/insights` call, from the query string or from field modifiers
/// (`insights.metric(reach).period(day).metric_type(total_value).breakdown(age,gender)`).
#[derive(Default)]
pub(super) struct InsightsReq {
    pub metrics: Vec<String>,
    pub period: Option<String>,
    pub metric_type: Option<String>,
    pub breakdown: Vec<String>,
    pub timeframe: Option<String>,
    pub page: PageReq,
}

fn list(v: &[String]) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl InsightsReq {
    /// From the query string.
    pub fn from_query(ctx: &Ctx<'_>) -> Self {
        let one = |k: &str| ctx.param(k).map(str::to_string);
        let many = |k: &str| list(&one(k).into_iter().collect::<Vec<_>>());
        InsightsReq {
            metrics: many("metric"),
            period: one("period"),
            metric_type: one("metric_type"),
            breakdown: many("breakdown"),
            timeframe: one("timeframe"),
            page: PageReq::read(|k| ctx.param(k)),
        }
    }

    /// From the modifiers of an `insights` field.
    pub fn from_field(f: &Field) -> Self {
        let one = |k: &str| f.modifier_one(k).map(str::to_string);
        let many = |k: &str| f.modifier(k).map(list).unwrap_or_default();
        InsightsReq {
            metrics: many("metric"),
            period: one("period"),
            metric_type: one("metric_type"),
            breakdown: many("breakdown"),
            timeframe: one("timeframe"),
            page: PageReq::from_field(f),
        }
    }

    /// The asked breakdown dimensions (none before [`V18`]).
    fn dims(&self, api: &Api) -> Vec<&str> {
        if api.past(V18) {
            self.breakdown.iter().map(String::as_str).collect()
        } else {
            Vec::new()
        }
    }
}

/// Whether a call asks for time series or total values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Series,
    Total,
}

/// The `metric_type` of a call (always time series before [`V18`]).
fn mode(api: &Api, req: &InsightsReq) -> GResult<Mode> {
    if !api.past(V18) {
        return Ok(Mode::Series);
    }
    match req.metric_type.as_deref() {
        None | Some("") | Some("default") | Some("time_series") => Ok(Mode::Series),
        Some("total_value") => Ok(Mode::Total),
        Some(_) => Err(GraphError::param(format!(
            "metric_type must be one of the following values: {}",
            METRIC_TYPES.join(", ")
        ))),
    }
}

fn map_insight_err(
    e: InsightError,
    api: &Api,
    media_id: &str,
    index: usize,
    metric: &str,
) -> GraphError {
    match e {
        InsightError::UnknownMedia => GraphError::unsupported_get(media_id),
        InsightError::InvalidMetric => {
            GraphError::invalid_metric(index, &super::catalog::media_metric_names_at(api))
        }
        InsightError::Incompatible => GraphError::incompatible_metric(metric),
        InsightError::ProductTypeUnsupported => GraphError::product_type_unsupported(metric),
        InsightError::BeforeConversion => GraphError::before_conversion(),
        InsightError::NotEnoughViewers => GraphError::not_enough_viewers(),
    }
}

/// `total_value` of an answer: the value, and the breakdown when `dims` were asked.
fn total_value(value: u64, dims: &[&str], rows: Vec<BreakdownRow>) -> Value {
    let mut tv = Map::new();
    tv.insert("value".into(), json!(value));
    if !dims.is_empty() {
        let results: Vec<Value> = rows
            .into_iter()
            .map(|(k, v)| json!({"dimension_values": k, "value": v}))
            .collect();
        tv.insert(
            "breakdowns".into(),
            json!([{"dimension_keys": dims, "results": results}]),
        );
    }
    Value::Object(tv)
}

/// "An unknown error has occurred." (code 1): what a breakdown a metric does not support gets.
fn unknown_error() -> GraphError {
    GraphError::new(1, "An unknown error has occurred.")
}

/// A user-insights call, checked: its period, metric type, the entry of each metric, the breakdown
/// dimensions and the timeframe.
struct UserPlan<'r> {
    period: &'r str,
    mode: Mode,
    entries: Vec<&'static UserMetric>,
    dims: Vec<&'r str>,
    timeframe: &'r str,
}

/// Whether `dims` is a breakdown a demographic answers: `age` and/or `gender`, `country` or `city`.
fn demographic_dims(dims: &[&str]) -> bool {
    match dims {
        ["country"] | ["city"] | ["age"] | ["gender"] => true,
        [a, b] => a != b && [*a, *b].iter().all(|d| matches!(*d, "age" | "gender")),
        _ => false,
    }
}

/// Check the metric names and the period of a user-insights call (in the real API's order).
fn check_names<'r>(api: &Api, req: &'r InsightsReq) -> GResult<&'r str> {
    if req.metrics.is_empty() {
        return Err(GraphError::param("The parameter metric is required"));
    }
    for (i, m) in req.metrics.iter().enumerate() {
        if user_entries(api, m).next().is_none() {
            if m == "impressions" && api.version >= Version::new(22, 0) {
                return Err(GraphError::impressions_v22());
            }
            return Err(GraphError::invalid_metric(i, &user_metric_names_at(api)));
        }
    }
    let period = req
        .period
        .as_deref()
        .ok_or_else(|| GraphError::param("The parameter period is required"))?;
    if !USER_PERIODS.contains(&period) {
        return Err(GraphError::param(format!(
            "period must be one of the following values: {}",
            USER_PERIODS.join(", ")
        )));
    }
    Ok(period)
}

/// Check a user-insights call against the catalog of `api`.
fn check_user<'r>(api: &Api, req: &'r InsightsReq) -> GResult<UserPlan<'r>> {
    let period = check_names(api, req)?;
    let mode = mode(api, req)?;
    let pick = |m: &str| match mode {
        Mode::Series => user_series(api, m),
        Mode::Total => user_total(api, m),
    };
    let missing: Vec<&str> = req
        .metrics
        .iter()
        .map(String::as_str)
        .filter(|m| pick(m).is_none())
        .collect();
    if let Some(first) = missing.first() {
        return Err(match mode {
            Mode::Series => GraphError::param(format!(
                "The following metrics ({}) should be specified with parameter metric_type=total_value",
                missing.join(", ")
            )),
            Mode::Total => GraphError::param(format!(
                "The following metric ({first}) is incompatible with the metric type (total_value)"
            )),
        });
    }
    let entries: Vec<&'static UserMetric> = req.metrics.iter().filter_map(|m| pick(m)).collect();
    let bad: Vec<&str> = entries
        .iter()
        .filter(|e| match e.shape {
            UserShape::Series(p) | UserShape::Total { periods: p, .. } => !p.contains(&period),
            UserShape::Demographic => period != "lifetime",
        })
        .map(|e| e.name)
        .collect();
    if !bad.is_empty() {
        return Err(GraphError::param(format!(
            "The following metrics do not support the period {period}: {}. All metrics of one request must share a compatible period",
            bad.join(", ")
        )));
    }
    let dims = req.dims(api);
    if !dims.is_empty() {
        let fits = |e: &&UserMetric| match e.shape {
            UserShape::Series(_) => false,
            UserShape::Total { breakdowns, .. } => {
                dims.iter().all(|d| breakdowns.contains(d))
                    && (1..dims.len()).all(|i| !dims[..i].contains(&dims[i]))
            }
            UserShape::Demographic => demographic_dims(&dims),
        };
        if !entries.iter().all(fits) {
            return Err(unknown_error());
        }
    }
    let demographics: Vec<&str> = entries
        .iter()
        .filter(|e| matches!(e.shape, UserShape::Demographic))
        .map(|e| e.name)
        .collect();
    let timeframe = req.timeframe.as_deref().unwrap_or("");
    if !demographics.is_empty() {
        if timeframe.is_empty() {
            return Err(GraphError::param(format!(
                "The following metrics ({}) require the parameter timeframe",
                demographics.join(", ")
            )));
        }
        if !timeframes(api).contains(&timeframe) {
            return Err(GraphError::param(format!(
                "timeframe must be one of the following values: {}",
                timeframes(api).join(", ")
            )));
        }
    }
    Ok(UserPlan {
        period,
        mode,
        entries,
        dims,
        timeframe,
    })
}

impl Ctx<'_> {
    /// A media's `/insights` (lifetime values; from [`V18`] with `total_value` when asked for with
    /// `metric_type=total_value` or a `breakdown`).
    pub(super) fn media_insights(&self, media_id: &str, req: &InsightsReq) -> GResult<Value> {
        if req.metrics.is_empty() {
            return Err(GraphError::param("The parameter metric is required"));
        }
        let mode = mode(&self.api, req)?;
        let dims = req.dims(&self.api);
        let mut data = Vec::new();
        for (i, metric) in req.metrics.iter().enumerate() {
            let v = self
                .data
                .media_insight_at(&self.api, media_id, metric)
                .map_err(|e| map_insight_err(e, &self.api, media_id, i, metric))?;
            let known = media_metric_at(&self.api, metric);
            let desc = known.as_ref().map_or("", |m| m.description);
            let mut o = Map::new();
            o.insert("name".into(), json!(metric));
            o.insert("period".into(), json!("lifetime"));
            if mode == Mode::Series {
                o.insert("values".into(), json!([{ "value": v }]));
            }
            o.insert("title".into(), json!(media_metric_title(metric)));
            o.insert("description".into(), json!(desc));
            if !dims.is_empty() {
                let breakdown = known.as_ref().and_then(|m| m.breakdown);
                if dims.len() != 1 || breakdown != Some(dims[0]) {
                    return Err(unknown_error());
                }
            }
            if mode == Mode::Total || !dims.is_empty() {
                let rows = match (self.data.media(media_id), dims.is_empty()) {
                    (Some(m), false) => self.data.media_breakdown(m, metric),
                    _ => Vec::new(),
                };
                o.insert(
                    "total_value".into(),
                    total_value(v.as_u64().unwrap_or(0), &dims, rows),
                );
            }
            o.insert(
                "id".into(),
                json!(format!("{media_id}/insights/{metric}/lifetime")),
            );
            data.push(Value::Object(o));
        }
        Ok(json!({ "data": data }))
    }

    /// An IG user's `/insights`: time series (one value per Pacific day end in the `since`/`until`
    /// window, default the last 2 days, or one map for the `audience_*` metrics), or from [`V18`] total
    /// values over the window (demographics: over the timeframe). At top level, windowed answers carry
    /// `paging` to the same-width windows before and after.
    pub(super) fn user_insights(
        &self,
        a: &IgAccount,
        req: &InsightsReq,
        top_level: bool,
    ) -> GResult<Value> {
        let plan = check_user(&self.api, req)?;
        let period = plan.period;
        let windowed = match plan.mode {
            Mode::Series => {
                period != "lifetime" || req.metrics.iter().any(|m| m == "online_followers")
            }
            Mode::Total => plan
                .entries
                .iter()
                .all(|e| !matches!(e.shape, UserShape::Demographic)),
        };
        let (since, until) = self.insights_window(&req.page, &req.metrics, windowed)?;
        let mut data = Vec::new();
        for e in &plan.entries {
            let m = e.name;
            let mut o = Map::new();
            o.insert("name".into(), json!(m));
            o.insert("period".into(), json!(period));
            if plan.mode == Mode::Series {
                o.insert(
                    "values".into(),
                    self.series_values(a, m, period, since, until),
                );
            }
            o.insert("title".into(), json!(e.title));
            o.insert("description".into(), json!(e.description));
            if plan.mode == Mode::Total {
                o.insert(
                    "total_value".into(),
                    self.user_total_value(a, e, &plan, since, until),
                );
            }
            o.insert(
                "id".into(),
                json!(format!("{}/insights/{m}/{period}", a.id)),
            );
            data.push(Value::Object(o));
        }
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if windowed && top_level {
            out.insert("paging".into(), self.window_paging(since, until));
        }
        Ok(Value::Object(out))
    }

    /// The `values` of one time-series user metric.
    fn series_values(
        &self,
        a: &IgAccount,
        m: &str,
        period: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Value {
        if m.starts_with("audience_") {
            return json!(
                self.data
                    .user_insight(&a.id, m, period, None)
                    .map(|v| vec![json!({ "value": v })])
                    .unwrap_or_default()
            );
        }
        let values: Vec<Value> = pacific_end_times(since, until)
            .iter()
            .filter_map(|e| {
                self.data
                    .user_insight(&a.id, m, period, Some(*e))
                    .map(|v| json!({"value": v, "end_time": fmt_ts(*e)}))
            })
            .collect();
        Value::Array(values)
    }

    /// The `total_value` of one total-value or demographic user metric.
    fn user_total_value(
        &self,
        a: &IgAccount,
        e: &UserMetric,
        plan: &UserPlan<'_>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Value {
        let (total, rows) = if matches!(e.shape, UserShape::Demographic) {
            let rows = self
                .data
                .demographics(&a.id, e.name, &plan.dims, plan.timeframe)
                .unwrap_or_default();
            (rows.iter().map(|(_, v)| v).sum(), rows)
        } else {
            let total = self
                .data
                .user_total(&a.id, e.name, since, until)
                .unwrap_or(0);
            let rows = self
                .data
                .user_breakdown(&a.id, e.name, &plan.dims, total)
                .unwrap_or_default();
            (total, rows)
        };
        total_value(total, &plan.dims, rows)
    }

    /// The `since`/`until` window of a user-insights call, checked when the metrics are windowed.
    fn insights_window(
        &self,
        req: &PageReq,
        metrics: &[String],
        windowed: bool,
    ) -> GResult<(DateTime<Utc>, DateTime<Utc>)> {
        let since = time_param("since", req.since.as_deref())?;
        let until = time_param("until", req.until.as_deref())?;
        let (since, until) = match (since, until) {
            (Some(s), Some(u)) => (s, u),
            (Some(s), None) => (s, s + Duration::days(2)),
            (None, Some(u)) => (u - Duration::days(2), u),
            (None, None) => (self.now - Duration::days(2), self.now),
        };
        if windowed {
            if since > until {
                return Err(GraphError::param(
                    "The since parameter must be earlier than the until parameter",
                ));
            }
            if (until - since).num_seconds() > 2_592_000 {
                return Err(GraphError::param(
                    "There cannot be more than 30 days (2592000 s) between since and until",
                ));
            }
            let today = self
                .now
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc();
            if metrics.iter().any(|m| m == "follower_count") && since < today - Duration::days(30) {
                return Err(GraphError::param(
                    "(follower_count) metric only supports querying data for the last 30 days excluding the current day",
                ));
            }
        }
        Ok((since, until))
    }

    /// `paging.previous`/`next` of user insights: the same-width windows shifted back and forward.
    fn window_paging(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Value {
        let w = until - since;
        let mk = |s: DateTime<Utc>, u: DateTime<Utc>| {
            let mut p: Vec<(String, String)> = self
                .params
                .iter()
                .filter(|(k, _)| k != "since" && k != "until")
                .cloned()
                .collect();
            p.push(("since".into(), s.timestamp().to_string()));
            p.push(("until".into(), u.timestamp().to_string()));
            self.url(&self.target.path(), &p)
        };
        json!({"previous": mk(since - w, until - w), "next": mk(since + w, until + w)})
    }
}
