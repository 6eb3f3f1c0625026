//! The simulator's own catalog of the Graph API surface it serves: insights metrics by era (with the
//! periods, metric types, breakdowns or media kinds they apply to, their titles and descriptions), the
//! fields of each node type, the edges, and the permissions of the demo app. Every list the simulator
//! checks requests against is written here, once.
//!
//! # Which parts are the independent catalog
//! All of this file is: [`USER_METRICS`] and [`MEDIA_METRICS`] (each entry with the [`Gate`]s of the era
//! it is served in, see [`versions`](super::versions)), the breakdown dimensions and their values
//! ([`DIMENSIONS`]), the demographic timeframes, the node fields and edges ([`IG_USER_FIELDS`],
//! [`MEDIA_FIELDS`], [`EDGES`], …) and the permissions. The version table itself is in
//! [`versions`](super::versions); the values are computed in `insight_values.rs`.
//!
//! # Why the simulator does not use the product's catalog
//! The product keeps its own catalog of the same metrics (`src/reports/catalog.rs`: which metric goes with
//! which period or media type, what a report asks for). The simulator is the test bed that product is
//! checked against, so it must not import or copy that catalog: a metric the product wrongly pairs with a
//! period, or a field the product wrongly asks for, would then be "confirmed" by a simulator that learnt
//! the same mistake. This file is written from the Graph API reference (v15 and its change log to v22+,
//! Instagram Business, Facebook Login flavour) and from the error messages the real API gives,
//! independently of `src/reports`. When the two disagree, a test fails, and that is the point. Nothing in
//! `src/sim` imports product modules.

use super::versions::{Api, Gate, V18, V20, V21, V22};

/// The user-insights periods, in the order the real `period must be one of` error lists them.
pub const USER_PERIODS: &[&str] = &[
    "day",
    "week",
    "days_28",
    "month",
    "lifetime",
    "total_over_range",
];

/// The `metric_type` values (v18+), in the order the `metric_type must be one of` error lists them.
pub const METRIC_TYPES: &[&str] = &["default", "time_series", "total_value"];

/// How a user metric answers in the era of its entry.
#[derive(Debug, Clone, Copy)]
pub enum UserShape {
    /// Time series (`values` with `end_time`, or one lifetime map) for these periods.
    Series(&'static [&'static str]),
    /// `metric_type=total_value` only: one `total_value` over the `since`/`until` window, for these
    /// periods, with these breakdown dimensions.
    Total {
        periods: &'static [&'static str],
        breakdowns: &'static [&'static str],
    },
    /// A demographic: `period=lifetime`, `metric_type=total_value` and a `timeframe`, breakdowns
    /// `age`, `gender` (alone or together), `country` or `city`.
    Demographic,
}

/// A user-insights (IG User `/insights`) metric in one era.
#[derive(Debug, Clone, Copy)]
pub struct UserMetric {
    /// Metric name.
    pub name: &'static str,
    /// How it answers.
    pub shape: UserShape,
    /// `title` of its answer.
    pub title: &'static str,
    /// `description` of its answer.
    pub description: &'static str,
    /// The change that brought it.
    pub from: Gate,
    /// The change that took it away.
    pub until: Gate,
}

const DAY: &[&str] = &["day"];
const DAY_WEEK_28: &[&str] = &["day", "week", "days_28"];
const LIFETIME: &[&str] = &["lifetime"];
const TOTAL_PERIODS: &[&str] = &["day", "total_over_range"];
const BY_PRODUCT: &[&str] = &["media_product_type"];

const fn series(
    name: &'static str,
    periods: &'static [&'static str],
    title: &'static str,
    description: &'static str,
    until: Gate,
) -> UserMetric {
    UserMetric {
        name,
        shape: UserShape::Series(periods),
        title,
        description,
        from: Gate::ALWAYS,
        until,
    }
}

const fn total(
    name: &'static str,
    breakdowns: &'static [&'static str],
    title: &'static str,
    description: &'static str,
    from: Gate,
) -> UserMetric {
    UserMetric {
        name,
        shape: UserShape::Total {
            periods: TOTAL_PERIODS,
            breakdowns,
        },
        title,
        description,
        from,
        until: Gate::NEVER,
    }
}

