//! Insight values: deterministic functions of the seed, the account or media, the metric, the day and
//! the clock of the data set (values of recent media and days grow to their final value:
//! [`engagement_share`], [`day_share`]).
//! Which metric a call may ask for is in [`catalog`](super::catalog) (by era); the `/insights` edges
//! are in `insights.rs`. Breakdown results add up to their total: a generic breakdown splits the
//! total by weights drawn from the seed (the remainder goes to the first results), a demographic adds
//! up its rows, `navigation` adds up its actions.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::catalog::{
    AGES, CITIES, COUNTRIES, GENDERS, LOCALES, MediaKind, dimension_values, media_metric_at,
    user_metric_supports,
};
use super::data::{
    Dataset, IgAccount, InsightError, Media, MediaType, ObjRef, ProductType, day_share,
    engagement_share, is_pacific_midnight, pacific_end_times,
};
use super::rng::{hash, hash_str};
use super::versions::Api;

/// One breakdown result: its dimension values (in the order of the asked dimensions) and its value.
pub type BreakdownRow = (Vec<String>, u64);

/// The media kind that decides which metrics a media has.
pub fn media_kind(m: &Media) -> MediaKind {
    match (m.media_product_type, m.media_type) {
        (ProductType::Story, _) => MediaKind::Story,
        (ProductType::Reels, _) => MediaKind::Reels,
        (_, MediaType::CarouselAlbum) => MediaKind::Carousel,
        (_, MediaType::Video) => MediaKind::Video,
        (_, MediaType::Image) => MediaKind::Image,
    }
}

/// Split `total` over `keys` by weights drawn from `salt`: the parts add up to `total`.
fn split(salt: u64, keys: Vec<Vec<String>>, total: u64) -> Vec<BreakdownRow> {
    let weights: Vec<u64> = keys
        .iter()
        .map(|k| 1 + hash(&[salt, hash_str(&k.join("|"))]) % 100)
        .collect();
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut parts: Vec<u64> = weights.iter().map(|w| total * w / sum).collect();
    let mut rest = total - parts.iter().sum::<u64>();
    for p in parts.iter_mut() {
        if rest == 0 {
            break;
        }
        *p += 1;
        rest -= 1;
    }
    keys.into_iter().zip(parts).collect()
}

/// Every combination of the values of `dims`, in order (`None`: a dimension without values).
fn combinations(dims: &[&str]) -> Option<Vec<Vec<String>>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for d in dims {
        let values = dimension_values(d)?;
        out = out
            .iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut k = prefix.clone();
                    k.push(v.to_string());
                    k
                })
            })
            .collect();
    }
    Some(out)
}

impl Dataset {
    /// The lifetime value of one media metric in the seed's API (v15), or why it cannot be given.
    pub fn media_insight(&self, media_id: &str, metric: &str) -> Result<Value, InsightError> {
        self.media_insight_at(&Api::SEED, media_id, metric)
    }

    /// The lifetime value of one media metric as `api` serves it, or why it cannot be given. Checks in
    /// the real API's order: unknown metric name, pre-conversion media, incompatible metric, story with
    /// too few viewers.
    pub fn media_insight_at(
        &self,
        api: &Api,
        media_id: &str,
        metric: &str,
    ) -> Result<Value, InsightError> {
        let (account, m) = match self.lookup(media_id) {
            Some(ObjRef::Media(a, i)) => (&self.accounts[a], &self.accounts[a].media[i]),
            Some(ObjRef::Story(a, i)) => (&self.accounts[a], &self.accounts[a].stories[i]),
            Some(ObjRef::Child(..)) => {
                return Err(if media_metric_at(api, metric).is_some() {
                    InsightError::Incompatible
                } else {
                    InsightError::InvalidMetric
                });
            }
            _ => return Err(InsightError::UnknownMedia),
        };
        let Some(known) = media_metric_at(api, metric) else {
            return Err(InsightError::InvalidMetric);
        };
        if self.before_conversion(media_id) {
            return Err(InsightError::BeforeConversion);
        }
        let refused_views =
            metric == "views" && account.views_only_on_reels && media_kind(m) != MediaKind::Reels;
        if refused_views || !known.kinds.contains(&media_kind(m)) {
            return Err(if metric == "views" {
                InsightError::ProductTypeUnsupported
            } else {
                InsightError::Incompatible
            });
        }
        if m.low_viewers {
            return Err(InsightError::NotEnoughViewers);
        }
        Ok(json!(self.media_value(m, metric)))
    }

