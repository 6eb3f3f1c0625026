//! Insights: the values (deterministic functions of the seed, the account or media, the metric and the
//! day) and the `/insights` edges of IG users and media (top level or `insights.metric(…)` expansion),
//! with the real API's checks and error messages. Which metric goes with which period or media kind is
//! in [`catalog`](super::catalog).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::catalog::{
    MediaKind, USER_PERIODS, media_metric, media_metric_names, media_metric_title, user_metric,
    user_metric_names, user_metric_supports,
};
use super::ctx::{Ctx, GResult, PageReq, time_param};
use super::data::{
    Dataset, IgAccount, InsightError, Media, MediaType, ObjRef, ProductType, fmt_ts,
    is_pacific_midnight, pacific_end_times,
};
use super::error::GraphError;
use super::rng::{hash, hash_str};

/// The media kind that decides which metrics a media has.
fn media_kind(m: &Media) -> MediaKind {
    match (m.media_product_type, m.media_type) {
        (ProductType::Story, _) => MediaKind::Story,
        (ProductType::Reels, _) => MediaKind::Reels,
        (_, MediaType::CarouselAlbum) => MediaKind::Carousel,
        (_, MediaType::Video) => MediaKind::Video,
        (_, MediaType::Image) => MediaKind::Image,
    }
}

fn map_insight_err(e: InsightError, media_id: &str, index: usize, metric: &str) -> GraphError {
    match e {
        InsightError::UnknownMedia => GraphError::unsupported_get(media_id),
        InsightError::InvalidMetric => GraphError::invalid_metric(index, &media_metric_names()),
        InsightError::Incompatible => GraphError::incompatible_metric(metric),
        InsightError::BeforeConversion => GraphError::before_conversion(),
        InsightError::NotEnoughViewers => GraphError::not_enough_viewers(),
    }
}

/// Check the metrics and the period of a user-insights call; the period.
fn check_user_metrics<'p>(metrics: &[String], period: Option<&'p str>) -> GResult<&'p str> {
    if metrics.is_empty() {
        return Err(GraphError::param("The parameter metric is required"));
    }
    for (i, m) in metrics.iter().enumerate() {
        if user_metric(m).is_none() {
            return Err(GraphError::invalid_metric(i, &user_metric_names()));
        }
    }
    let period = period.ok_or_else(|| GraphError::param("The parameter period is required"))?;
    if !USER_PERIODS.contains(&period) {
        return Err(GraphError::param(format!(
            "period must be one of the following values: {}",
            USER_PERIODS.join(", ")
        )));
    }
    let bad: Vec<&str> = metrics
        .iter()
        .map(String::as_str)
        .filter(|m| !user_metric_supports(m, period))
        .collect();
    if !bad.is_empty() {
        return Err(GraphError::param(format!(
            "The following metrics do not support the period {period}: {}. All metrics of one request must share a compatible period",
            bad.join(", ")
        )));
    }
    Ok(period)
}

