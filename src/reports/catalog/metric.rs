//! What the catalog says about a metric, and the catalog of one era ([`Catalog`]).

use std::fmt;

use super::version::{Era, GraphVersion};
use super::{MediaKind, Period};

/// How a user-insights metric is asked and how it answers (reference §4.6, §5.1, §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// `values[]` with an `end_time` per day (or week, 28 days), asked per ≤ 30-day `since`/`until`
    /// window; the lifetime `online_followers` too (one hour map per day).
    TimeSeries,
    /// A lifetime map asked without `since`/`until`, answered without `end_time` (v15's `audience_*`).
    Snapshot,
    /// `metric_type=total_value`: one value (or one per breakdown result) per `since`/`until` range.
    TotalValue,
    /// `metric_type=total_value` with a `breakdown` and a `timeframe`, period `lifetime`, no range
    /// (`follower_demographics` and the engaged/reached audiences).
    Demographic,
}

impl Shape {
    /// Asked per `since`/`until` window (else one call without a range).
    pub fn ranged(self) -> bool {
        matches!(self, Shape::TimeSeries | Shape::TotalValue)
    }

    /// Asked with `metric_type=total_value`.
    pub fn total_value(self) -> bool {
        matches!(self, Shape::TotalValue | Shape::Demographic)
    }
}

/// The `metric_type` ticket key (reference §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    /// Each metric in its catalog shape (the default).
    #[default]
    Default,
    /// Only time series.
    TimeSeries,
    /// Only total values (demographics included).
    TotalValue,
}

impl MetricType {
    /// Every value.
    pub const ALL: [MetricType; 3] = [
        MetricType::Default,
        MetricType::TimeSeries,
        MetricType::TotalValue,
    ];