const fn demographic(
    name: &'static str,
    title: &'static str,
    description: &'static str,
) -> UserMetric {
    UserMetric {
        name,
        shape: UserShape::Demographic,
        title,
        description,
        from: V18,
        until: Gate::NEVER,
    }
}

/// Every user metric entry. The names in first-appearance order are the order the real
/// `metric[i] must be one of` error lists them (the v15 list, then the v18 additions as observed in a v18
/// error, then `views`); a name has one entry per shape and era.
pub const USER_METRICS: &[UserMetric] = &[
    series(
        "impressions",
        DAY_WEEK_28,
        "Impressions",
        "Total number of times the Business Account's media objects have been viewed",
        V22,
    ),
    series(
        "reach",
        DAY_WEEK_28,
        "Reach",
        "Total number of times the Business Account's media objects have been uniquely viewed",
        Gate::NEVER,
    ),
    series(
        "follower_count",
        DAY,
        "Follower Count",
        "Total number of unique accounts following this profile",
        Gate::NEVER,
    ),
    series(
        "email_contacts",
        DAY,
        "Email Contacts",
        "Total number of taps on the email link in this profile",
        V21,
    ),
    series(
        "phone_call_clicks",
        DAY,
        "Phone Call Clicks",
        "Total number of taps on the call link in this profile",
        V21,
    ),
    series(
        "text_message_clicks",
        DAY,
        "Text Message Clicks",
        "Total number of taps on the text message link in this profile",
        V21,
    ),
    series(
        "get_directions_clicks",
        DAY,
        "Get Directions Clicks",
        "Total number of taps on the directions link in this profile",
        V21,
    ),
    series(
        "website_clicks",
        DAY,
        "Website Clicks",
        "Total number of taps on the website link in this profile",
        V21,
    ),
    series(
        "profile_views",
        DAY,
        "Profile Views",
        "Total number of users who have viewed the Business Account's profile within the specified period",
        V21,
    ),
    series(
        "audience_gender_age",
        LIFETIME,
        "Gender and Age",
        "The gender and age distribution of this profile's followers",
        V18,
    ),
    series(
        "audience_locale",
        LIFETIME,
        "Location",
        "The locales by country codes of this profile's followers",
        V18,
    ),
    series(
        "audience_country",
        LIFETIME,
        "Audience Country",
        "The countries of this profile's followers",
        V18,
    ),
    series(
        "audience_city",
        LIFETIME,
        "Audience City",
        "The cities of this profile's followers",
        V18,
    ),
    series(
        "online_followers",
        LIFETIME,
        "Online Followers",
        "Total number of this profile's followers that were online during the specified period",
        Gate::NEVER,
    ),
    total(
        "accounts_engaged",
        &[],
        "Accounts engaged",
        "The number of accounts that have interacted with your content, including in ads.",
        V18,
    ),
    total(
        "total_interactions",
        BY_PRODUCT,
        "Content interactions",
        "The total number of post interactions, story interactions, reels interactions, video interactions and live video interactions, including any interactions on boosted content.",
        V18,
    ),
    total(
        "likes",
        BY_PRODUCT,
        "Likes",
        "The number of likes on your posts, reels and videos.",
        V18,
    ),
    total(
        "comments",
        BY_PRODUCT,
        "Comments",
        "The number of comments on your posts, reels, videos and live videos.",
        V18,
    ),
    total(
        "shares",
        BY_PRODUCT,
        "Shares",
        "The number of shares of your posts, stories, reels, videos and live videos.",
        V18,
    ),
    total(
        "saves",
        BY_PRODUCT,
        "Saves",
        "The number of saves of your posts, reels and videos.",
        V18,
    ),
    total(
        "replies",
        BY_PRODUCT,
        "Replies",
        "The number of replies you received from your story, including text replies and quick reaction replies.",
        V18,
    ),
    demographic(
        "engaged_audience_demographics",
        "Engaged audience demographics",
        "The demographic characteristics of the engaged audience, including countries, cities and gender distribution.",
    ),
    demographic(
        "reached_audience_demographics",
        "Reached audience demographics",
        "The demographic characteristics of the reached audience, including countries, cities and gender distribution.",
    ),
    demographic(
        "follower_demographics",
        "Follower demographics",
        "The demographic characteristics of followers, including countries, cities and gender distribution.",
    ),
    total(
        "follows_and_unfollows",
        &["follow_type"],
        "Follows and unfollows",
        "The number of accounts that followed you and the number of accounts that unfollowed you or left Instagram in the selected time period.",
        V18,
    ),
    total(
        "profile_links_taps",
        &["contact_button_type"],
        "Profile links taps",
        "The number of taps on your business address, call button, email button and text button.",
        V18,
    ),
    total(
        "reach",
        &["media_product_type", "follow_type"],
        "Accounts reached",
        "The number of unique accounts that have seen your content, at least once, including in ads.",
        V18,
    ),
    total(
        "website_clicks",
        &[],
        "Website clicks",
        "The number of times that the link in your account's bio was tapped.",
        V18,
    ),
    total(
        "profile_views",
        &[],
        "Profile views",
        "The number of times your profile was visited.",
        V18,
    ),
    total(
        "views",
        &["follower_type", "media_product_type"],
        "Views",
        "The number of times your content was played or displayed.",
        V22,
    ),
];

