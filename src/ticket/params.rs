//! The typed request of each report: what its plan receives besides the account, the columns and the
//! limits ([`ReportParams`]), built from the checked keys ([`Keys`]) by the `params` function of the
//! report's spec. A plan gets exactly what its report takes: a `media_comments` plan has a media id, a
//! `user_insights` plan has a date range — no `Option` that "is always set for this report".

use chrono::NaiveDate;

use super::{TicketError, invalid, proto};
use crate::graph::NodeId;
use crate::reports::catalog::{GraphVersion, MediaKind, MetricType, Period, Removed, Timeframe};

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

/// `user_insights`, checked against the catalog of [`version`](UserInsightsParams::version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInsightsParams {
    /// Metrics the run asks, resolved (default: every metric of the period that takes the metric type,
    /// breakdown and timeframe); metrics the version removed are left out (see `removed`).
    pub metrics: Vec<String>,
    /// The period (default `day`).
    pub period: Period,
    /// The range (default: the last 30 days ending yesterday).
    pub dates: DateRange,
    /// `metric_type` (default: each metric in its catalog shape).
    pub metric_type: MetricType,
    /// `breakdown`: keys separated by `,`, in the order given.
    pub breakdown: Option<String>,
    /// `timeframe` of the demographic metrics (default: the catalog's).
    pub timeframe: Option<Timeframe>,
    /// The Graph API version whose catalog checked the metrics: the plan asks them in its shapes.
    pub version: GraphVersion,
    /// Metrics asked that the version removed, with the replacement the changelog names: left out.
    pub removed: Vec<Removed>,
}

/// `media_insights` (period `lifetime`), checked against the catalog of
/// [`version`](MediaInsightsParams::version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInsightsParams {
    /// Metrics asked for; empty: each media gets its kind's full set (those taking `breakdown`, if
    /// given).
    pub metrics: Vec<String>,
    /// Only this kind (`None`: all).
    pub media_type: Option<MediaKind>,
    /// Which media.
    pub media: MediaItems,
    /// `breakdown`: keys separated by `,`.
    pub breakdown: Option<String>,
    /// The Graph API version whose catalog checked the metrics (and gives each kind's set).
    pub version: GraphVersion,
    /// Metrics asked that the version removed, with the replacement the changelog names: left out.
    pub removed: Vec<Removed>,
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
    pub(super) media_id: Option<NodeId>,
    pub(super) media_items: MediaItems,
    pub(super) dates: Option<DateRange>,
    pub(super) period: Option<Period>,
    pub(super) breakdown: Option<String>,
    pub(super) metric_type: Option<MetricType>,
    pub(super) timeframe: Option<Timeframe>,
    pub(super) version: GraphVersion,
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
        self.media_id
            .clone()
            .ok_or_else(|| invalid("media_id", "key `media_id` is required"))
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
}

/// A required name key (checked present by the report's `required` list; this names it again should a
/// spec forget to list it).
fn required(key: &str, v: &Option<String>) -> Result<String, TicketError> {
    v.clone()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid(key, format!("key `{key}` is required")))
}
