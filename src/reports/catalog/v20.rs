//! The v20 catalog (all versions from 2024-08-19): the v18 catalog, with the `last_14_days`,
//! `last_30_days`, `last_90_days` and `prev_month` timeframes no longer taken by
//! `engaged_audience_demographics` and `reached_audience_demographics` (Instagram Platform changelog,
//! 2024-05-21; reference §5.3 notes the restriction without its version). `follower_demographics` keeps
//! them.

use super::metric::{Catalog, Timeframe, UserMetric};
use super::version::Era;
use super::{v15, v18};

pub(super) const ENGAGED_AUDIENCE_DEMOGRAPHICS: UserMetric = UserMetric {
    timeframes: &Timeframe::CURRENT,
    ..v18::ENGAGED_AUDIENCE_DEMOGRAPHICS
};
pub(super) const REACHED_AUDIENCE_DEMOGRAPHICS: UserMetric = UserMetric {
    timeframes: &Timeframe::CURRENT,
    ..v18::REACHED_AUDIENCE_DEMOGRAPHICS
};

/// v20 user metrics, in the order a default run asks them.
const USER: &[UserMetric] = &[
    v18::IMPRESSIONS,
    v18::REACH,
    v15::FOLLOWER_COUNT,
    v15::EMAIL_CONTACTS,
    v15::PHONE_CALL_CLICKS,
    v15::TEXT_MESSAGE_CLICKS,
    v15::GET_DIRECTIONS_CLICKS,
    v18::WEBSITE_CLICKS,
    v18::PROFILE_VIEWS,
    v15::ONLINE_FOLLOWERS,
    v18::ACCOUNTS_ENGAGED,
    v18::TOTAL_INTERACTIONS,
    v18::LIKES,
    v18::COMMENTS,
    v18::SHARES,
    v18::SAVES,
    v18::REPLIES,
    v18::FOLLOWS_AND_UNFOLLOWS,
    v18::PROFILE_LINKS_TAPS,
    v18::FOLLOWER_DEMOGRAPHICS,
    ENGAGED_AUDIENCE_DEMOGRAPHICS,
    REACHED_AUDIENCE_DEMOGRAPHICS,
];

/// The v20 catalog.
pub(super) static CATALOG: Catalog = Catalog {
    era: Era::V20,
    user: USER,
    media: v18::media,
    media_breakdowns: v18::MEDIA_BREAKDOWNS,
    removed_user: &[v18::REMOVED_USER],
    removed_media: &[v18::REMOVED_MEDIA],
    default_timeframe: Timeframe::ThisMonth,
    media_retention_days: 730,
};
