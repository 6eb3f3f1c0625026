//! The report catalog: report names, their parameters, and the v15 insights metric catalog
//! (reference §5.2 for user insights, §5.4 for media insights).

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

/// v15 user-insights metrics per period (reference §5.2). All metrics of one call share a period.
pub fn user_metrics(period: Period) -> &'static [&'static str] {
    match period {
        Period::Day => &[
            "impressions",
            "reach",
            "follower_count",
            "email_contacts",
            "phone_call_clicks",
            "text_message_clicks",
            "get_directions_clicks",
            "website_clicks",
            "profile_views",
        ],
        Period::Week | Period::Days28 => &["impressions", "reach"],
        Period::Lifetime => &[
            "online_followers",
            "audience_city",
            "audience_country",
            "audience_gender_age",
            "audience_locale",
        ],
    }
}

/// Lifetime demographic metrics: no `since`/`until`, no `end_time`.
pub fn is_demographic(metric: &str) -> bool {
    metric.starts_with("audience_")
}

/// Media kinds that take different v15 insight metric sets (reference §5.4).
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

/// v15 media-insights metrics for a media kind (reference §5.4). All are `period: lifetime`.
pub fn media_metrics(kind: MediaKind) -> &'static [&'static str] {
    match kind {
        MediaKind::Image => &["engagement", "impressions", "reach", "saved"],
        MediaKind::Video => &["engagement", "impressions", "reach", "saved", "video_views"],
        MediaKind::CarouselAlbum => &[
            "carousel_album_engagement",
            "carousel_album_impressions",
            "carousel_album_reach",
            "carousel_album_saved",
            "carousel_album_video_views",
        ],
        MediaKind::Reels => &[
            "comments",
            "likes",
            "plays",
            "reach",
            "saved",
            "shares",
            "total_interactions",
        ],
        MediaKind::Story => &[
            "exits",
            "impressions",
            "reach",
            "replies",
            "taps_forward",
            "taps_back",
        ],
    }
}

/// Every media metric of any kind, deduplicated, in catalog order.
pub fn all_media_metrics() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for k in MediaKind::ALL {
        for m in media_metrics(k) {
            if !out.contains(m) {
                out.push(m);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in ReportKind::ALL {
            assert_eq!(ReportKind::from_name(r.name()), Some(r));
            for req in r.required() {
                assert!(r.accepted().contains(req), "{r}: {req}");
            }
        }
        assert_eq!(ReportKind::from_name("nope"), None);
        for p in Period::ALL {
            assert_eq!(Period::from_name(p.name()), Some(p));
        }
    }

    #[test]
    fn reels_are_not_videos() {
        assert_eq!(
            MediaKind::classify(Some("VIDEO"), Some("REELS")),
            Some(MediaKind::Reels)
        );
        assert_eq!(
            MediaKind::classify(Some("VIDEO"), Some("FEED")),
            Some(MediaKind::Video)
        );
        assert_eq!(
            MediaKind::classify(Some("IMAGE"), Some("STORY")),
            Some(MediaKind::Story)
        );
        assert_eq!(
            MediaKind::classify(Some("CAROUSEL_ALBUM"), None),
            Some(MediaKind::CarouselAlbum)
        );
        assert!(media_metrics(MediaKind::Reels).contains(&"plays"));
        assert!(!media_metrics(MediaKind::Image).contains(&"video_views"));
    }
}