/// The entries of user metric `name` served to `api`.
pub fn user_entries(api: &Api, name: &str) -> impl Iterator<Item = &'static UserMetric> {
    let api = *api;
    let name = name.to_string();
    USER_METRICS
        .iter()
        .filter(move |m| m.name == name && api.serves(m.from, m.until))
}

/// The time-series entry of user metric `name` served to `api`.
pub fn user_series(api: &Api, name: &str) -> Option<&'static UserMetric> {
    user_entries(api, name).find(|m| matches!(m.shape, UserShape::Series(_)))
}

/// The total-value (or demographic) entry of user metric `name` served to `api`.
pub fn user_total(api: &Api, name: &str) -> Option<&'static UserMetric> {
    user_entries(api, name).find(|m| !matches!(m.shape, UserShape::Series(_)))
}

/// The user metric names served to `api`, in the order of the `metric[i] must be one of` error.
pub fn user_metric_names_at(api: &Api) -> Vec<&'static str> {
    names(
        USER_METRICS
            .iter()
            .map(|m| (m.name, api.serves(m.from, m.until))),
    )
}

/// A user metric of the seed's API (v15) by name.
pub fn user_metric(name: &str) -> Option<&'static UserMetric> {
    user_series(&Api::SEED, name)
}

/// Whether user metric `name` can be asked with `period` in the seed's API (v15).
pub fn user_metric_supports(name: &str, period: &str) -> bool {
    matches!(user_metric(name).map(|m| m.shape), Some(UserShape::Series(p)) if p.contains(&period))
}

/// The user metric names of the seed's API (v15), in order.
pub fn user_metric_names() -> Vec<&'static str> {
    user_metric_names_at(&Api::SEED)
}

/// The demographic `timeframe` values served to `api` (before [`V20`] also the older four).
pub fn timeframes(api: &Api) -> &'static [&'static str] {
    if api.past(V20) {
        &["this_week", "this_month"]
    } else {
        &[
            "last_14_days",
            "last_30_days",
            "last_90_days",
            "prev_month",
            "this_week",
            "this_month",
        ]
    }
}

/// Breakdown dimensions and the values their results carry, in the order results list them.
pub const DIMENSIONS: &[(&str, &[&str])] = &[
    (
        "media_product_type",
        &["POST", "CAROUSEL_CONTAINER", "REEL", "STORY", "AD"],
    ),
    ("follow_type", &["FOLLOWER", "NON_FOLLOWER"]),
    ("follower_type", &["FOLLOWER", "NON_FOLLOWER"]),
    (
        "contact_button_type",
        &[
            "BOOK_NOW",
            "CALL",
            "DIRECTION",
            "EMAIL",
            "INSTANT_EXPERIENCE",
            "TEXT",
            "UNDEFINED",
        ],
    ),
    (
        "action_type",
        &[
            "bio_link_clicked",
            "call",
            "direction",
            "email",
            "other",
            "text",
        ],
    ),
    (
        "story_navigation_action_type",
        &["tap_forward", "tap_back", "tap_exit", "swipe_forward"],
    ),
    ("age", AGES),
    ("gender", GENDERS),
    ("country", COUNTRIES),
    ("city", CITIES),
];