    /// The lifetime value of media metric `metric` for `m` at the data set's clock (whatever the era;
    /// 0 for unknown names): the counts (reach, saves, shares, …) are their share of the final value
    /// ([`engagement_share`]), likes and comments are `m`'s counts.
    pub fn media_value(&self, m: &Media, metric: &str) -> u64 {
        let share = engagement_share(m.timestamp, self.now);
        let h = |k: &str| hash(&[self.seed, hash_str(&m.id), hash_str(k)]);
        let grown = |k: &str, span: u64| h(k) % span * share / 1000;
        let kind = media_kind(m);
        let likes = m.like_count.unwrap_or_else(|| grown("likes", 900));
        let comments = m.comments_count.unwrap_or(0);
        let reach = (150 + h("reach") % 6_000) * share / 1000;
        let impressions = reach + reach * (h("impr") % 60) / 100;
        let saved = grown("saved", 120);
        let shares = grown("shares", 90);
        let replies = grown("replies", 12);
        let plays = reach * (120 + h("plays") % 200) / 100;
        let album_views = if m.children.iter().any(|c| c.media_type == MediaType::Video) {
            reach * (20 + h("vv") % 50) / 100
        } else {
            0
        };
        let watch_time = 1_500 + h("watch") % 20_000;
        match metric {
            "reach" | "carousel_album_reach" => reach,
            "impressions" | "carousel_album_impressions" => impressions,
            "saved" | "carousel_album_saved" => saved,
            "engagement" | "carousel_album_engagement" => likes + comments + saved,
            "video_views" if kind == MediaKind::Carousel => album_views,
            "video_views" => reach * (50 + h("vv") % 70) / 100,
            "carousel_album_video_views" => album_views,
            "likes" => likes,
            "comments" => comments,
            "shares" => shares,
            "plays" => plays,
            "views" if kind == MediaKind::Reels => plays,
            "views" => impressions,
            "total_interactions" if kind == MediaKind::Story => replies + shares,
            "total_interactions" => likes + comments + saved + shares,
            "exits" => reach * (h("exits") % 30) / 100,
            "replies" => replies,
            "taps_forward" => reach * (40 + h("tf") % 40) / 100,
            "taps_back" => reach * (h("tb") % 15) / 100,
            "navigation" => self.media_breakdown(m, metric).iter().map(|(_, v)| v).sum(),
            "follows" => grown("follows", 40),
            "profile_visits" => grown("visits", 200),
            "profile_activity" => grown("activity", 60),
            "ig_reels_avg_watch_time" => watch_time,
            "ig_reels_video_view_total_time" => plays * watch_time,
            "clips_replays_count" => plays.saturating_sub(reach),
            "ig_reels_aggregated_all_plays_count" => plays + reach * (h("fbplays") % 30) / 100,
            _ => grown(metric, 100),
        }
    }

    /// The breakdown results of `profile_activity` (`action_type`) and `navigation`
    /// (`story_navigation_action_type`) for `m`; they add up to the metric's value. Empty for other
    /// metrics.
    pub fn media_breakdown(&self, m: &Media, metric: &str) -> Vec<BreakdownRow> {
        match metric {
            "navigation" => [
                ("tap_forward", "taps_forward"),
                ("tap_back", "taps_back"),
                ("tap_exit", "exits"),
                ("swipe_forward", "swipe_forward"),
            ]
            .iter()
            .map(|(key, legacy)| {
                let v = if *legacy == "swipe_forward" {
                    let reach = self.media_value(m, "reach");
                    reach * (hash(&[self.seed, hash_str(&m.id), hash_str("sf")]) % 10) / 100
                } else {
                    self.media_value(m, legacy)
                };
                (vec![key.to_string()], v)
            })
            .collect(),
            "profile_activity" => split(
                hash(&[self.seed, hash_str(&m.id), hash_str(metric)]),
                combinations(&["action_type"]).unwrap_or_default(),
                self.media_value(m, metric),
            ),
            _ => Vec::new(),
        }
    }

    /// The daily value of a user metric at one Pacific day end (time series and total-value metrics) at
    /// the data set's clock: its share of the final value ([`day_share`]); sums are sums of their
    /// parts.
    fn daily(&self, account: &IgAccount, metric: &str, end_time: DateTime<Utc>) -> u64 {
        let parts: &[&str] = match metric {
            "total_interactions" => &["likes", "comments", "shares", "saves", "replies"],
            "profile_links_taps" => &[
                "email_contacts",
                "phone_call_clicks",
                "text_message_clicks",
                "get_directions_clicks",
            ],
            _ => {
                let v = self.daily_final(account, metric, end_time);
                return v * day_share(end_time, self.now) / 1000;
            }
        };
        parts.iter().map(|m| self.daily(account, m, end_time)).sum()
    }

