//! The simulator's own catalog of the Graph API v15 surface it serves: insights metrics (with the periods
//! or media kinds they apply to, their titles and descriptions), the fields of each node type, the edges,
//! and the permissions of the demo app. Every list the simulator checks requests against is written here,
//! once.
//!
//! # Why the simulator does not use the product's catalog
//! The product keeps its own catalog of the same metrics (`src/reports/catalog.rs`: which metric goes with
//! which period or media type, what a report asks for). The simulator is the test bed that product is
//! checked against, so it must not import or copy that catalog: a metric the product wrongly pairs with a
//! period, or a field the product wrongly asks for, would then be "confirmed" by a simulator that learnt
//! the same mistake. This file is written from the Graph API reference (v15, Instagram Business, Facebook
//! Login flavour) and from the error messages the real API gives, independently of `src/reports`. When
//! the two disagree, a test fails, and that is the point. Nothing in `src/sim` imports product modules.

/// The user-insights periods, in the order the real `period must be one of` error lists them.
pub const USER_PERIODS: &[&str] = &[
    "day",
    "week",
    "days_28",
    "month",
    "lifetime",
    "total_over_range",
];

/// A user-insights (IG User `/insights`) metric.
#[derive(Debug, Clone, Copy)]
pub struct UserMetric {
    /// Metric name.
    pub name: &'static str,
    /// The periods it can be asked with (`period=`).
    pub periods: &'static [&'static str],
    /// `title` of its answer.
    pub title: &'static str,
    /// `description` of its answer.
    pub description: &'static str,
}

const DAY: &[&str] = &["day"];
const DAY_WEEK_28: &[&str] = &["day", "week", "days_28"];
const LIFETIME: &[&str] = &["lifetime"];

/// Every valid user metric, in the order the real `metric[i] must be one of` error lists them.
pub const USER_METRICS: &[UserMetric] = &[
    UserMetric {
        name: "impressions",
        periods: DAY_WEEK_28,
        title: "Impressions",
        description: "Total number of times the Business Account's media objects have been viewed",
    },
    UserMetric {
        name: "reach",
        periods: DAY_WEEK_28,
        title: "Reach",
        description: "Total number of times the Business Account's media objects have been uniquely viewed",
    },
    UserMetric {
        name: "follower_count",
        periods: DAY,
        title: "Follower Count",
        description: "Total number of unique accounts following this profile",
    },
    UserMetric {
        name: "email_contacts",
        periods: DAY,
        title: "Email Contacts",
        description: "Total number of taps on the email link in this profile",
    },
    UserMetric {
        name: "phone_call_clicks",
        periods: DAY,
        title: "Phone Call Clicks",
        description: "Total number of taps on the call link in this profile",
    },
    UserMetric {
        name: "text_message_clicks",
        periods: DAY,
        title: "Text Message Clicks",
        description: "Total number of taps on the text message link in this profile",
    },
    UserMetric {
        name: "get_directions_clicks",
        periods: DAY,
        title: "Get Directions Clicks",
        description: "Total number of taps on the directions link in this profile",
    },
    UserMetric {
        name: "website_clicks",
        periods: DAY,
        title: "Website Clicks",
        description: "Total number of taps on the website link in this profile",
    },
    UserMetric {
        name: "profile_views",
        periods: DAY,
        title: "Profile Views",
        description: "Total number of users who have viewed the Business Account's profile within the specified period",
    },
    UserMetric {
        name: "audience_gender_age",
        periods: LIFETIME,
        title: "Gender and Age",
        description: "The gender and age distribution of this profile's followers",
    },
    UserMetric {
        name: "audience_locale",
        periods: LIFETIME,
        title: "Location",
        description: "The locales by country codes of this profile's followers",
    },
    UserMetric {
        name: "audience_country",
        periods: LIFETIME,
        title: "Audience Country",
        description: "The countries of this profile's followers",
    },
    UserMetric {
        name: "audience_city",
        periods: LIFETIME,
        title: "Audience City",
        description: "The cities of this profile's followers",
    },
    UserMetric {
        name: "online_followers",
        periods: LIFETIME,
        title: "Online Followers",
        description: "Total number of this profile's followers that were online during the specified period",
    },
];

/// A user metric by name.
pub fn user_metric(name: &str) -> Option<&'static UserMetric> {
    USER_METRICS.iter().find(|m| m.name == name)
}

/// Whether user metric `name` can be asked with `period`.
pub fn user_metric_supports(name: &str, period: &str) -> bool {
    user_metric(name).is_some_and(|m| m.periods.contains(&period))
}

