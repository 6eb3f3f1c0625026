//! The report catalog and the insights metric catalog.
//!
//! The report registry ([`ReportKind`]), the insights vocabulary ([`Period`], [`MediaKind`]), and the
//! metric catalog per Graph API version: [`GraphVersion`] (parsed from `v15.0`, ordered), [`Era`] (the
//! releases whose changelog changed insights metrics) and one [`Catalog`] per era, one file each:
//!
//! | era | file | versions | reference |
//! |---|---|---|---|
//! | v15 | `v15.rs` | up to v17 | §5.2 (user), §5.4 (media): the seed's legacy metrics |
//! | v18 | `v18.rs` | v18–v19, all versions from 2023-12-11 | §5.3, §5.6: demographics, total values, new media metrics |
//! | v20 | `v20.rs` | v20, all versions from 2024-08-19 | §5.3: fewer demographic timeframes |
//! | v21 | `v21.rs` | v21, all versions from 2025-01-08 | §5.3, §5.6: contact-click series and `video_views` gone |
//! | v22 | `v22.rs` | v22 and later, all versions from 2025-04-21 | §5.3, §5.6: `impressions`/`plays` → `views` |
//!
//! Per user metric ([`UserMetric`]): its periods, its request shapes ([`Shape`]: a time series per
//! day, a `metric_type=total_value` over a range, a demographic with `breakdown` + `timeframe`, or v15's
//! lifetime map), the breakdowns it takes and its retention. Media metrics per media kind, and the
//! breakdowns of those that take one. Removed metrics ([`Removed`]) with the replacement the changelog
//! names. The default metric set of a run is the catalog's: every user metric of the period (in v18+ the
//! lifetime period includes the demographics, asked per breakdown `age,gender`, `city` and `country`
//! with timeframe `this_month` when the ticket names none), every media metric of the media's kind.
//!
//! Which catalog answers: [`Catalog::of`] the version that answers (reference §5.2a: the
//! `facebook-api-version` response header names it); [`era_on`] says which era applies to a version
//! asked on a date, since deprecations reach every version on their date.

mod metric;
mod v15;
mod v18;
mod v20;
mod v21;
mod v22;
mod version;

pub use metric::{
    Catalog, MetricType, Removed, Shape, Timeframe, UserMetric, media_metric_since,
    user_metric_since,
};
pub use version::{Era, GraphVersion, era_on};

use std::fmt;

use super::spec::ReportSpec;

/// The twelve reports (eleven plus the `pages` helper), named as in CONTRACT §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKind {
    HashtagRecentMedia,
    HashtagTopMedia,
    MediaComments,
    MediaInsights,
    OtherUsers,
    OtherUsersMedia,
    RecentlySearchedHashtags,
    User,
    UserInsights,
    UserMedia,
    UserStories,
    Pages,
}

impl ReportKind {
    /// Every report, in CONTRACT order.
    pub const ALL: [ReportKind; 12] = [
        ReportKind::HashtagRecentMedia,
        ReportKind::HashtagTopMedia,
        ReportKind::MediaComments,
        ReportKind::MediaInsights,
        ReportKind::OtherUsers,
        ReportKind::OtherUsersMedia,
        ReportKind::RecentlySearchedHashtags,
        ReportKind::User,
        ReportKind::UserInsights,
        ReportKind::UserMedia,
        ReportKind::UserStories,
        ReportKind::Pages,
    ];

    /// Everything about the report (its own file in `src/reports/`): the registry.
    pub fn spec(self) -> &'static ReportSpec {
        use super::*;
        match self {
            ReportKind::HashtagRecentMedia => &hashtag_recent_media::SPEC,
            ReportKind::HashtagTopMedia => &hashtag_top_media::SPEC,
            ReportKind::MediaComments => &media_comments::SPEC,
            ReportKind::MediaInsights => &media_insights::SPEC,
            ReportKind::OtherUsers => &other_users::SPEC,
            ReportKind::OtherUsersMedia => &other_users_media::SPEC,
            ReportKind::RecentlySearchedHashtags => &recently_searched_hashtags::SPEC,
            ReportKind::User => &user::SPEC,
            ReportKind::UserInsights => &user_insights::SPEC,
            ReportKind::UserMedia => &user_media::SPEC,
            ReportKind::UserStories => &user_stories::SPEC,
            ReportKind::Pages => &pages::SPEC,
        }
    }

    /// The snake_case name used in tickets, Flight paths and SQL.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Look a report up by name.
    pub fn from_name(name: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Comma-separated list of every report name (for error messages).
    pub fn names() -> String {
        ReportKind::ALL.map(|r| r.name()).join(", ")
    }

    /// One-line description.
    pub fn description(self) -> &'static str {
        self.spec().description
    }

    /// Ticket keys this report requires.
    pub fn required(self) -> &'static [&'static str] {
        self.spec().required
    }

    /// The Facebook Login permissions the report's Graph calls need (reference §1), named in
    /// `PERMISSION_DENIED` errors.
    pub fn permissions(self) -> &'static [&'static str] {
        self.spec().permissions
    }

    /// Whether a request for this report depends on the metric catalog of the answering version (its
    /// metrics, defaults and shapes): the insights reports.
    pub fn uses_catalog(self) -> bool {
        matches!(self, ReportKind::UserInsights | ReportKind::MediaInsights)
    }

    /// Ticket keys this report accepts besides `report` (the required ones included).
    pub fn accepted(self) -> &'static [&'static str] {
        self.spec().accepted
    }
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Insights reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Day,
    Week,
    Days28,
    Lifetime,
}

impl Period {
    /// Every period.
    pub const ALL: [Period; 4] = [Period::Day, Period::Week, Period::Days28, Period::Lifetime];

    /// Graph API name.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Days28 => "days_28",
            Period::Lifetime => "lifetime",
        }
    }

    /// Parse a Graph API period name.
    pub fn from_name(s: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.name() == s)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Media kinds that take different insight metric sets (reference §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaKind {
    Image,
    Video,
    CarouselAlbum,
    Reels,
    Story,
}

impl MediaKind {
    /// The kinds of the feed (`user_media`; stories are in `user_stories`).
    pub const POSTS: [MediaKind; 4] = [
        MediaKind::Image,
        MediaKind::Video,
        MediaKind::CarouselAlbum,
        MediaKind::Reels,
    ];

    /// Every kind.
    pub const ALL: [MediaKind; 5] = [
        MediaKind::Image,
        MediaKind::Video,
        MediaKind::CarouselAlbum,
        MediaKind::Reels,
        MediaKind::Story,
    ];

    /// The `media_type` ticket value.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::CarouselAlbum => "carousel_album",
            MediaKind::Reels => "reels",
            MediaKind::Story => "story",
        }
    }

    /// Classify a media object from its Graph `media_type` and `media_product_type`.
    /// Reels have `media_type` VIDEO and need the Reels metric set (Airbyte issue #14524).
    pub fn classify(media_type: Option<&str>, product_type: Option<&str>) -> Option<MediaKind> {
        match (product_type, media_type) {
            (Some("STORY"), _) => Some(MediaKind::Story),
            (Some("REELS"), _) => Some(MediaKind::Reels),
            (_, Some("CAROUSEL_ALBUM")) => Some(MediaKind::CarouselAlbum),
            (_, Some("VIDEO")) => Some(MediaKind::Video),
            (_, Some("IMAGE")) => Some(MediaKind::Image),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
