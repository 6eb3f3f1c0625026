//! The v18 catalog (v18–v19; all versions from 2023-12-11). Reference §5.3: `audience_*` deprecated for
//! `follower_demographics` (and the engaged/reached audiences: `period=lifetime`,
//! `metric_type=total_value`, a `breakdown` of `age`, `gender`, `country`, `city`, and a `timeframe`;
//! `audience_locale` has no replacement); the total-value metrics of the v18 valid-metric list;
//! `follower_count` incompatible with `total_value`. Reference §5.6: carousel, `taps_*`, `exits` and
//! `engagement` deprecated (carousel → the album's own metric, taps/exits → `navigation`, engagement →
//! `total_interactions`), the new post/story metrics of §5.4 and the Reels watch times. Breakdowns of the
//! total-value metrics follow the IG User Insights reference [S8]; `total_interactions` is left out of
//! VIDEO posts (`Incompatible metric (total_interactions) with the media`, reference §5.5).

use super::metric::{Catalog, Removed, Shape, Timeframe, UserMetric};
use super::v15;
use super::version::{Era, GraphVersion};
use super::{MediaKind, Period};

const DAY: &[Period] = &[Period::Day];
const LIFETIME: &[Period] = &[Period::Lifetime];
const SERIES_OR_TOTAL: &[Shape] = &[Shape::TimeSeries, Shape::TotalValue];
const TOTAL: &[Shape] = &[Shape::TotalValue];
const PRODUCT: &[&str] = &["media_product_type"];

