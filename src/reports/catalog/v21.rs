//! The v21 catalog (all versions from 2025-01-08). Reference §5.3: the time series of `email_contacts`,
//! `get_directions_clicks`, `profile_views`, `text_message_clicks`, `website_clicks` and
//! `phone_call_clicks` no longer supported (`profile_views` and `website_clicks` stay as total values;
//! the changelog names no replacement for the contact clicks: we point at `profile_links_taps`, whose
//! `contact_button_type` breakdown counts those taps). Reference §5.6: `video_views` removed (→ `views`);
//! the Reels play counts of SDK 21. User metrics hold 90 days of data ("User Metrics data is stored for
//! up to 90 days", reference §5.2, the current docs [S19]).

use super::metric::{Catalog, Removed, Shape, Timeframe, UserMetric};
use super::version::{Era, GraphVersion};
use super::{MediaKind, v15, v18, v20};

/// User metrics keep 90 days of data.
pub(super) const fn ninety_days(m: UserMetric) -> UserMetric {
    UserMetric {
        retention_days: Some(90),
        ..m
    }
}

const TOTAL: &[Shape] = &[Shape::TotalValue];

pub(super) const REACH: UserMetric = ninety_days(v18::REACH);
pub(super) const WEBSITE_CLICKS: UserMetric = ninety_days(UserMetric {
    shapes: TOTAL,
    ..v18::WEBSITE_CLICKS
});
pub(super) const PROFILE_VIEWS: UserMetric = ninety_days(UserMetric {
    shapes: TOTAL,
    ..v18::PROFILE_VIEWS
});

/// The total-value metrics of v18 with the 90-day retention, in the order a default run asks them.
pub(super) const TOTALS: [UserMetric; 9] = [
    ninety_days(v18::ACCOUNTS_ENGAGED),
    ninety_days(v18::TOTAL_INTERACTIONS),
    ninety_days(v18::LIKES),
    ninety_days(v18::COMMENTS),
    ninety_days(v18::SHARES),
    ninety_days(v18::SAVES),
    ninety_days(v18::REPLIES),
    ninety_days(v18::FOLLOWS_AND_UNFOLLOWS),
    ninety_days(v18::PROFILE_LINKS_TAPS),
];

/// v21 user metrics, in the order a default run asks them.
const USER: &[UserMetric] = &[
    ninety_days(v18::IMPRESSIONS),
    REACH,
    v15::FOLLOWER_COUNT,
    WEBSITE_CLICKS,
    PROFILE_VIEWS,
    v15::ONLINE_FOLLOWERS,
    TOTALS[0],
    TOTALS[1],
    TOTALS[2],
    TOTALS[3],
    TOTALS[4],
    TOTALS[5],
    TOTALS[6],
    TOTALS[7],
    TOTALS[8],
    v18::FOLLOWER_DEMOGRAPHICS,
    v20::ENGAGED_AUDIENCE_DEMOGRAPHICS,
    v20::REACHED_AUDIENCE_DEMOGRAPHICS,
];

/// User metrics v21 removed.
pub(super) const REMOVED_USER: &[Removed] = &[
    Removed::new(
        GraphVersion::V21,
        "email_contacts",
        Some("profile_links_taps"),
    ),
    Removed::new(
        GraphVersion::V21,
        "phone_call_clicks",
        Some("profile_links_taps"),
    ),
    Removed::new(
        GraphVersion::V21,
        "text_message_clicks",
        Some("profile_links_taps"),
    ),
    Removed::new(
        GraphVersion::V21,
        "get_directions_clicks",
        Some("profile_links_taps"),
    ),
];

/// Media metrics v21 removed.
pub(super) const REMOVED_MEDIA: &[Removed] = &[Removed::new(
    GraphVersion::V21,
    "video_views",
    Some("views"),
)];

/// v21 media metrics per kind: v18's without `video_views`, Reels with the play counts of SDK 21.
pub(super) fn media(kind: MediaKind) -> &'static [&'static str] {
    match kind {
        MediaKind::Video => &[
            "impressions",
            "reach",
            "saved",
            "follows",
            "profile_activity",
            "profile_visits",
        ],
        MediaKind::CarouselAlbum => &["impressions", "reach", "saved", "total_interactions"],
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
            "clips_replays_count",
            "ig_reels_aggregated_all_plays_count",
        ],
        MediaKind::Image | MediaKind::Story => v18::media(kind),
    }
}

/// The v21 catalog.
pub(super) static CATALOG: Catalog = Catalog {
    era: Era::V21,
    user: USER,
    media,
    media_breakdowns: v18::MEDIA_BREAKDOWNS,
    removed_user: &[v18::REMOVED_USER, REMOVED_USER],
    removed_media: &[v18::REMOVED_MEDIA, REMOVED_MEDIA],
    default_timeframe: Timeframe::ThisMonth,
    media_retention_days: 730,
};