impl Ctx<'_> {
    /// A media's `/insights` (lifetime values).
    pub(super) fn media_insights(&self, media_id: &str, metrics: &[String]) -> GResult<Value> {
        if metrics.is_empty() {
            return Err(GraphError::param("The parameter metric is required"));
        }
        let mut data = Vec::new();
        for (i, metric) in metrics.iter().enumerate() {
            let v = self
                .data
                .media_insight(media_id, metric)
                .map_err(|e| map_insight_err(e, media_id, i, metric))?;
            let desc = media_metric(metric).map_or("", |m| m.description);
            data.push(json!({
                "name": metric, "period": "lifetime", "values": [{"value": v}],
                "title": media_metric_title(metric), "description": desc,
                "id": format!("{media_id}/insights/{metric}/lifetime"),
            }));
        }
        Ok(json!({ "data": data }))
    }

    /// An IG user's `/insights`: one value per Pacific day end in the `since`/`until` window (default:
    /// the last 2 days), or one map for the `audience_*` metrics. At top level, `paging` points at the
    /// same-width windows before and after.
    pub(super) fn user_insights(
        &self,
        a: &IgAccount,
        metrics: &[String],
        period: Option<&str>,
        req: &PageReq,
        top_level: bool,
    ) -> GResult<Value> {
        let period = check_user_metrics(metrics, period)?;
        let windowed = period != "lifetime" || metrics.iter().any(|m| m == "online_followers");
        let (since, until) = self.insights_window(req, metrics, windowed)?;
        let ends = pacific_end_times(since, until);
        let mut data = Vec::new();
        for m in metrics {
            let values: Vec<Value> = if m.starts_with("audience_") {
                self.data
                    .user_insight(&a.id, m, period, None)
                    .map(|v| vec![json!({ "value": v })])
                    .unwrap_or_default()
            } else {
                ends.iter()
                    .filter_map(|e| {
                        self.data
                            .user_insight(&a.id, m, period, Some(*e))
                            .map(|v| json!({"value": v, "end_time": fmt_ts(*e)}))
                    })
                    .collect()
            };
            let (title, desc) = user_metric(m).map_or(("", ""), |u| (u.title, u.description));
            data.push(json!({
                "name": m, "period": period, "values": values, "title": title, "description": desc,
                "id": format!("{}/insights/{m}/{period}", a.id),
            }));
        }
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if windowed && top_level {
            out.insert("paging".into(), self.window_paging(since, until));
        }
        Ok(Value::Object(out))
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

// ---------------------------------------------------------------------------------------- values

impl Dataset {
    /// The lifetime value of one media metric, or why it cannot be given. Checks in the real API's order:
    /// unknown metric name, pre-conversion media, incompatible metric, story with too few viewers.
    pub fn media_insight(&self, media_id: &str, metric: &str) -> Result<Value, InsightError> {
        let m = match self.lookup(media_id) {
            Some(ObjRef::Media(a, i)) => &self.accounts[a].media[i],
            Some(ObjRef::Story(a, i)) => &self.accounts[a].stories[i],
            Some(ObjRef::Child(..)) => {
                return Err(if media_metric(metric).is_some() {
                    InsightError::Incompatible
                } else {
                    InsightError::InvalidMetric
                });
            }
            _ => return Err(InsightError::UnknownMedia),
        };
        let Some(known) = media_metric(metric) else {
            return Err(InsightError::InvalidMetric);
        };
        if self.before_conversion(media_id) {
            return Err(InsightError::BeforeConversion);
        }
        if !known.kinds.contains(&media_kind(m)) {
            return Err(InsightError::Incompatible);
        }
        if m.low_viewers {
            return Err(InsightError::NotEnoughViewers);
        }
        let h = |k: &str| hash(&[self.seed, hash_str(&m.id), hash_str(k)]);
        let likes = m.like_count.unwrap_or(h("likes") % 900);
        let comments = m.comments_count.unwrap_or(0);
        let reach = 150 + h("reach") % 6_000;
        let impressions = reach + reach * (h("impr") % 60) / 100;
        let saved = h("saved") % 120;
        let shares = h("shares") % 90;
        let v = match metric {
            "reach" | "carousel_album_reach" => reach,
            "impressions" | "carousel_album_impressions" => impressions,
            "saved" | "carousel_album_saved" => saved,
            "engagement" | "carousel_album_engagement" => likes + comments + saved,
            "video_views" => reach * (50 + h("vv") % 70) / 100,
            "carousel_album_video_views" => {
                if m.children.iter().any(|c| c.media_type == MediaType::Video) {
                    reach * (20 + h("vv") % 50) / 100
                } else {
                    0
                }
            }
            "likes" => likes,
            "comments" => comments,
            "shares" => shares,
            "plays" => reach * (120 + h("plays") % 200) / 100,
            "total_interactions" => likes + comments + saved + shares,
            "exits" => reach * (h("exits") % 30) / 100,
            "replies" => h("replies") % 12,
            "taps_forward" => reach * (40 + h("tf") % 40) / 100,
            "taps_back" => reach * (h("tb") % 15) / 100,
            _ => h(metric) % 100,
        };
        Ok(json!(v))
    }

    fn daily(&self, account: &IgAccount, metric: &str, end_time: DateTime<Utc>) -> u64 {
        let day = end_time.timestamp().div_euclid(86_400) as u64;
        let h = hash(&[self.seed, hash_str(&account.id), hash_str(metric), day]);
        let weekday_boost = [100u64, 92, 95, 97, 105, 125, 130][(day % 7) as usize];
        let base = account.followers_count / 12 * weekday_boost / 100;
        let noise = |lo: u64, span: u64| lo + h % span;
        match metric {
            "impressions" => base * noise(60, 80) / 100 + 50,
            "reach" => (self.daily(account, "impressions", end_time)) * noise(55, 25) / 100,
            "follower_count" => noise(0, 46),
            "email_contacts" => noise(0, 6),
            "phone_call_clicks" => noise(0, 5),
            "text_message_clicks" => noise(0, 4),
            "get_directions_clicks" => noise(0, 9),
            "website_clicks" => noise(0, 41),
            "profile_views" => noise(20, 380),
            _ => 0,
        }
    }

    fn lifetime_map(&self, account: &IgAccount, metric: &str, salt: u64) -> Value {
        let keys: Vec<String> = match metric {
            "audience_city" => [
                "Portland, Oregon",
                "Seattle, Washington",
                "London, England",
                "São Paulo, São Paulo (state)",
                "New York, New York",
                "Tokyo, Tokyo",
                "Berlin, Berlin",
                "Paris, Île-de-France",
                "Vancouver, British Columbia",
                "San Francisco, California",
                "Mexico City, Distrito Federal",
                "Kraków, Lesser Poland Voivodeship",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            "audience_country" => ["US", "GB", "BR", "JP", "DE", "FR", "CA", "MX", "PL", "IT"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            "audience_gender_age" => {
                let mut v = Vec::new();
                for g in ["F", "M", "U"] {
                    for b in ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"] {
                        v.push(format!("{g}.{b}"));
                    }
                }
                v
            }
            "audience_locale" => [
                "en_US", "en_GB", "es_LA", "pt_BR", "ja_JP", "de_DE", "fr_FR", "pl_PL",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            _ => (0..24).map(|h| h.to_string()).collect(),
        };
        let mut map = BTreeMap::new();
        let n = keys.len() as u64;
        for (i, k) in keys.into_iter().enumerate() {
            let h = hash(&[
                self.seed,
                hash_str(&account.id),
                hash_str(metric),
                salt,
                i as u64,
            ]);
            let v = if metric == "online_followers" {
                // diurnal curve, peak in the evening
                let hour = i as u64;
                let curve = 30 + (if hour >= 12 { 24 - hour } else { hour }) * 6;
                account.followers_count / 40 * curve / 100 + h % 50
            } else {
                account.followers_count * 2 / n * (40 + h % 120) / 100 / (1 + i as u64 / 3)
            };
            map.insert(k, json!(v));
        }
        Value::Object(map.into_iter().collect())
    }

    /// One user-insight value. `end_time` is a Pacific midnight for `day`/`week`/`days_28` and for
    /// `online_followers`; it is ignored (pass `None`) for the `audience_*` metrics. `None` when the
    /// account, metric/period pair or end time has no data: day/week/days_28 values exist for end times in
    /// the last 2 years (≤ now), `follower_count` and `online_followers` for the last 30 days only.
    pub fn user_insight(
        &self,
        account: &str,
        metric: &str,
        period: &str,
        end_time: Option<DateTime<Utc>>,
    ) -> Option<Value> {
        let acc = self.account(account)?;
        if !user_metric_supports(metric, period) {
            return None;
        }
        if metric.starts_with("audience_") {
            return Some(self.lifetime_map(acc, metric, 0));
        }
        let e = end_time?;
        if !is_pacific_midnight(e) || e > self.now || e <= self.now - Duration::days(730) {
            return None;
        }
        let last30 = e > self.now - Duration::days(30);
        match (period, metric) {
            ("lifetime", "online_followers") => last30
                .then(|| self.lifetime_map(acc, metric, e.timestamp().div_euclid(86_400) as u64)),
            ("day", "follower_count") => last30.then(|| json!(self.daily(acc, metric, e))),
            ("day", _) => Some(json!(self.daily(acc, metric, e))),
            ("week", _) | ("days_28", _) => {
                let days = if period == "week" { 7 } else { 28 };
                let sum: u64 = (0..days)
                    .map(|d| self.daily(acc, metric, e - Duration::days(d)))
                    .sum();
                let factor = match (metric, days) {
                    ("reach", 7) => 70,
                    ("reach", _) => 50,
                    _ => 100,
                };
                Some(json!(sum * factor / 100))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 20, 15, 30, 0).unwrap()
    }

    #[test]
    fn insight_rules() {
        let d = Dataset::generate(42, now());
        let a = &d.accounts[0];
        let old = a
            .media
            .iter()
            .find(|m| m.timestamp < a.conversion_time)
            .unwrap();
        assert_eq!(
            d.media_insight(&old.id, "reach"),
            Err(InsightError::BeforeConversion)
        );
        let img = a
            .media
            .iter()
            .find(|m| m.media_type == MediaType::Image && m.timestamp > a.conversion_time)
            .unwrap();
        assert!(d.media_insight(&img.id, "reach").is_ok());
        assert_eq!(
            d.media_insight(&img.id, "plays"),
            Err(InsightError::Incompatible)
        );
        assert_eq!(
            d.media_insight(&img.id, "nope"),
            Err(InsightError::InvalidMetric)
        );
        let low = a.stories.iter().find(|s| s.low_viewers).unwrap();
        assert_eq!(
            d.media_insight(&low.id, "reach"),
            Err(InsightError::NotEnoughViewers)
        );
        let recent = pacific_end_times(d.now - Duration::days(3), d.now);
        assert!(
            d.user_insight(&a.id, "follower_count", "day", Some(recent[0]))
                .is_some()
        );
        let old_e = pacific_end_times(d.now - Duration::days(60), d.now - Duration::days(59))[0];
        assert!(
            d.user_insight(&a.id, "follower_count", "day", Some(old_e))
                .is_none()
        );
        assert!(d.user_insight(&a.id, "reach", "day", Some(old_e)).is_some());
        assert!(
            d.user_insight(&a.id, "audience_city", "lifetime", None)
                .unwrap()
                .is_object()
        );
    }
}