    /// The Graph API name.
    pub fn name(self) -> &'static str {
        match self {
            MetricType::Default => "default",
            MetricType::TimeSeries => "time_series",
            MetricType::TotalValue => "total_value",
        }
    }

    /// Parse a Graph API name.
    pub fn from_name(s: &str) -> Option<MetricType> {
        MetricType::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Whether a metric of these shapes can be asked with this metric type.
    pub fn fits(self, shapes: &[Shape]) -> bool {
        match self {
            MetricType::Default => true,
            MetricType::TimeSeries => shapes.contains(&Shape::TimeSeries),
            MetricType::TotalValue => shapes.iter().any(|s| s.total_value()),
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `timeframe` of a demographic metric (reference §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timeframe {
    ThisWeek,
    ThisMonth,
    Last14Days,
    Last30Days,
    Last90Days,
    PrevMonth,
}

impl Timeframe {
    /// Every value.
    pub const ALL: [Timeframe; 6] = [
        Timeframe::ThisWeek,
        Timeframe::ThisMonth,
        Timeframe::Last14Days,
        Timeframe::Last30Days,
        Timeframe::Last90Days,
        Timeframe::PrevMonth,
    ];

    /// What v20.0+ still takes for the engaged/reached audiences.
    pub const CURRENT: [Timeframe; 2] = [Timeframe::ThisWeek, Timeframe::ThisMonth];

    /// The Graph API name.
    pub fn name(self) -> &'static str {
        match self {
            Timeframe::ThisWeek => "this_week",
            Timeframe::ThisMonth => "this_month",
            Timeframe::Last14Days => "last_14_days",
            Timeframe::Last30Days => "last_30_days",
            Timeframe::Last90Days => "last_90_days",
            Timeframe::PrevMonth => "prev_month",
        }
    }

    /// Parse a Graph API name.
    pub fn from_name(s: &str) -> Option<Timeframe> {
        Timeframe::ALL.into_iter().find(|t| t.name() == s)
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One user-insights metric of an era.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserMetric {
    /// The Graph API name.
    pub name: &'static str,
    /// The periods it takes (all metrics of one call share one).
    pub periods: &'static [Period],
    /// The shapes it can be asked in; the first is what a run asks without `metric_type`.
    pub shapes: &'static [Shape],
    /// The breakdown keys it accepts (a ticket's `breakdown` is one or more of them, in the API's order).
    pub breakdowns: &'static [&'static str],
    /// Demographics: the breakdowns a run asks when the ticket names none, one call each.
    pub default_breakdowns: &'static [&'static str],
    /// Demographics: the timeframes it takes.
    pub timeframes: &'static [Timeframe],
    /// How many days back (from today) its data reaches; `None`: no limit known.
    pub retention_days: Option<u32>,
}

impl UserMetric {
    /// Demographic: asked with a breakdown and a timeframe, no range.
    pub fn demographic(&self) -> bool {
        self.shapes.contains(&Shape::Demographic)
    }

    /// Whether it takes every key of `breakdown` (comma-separated).
    pub fn takes_breakdown(&self, breakdown: &str) -> bool {
        breakdown.split(',').all(|k| self.breakdowns.contains(&k))
    }

    /// The shape a run asks it in, given the ticket's `metric_type` and whether a breakdown is given
    /// (a breakdown only exists on total values); `None` when it cannot be asked so.
    pub fn shape_for(&self, metric_type: MetricType, breakdown: bool) -> Option<Shape> {
        self.shapes.iter().copied().find(|s| match metric_type {
            _ if breakdown && !s.total_value() => false,
            MetricType::Default => true,
            MetricType::TimeSeries => *s == Shape::TimeSeries,
            MetricType::TotalValue => s.total_value(),
        })
    }
}

/// A metric an era no longer serves, and what its changelog names in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    /// The metric.
    pub metric: &'static str,
    /// The first version without it.
    pub since: GraphVersion,
    /// The replacement the changelog names (`None`: none, e.g. `audience_locale`).
    pub replacement: Option<&'static str>,
}

impl Removed {
    /// `metric`, gone from `since` on, replaced by `replacement` (when the changelog names one).
    pub const fn new(
        since: GraphVersion,
        metric: &'static str,
        replacement: Option<&'static str>,
    ) -> Removed {
        Removed {
            metric,
            since,
            replacement,
        }
    }
}

/// The insights metric catalog of one era: which metrics exist, how each is asked, what was removed.
#[derive(Debug)]
pub struct Catalog {
    /// The era.
    pub era: Era,
    /// User metrics, in the order a default run asks them.
    pub user: &'static [UserMetric],
    /// Media metrics per media kind (all `period: lifetime`), in the order a default run asks them.
    pub media: fn(MediaKind) -> &'static [&'static str],
    /// Media metrics that take a breakdown, with its keys.
    pub media_breakdowns: &'static [(&'static str, &'static [&'static str])],
    /// User metrics removed by this era or an earlier one.
    pub removed_user: &'static [&'static [Removed]],
    /// Media metrics removed by this era or an earlier one.
    pub removed_media: &'static [&'static [Removed]],
    /// The timeframe a demographic call asks when the ticket names none.
    pub default_timeframe: Timeframe,
    /// How many days back media insights reach (reference §5.4: two years).
    pub media_retention_days: u32,
}

