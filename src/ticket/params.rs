//! The typed request of each report: what its plan receives besides the account, the columns and the
//! limits ([`ReportParams`]), built from the checked keys ([`Keys`]) by the `params` function of the
//! report's spec. A plan gets exactly what its report takes: a `media_comments` plan has a media id, a
//! `user_insights` plan has a date range — no `Option` that "is always set for this report".

use chrono::{Duration, NaiveDate};

use super::{TicketError, dedup, invalid, proto, short};
use crate::graph::NodeId;
use crate::reports::catalog::{MediaKind, Period, all_media_metrics, media_metrics, user_metrics};

/// An inclusive range of UTC dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
}

/// Which media a `media_insights` run covers (`media_items`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaItems {
    /// Every media.
    All,
    /// Media whose timestamp falls inside the range.
    Range(DateRange),
    /// One media.
    Single(NodeId),
}

/// Local filters of a media listing: the Graph API has no media-type filter, and a date range is also
/// checked on `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediaFilter {
    /// Only this kind (`None`: all).
    pub media_type: Option<MediaKind>,
    /// Only media posted in this range (`None`: any time).
    pub dates: Option<DateRange>,
}

impl MediaFilter {
    /// Whether the filter can drop items (then a row `limit` cannot be passed to the Graph API).
    pub fn filters(&self) -> bool {
        self.media_type.is_some() || self.dates.is_some()
    }
}

/// `user_insights`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInsightsParams {
    /// Metrics, resolved (default: every metric of the period).
    pub metrics: Vec<String>,
    /// The period (default `day`).
    pub period: Period,
    /// The range (default: the last 30 days ending yesterday).
    pub dates: DateRange,
}

/// `media_insights` (period `lifetime`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInsightsParams {
    /// Metrics asked for; empty: each media gets its kind's full set.
    pub metrics: Vec<String>,
    /// Only this kind (`None`: all).
    pub media_type: Option<MediaKind>,
    /// Which media.
    pub media: MediaItems,
}

/// What a plan receives besides account, columns and limits, per report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportParams {
    /// `user`, `user_stories`, `recently_searched_hashtags`, `pages`: nothing more.
    Plain,
    /// `user_media`.
    UserMedia {
        /// Media type and date filters.
        filter: MediaFilter,
        /// `media_items: single`: this media only.
        single: Option<NodeId>,
    },
    /// `user_insights`.
    UserInsights(UserInsightsParams),
    /// `media_insights`.
    MediaInsights(MediaInsightsParams),
    /// `media_comments`.
    Comments {
        /// The media.
        media_id: NodeId,
        /// Replies too (default true).
        include_replies: bool,
    },
    /// `hashtag_recent_media`, `hashtag_top_media`.
    Hashtag {
        /// Without `#`, lowercase.
        name: String,
    },
    /// `other_users`.
    OtherUser {
        /// Without `@`.
        username: String,
    },
    /// `other_users_media`.
    OtherUserMedia {
        /// Without `@`.
        username: String,
        /// Only media posted in this range.
        dates: Option<DateRange>,
    },
}

impl ReportParams {
    /// The date range the request covers, when it has one (for display and tests; plans take the
    /// typed field).
    pub fn dates(&self) -> Option<DateRange> {
        match self {
            ReportParams::UserMedia { filter, .. } => filter.dates,
            ReportParams::UserInsights(p) => Some(p.dates),
            ReportParams::MediaInsights(MediaInsightsParams {
                media: MediaItems::Range(r),
                ..
            }) => Some(*r),
            ReportParams::OtherUserMedia { dates, .. } => *dates,
            _ => None,
        }
    }
}

/// A ticket's keys, each checked on its own (the keys that do not apply to the report are already
/// refused): what a report's `params` function builds its [`ReportParams`] from.
#[derive(Debug)]
pub struct Keys<'a> {
    pub(super) t: &'a proto::ReportTicket,
    pub(super) today: NaiveDate,
    pub(super) media_type: Option<MediaKind>,
    pub(super) media_items: MediaItems,
    pub(super) dates: Option<DateRange>,
    pub(super) period: Option<Period>,
    pub(super) hashtag: Option<String>,
    pub(super) username: Option<String>,
}