    /// The final daily value of a user metric at one Pacific day end (not the sums: [`Self::daily`]).
    fn daily_final(&self, account: &IgAccount, metric: &str, end_time: DateTime<Utc>) -> u64 {
        let day = end_time.timestamp().div_euclid(86_400) as u64;
        let h = hash(&[self.seed, hash_str(&account.id), hash_str(metric), day]);
        let weekday_boost = [100u64, 92, 95, 97, 105, 125, 130][(day % 7) as usize];
        let base = account.followers_count / 12 * weekday_boost / 100;
        let noise = |lo: u64, span: u64| lo + h % span;
        let of = |m: &str| self.daily_final(account, m, end_time);
        match metric {
            "impressions" | "views" => base * noise(60, 80) / 100 + 50,
            "reach" => of("impressions") * noise(55, 25) / 100,
            "accounts_engaged" => of("reach") * noise(5, 10) / 100,
            "follower_count" => noise(0, 46),
            "email_contacts" => noise(0, 6),
            "phone_call_clicks" => noise(0, 5),
            "text_message_clicks" => noise(0, 4),
            "get_directions_clicks" => noise(0, 9),
            "website_clicks" => noise(0, 41),
            "profile_views" => noise(20, 380),
            "likes" => base * noise(2, 5) / 100,
            "comments" => of("likes") * noise(4, 12) / 100,
            "shares" => of("likes") * noise(2, 10) / 100,
            "saves" => of("likes") * noise(5, 15) / 100,
            "replies" => noise(0, 9),
            "follows_and_unfollows" => of("follower_count") + noise(0, 12),
            _ => 0,
        }
    }

    /// The values of one lifetime map (`audience_*`, `online_followers`), keyed in generation order.
    /// `salt` varies the values (0 for the `audience_*` maps).
    fn lifetime_rows(&self, account: &IgAccount, metric: &str, salt: u64) -> Vec<(String, u64)> {
        let keys: Vec<String> = match metric {
            "audience_city" => CITIES.iter().map(|s| s.to_string()).collect(),
            "audience_country" => COUNTRIES.iter().map(|s| s.to_string()).collect(),
            "audience_gender_age" => GENDERS
                .iter()
                .flat_map(|g| AGES.iter().map(move |b| format!("{g}.{b}")))
                .collect(),
            "audience_locale" => LOCALES.iter().map(|s| s.to_string()).collect(),
            _ => (0..24).map(|h| h.to_string()).collect(),
        };
        let n = keys.len() as u64;
        keys.into_iter()
            .enumerate()
            .map(|(i, k)| {
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
                (k, v)
            })
            .collect()
    }

    fn lifetime_map(&self, account: &IgAccount, metric: &str, salt: u64) -> Value {
        let map: BTreeMap<String, Value> = self
            .lifetime_rows(account, metric, salt)
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        Value::Object(map.into_iter().collect())
    }