/// The values of breakdown dimension `dim`.
pub fn dimension_values(dim: &str) -> Option<&'static [&'static str]> {
    DIMENSIONS.iter().find(|(d, _)| *d == dim).map(|(_, v)| *v)
}

/// Age buckets (demographics).
pub const AGES: &[&str] = &["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"];
/// Genders (demographics).
pub const GENDERS: &[&str] = &["F", "M", "U"];
/// Follower countries (ISO-3166 alpha-2).
pub const COUNTRIES: &[&str] = &["US", "GB", "BR", "JP", "DE", "FR", "CA", "MX", "PL", "IT"];
/// Follower cities (`City, Region`).
pub const CITIES: &[&str] = &[
    "Portland, Oregon",
    "Seattle, Washington",
    "London, England",
    "São Paulo, São Paulo (state)",
    "New York, New York",
    "Tokyo, Tokyo",
    "Berlin, Berlin",
    "Paris, Île-de-France",
    "Vancouver, British Columbia",
    "San Francisco, California",
    "Mexico City, Distrito Federal",
    "Kraków, Lesser Poland Voivodeship",
];
/// Follower locales (`audience_locale`).
pub const LOCALES: &[&str] = &[
    "en_US", "en_GB", "es_LA", "pt_BR", "ja_JP", "de_DE", "fr_FR", "pl_PL",
];

/// The kind of media a media metric applies to (by `media_product_type`, then `media_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// FEED IMAGE.
    Image,
    /// FEED VIDEO.
    Video,
    /// FEED CAROUSEL_ALBUM.
    Carousel,
    /// REELS.
    Reels,
    /// STORY.
    Story,
}

/// A media-insights (IG Media `/insights`) metric in one era.
#[derive(Debug, Clone, Copy)]
pub struct MediaMetric {
    /// Metric name.
    pub name: &'static str,
    /// The media kinds it is valid for in this era (none: a known name that no media supports).
    pub kinds: &'static [MediaKind],
    /// `description` of its answer (the `title` is derived from the name).
    pub description: &'static str,
    /// The breakdown dimension it supports, if any.
    pub breakdown: Option<&'static str>,
    /// The change that brought it (for these kinds).
    pub from: Gate,
    /// The change that took it away (for these kinds).
    pub until: Gate,
}

const SEEN: &str = "Total number of times the media object has been seen";
const UNIQUELY_SEEN: &str = "Total number of unique accounts that have seen the media object";
const SAVED: &str = "Total number of unique accounts that have saved the media object";
const LIKES_AND_COMMENTS: &str = "Total number of likes and comments on the media object";
const VIDEO_SEEN: &str = "Total number of times the video has been seen";
const INTERACTIONS: &str = "Total number of interactions on the media";
const LIKES: &str = "Total number of likes on the media";
const COMMENTS: &str = "Total number of comments on the media";
const SHARES: &str = "Total number of shares of the media";
const FOLLOWS: &str = "The number of accounts that started following you from the media";
const VISITS: &str = "The number of times your profile was visited from the media";
const ACTIVITY: &str =
    "The number of actions people take when they visit your profile after engaging with the media";
const NAVIGATION: &str = "The total number of actions taken from the story: taps forward, taps back, exits and swipes forward";
const VIEWS: &str = "The number of times the media was played or displayed";

const fn media(
    name: &'static str,
    kinds: &'static [MediaKind],
    description: &'static str,
    from: Gate,
    until: Gate,
) -> MediaMetric {
    MediaMetric {
        name,
        kinds,
        description,
        breakdown: None,
        from,
        until,
    }
}

const fn with_breakdown(m: MediaMetric, dim: &'static str) -> MediaMetric {
    MediaMetric {
        breakdown: Some(dim),
        ..m
    }
}

