//! The v15 catalog (up to v17): the seed's legacy metrics. User insights: reference §5.2 (one call per
//! period; `audience_*` lifetime maps without a range; `follower_count` and `online_followers` only for
//! the last 30 days). Media insights: reference §5.4 (one set per media kind, all `lifetime`).

use super::metric::{Catalog, Shape, Timeframe, UserMetric};
use super::version::Era;
use super::{MediaKind, Period};

const DAY: &[Period] = &[Period::Day];
const RANGES: &[Period] = &[Period::Day, Period::Week, Period::Days28];
const LIFETIME: &[Period] = &[Period::Lifetime];
const SERIES: &[Shape] = &[Shape::TimeSeries];

/// A daily time series (the v15 shape of every `day` metric).
const fn daily(name: &'static str, retention_days: Option<u32>) -> UserMetric {
    UserMetric {
        name,
        periods: DAY,
        shapes: SERIES,
        breakdowns: &[],
        default_breakdowns: &[],
        timeframes: &[],
        retention_days,
    }
}

/// A v15 lifetime demographic map (`audience_*`): no range, no `end_time` (reference §5.2, v13/v14).
const fn audience(name: &'static str) -> UserMetric {
    UserMetric {
        name,
        periods: LIFETIME,
        shapes: &[Shape::Snapshot],
        breakdowns: &[],
        default_breakdowns: &[],
        timeframes: &[],
        retention_days: None,
    }
}

pub(super) const IMPRESSIONS: UserMetric = UserMetric {
    periods: RANGES,
    ..daily("impressions", None)
};
pub(super) const REACH: UserMetric = UserMetric {
    periods: RANGES,
    ..daily("reach", None)
};
/// New followers per day; the Graph API refuses a range reaching back more than 30 days.
pub(super) const FOLLOWER_COUNT: UserMetric = daily("follower_count", Some(30));
pub(super) const EMAIL_CONTACTS: UserMetric = daily("email_contacts", None);
pub(super) const PHONE_CALL_CLICKS: UserMetric = daily("phone_call_clicks", None);
pub(super) const TEXT_MESSAGE_CLICKS: UserMetric = daily("text_message_clicks", None);
pub(super) const GET_DIRECTIONS_CLICKS: UserMetric = daily("get_directions_clicks", None);
pub(super) const WEBSITE_CLICKS: UserMetric = daily("website_clicks", None);
pub(super) const PROFILE_VIEWS: UserMetric = daily("profile_views", None);
/// An hour map per day, only for the last 30 days.
pub(super) const ONLINE_FOLLOWERS: UserMetric = UserMetric {
    periods: LIFETIME,
    ..daily("online_followers", Some(30))
};

/// v15 user metrics, in the order a default run asks them.
const USER: &[UserMetric] = &[
    IMPRESSIONS,
    REACH,
    FOLLOWER_COUNT,
    EMAIL_CONTACTS,
    PHONE_CALL_CLICKS,
    TEXT_MESSAGE_CLICKS,
    GET_DIRECTIONS_CLICKS,
    WEBSITE_CLICKS,
    PROFILE_VIEWS,
    ONLINE_FOLLOWERS,
    audience("audience_city"),
    audience("audience_country"),
    audience("audience_gender_age"),
    audience("audience_locale"),
];

/// v15 media metrics per kind (reference §5.4; Reels have their own set, Airbyte issue #14524).
fn media(kind: MediaKind) -> &'static [&'static str] {
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

/// The v15 catalog.
pub(super) static CATALOG: Catalog = Catalog {
    era: Era::V15,
    user: USER,
    media,
    media_breakdowns: &[],
    removed_user: &[],
    removed_media: &[],
    default_timeframe: Timeframe::ThisMonth,
    media_retention_days: 730,
};