    /// One user-insight time-series value (the seed's API catalog). `end_time` is a Pacific midnight
    /// for `day`/`week`/`days_28` and for `online_followers`; it is ignored (pass `None`) for the
    /// `audience_*` metrics. `None` when the account, metric/period pair or end time has no data:
    /// day/week/days_28 values exist for end times in the 2 years up to the clock, `follower_count` and
    /// `online_followers` for the last 30 days only.
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
        if !self.has_day(e) {
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

    /// Whether day end `e` has user data: a Pacific midnight, not after now, within the last 2 years.
    fn has_day(&self, e: DateTime<Utc>) -> bool {
        is_pacific_midnight(e) && e <= self.now && e > self.now - Duration::days(730)
    }

    /// The total value of a total-value user metric over the Pacific days ending in `(since, until]`
    /// that have data: the sum of its daily values (70% of it for the unique counts `reach` and
    /// `accounts_engaged` over more than one day). `None` for an unknown account.
    pub fn user_total(
        &self,
        account: &str,
        metric: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<u64> {
        let acc = self.account(account)?;
        let days: Vec<DateTime<Utc>> = pacific_end_times(since, until)
            .into_iter()
            .filter(|e| self.has_day(*e))
            .collect();
        let sum: u64 = days.iter().map(|e| self.daily(acc, metric, *e)).sum();
        let unique = matches!(metric, "reach" | "accounts_engaged") && days.len() > 1;
        Some(if unique { sum * 70 / 100 } else { sum })
    }

    /// The results of a total-value user metric broken down by `dims` (every combination of their
    /// values, in order); they add up to `total`. `None` when a dimension has no values.
    pub fn user_breakdown(
        &self,
        account: &str,
        metric: &str,
        dims: &[&str],
        total: u64,
    ) -> Option<Vec<BreakdownRow>> {
        let salt = hash(&[
            self.seed,
            hash_str(account),
            hash_str(metric),
            hash_str(&dims.join(",")),
        ]);
        Some(split(salt, combinations(dims)?, total))
    }

    /// The results of a demographic metric (`follower_demographics`, `engaged_audience_demographics`,
    /// `reached_audience_demographics`) broken down by `dims`: `age` and/or `gender` (pairs in the
    /// asked order, every pair kept), `country` or `city`; no dimension: one row with the total.
    /// `follower_demographics` are the `audience_*` maps of the seed's API (the timeframe does not
    /// change them); the engaged and reached audiences are smaller and depend on the timeframe.
    /// `None` for an unknown account or another combination of dimensions.
    pub fn demographics(
        &self,
        account: &str,
        metric: &str,
        dims: &[&str],
        timeframe: &str,
    ) -> Option<Vec<BreakdownRow>> {
        let acc = self.account(account)?;
        let age_gender = dims.iter().all(|d| matches!(*d, "age" | "gender"));
        let source = match dims {
            ["country"] => "audience_country",
            ["city"] => "audience_city",
            _ if age_gender && dims.len() <= 2 && !(dims.len() == 2 && dims[0] == dims[1]) => {
                "audience_gender_age"
            }
            _ => return None,
        };
        let (salt, scale) = match metric {
            "follower_demographics" => (0, 100),
            _ => {
                let audience = if metric.starts_with("engaged") {
                    20
                } else {
                    45
                };
                let span = match timeframe {
                    "this_week" => 40,
                    "last_14_days" => 60,
                    "last_90_days" => 180,
                    _ => 100,
                };
                (hash_str(&format!("{metric}/{timeframe}")), audience * span)
            }
        };
        let mut out: Vec<BreakdownRow> = Vec::new();
        for (key, v) in self.lifetime_rows(acc, source, salt) {
            let v = if scale == 100 { v } else { v * scale / 10_000 };
            let row: Vec<String> = match key.split_once('.') {
                Some((g, a)) => dims
                    .iter()
                    .map(|d| if *d == "age" { a } else { g }.to_string())
                    .collect(),
                None => vec![key],
            };
            match out.iter_mut().find(|(k, _)| *k == row) {
                Some((_, sum)) => *sum += v,
                None => out.push((row, v)),
            }
        }
        Some(out)
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

    #[test]
    fn breakdowns_add_up() {
        let d = Dataset::generate(42, now());
        let a = &d.accounts[0];
        let rows = d
            .user_breakdown(
                &a.id,
                "reach",
                &["media_product_type", "follow_type"],
                1_001,
            )
            .unwrap();
        assert_eq!(rows.len(), 10);
        assert_eq!(rows.iter().map(|(_, v)| v).sum::<u64>(), 1_001);
        // follower demographics are the audience maps
        let city = d
            .demographics(&a.id, "follower_demographics", &["city"], "this_month")
            .unwrap();
        let map = d
            .user_insight(&a.id, "audience_city", "lifetime", None)
            .unwrap();
        for (k, v) in &city {
            assert_eq!(map[&k[0]], json!(v));
        }
        let pairs = d
            .demographics(
                &a.id,
                "follower_demographics",
                &["age", "gender"],
                "this_month",
            )
            .unwrap();
        assert_eq!(pairs.len(), 21);
        let ages = d
            .demographics(&a.id, "follower_demographics", &["age"], "this_month")
            .unwrap();
        let sum = |r: &[BreakdownRow]| r.iter().map(|(_, v)| v).sum::<u64>();
        assert_eq!(sum(&pairs), sum(&ages));
        assert!(
            d.demographics(
                &a.id,
                "follower_demographics",
                &["age", "city"],
                "this_month"
            )
            .is_none()
        );
        let story = a.stories.iter().find(|s| !s.low_viewers).unwrap();
        let nav = d.media_breakdown(story, "navigation");
        assert_eq!(
            nav.iter().map(|(_, v)| v).sum::<u64>(),
            d.media_value(story, "navigation")
        );
    }
}