impl Keys<'_> {
    /// `media_type` and the date range as local filters.
    pub fn media_filter(&self) -> MediaFilter {
        MediaFilter {
            media_type: self.media_type,
            dates: self.dates,
        }
    }

    /// The date range, when given.
    pub fn dates(&self) -> Option<DateRange> {
        self.dates
    }

    /// The one media of `media_items: single`.
    pub fn single_media(&self) -> Option<NodeId> {
        match &self.media_items {
            MediaItems::Single(id) => Some(id.clone()),
            _ => None,
        }
    }

    /// `media_id` (required).
    pub fn media_id(&self) -> Result<NodeId, TicketError> {
        let id = self.t.media_id.as_deref().unwrap_or_default();
        super::node_id("media_id", id)
    }

    /// `include_replies` (default true).
    pub fn include_replies(&self) -> bool {
        self.t.include_replies.unwrap_or(true)
    }

    /// `hashtag` (required).
    pub fn hashtag(&self) -> Result<String, TicketError> {
        required("hashtag", &self.hashtag)
    }

    /// `username` (required).
    pub fn username(&self) -> Result<String, TicketError> {
        required("username", &self.username)
    }

    /// `user_insights`: the period (default `day`), its metrics (default: all of the period), and the
    /// range (default: the last 30 days ending yesterday).
    pub fn user_insights(&self) -> Result<UserInsightsParams, TicketError> {
        let (t, today) = (self.t, self.today);
        let period = self.period.unwrap_or(Period::Day);
        let valid = user_metrics(period);
        let metrics: Vec<String> = if t.metrics.is_empty() {
            valid.iter().map(|m| m.to_string()).collect()
        } else {
            let mut all: Vec<&str> = Vec::new();
            for p in Period::ALL {
                for m in user_metrics(p) {
                    if !all.contains(m) {
                        all.push(m);
                    }
                }
            }
            for m in &t.metrics {
                known_metric(m, &all)?;
                if !valid.contains(&m.as_str()) {
                    return Err(invalid(
                        "metrics",
                        format!(
                            "metric `{m}` does not fit period `{period}`; metrics of period {period}: {}",
                            valid.join(", ")
                        ),
                    ));
                }
            }
            dedup(&t.metrics)
        };
        let dates = self.dates.unwrap_or(DateRange {
            from: today - Duration::days(30),
            to: today - Duration::days(1),
        });
        // The Graph API refuses follower_count before the last 30 days: refuse it here, without a call.
        if metrics.iter().any(|m| m == "follower_count") && dates.from < today - Duration::days(30)
        {
            return Err(invalid(
                "metrics",
                format!(
                    "metric `follower_count` only has data for the last 30 days (from {}); \
                     narrow the date range or leave follower_count out of `metrics`",
                    today - Duration::days(30)
                ),
            ));
        }
        Ok(UserInsightsParams {
            metrics,
            period,
            dates,
        })
    }

    /// `media_insights`: period `lifetime`, and the metrics that fit the media type.
    pub fn media_insights(&self) -> Result<MediaInsightsParams, TicketError> {
        let t = self.t;
        if let Some(p) = self.period
            && p != Period::Lifetime
        {
            return Err(invalid(
                "period",
                format!("period `{p}` does not apply to media insights; accepted: lifetime"),
            ));
        }
        let metrics = if t.metrics.is_empty() {
            self.media_type
                .map(|k| media_metrics(k).iter().map(|m| m.to_string()).collect())
                .unwrap_or_default()
        } else {
            let all = all_media_metrics();
            for m in &t.metrics {
                known_metric(m, &all)?;
                if let Some(k) = self.media_type
                    && !media_metrics(k).contains(&m.as_str())
                {
                    return Err(invalid(
                        "metrics",
                        format!(
                            "metric `{m}` does not fit media type `{}`; metrics of {}: {}",
                            k.name(),
                            k.name(),
                            media_metrics(k).join(", ")
                        ),
                    ));
                }
            }
            dedup(&t.metrics)
        };
        Ok(MediaInsightsParams {
            metrics,
            media_type: self.media_type,
            media: self.media_items.clone(),
        })
    }
}

/// A metric of the catalog, or a refusal listing them.
fn known_metric(m: &str, all: &[&str]) -> Result<(), TicketError> {
    if all.contains(&m) {
        return Ok(());
    }
    Err(invalid(
        "metrics",
        format!(
            "unknown metric `{}`; accepted: {}",
            short(m),
            all.join(", ")
        ),
    ))
}

/// A required name key (checked present by the report's `required` list; this names it again should a
/// spec forget to list it).
fn required(key: &str, v: &Option<String>) -> Result<String, TicketError> {
    v.clone()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(key, format!("key `{key}` is required")))
}