/// Every media metric entry. The names in first-appearance order are the order the real
/// `metric[i] must be one of` error lists them; a name has one entry per era and set of kinds (the
/// kinds of all entries served to a call add up).
pub const MEDIA_METRICS: &[MediaMetric] = {
    use Gate as G;
    use MediaKind::{Carousel, Image, Reels, Story, Video};
    const A: Gate = G::ALWAYS;
    const N: Gate = G::NEVER;
    &[
        // the seed's catalog (v15)
        media("impressions", &[Image, Video, Story], SEEN, A, V22),
        media("reach", &[Image, Video, Reels, Story], UNIQUELY_SEEN, A, N),
        media("carousel_album_impressions", &[Carousel], SEEN, A, V18),
        media("carousel_album_reach", &[Carousel], UNIQUELY_SEEN, A, V18),
        media(
            "carousel_album_engagement",
            &[Carousel],
            LIKES_AND_COMMENTS,
            A,
            V18,
        ),
        media("carousel_album_saved", &[Carousel], SAVED, A, V18),
        media(
            "carousel_album_video_views",
            &[Carousel],
            VIDEO_SEEN,
            A,
            V18,
        ),
        media(
            "taps_forward",
            &[Story],
            "Total number of taps to see this story's next photo or video",
            A,
            V18,
        ),
        media(
            "taps_back",
            &[Story],
            "Total number of taps to see this story's previous photo or video",
            A,
            V18,
        ),
        media(
            "exits",
            &[Story],
            "Number of times someone exited the story",
            A,
            V18,
        ),
        media(
            "replies",
            &[Story],
            "Total number of replies to the story",
            A,
            N,
        ),
        media("engagement", &[Image, Video], LIKES_AND_COMMENTS, A, V18),
        media("saved", &[Image, Video, Reels], SAVED, A, N),
        media("video_views", &[Video], VIDEO_SEEN, A, V21),
        media("likes", &[Reels], LIKES, A, N),
        media("comments", &[Reels], COMMENTS, A, N),
        media("shares", &[Reels], SHARES, A, N),
        media(
            "plays",
            &[Reels],
            "Total number of times the Reel starts to play after an impression is already counted",
            A,
            V22,
        ),
        media("total_interactions", &[Reels], INTERACTIONS, A, N),
        media("follows", &[], INTERACTIONS, A, V18),
        media("profile_visits", &[], INTERACTIONS, A, V18),
        media("profile_activity", &[], INTERACTIONS, A, V18),
        media("navigation", &[], INTERACTIONS, A, V18),
        // v18: albums get the plain metrics; posts and stories the interaction metrics
        media("impressions", &[Carousel], SEEN, V18, V22),
        media("reach", &[Carousel], UNIQUELY_SEEN, V18, N),
        media("saved", &[Carousel], SAVED, V18, N),
        media("video_views", &[Carousel], VIDEO_SEEN, V18, V21),
        media("likes", &[Image, Carousel], LIKES, V18, N),
        media("comments", &[Image, Carousel], COMMENTS, V18, N),
        media("shares", &[Image, Carousel, Story], SHARES, V18, N),
        media(
            "total_interactions",
            &[Image, Carousel, Story],
            INTERACTIONS,
            V18,
            N,
        ),
        media("follows", &[Image, Video, Carousel, Story], FOLLOWS, V18, N),
        media(
            "profile_visits",
            &[Image, Video, Carousel, Story],
            VISITS,
            V18,
            N,
        ),
        with_breakdown(
            media(
                "profile_activity",
                &[Image, Video, Carousel, Story],
                ACTIVITY,
                V18,
                N,
            ),
            "action_type",
        ),
        with_breakdown(
            media("navigation", &[Story], NAVIGATION, V18, N),
            "story_navigation_action_type",
        ),
        media(
            "ig_reels_avg_watch_time",
            &[Reels],
            "The average amount of time spent playing the reel, in milliseconds",
            V18,
            N,
        ),
        media(
            "ig_reels_video_view_total_time",
            &[Reels],
            "The total amount of time the reel was played, including replays, in milliseconds",
            V18,
            N,
        ),
        // v21: `views` is known, on Reels, with the Reels play counts of SDK 21 (gone in v22); v22:
        // `views` on every kind, and feed videos get the interactions
        media("views", &[Reels], VIEWS, V21, N),
        media(
            "clips_replays_count",
            &[Reels],
            "The number of times the reel was replayed after its first play",
            V21,
            V22,
        ),
        media(
            "ig_reels_aggregated_all_plays_count",
            &[Reels],
            "The number of times the reel started to play, on Instagram and Facebook",
            V21,
            V22,
        ),
        media("views", &[Image, Video, Carousel, Story], VIEWS, V22, N),
        media("likes", &[Video], LIKES, V22, N),
        media("comments", &[Video], COMMENTS, V22, N),
        media("shares", &[Video], SHARES, V22, N),
        media("total_interactions", &[Video], INTERACTIONS, V22, N),
    ]
};