impl Catalog {
    /// The catalog of the era that answers `version`.
    pub fn of(version: GraphVersion) -> &'static Catalog {
        Catalog::of_era(Era::of(version))
    }

    /// The catalog of an era.
    pub fn of_era(era: Era) -> &'static Catalog {
        match era {
            Era::V15 => &super::v15::CATALOG,
            Era::V18 => &super::v18::CATALOG,
            Era::V20 => &super::v20::CATALOG,
            Era::V21 => &super::v21::CATALOG,
            Era::V22 => &super::v22::CATALOG,
        }
    }

    /// The first version of the era (for messages: "in v18.0").
    pub fn version(&self) -> GraphVersion {
        self.era.since()
    }

    /// A user metric by name.
    pub fn user_metric(&self, name: &str) -> Option<&'static UserMetric> {
        self.user.iter().find(|m| m.name == name)
    }

    /// The user metrics of a period: what a run of that period asks by default.
    pub fn user_metrics(&self, period: Period) -> Vec<&'static str> {
        self.user
            .iter()
            .filter(|m| m.periods.contains(&period))
            .map(|m| m.name)
            .collect()
    }

    /// Every user metric, in catalog order.
    pub fn all_user_metrics(&self) -> Vec<&'static str> {
        self.user.iter().map(|m| m.name).collect()
    }

    /// Every breakdown key some user metric takes, in catalog order.
    pub fn user_breakdown_keys(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for k in self.user.iter().flat_map(|m| m.breakdowns) {
            if !out.contains(k) {
                out.push(k);
            }
        }
        out
    }

    /// The media metrics of a kind: what a run asks for a media of that kind by default.
    pub fn media_metrics(&self, kind: MediaKind) -> &'static [&'static str] {
        (self.media)(kind)
    }

    /// Every media metric of any kind, deduplicated, in catalog order.
    pub fn all_media_metrics(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for k in MediaKind::ALL {
            for m in self.media_metrics(k) {
                if !out.contains(m) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// The breakdown keys a media metric takes.
    pub fn media_breakdowns(&self, metric: &str) -> &'static [&'static str] {
        self.media_breakdowns
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(&[], |(_, b)| b)
    }

    /// Every breakdown key some media metric takes.
    pub fn media_breakdown_keys(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for k in self.media_breakdowns.iter().flat_map(|(_, b)| *b) {
            if !out.contains(k) {
                out.push(k);
            }
        }
        out
    }

    /// Whether a media metric takes every key of `breakdown` (comma-separated).
    pub fn media_takes_breakdown(&self, metric: &str, breakdown: &str) -> bool {
        let keys = self.media_breakdowns(metric);
        breakdown.split(',').all(|k| keys.contains(&k))
    }

    /// The removal of a user metric by this era or an earlier one.
    pub fn removed_user(&self, metric: &str) -> Option<&'static Removed> {
        find_removed(self.removed_user, metric)
    }

    /// The removal of a media metric by this era or an earlier one.
    pub fn removed_media(&self, metric: &str) -> Option<&'static Removed> {
        find_removed(self.removed_media, metric)
    }

    /// What to ask instead of a removed user metric: the changelog's replacement, followed while that
    /// was removed too.
    pub fn user_replacement(&self, metric: &str) -> Option<&'static str> {
        replacement(self.removed_user, metric)
    }

    /// What to ask instead of a removed media metric (`carousel_album_video_views` → `video_views` →
    /// `views`).
    pub fn media_replacement(&self, metric: &str) -> Option<&'static str> {
        replacement(self.removed_media, metric)
    }
}

fn find_removed(lists: &'static [&'static [Removed]], metric: &str) -> Option<&'static Removed> {
    lists
        .iter()
        .flat_map(|l| l.iter())
        .find(|r| r.metric == metric)
}

fn replacement(lists: &'static [&'static [Removed]], metric: &str) -> Option<&'static str> {
    let mut at = find_removed(lists, metric)?.replacement?;
    // chains are short (at most three steps); the bound keeps a cycle in the data from looping
    for _ in 0..8 {
        match find_removed(lists, at) {
            Some(next) => match next.replacement {
                Some(n) => at = n,
                None => return None,
            },
            None => return Some(at),
        }
    }
    Some(at)
}

/// The first era that serves a user metric (for "it came with v22.0").
pub fn user_metric_since(metric: &str) -> Option<Era> {
    Era::ALL
        .into_iter()
        .find(|e| Catalog::of_era(*e).user_metric(metric).is_some())
}

/// The first era that serves a media metric.
pub fn media_metric_since(metric: &str) -> Option<Era> {
    Era::ALL
        .into_iter()
        .find(|e| Catalog::of_era(*e).all_media_metrics().contains(&metric))
}
