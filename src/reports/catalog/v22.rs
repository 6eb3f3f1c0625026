//! The v22 catalog (v22 and later; all versions from 2025-04-21). Reference §5.3: `impressions` removed
//! from user insights, `views` added (`metric_type=total_value`, breakdowns `follower_type`,
//! `media_product_type`). Reference §5.6: `plays`, `clips_replays_count`,
//! `ig_reels_aggregated_all_plays_count` and `impressions` removed from media insights, `views` added for
//! feed posts, stories and Reels.

use super::metric::{Catalog, Removed, Timeframe, UserMetric};
use super::version::{Era, GraphVersion};
use super::{MediaKind, v15, v18, v20, v21};

const VIEWS: UserMetric = v21::ninety_days(v18::total(
    "views",
    &["follower_type", "media_product_type"],
));

/// v22 user metrics, in the order a default run asks them.
const USER: &[UserMetric] = &[
    v21::REACH,
    v15::FOLLOWER_COUNT,
    v21::WEBSITE_CLICKS,
    v21::PROFILE_VIEWS,
    v15::ONLINE_FOLLOWERS,
    VIEWS,
    v21::TOTALS[0],
    v21::TOTALS[1],
    v21::TOTALS[2],
    v21::TOTALS[3],
    v21::TOTALS[4],
    v21::TOTALS[5],
    v21::TOTALS[6],
    v21::TOTALS[7],
    v21::TOTALS[8],
    v18::FOLLOWER_DEMOGRAPHICS,
    v20::ENGAGED_AUDIENCE_DEMOGRAPHICS,
    v20::REACHED_AUDIENCE_DEMOGRAPHICS,
];

/// User metrics v22 removed.
pub(super) const REMOVED_USER: &[Removed] = &[Removed::new(
    GraphVersion::V22,
    "impressions",
    Some("views"),
)];

/// Media metrics v22 removed.
pub(super) const REMOVED_MEDIA: &[Removed] = &[
    Removed::new(GraphVersion::V22, "impressions", Some("views")),
    Removed::new(GraphVersion::V22, "plays", Some("views")),
    Removed::new(GraphVersion::V22, "clips_replays_count", Some("views")),
    Removed::new(
        GraphVersion::V22,
        "ig_reels_aggregated_all_plays_count",
        Some("views"),
    ),
];

/// v22 media metrics per kind.
fn media(kind: MediaKind) -> &'static [&'static str] {
    match kind {
        MediaKind::Image => &[
            "reach",
            "saved",
            "comments",
            "likes",
            "shares",
            "total_interactions",
            "follows",
            "profile_activity",
            "profile_visits",
            "views",
        ],
        MediaKind::Video => &[
            "reach",
            "saved",
            "comments",
            "likes",
            "shares",
            "total_interactions",
            "follows",
            "profile_activity",
            "profile_visits",
            "views",
        ],
        MediaKind::CarouselAlbum => &["reach", "saved", "total_interactions", "views"],
        MediaKind::Reels => &[
            "comments",
            "likes",
            "reach",
            "saved",
            "shares",
            "total_interactions",
            "ig_reels_avg_watch_time",
            "ig_reels_video_view_total_time",
            "views",
        ],
        MediaKind::Story => &[
            "reach",
            "replies",
            "follows",
            "navigation",
            "profile_activity",
            "profile_visits",
            "shares",
            "total_interactions",
            "views",
        ],
    }
}

/// The v22 catalog.
pub(super) static CATALOG: Catalog = Catalog {
    era: Era::V22,
    user: USER,
    media,
    media_breakdowns: v18::MEDIA_BREAKDOWNS,
    removed_user: &[v18::REMOVED_USER, v21::REMOVED_USER, REMOVED_USER],
    removed_media: &[v18::REMOVED_MEDIA, v21::REMOVED_MEDIA, REMOVED_MEDIA],
    default_timeframe: Timeframe::ThisMonth,
    media_retention_days: 730,
};