/// A media metric as served to one call: the kinds of all its entries served, its description and its
/// breakdown.
#[derive(Debug, Clone)]
pub struct MediaMetricAt {
    /// Metric name.
    pub name: &'static str,
    /// The media kinds it is valid for.
    pub kinds: Vec<MediaKind>,
    /// `description` of its answer (of its latest entry).
    pub description: &'static str,
    /// The breakdown dimension it supports, if any.
    pub breakdown: Option<&'static str>,
}

/// Media metric `name` as served to `api` (`None`: not a media metric there).
pub fn media_metric_at(api: &Api, name: &str) -> Option<MediaMetricAt> {
    let mut out: Option<MediaMetricAt> = None;
    for m in MEDIA_METRICS
        .iter()
        .filter(|m| m.name == name && api.serves(m.from, m.until))
    {
        let o = out.get_or_insert_with(|| MediaMetricAt {
            name: m.name,
            kinds: Vec::new(),
            description: m.description,
            breakdown: None,
        });
        o.kinds.extend_from_slice(m.kinds);
        if !m.kinds.is_empty() {
            o.description = m.description;
        }
        o.breakdown = o.breakdown.or(m.breakdown);
    }
    out
}

/// The media metric names served to `api`, in the order of the `metric[i] must be one of` error.
pub fn media_metric_names_at(api: &Api) -> Vec<&'static str> {
    names(
        MEDIA_METRICS
            .iter()
            .map(|m| (m.name, api.serves(m.from, m.until))),
    )
}

/// A media metric of the seed's API (v15) by name.
pub fn media_metric(name: &str) -> Option<MediaMetricAt> {
    media_metric_at(&Api::SEED, name)
}

/// The media metric names of the seed's API (v15), in order.
pub fn media_metric_names() -> Vec<&'static str> {
    media_metric_names_at(&Api::SEED)
}