/// The names of [`USER_METRICS`], in order.
pub fn user_metric_names() -> Vec<&'static str> {
    USER_METRICS.iter().map(|m| m.name).collect()
}

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

/// A media-insights (IG Media `/insights`) metric.
#[derive(Debug, Clone, Copy)]
pub struct MediaMetric {
    /// Metric name.
    pub name: &'static str,
    /// The media kinds it is valid for (none: a known name that no media of this data set supports).
    pub kinds: &'static [MediaKind],
    /// `description` of its answer (the `title` is derived from the name).
    pub description: &'static str,
}

const SEEN: &str = "Total number of times the media object has been seen";
const UNIQUELY_SEEN: &str = "Total number of unique accounts that have seen the media object";
const SAVED: &str = "Total number of unique accounts that have saved the media object";
const LIKES_AND_COMMENTS: &str = "Total number of likes and comments on the media object";
const VIDEO_SEEN: &str = "Total number of times the video has been seen";
const INTERACTIONS: &str = "Total number of interactions on the media";

/// Every media metric name the API knows, in the order the real `metric[i] must be one of` error lists
/// them, with the media kinds each one is valid for.
pub const MEDIA_METRICS: &[MediaMetric] = {
    use MediaKind::{Carousel, Image, Reels, Story, Video};
    &[
        MediaMetric {
            name: "impressions",
            kinds: &[Image, Video, Story],
            description: SEEN,
        },
        MediaMetric {
            name: "reach",
            kinds: &[Image, Video, Reels, Story],
            description: UNIQUELY_SEEN,
        },
        MediaMetric {
            name: "carousel_album_impressions",
            kinds: &[Carousel],
            description: SEEN,
        },
        MediaMetric {
            name: "carousel_album_reach",
            kinds: &[Carousel],
            description: UNIQUELY_SEEN,
        },
        MediaMetric {
            name: "carousel_album_engagement",
            kinds: &[Carousel],
            description: LIKES_AND_COMMENTS,
        },
        MediaMetric {
            name: "carousel_album_saved",
            kinds: &[Carousel],
            description: SAVED,
        },
        MediaMetric {
            name: "carousel_album_video_views",
            kinds: &[Carousel],
            description: VIDEO_SEEN,
        },
        MediaMetric {
            name: "taps_forward",
            kinds: &[Story],
            description: "Total number of taps to see this story's next photo or video",
        },
        MediaMetric {
            name: "taps_back",
            kinds: &[Story],
            description: "Total number of taps to see this story's previous photo or video",
        },
        MediaMetric {
            name: "exits",
            kinds: &[Story],
            description: "Number of times someone exited the story",
        },
        MediaMetric {
            name: "replies",
            kinds: &[Story],
            description: "Total number of replies to the story",
        },
        MediaMetric {
            name: "engagement",
            kinds: &[Image, Video],
            description: LIKES_AND_COMMENTS,
        },
        MediaMetric {
            name: "saved",
            kinds: &[Image, Video, Reels],
            description: SAVED,
        },
        MediaMetric {
            name: "video_views",
            kinds: &[Video],
            description: VIDEO_SEEN,
        },
        MediaMetric {
            name: "likes",
            kinds: &[Reels],
            description: "Total number of likes on the media",
        },
        MediaMetric {
            name: "comments",
            kinds: &[Reels],
            description: "Total number of comments on the media",
        },
        MediaMetric {
            name: "shares",
            kinds: &[Reels],
            description: "Total number of shares of the media",
        },
        MediaMetric {
            name: "plays",
            kinds: &[Reels],
            description: "Total number of times the Reel starts to play after an impression is already counted",
        },
        MediaMetric {
            name: "total_interactions",
            kinds: &[Reels],
            description: INTERACTIONS,
        },
        MediaMetric {
            name: "follows",
            kinds: &[],
            description: INTERACTIONS,
        },
        MediaMetric {
            name: "profile_visits",
            kinds: &[],
            description: INTERACTIONS,
        },
        MediaMetric {
            name: "profile_activity",
            kinds: &[],
            description: INTERACTIONS,
        },
        MediaMetric {
            name: "navigation",
            kinds: &[],
            description: INTERACTIONS,
        },
    ]
};

/// A media metric by name.
pub fn media_metric(name: &str) -> Option<&'static MediaMetric> {
    MEDIA_METRICS.iter().find(|m| m.name == name)
}

/// The names of [`MEDIA_METRICS`], in order.
pub fn media_metric_names() -> Vec<&'static str> {
    MEDIA_METRICS.iter().map(|m| m.name).collect()
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
}