/// A total-value metric of period `day` asked over a `since`/`until` range.
pub(super) const fn total(name: &'static str, breakdowns: &'static [&'static str]) -> UserMetric {
    UserMetric {
        name,
        periods: DAY,
        shapes: TOTAL,
        breakdowns,
        default_breakdowns: &[],
        timeframes: &[],
        retention_days: None,
    }
}

/// A demographic metric: `period=lifetime`, a breakdown and a timeframe. A run without `breakdown`
/// asks `age,gender` (genders kept apart), `city` and `country`, as Airbyte's connector does.
pub(super) const fn demographic(
    name: &'static str,
    timeframes: &'static [Timeframe],
) -> UserMetric {
    UserMetric {
        name,
        periods: LIFETIME,
        shapes: &[Shape::Demographic],
        breakdowns: &["age", "gender", "country", "city"],
        default_breakdowns: &["age,gender", "city", "country"],
        timeframes,
        retention_days: None,
    }
}

pub(super) const IMPRESSIONS: UserMetric = UserMetric {
    shapes: SERIES_OR_TOTAL,
    ..v15::IMPRESSIONS
};
/// Observed v18 total value: breakdown `media_product_type,follow_type` (reference §5.1).
pub(super) const REACH: UserMetric = UserMetric {
    shapes: SERIES_OR_TOTAL,
    breakdowns: &["media_product_type", "follow_type"],
    ..v15::REACH
};
pub(super) const WEBSITE_CLICKS: UserMetric = UserMetric {
    shapes: SERIES_OR_TOTAL,
    ..v15::WEBSITE_CLICKS
};
pub(super) const PROFILE_VIEWS: UserMetric = UserMetric {
    shapes: SERIES_OR_TOTAL,
    ..v15::PROFILE_VIEWS
};

/// The total-value metrics added by v18, in the order of the v18 valid-metric list.
pub(super) const ACCOUNTS_ENGAGED: UserMetric = total("accounts_engaged", &[]);
pub(super) const TOTAL_INTERACTIONS: UserMetric = total("total_interactions", PRODUCT);
pub(super) const LIKES: UserMetric = total("likes", PRODUCT);
pub(super) const COMMENTS: UserMetric = total("comments", PRODUCT);
pub(super) const SHARES: UserMetric = total("shares", PRODUCT);
pub(super) const SAVES: UserMetric = total("saves", PRODUCT);
pub(super) const REPLIES: UserMetric = total("replies", &[]);
pub(super) const FOLLOWS_AND_UNFOLLOWS: UserMetric =
    total("follows_and_unfollows", &["follow_type"]);
pub(super) const PROFILE_LINKS_TAPS: UserMetric =
    total("profile_links_taps", &["contact_button_type"]);

pub(super) const FOLLOWER_DEMOGRAPHICS: UserMetric =
    demographic("follower_demographics", &Timeframe::ALL);
pub(super) const ENGAGED_AUDIENCE_DEMOGRAPHICS: UserMetric =
    demographic("engaged_audience_demographics", &Timeframe::ALL);
pub(super) const REACHED_AUDIENCE_DEMOGRAPHICS: UserMetric =
    demographic("reached_audience_demographics", &Timeframe::ALL);

/// v18 user metrics, in the order a default run asks them.
const USER: &[UserMetric] = &[
    IMPRESSIONS,
    REACH,
    v15::FOLLOWER_COUNT,
    v15::EMAIL_CONTACTS,
    v15::PHONE_CALL_CLICKS,
    v15::TEXT_MESSAGE_CLICKS,
    v15::GET_DIRECTIONS_CLICKS,
    WEBSITE_CLICKS,
    PROFILE_VIEWS,
    v15::ONLINE_FOLLOWERS,
    ACCOUNTS_ENGAGED,
    TOTAL_INTERACTIONS,
    LIKES,
    COMMENTS,
    SHARES,
    SAVES,
    REPLIES,
    FOLLOWS_AND_UNFOLLOWS,
    PROFILE_LINKS_TAPS,
    FOLLOWER_DEMOGRAPHICS,
    ENGAGED_AUDIENCE_DEMOGRAPHICS,
    REACHED_AUDIENCE_DEMOGRAPHICS,
];

/// User metrics v18 removed.
pub(super) const REMOVED_USER: &[Removed] = &[
    Removed::new(
        GraphVersion::V18,
        "audience_city",
        Some("follower_demographics"),
    ),
    Removed::new(
        GraphVersion::V18,
        "audience_country",
        Some("follower_demographics"),
    ),
    Removed::new(
        GraphVersion::V18,
        "audience_gender_age",
        Some("follower_demographics"),
    ),
    Removed::new(GraphVersion::V18, "audience_locale", None),
];

/// Media metrics v18 removed.
pub(super) const REMOVED_MEDIA: &[Removed] = &[
    Removed::new(
        GraphVersion::V18,
        "carousel_album_engagement",
        Some("total_interactions"),
    ),
    Removed::new(
        GraphVersion::V18,
        "carousel_album_impressions",
        Some("impressions"),
    ),
    Removed::new(GraphVersion::V18, "carousel_album_reach", Some("reach")),
    Removed::new(GraphVersion::V18, "carousel_album_saved", Some("saved")),
    Removed::new(
        GraphVersion::V18,
        "carousel_album_video_views",
        Some("video_views"),
    ),
    Removed::new(GraphVersion::V18, "taps_forward", Some("navigation")),
    Removed::new(GraphVersion::V18, "taps_back", Some("navigation")),
    Removed::new(GraphVersion::V18, "exits", Some("navigation")),
    Removed::new(GraphVersion::V18, "engagement", Some("total_interactions")),
];

/// Media metrics that take a breakdown (reference §5.4, the "new" metrics).
pub(super) const MEDIA_BREAKDOWNS: &[(&str, &[&str])] = &[
    ("profile_activity", &["action_type"]),
    ("navigation", &["story_navigation_action_type"]),
];

/// v18 media metrics per kind.
pub(super) fn media(kind: MediaKind) -> &'static [&'static str] {
    match kind {
        MediaKind::Image => &[
            "impressions",
            "reach",
            "saved",
            "comments",
            "likes",
            "shares",
            "total_interactions",
            "follows",
            "profile_activity",
            "profile_visits",
        ],
        // feed videos refuse the interaction counts until v22 (`Incompatible metric
        // (total_interactions) with the media`, reference §5.5; Airbyte asks only reach and saved)
        MediaKind::Video => &[
            "impressions",
            "reach",
            "saved",
            "video_views",
            "follows",
            "profile_activity",
            "profile_visits",
        ],
        MediaKind::CarouselAlbum => &[
            "impressions",
            "reach",
            "saved",
            "video_views",
            "total_interactions",
        ],
        MediaKind::Reels => &[
            "comments",
            "likes",
            "plays",
            "reach",
            "saved",
            "shares",
            "total_interactions",
            "ig_reels_avg_watch_time",
            "ig_reels_video_view_total_time",
        ],
        MediaKind::Story => &[
            "impressions",
            "reach",
            "replies",
            "follows",
            "navigation",
            "profile_activity",
            "profile_visits",
            "shares",
            "total_interactions",
        ],
    }
}

/// The v18 catalog.
pub(super) static CATALOG: Catalog = Catalog {
    era: Era::V18,
    user: USER,
    media,
    media_breakdowns: MEDIA_BREAKDOWNS,
    removed_user: &[REMOVED_USER],
    removed_media: &[REMOVED_MEDIA],
    default_timeframe: Timeframe::ThisMonth,
    media_retention_days: 730,
};