/// The served names of a table of (name, served) entries, each once, in the order of the name's
/// first entry in the table (served or not: a name keeps its place when its first entry is gone).
fn names(entries: impl Iterator<Item = (&'static str, bool)>) -> Vec<&'static str> {
    let entries: Vec<(&'static str, bool)> = entries.collect();
    let mut out: Vec<&'static str> = Vec::new();
    for (n, _) in &entries {
        if !out.contains(n) && entries.iter().any(|(m, served)| m == n && *served) {
            out.push(n);
        }
    }
    out
}

/// The `title` of a media metric: its name with the first letter upper-cased and `_` as spaces
/// (`carousel_album_reach` → `Carousel album reach`).
pub fn media_metric_title(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Fields (and edges) of an IG User node.
pub const IG_USER_FIELDS: &[&str] = &[
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "website",
    "profile_picture_url",
    "followers_count",
    "follows_count",
    "media_count",
    "media",
    "stories",
    "insights",
    "business_discovery",
    "recently_searched_hashtags",
    "tags",
    "live_media",
];

/// Fields (and edges) of an IG Media node.
pub const MEDIA_FIELDS: &[&str] = &[
    "id",
    "ig_id",
    "caption",
    "comments_count",
    "like_count",
    "is_comment_enabled",
    "is_shared_to_feed",
    "media_type",
    "media_product_type",
    "media_url",
    "thumbnail_url",
    "permalink",
    "shortcode",
    "timestamp",
    "username",
    "owner",
    "children",
    "comments",
    "insights",
];

/// The media fields a hashtag edge (`top_media`, `recent_media`) answers; others are refused.
pub const HASHTAG_MEDIA_FIELDS: &[&str] = &[
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "comments_count",
    "like_count",
    "media_url",
    "permalink",
    "timestamp",
    "children",
];

/// The media fields (and edges) business discovery refuses.
pub const DISCOVERY_MEDIA_REFUSED: &[&str] = &[
    "ig_id",
    "is_comment_enabled",
    "shortcode",
    "thumbnail_url",
    "is_shared_to_feed",
    "comments",
    "insights",
];

/// The fields a page answers by default inside `/me/accounts`.
pub const ACCOUNTS_DEFAULT_FIELDS: &[&str] = &[
    "access_token",
    "category",
    "category_list",
    "name",
    "id",
    "tasks",
];

/// The `tasks` of the user on each page.
pub const PAGE_TASKS: &[&str] = &[
    "ANALYZE",
    "ADVERTISE",
    "MESSAGING",
    "MODERATE",
    "CREATE_CONTENT",
    "MANAGE",
];

/// The edges of the nodes the simulator serves (a `/{node}/{edge}` call with another edge is counted as
/// `unknown` in `/__stats`).
pub const EDGES: &[&str] = &[
    "media",
    "stories",
    "insights",
    "recently_searched_hashtags",
    "children",
    "comments",
    "replies",
    "recent_media",
    "top_media",
    "accounts",
    "tags",
    "live_media",
];

/// The permissions of the demo app (what the user token has, and what the login dialog can grant), in
/// the order `debug_token` lists them.
pub const APP_PERMISSIONS: &[&str] = &[
    "pages_show_list",
    "instagram_basic",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "pages_read_engagement",
    "public_profile",
];

/// The permissions of [`BASIC_TOKEN`](super::BASIC_TOKEN): no insights, no comments.
pub const BASIC_PERMISSIONS: &[&str] = &[
    "public_profile",
    "pages_show_list",
    "instagram_basic",
    "pages_read_engagement",
];

/// The permissions `debug_token` lists under `granular_scopes` (with the page or IG user ids they
/// apply to), in its order.
pub const GRANULAR_PERMISSIONS: &[&str] = &[
    "pages_show_list",
    "instagram_basic",
    "instagram_manage_insights",
    "instagram_manage_comments",
    "pages_read_engagement",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_titles_derive() {
        for names in [user_metric_names(), media_metric_names()] {
            let set: std::collections::HashSet<_> = names.iter().collect();
            assert_eq!(set.len(), names.len());
        }
        assert_eq!(
            media_metric_title("carousel_album_reach"),
            "Carousel album reach"
        );
        assert_eq!(media_metric_title("reach"), "Reach");
        assert!(user_metric_supports("reach", "week"));
        assert!(!user_metric_supports("follower_count", "week"));
        assert!(!user_metric_supports("online_followers", "month"));
        assert!(
            GRANULAR_PERMISSIONS
                .iter()
                .all(|p| APP_PERMISSIONS.contains(p))
        );
        assert!(
            BASIC_PERMISSIONS
                .iter()
                .all(|p| APP_PERMISSIONS.contains(p))
        );
    }

    /// 2022-11-01 (v15.0) serves exactly the v15 catalog: its kinds, periods, and nothing newer.
    #[test]
    fn the_seed_api_serves_the_v15_catalog() {
        use MediaKind::{Carousel, Image, Reels, Story, Video};
        let kinds = |n: &str| media_metric(n).unwrap().kinds;
        assert_eq!(kinds("impressions"), [Image, Video, Story]);
        assert_eq!(kinds("reach"), [Image, Video, Reels, Story]);
        assert_eq!(kinds("saved"), [Image, Video, Reels]);
        assert_eq!(kinds("carousel_album_reach"), [Carousel]);
        assert_eq!(kinds("total_interactions"), [Reels]);
        assert!(kinds("follows").is_empty());
        assert!(media_metric("views").is_none());
        assert_eq!(media_metric_names().len(), 23);
        assert!(
            user_metric_names()
                .iter()
                .all(|n| user_total(&Api::SEED, n).is_none())
        );
        assert_eq!(user_metric_names().len(), 14);
        assert!(user_metric_supports("impressions", "days_28"));
        assert!(user_metric_supports("audience_locale", "lifetime"));
        assert_eq!(timeframes(&Api::SEED).len(), 6);
    }
}
