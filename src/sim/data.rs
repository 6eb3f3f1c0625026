//! The simulated data set: generated once from the seed, timestamps relative to `now`. Read-only afterwards.
//!
//! Everything a test needs to compute expected rows is public here: pages, accounts (with their media in API
//! order, newest first), stories, carousel children, comments and replies (newest first), hashtags, the
//! business-discovery accounts, and the insight value functions [`Dataset::user_insight`] and
//! [`Dataset::media_insight`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::America::Los_Angeles;
use serde_json::{Value, json};

use super::rng::{Rng, hash, hash_str};

/// `media_type` of an IG Media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `IMAGE`
    Image,
    /// `VIDEO` (feed videos, Reels and video stories)
    Video,
    /// `CAROUSEL_ALBUM`
    CarouselAlbum,
}

impl MediaType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "IMAGE",
            MediaType::Video => "VIDEO",
            MediaType::CarouselAlbum => "CAROUSEL_ALBUM",
        }
    }
}

/// `media_product_type` of an IG Media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductType {
    /// `FEED`
    Feed,
    /// `REELS`
    Reels,
    /// `STORY`
    Story,
}

impl ProductType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductType::Feed => "FEED",
            ProductType::Reels => "REELS",
            ProductType::Story => "STORY",
        }
    }
}

/// A carousel child. Children carry no caption, like/comment counts, comments or insights.
#[derive(Debug, Clone)]
pub struct Child {
    /// Child media id.
    pub id: String,
    /// Legacy id (string).
    pub ig_id: String,
    /// `IMAGE` or `VIDEO`.
    pub media_type: MediaType,
    /// Always present on children.
    pub media_url: String,
    /// Only for VIDEO children.
    pub thumbnail_url: Option<String>,
    /// Permalink (the album's).
    pub permalink: String,
    /// Shortcode.
    pub shortcode: String,
    /// Same as the album's timestamp.
    pub timestamp: DateTime<Utc>,
}

/// A comment or a reply.
#[derive(Debug, Clone)]
pub struct Comment {
    /// Comment id.
    pub id: String,
    /// Text (unicode, emoji, quotes, newlines…).
    pub text: String,
    /// Creation time.
    pub timestamp: DateTime<Utc>,
    /// Commenter username (`username` and `from.username`).
    pub username: String,
    /// Commenter id (`from.id`).
    pub from_id: String,
    /// Likes on the comment.
    pub like_count: u64,
    /// Hidden by the account.
    pub hidden: bool,
    /// The media commented on (`media.id`).
    pub media_id: String,
    /// For replies: the top-level comment id.
    pub parent_id: Option<String>,
    /// Replies, newest first (empty for replies).
    pub replies: Vec<Comment>,
}

/// An IG Media (feed post, reel, story, hashtag or business-discovery media).
#[derive(Debug, Clone)]
pub struct Media {
    /// Media id.
    pub id: String,
    /// Legacy id (string).
    pub ig_id: String,
    /// Omitted for some media.
    pub caption: Option<String>,
    /// `media_type`.
    pub media_type: MediaType,
    /// `media_product_type`.
    pub media_product_type: ProductType,
    /// Omitted for copyright-flagged media.
    pub media_url: Option<String>,
    /// VIDEO / REELS only.
    pub thumbnail_url: Option<String>,
    /// Permalink.
    pub permalink: String,
    /// Shortcode.
    pub shortcode: String,
    /// Creation time.
    pub timestamp: DateTime<Utc>,
    /// Omitted when the owner hid like counts (and on stories).
    pub like_count: Option<u64>,
    /// Comments + replies (equals the stored comments + replies on owned media); omitted on stories.
    pub comments_count: Option<u64>,
    /// Comments enabled.
    pub is_comment_enabled: bool,
    /// Reels only.
    pub is_shared_to_feed: Option<bool>,
    /// Owner username.
    pub username: String,
    /// Owner IG user id.
    pub owner_id: String,
    /// Carousel children (empty otherwise).
    pub children: Vec<Child>,
    /// Top-level comments, newest first (owned media only).
    pub comments: Vec<Comment>,
    /// Stories only: insights answer `(#10) Not enough viewers for the media to show insights`.
    pub low_viewers: bool,
}

impl Media {
    /// Number of stored comments plus replies.
    pub fn stored_comment_total(&self) -> u64 {
        self.comments
            .iter()
            .map(|c| 1 + c.replies.len() as u64)
            .sum()
    }
}

/// An Instagram business account (own, or a business-discovery target).
#[derive(Debug, Clone)]
pub struct IgAccount {
    /// IG user id (`1784…`).
    pub id: String,
    /// Legacy id, a JSON **number**.
    pub ig_id: u64,
    /// Username.
    pub username: String,
    /// Profile name.
    pub name: String,
    /// Biography.
    pub biography: String,
    /// Website.
    pub website: String,
    /// Profile picture URL.
    pub profile_picture_url: String,
    /// Followers.
    pub followers_count: u64,
    /// Follows.
    pub follows_count: u64,
    /// Equals `media.len()`.
    pub media_count: u64,
    /// The linked Facebook page (own accounts).
    pub page_id: Option<String>,
    /// Media in API order (newest first), stories excluded.
    pub media: Vec<Media>,
    /// Live stories (last 24 h), newest first. Empty for discovery accounts.
    pub stories: Vec<Media>,
    /// Business conversion time: media strictly older fail insights with 100/2108006.
    pub conversion_time: DateTime<Utc>,
    /// Hashtag searches made before the simulator started: (hashtag id, time). Seed the
    /// 30-per-7-days budget and `recently_searched_hashtags`.
    pub recent_searches: Vec<(String, DateTime<Utc>)>,
}

/// A Facebook page reachable by the user token.
#[derive(Debug, Clone)]
pub struct Page {
    /// Page id (~15 digits).
    pub id: String,
    /// Page name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Linked IG business account, or none (the field is then omitted).
    pub ig_account_id: Option<String>,
    /// Page access token (accepted by the simulator).
    pub access_token: String,
}

/// A hashtag with its media.
#[derive(Debug, Clone)]
pub struct Hashtag {
    /// Static id (depends on the name only, as real hashtag ids are global).
    pub id: String,
    /// Name without `#`.
    pub name: String,
    /// Media of the last 24 h in API order (not strictly chronological).
    pub recent_media: Vec<Media>,
    /// Most popular media in API order.
    pub top_media: Vec<Media>,
}

/// The Facebook user behind the token.
#[derive(Debug, Clone)]
pub struct FbUser {
    /// User id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// Where an id lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjRef {
    /// The token's Facebook user.
    FbUser,
    /// `pages[i]`.
    Page(usize),
    /// `accounts[i]`.
    Account(usize),
    /// `accounts[a].media[i]`.
    Media(usize, usize),
    /// `accounts[a].stories[i]`.
    Story(usize, usize),
    /// `accounts[a].media[i].children[c]`.
    Child(usize, usize, usize),
    /// `accounts[a].media[i].comments[c]` or its reply `r`.
    Comment(usize, usize, usize, Option<usize>),
    /// `hashtags[i]`.
    Hashtag(usize),
}

/// Why a media insight cannot be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsightError {
    /// No such (readable) media.
    UnknownMedia,
    /// The metric name is not a media metric at all.
    InvalidMetric,
    /// The metric exists but not for this media type/product.
    Incompatible,
    /// Posted before the account's business conversion (100/2108006).
    BeforeConversion,
    /// Story with fewer than 5 viewers (code 10).
    NotEnoughViewers,
}

/// The complete simulated data set.
#[derive(Debug)]
pub struct Dataset {
    /// Seed it was generated from.
    pub seed: u64,
    /// The data set clock (whole seconds).
    pub now: DateTime<Utc>,
    /// The token's Facebook user.
    pub user: FbUser,
    /// Pages, in `/me/accounts` order.
    pub pages: Vec<Page>,
    /// Own IG business accounts (linked to `pages`).
    pub accounts: Vec<IgAccount>,
    /// Hashtags.
    pub hashtags: Vec<Hashtag>,
    /// Other business accounts reachable via business discovery (by `username`).
    pub discovery: Vec<IgAccount>,
    index: HashMap<String, ObjRef>,
}

/// User-insight metrics valid per period (v15).
pub const USER_METRICS_DAY: &[&str] = &[
    "impressions",
    "reach",
    "follower_count",
    "email_contacts",
    "phone_call_clicks",
    "text_message_clicks",
    "get_directions_clicks",
    "website_clicks",
    "profile_views",
];
/// `week` and `days_28` metrics.
pub const USER_METRICS_WEEK: &[&str] = &["impressions", "reach"];
/// `lifetime` metrics.
pub const USER_METRICS_LIFETIME: &[&str] = &[
    "online_followers",
    "audience_city",
    "audience_country",
    "audience_gender_age",
    "audience_locale",
];
/// Every valid user metric, in the order the real error message lists them.
pub const USER_METRICS_ALL: &[&str] = &[
    "impressions",
    "reach",
    "follower_count",
    "email_contacts",
    "phone_call_clicks",
    "text_message_clicks",
    "get_directions_clicks",
    "website_clicks",
    "profile_views",
    "audience_gender_age",
    "audience_locale",
    "audience_country",
    "audience_city",
    "online_followers",
];
/// Valid periods accepted by the `period` parameter.
pub const USER_PERIODS: &[&str] = &[
    "day",
    "week",
    "days_28",
    "month",
    "lifetime",
    "total_over_range",
];

/// IMAGE / FEED media metrics.
pub const MEDIA_METRICS_IMAGE: &[&str] = &["engagement", "impressions", "reach", "saved"];
/// VIDEO / FEED media metrics.
pub const MEDIA_METRICS_VIDEO: &[&str] =
    &["engagement", "impressions", "reach", "saved", "video_views"];
/// CAROUSEL_ALBUM metrics.
pub const MEDIA_METRICS_CAROUSEL: &[&str] = &[
    "carousel_album_engagement",
    "carousel_album_impressions",
    "carousel_album_reach",
    "carousel_album_saved",
    "carousel_album_video_views",
];
/// REELS metrics.
pub const MEDIA_METRICS_REELS: &[&str] = &[
    "comments",
    "likes",
    "plays",
    "reach",
    "saved",
    "shares",
    "total_interactions",
];
/// STORY metrics.
pub const MEDIA_METRICS_STORY: &[&str] = &[
    "exits",
    "impressions",
    "reach",
    "replies",
    "taps_forward",
    "taps_back",
];
/// Every media metric name the API knows (the list of the `metric[i] must be one of` error).
pub const MEDIA_METRICS_ALL: &[&str] = &[
    "impressions",
    "reach",
    "carousel_album_impressions",
    "carousel_album_reach",
    "carousel_album_engagement",
    "carousel_album_saved",
    "carousel_album_video_views",
    "taps_forward",
    "taps_back",
    "exits",
    "replies",
    "engagement",
    "saved",
    "video_views",
    "likes",
    "comments",
    "shares",
    "plays",
    "total_interactions",
    "follows",
    "profile_visits",
    "profile_activity",
    "navigation",
];

/// The metric set of a media (by type and product type).
pub fn media_metrics_for(m: &Media) -> &'static [&'static str] {
    match (m.media_product_type, m.media_type) {
        (ProductType::Story, _) => MEDIA_METRICS_STORY,
        (ProductType::Reels, _) => MEDIA_METRICS_REELS,
        (_, MediaType::CarouselAlbum) => MEDIA_METRICS_CAROUSEL,
        (_, MediaType::Video) => MEDIA_METRICS_VIDEO,
        (_, MediaType::Image) => MEDIA_METRICS_IMAGE,
    }
}

/// Metrics valid for a user-insights period.
pub fn user_metrics_for_period(period: &str) -> &'static [&'static str] {
    match period {
        "day" => USER_METRICS_DAY,
        "week" | "days_28" => USER_METRICS_WEEK,
        "lifetime" => USER_METRICS_LIFETIME,
        _ => &[],
    }
}

/// Graph timestamp format: `2024-05-04T07:00:00+0000`.
pub fn fmt_ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// Midnight America/Los_Angeles at the start of local date `d`, in UTC.
pub fn pacific_midnight(d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).expect("midnight");
    Los_Angeles
        .from_local_datetime(&naive)
        .earliest()
        .expect("midnight exists in America/Los_Angeles")
        .with_timezone(&Utc)
}

/// Whether `t` is a Pacific midnight (a valid `end_time`).
pub fn is_pacific_midnight(t: DateTime<Utc>) -> bool {
    let l = t.with_timezone(&Los_Angeles);
    l.hour() == 0 && l.minute() == 0 && l.second() == 0
}

/// Pacific midnights `E` with `since < E <= until`, ascending.
pub fn pacific_end_times(since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    if until <= since {
        return out;
    }
    let mut d = since.with_timezone(&Los_Angeles).date_naive();
    let last = until.with_timezone(&Los_Angeles).date_naive() + Duration::days(1);
    while d <= last {
        let e = pacific_midnight(d);
        if e > since && e <= until {
            out.push(e);
        }
        d += Duration::days(1);
    }
    out
}

const CAPTION_BITS: &[&str] = &[
    "Morning pour-over ☕️",
    "New seasonal menu is here!",
    "Latte art practice, day 42 🎨",
    "\"Best flat white in town\" — a regular",
    "Roast profile saved at C:\\beans\\roast\\v2",
    "Crème brûlée latte · Ünïcödé test",
    "日本のコーヒー豆 🇯🇵",
    "Line one\nLine two\nLine three",
    "🎉🎉🎉 10 years!",
    "Tag a friend who needs this 👇",
    "It's a 'single' and a \"double\" kind of day",
    "Back\\slash and a literal \\n here",
    "Open 7–19h · Mon–Sat",
    "Ça va? ¿Qué tal? Привет! مرحبا",
    "Tab\tseparated\tvalues",
    "Sunrise over the harbour 🌅",
    "Single origin: Ethiopia Yirgacheffe",
    "Weekend brunch 🥞🍳",
];
const HASHTAG_BITS: &[&str] = &[
    "#coffee",
    "#latteart",
    "#espresso",
    "#barista",
    "#thirdwave",
    "#travel",
    "#brunch",
];
const COMMENT_BITS: &[&str] = &[
    "Love this! 😍",
    "Where is this?",
    "🔥🔥🔥",
    "So good \"every\" time",
    "Can't wait to try it",
    "Best café in town 👌",
    "What beans are these?",
    "Looks amazing\nSee you Saturday",
    "¡Qué rico!",
    "C:\\path\\joke 😂",
    "Thanks for the recipe!",
    "👏",
    "Is it vegan?",
    "美味しそう",
];
const COMMENTER_BASE: &[&str] = &[
    "coffee_lover",
    "bean.geek",
    "mitty",
    "latte_lena",
    "portland_pete",
    "sam.sips",
    "anna_k",
    "jo_brews",
    "noodle",
    "mar.ia",
    "théo",
    "kenji_t",
    "olu",
    "priya.p",
    "zoe_zoe",
];

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn shortcode(rng: &mut Rng) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    (0..11).map(|_| A[rng.below(64) as usize] as char).collect()
}

struct Gen {
    rng: Rng,
    media_counter: u64,
    comment_counter: u64,
}

impl Gen {
    fn media_id(&mut self) -> String {
        self.media_counter += 1;
        (17_900_000_000_000_000u64 + self.media_counter * 1000 + self.rng.below(1000)).to_string()
    }
    fn comment_id(&mut self) -> String {
        self.comment_counter += 1;
        (17_850_000_000_000_000u64 + self.comment_counter * 1000 + self.rng.below(1000)).to_string()
    }
    fn caption(&mut self) -> Option<String> {
        if self.rng.chance(0.05) {
            return None;
        }
        let n = self.rng.range(1, 3);
        let mut parts: Vec<String> = (0..n)
            .map(|_| self.rng.pick(CAPTION_BITS).to_string())
            .collect();
        if self.rng.chance(0.6) {
            let tags: Vec<&str> = (0..self.rng.range(1, 3))
                .map(|_| *self.rng.pick(HASHTAG_BITS))
                .collect();
            parts.push(tags.join(" "));
        }
        let sep = if self.rng.chance(0.5) { " " } else { "\n\n" };
        Some(parts.join(sep))
    }
    fn url(&mut self, video: bool, id: &str) -> String {
        let oh = format!("{:016x}", self.rng.next_u64());
        if video {
            format!(
                "https://video.cdninstagram.com/o1/v/t16/f1/m82/{id}_n.mp4?efg=eyJ2ZW5jb2RlX3RhZyI6In0&_nc_ht=video.cdninstagram.com&oh=00_{oh}&oe=65A1B2C3"
            )
        } else {
            format!(
                "https://scontent.cdninstagram.com/v/t51.29350-15/{id}_n.jpg?_nc_cat=10&ccb=1-7&_nc_sid=8ae9d6&_nc_ohc=Xk3{oh}&oh=00_{oh}&oe=65A1B2C3"
            )
        }
    }
    fn commenter(&mut self) -> (String, String) {
        let i = self.rng.below(60);
        let base = COMMENTER_BASE[(i as usize) % COMMENTER_BASE.len()];
        let name = if i < COMMENTER_BASE.len() as u64 {
            base.to_string()
        } else {
            format!("{base}{i}")
        };
        let id = (5_400_000_000_000_000u64 + hash_str(&name) % 1_000_000_000_000_000).to_string();
        (name, id)
    }
    fn comment(
        &mut self,
        media_id: &str,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
        parent: Option<&str>,
    ) -> Comment {
        let span = (now - after).num_seconds().max(60) as u64;
        let ts = after + Duration::seconds(self.rng.range(30, span) as i64);
        let (username, from_id) = self.commenter();
        let mut text = self.rng.pick(COMMENT_BITS).to_string();
        if parent.is_some() && self.rng.chance(0.5) {
            text = format!("@{} {text}", self.rng.pick(COMMENTER_BASE));
        }
        Comment {
            id: self.comment_id(),
            text,
            timestamp: ts,
            username,
            from_id,
            like_count: if self.rng.chance(0.4) {
                0
            } else {
                self.rng.range(1, 60)
            },
            hidden: self.rng.chance(0.03),
            media_id: media_id.to_string(),
            parent_id: parent.map(str::to_string),
            replies: Vec::new(),
        }
    }

    /// One media of `kind` (0 image, 1 video, 2 carousel, 3 reel).
    fn media(&mut self, kind: u64, ts: DateTime<Utc>, username: &str, owner_id: &str) -> Media {
        let id = self.media_id();
        let (media_type, product) = match kind {
            0 => (MediaType::Image, ProductType::Feed),
            1 => (MediaType::Video, ProductType::Feed),
            2 => (MediaType::CarouselAlbum, ProductType::Feed),
            _ => (MediaType::Video, ProductType::Reels),
        };
        let sc = shortcode(&mut self.rng);
        let permalink = if product == ProductType::Reels {
            format!("https://www.instagram.com/reel/{sc}/")
        } else {
            format!("https://www.instagram.com/p/{sc}/")
        };
        let video = media_type == MediaType::Video;
        let mut children = Vec::new();
        if media_type == MediaType::CarouselAlbum {
            for _ in 0..self.rng.range(2, 5) {
                let cid = self.media_id();
                let cvideo = self.rng.chance(0.25);
                children.push(Child {
                    ig_id: digits(&mut self.rng, 19),
                    media_type: if cvideo {
                        MediaType::Video
                    } else {
                        MediaType::Image
                    },
                    media_url: self.url(cvideo, &cid),
                    thumbnail_url: cvideo.then(|| self.url(false, &cid)),
                    permalink: permalink.clone(),
                    shortcode: shortcode(&mut self.rng),
                    timestamp: ts,
                    id: cid,
                });
            }
        }
        let copyright = media_type != MediaType::CarouselAlbum && self.rng.chance(0.04);
        let media_url = if copyright {
            None
        } else if let Some(c) = children.first() {
            Some(c.media_url.clone())
        } else {
            Some(self.url(video, &id))
        };
        Media {
            ig_id: digits(&mut self.rng, 19),
            caption: self.caption(),
            media_type,
            media_product_type: product,
            media_url,
            thumbnail_url: video.then(|| self.url(false, &id)),
            permalink,
            shortcode: sc,
            timestamp: ts,
            like_count: if self.rng.chance(0.07) {
                None
            } else {
                Some(self.rng.range(0, 2500))
            },
            comments_count: Some(self.rng.range(0, 120)),
            is_comment_enabled: self.rng.chance(0.92),
            is_shared_to_feed: (product == ProductType::Reels).then(|| self.rng.chance(0.8)),
            username: username.to_string(),
            owner_id: owner_id.to_string(),
            children,
            comments: Vec::new(),
            low_viewers: false,
            id,
        }
    }

    fn kind(&mut self) -> u64 {
        match self.rng.below(100) {
            0..45 => 0,
            45..60 => 1,
            60..85 => 2,
            _ => 3,
        }
    }

    fn account(
        &mut self,
        username: &str,
        name: &str,
        media_n: usize,
        span_days: i64,
        now: DateTime<Utc>,
    ) -> IgAccount {
        let id = format!("17841{}", digits(&mut self.rng, 12));
        let ig_id = self.rng.range(300_000_000, 9_999_999_999);
        let mut media = Vec::with_capacity(media_n);
        let step = span_days * 86_400 / media_n as i64;
        for i in 0..media_n {
            let jitter = self.rng.below((step / 2).max(1) as u64) as i64;
            let ts = now - Duration::seconds(3_600 + i as i64 * step + jitter);
            let k = self.kind();
            media.push(self.media(k, ts, username, &id));
        }
        IgAccount {
            profile_picture_url: format!(
                "https://scontent.xx.fbcdn.net/v/t51.2885-15/{}_n.jpg?_nc_cat=1&ccb=1-7&_nc_sid=86c713&oh=00_{:012x}&oe=65B0C0D0",
                digits(&mut self.rng, 9),
                self.rng.next_u64() >> 16
            ),
            followers_count: self.rng.range(8_000, 300_000),
            follows_count: self.rng.range(80, 1_500),
            media_count: media.len() as u64,
            biography: format!(
                "{name} ☕️ — roasting since 20{:02}\nOrders & \"events\": DM us",
                self.rng.range(5, 19)
            ),
            website: format!(
                "https://www.{}.example.com/",
                username.replace(['_', '.'], "")
            ),
            id,
            ig_id,
            username: username.to_string(),
            name: name.to_string(),
            page_id: None,
            media,
            stories: Vec::new(),
            conversion_time: now,
            recent_searches: Vec::new(),
        }
    }
}

/// Static hashtag id from the name (hashtag ids are global in the real API).
pub fn hashtag_id_for(name: &str) -> String {
    format!(
        "17843{:012}",
        hash_str(&name.to_lowercase()) % 1_000_000_000_000
    )
}

/// Hashtag names of the data set.
pub const HASHTAGS: &[&str] = &[
    "coffee",
    "latteart",
    "travel",
    "espresso",
    "barista",
    "foodie",
    "sunset",
    "portland",
    "thirdwave",
    "brunch",
];

/// Business-discovery usernames of the data set.
pub const DISCOVERY_USERNAMES: &[&str] = &[
    "bluebottle",
    "stumptown",
    "blue_bottle_cafe",
    "intelligentsia",
    "lacolombe",
];

/// Index of the media (in `accounts[0].media`) that carries the big comment thread.
pub const BIG_THREAD_MEDIA: usize = 2;

impl Dataset {
    /// Generate the data set for `seed` at clock `now`.
    pub fn generate(seed: u64, now: DateTime<Utc>) -> Dataset {
        let now = Utc
            .timestamp_opt(now.timestamp(), 0)
            .single()
            .unwrap_or(now);
        let mut g = Gen {
            rng: Rng::new(seed),
            media_counter: 0,
            comment_counter: 0,
        };
        let user = FbUser {
            id: format!("1{}", digits(&mut g.rng, 14)),
            name: "Demo Owner".to_string(),
        };

        // Own accounts.
        let own = [
            (
                "northside_roasters",
                "Northside Roasters",
                250usize,
                440i64,
                300i64,
            ),
            ("harbor_cafe", "Harbor Café & Bar", 320, 520, 380),
        ];
        let mut accounts = Vec::new();
        for (ai, (u, n, count, span, conv)) in own.iter().enumerate() {
            let mut a = g.account(u, n, *count, *span, now);
            a.conversion_time =
                now - Duration::days(*conv) - Duration::seconds(g.rng.below(86_400) as i64);
            // comments
            for (mi, m) in a.media.iter_mut().enumerate() {
                let (top, reply_max) = if ai == 0 && mi == BIG_THREAD_MEDIA {
                    (120, 4)
                } else if g.rng.chance(0.2) {
                    (0, 0)
                } else {
                    (g.rng.range(1, 6) as usize, 3)
                };
                let mut comments: Vec<Comment> = (0..top)
                    .map(|_| g.comment(&m.id, m.timestamp, now, None))
                    .collect();
                for (ci, c) in comments.iter_mut().enumerate() {
                    let nrep = if ai == 0 && mi == BIG_THREAD_MEDIA && [0usize, 5, 17].contains(&ci)
                    {
                        [35usize, 48, 61]
                            [[0usize, 5, 17].iter().position(|x| *x == ci).unwrap_or(0)]
                    } else {
                        g.rng.below(reply_max + 1) as usize
                    };
                    let mut reps: Vec<Comment> = (0..nrep)
                        .map(|_| g.comment(&m.id, c.timestamp, now, Some(&c.id)))
                        .collect();
                    reps.sort_by(|x, y| y.timestamp.cmp(&x.timestamp).then(y.id.cmp(&x.id)));
                    c.replies = reps;
                }
                comments.sort_by(|x, y| y.timestamp.cmp(&x.timestamp).then(y.id.cmp(&x.id)));
                m.comments = comments;
                m.comments_count = Some(m.stored_comment_total());
            }
            // stories
            let n_st = if ai == 0 { 4 } else { 3 };
            let mut stories = Vec::new();
            for si in 0..n_st {
                let ts = now - Duration::seconds(g.rng.range(600, 23 * 3600) as i64);
                let k = if g.rng.chance(0.6) { 0 } else { 1 };
                let mut s = g.media(k, ts, u, &a.id);
                s.media_product_type = ProductType::Story;
                s.permalink = format!("https://instagram.com/stories/{u}/{}/", s.ig_id);
                s.like_count = None;
                s.comments_count = None;
                s.is_shared_to_feed = None;
                if s.caption.is_some() && g.rng.chance(0.5) {
                    s.caption = None;
                }
                s.low_viewers = si % 2 == 1;
                stories.push(s);
            }
            stories.sort_by_key(|x| std::cmp::Reverse(x.timestamp));
            a.stories = stories;
            accounts.push(a);
        }

        // Pages.
        let page_defs = [
            (
                accounts[0].name.clone(),
                "Coffee Shop",
                Some(accounts[0].id.clone()),
            ),
            (
                accounts[1].name.clone(),
                "Café",
                Some(accounts[1].id.clone()),
            ),
            ("Northside Events".to_string(), "Community", None),
        ];
        let mut pages = Vec::new();
        for (name, cat, ig) in page_defs {
            let id = format!("10{}", digits(&mut g.rng, 13));
            let tok: String = format!(
                "EAAG{}",
                (0..4)
                    .map(|_| format!("{:016x}", g.rng.next_u64()))
                    .collect::<String>()
            );
            pages.push(Page {
                id,
                name,
                category: cat.to_string(),
                ig_account_id: ig,
                access_token: tok,
            });
        }
        for (i, a) in accounts.iter_mut().enumerate() {
            a.page_id = Some(pages[i].id.clone());
        }

        // Hashtags.
        let mut hashtags = Vec::new();
        for name in HASHTAGS {
            let n_recent = g.rng.range(60, 130) as usize;
            let n_top = g.rng.range(40, 80) as usize;
            let mut recent: Vec<Media> = (0..n_recent)
                .map(|_| {
                    let ts = now - Duration::seconds(g.rng.range(60, 86_000) as i64);
                    let k = g.rng.below(3);
                    g.media(k, ts, "", "")
                })
                .collect();
            recent.sort_by_key(|x| std::cmp::Reverse(x.timestamp));
            // not strictly chronological: swap some neighbours
            for i in 0..recent.len().saturating_sub(1) {
                if g.rng.chance(0.15) {
                    recent.swap(i, i + 1);
                }
            }
            let mut top: Vec<Media> = (0..n_top)
                .map(|_| {
                    let ts = now - Duration::seconds(g.rng.range(3_600, 30 * 86_400) as i64);
                    let k = g.rng.below(3);
                    let mut m = g.media(k, ts, "", "");
                    m.like_count = Some(g.rng.range(2_000, 90_000));
                    m
                })
                .collect();
            top.sort_by_key(|x| std::cmp::Reverse(x.like_count));
            for m in recent.iter_mut().chain(top.iter_mut()) {
                m.username.clear();
                m.owner_id.clear();
            }
            hashtags.push(Hashtag {
                id: hashtag_id_for(name),
                name: name.to_string(),
                recent_media: recent,
                top_media: top,
            });
        }

        // Initial searches (within the last 7 days, plus one expired one).
        let tag = |n: &str| hashtag_id_for(n);
        accounts[0].recent_searches = vec![
            (tag("coffee"), now - Duration::hours(20)),
            (tag("latteart"), now - Duration::days(2)),
            (tag("espresso"), now - Duration::days(4)),
            (tag("sunset"), now - Duration::days(9)),
        ];
        accounts[1].recent_searches = vec![(tag("travel"), now - Duration::days(3))];

        // Business discovery accounts.
        let mut discovery = Vec::new();
        for u in DISCOVERY_USERNAMES {
            let n = g.rng.range(90, 150) as usize;
            let display = u.replace('_', " ");
            let mut a = g.account(u, &display, n, 400, now);
            for m in &mut a.media {
                m.comments_count = Some(g.rng.range(0, 400));
            }
            a.conversion_time = now - Duration::days(2000);
            discovery.push(a);
        }

        let mut ds = Dataset {
            seed,
            now,
            user,
            pages,
            accounts,
            hashtags,
            discovery,
            index: HashMap::new(),
        };
        ds.build_index();
        ds
    }

    fn build_index(&mut self) {
        let mut idx = HashMap::new();
        idx.insert(self.user.id.clone(), ObjRef::FbUser);
        for (i, p) in self.pages.iter().enumerate() {
            idx.insert(p.id.clone(), ObjRef::Page(i));
        }
        for (a, acc) in self.accounts.iter().enumerate() {
            idx.insert(acc.id.clone(), ObjRef::Account(a));
            for (i, m) in acc.media.iter().enumerate() {
                idx.insert(m.id.clone(), ObjRef::Media(a, i));
                for (c, ch) in m.children.iter().enumerate() {
                    idx.insert(ch.id.clone(), ObjRef::Child(a, i, c));
                }
                for (c, cm) in m.comments.iter().enumerate() {
                    idx.insert(cm.id.clone(), ObjRef::Comment(a, i, c, None));
                    for (r, rp) in cm.replies.iter().enumerate() {
                        idx.insert(rp.id.clone(), ObjRef::Comment(a, i, c, Some(r)));
                    }
                }
            }
            for (i, s) in acc.stories.iter().enumerate() {
                idx.insert(s.id.clone(), ObjRef::Story(a, i));
            }
        }
        for (i, h) in self.hashtags.iter().enumerate() {
            idx.insert(h.id.clone(), ObjRef::Hashtag(i));
        }
        self.index = idx;
    }

    /// Resolve an id readable with the user token.
    pub fn lookup(&self, id: &str) -> Option<ObjRef> {
        self.index.get(id).copied()
    }

    /// An own account by id.
    pub fn account(&self, id: &str) -> Option<&IgAccount> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// A business-discovery target by username (own accounts can be discovered too).
    pub fn discover(&self, username: &str) -> Option<&IgAccount> {
        let u = username.to_lowercase();
        self.discovery
            .iter()
            .chain(self.accounts.iter())
            .find(|a| a.username == u)
    }

    /// A feed media or story by id (not children, not hashtag/discovery media).
    pub fn media(&self, id: &str) -> Option<&Media> {
        match self.lookup(id)? {
            ObjRef::Media(a, i) => Some(&self.accounts[a].media[i]),
            ObjRef::Story(a, i) => Some(&self.accounts[a].stories[i]),
            _ => None,
        }
    }

    /// A comment or reply by id.
    pub fn comment(&self, id: &str) -> Option<&Comment> {
        match self.lookup(id)? {
            ObjRef::Comment(a, i, c, r) => {
                let top = &self.accounts[a].media[i].comments[c];
                match r {
                    None => Some(top),
                    Some(r) => Some(&top.replies[r]),
                }
            }
            _ => None,
        }
    }

    /// A hashtag by name (case-insensitive, `#` optional).
    pub fn hashtag_by_name(&self, name: &str) -> Option<&Hashtag> {
        let n = name.trim_start_matches('#').to_lowercase();
        self.hashtags.iter().find(|h| h.name == n)
    }

    /// Whether insights of this media fail with 100/2108006 (posted before the owner's conversion).
    pub fn before_conversion(&self, media_id: &str) -> bool {
        match self.lookup(media_id) {
            Some(ObjRef::Media(a, i)) => {
                self.accounts[a].media[i].timestamp < self.accounts[a].conversion_time
            }
            _ => false,
        }
    }

    /// Whether this story answers insights with `(#10) Not enough viewers…`.
    pub fn not_enough_viewers(&self, media_id: &str) -> bool {
        matches!(self.lookup(media_id), Some(ObjRef::Story(a, i)) if self.accounts[a].stories[i].low_viewers)
    }

    /// The lifetime value of one media metric, or why it cannot be given. Checks in the real API's order:
    /// unknown metric name, pre-conversion media, incompatible metric, story with too few viewers.
    pub fn media_insight(&self, media_id: &str, metric: &str) -> Result<Value, InsightError> {
        let m = match self.lookup(media_id) {
            Some(ObjRef::Media(a, i)) => &self.accounts[a].media[i],
            Some(ObjRef::Story(a, i)) => &self.accounts[a].stories[i],
            Some(ObjRef::Child(..)) => {
                return Err(if MEDIA_METRICS_ALL.contains(&metric) {
                    InsightError::Incompatible
                } else {
                    InsightError::InvalidMetric
                });
            }
            _ => return Err(InsightError::UnknownMedia),
        };
        if !MEDIA_METRICS_ALL.contains(&metric) {
            return Err(InsightError::InvalidMetric);
        }
        if self.before_conversion(media_id) {
            return Err(InsightError::BeforeConversion);
        }
        if !media_metrics_for(m).contains(&metric) {
            return Err(InsightError::Incompatible);
        }
        if m.low_viewers {
            return Err(InsightError::NotEnoughViewers);
        }
        let h = |k: &str| hash(&[self.seed, hash_str(&m.id), hash_str(k)]);
        let likes = m.like_count.unwrap_or(h("likes") % 900);
        let comments = m.comments_count.unwrap_or(0);
        let reach = 150 + h("reach") % 6_000;
        let impressions = reach + reach * (h("impr") % 60) / 100;
        let saved = h("saved") % 120;
        let shares = h("shares") % 90;
        let v = match metric {
            "reach" | "carousel_album_reach" => reach,
            "impressions" | "carousel_album_impressions" => impressions,
            "saved" | "carousel_album_saved" => saved,
            "engagement" | "carousel_album_engagement" => likes + comments + saved,
            "video_views" => reach * (50 + h("vv") % 70) / 100,
            "carousel_album_video_views" => {
                if m.children.iter().any(|c| c.media_type == MediaType::Video) {
                    reach * (20 + h("vv") % 50) / 100
                } else {
                    0
                }
            }
            "likes" => likes,
            "comments" => comments,
            "shares" => shares,
            "plays" => reach * (120 + h("plays") % 200) / 100,
            "total_interactions" => likes + comments + saved + shares,
            "exits" => reach * (h("exits") % 30) / 100,
            "replies" => h("replies") % 12,
            "taps_forward" => reach * (40 + h("tf") % 40) / 100,
            "taps_back" => reach * (h("tb") % 15) / 100,
            _ => h(metric) % 100,
        };
        Ok(json!(v))
    }

    fn daily(&self, account: &IgAccount, metric: &str, end_time: DateTime<Utc>) -> u64 {
        let day = end_time.timestamp().div_euclid(86_400) as u64;
        let h = hash(&[self.seed, hash_str(&account.id), hash_str(metric), day]);
        let weekday_boost = [100u64, 92, 95, 97, 105, 125, 130][(day % 7) as usize];
        let base = account.followers_count / 12 * weekday_boost / 100;
        let noise = |lo: u64, span: u64| lo + h % span;
        match metric {
            "impressions" => base * noise(60, 80) / 100 + 50,
            "reach" => (self.daily(account, "impressions", end_time)) * noise(55, 25) / 100,
            "follower_count" => noise(0, 46),
            "email_contacts" => noise(0, 6),
            "phone_call_clicks" => noise(0, 5),
            "text_message_clicks" => noise(0, 4),
            "get_directions_clicks" => noise(0, 9),
            "website_clicks" => noise(0, 41),
            "profile_views" => noise(20, 380),
            _ => 0,
        }
    }

    fn lifetime_map(&self, account: &IgAccount, metric: &str, salt: u64) -> Value {
        let keys: Vec<String> = match metric {
            "audience_city" => [
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
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            "audience_country" => ["US", "GB", "BR", "JP", "DE", "FR", "CA", "MX", "PL", "IT"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            "audience_gender_age" => {
                let mut v = Vec::new();
                for g in ["F", "M", "U"] {
                    for b in ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"] {
                        v.push(format!("{g}.{b}"));
                    }
                }
                v
            }
            "audience_locale" => [
                "en_US", "en_GB", "es_LA", "pt_BR", "ja_JP", "de_DE", "fr_FR", "pl_PL",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            _ => (0..24).map(|h| h.to_string()).collect(),
        };
        let mut map = BTreeMap::new();
        let n = keys.len() as u64;
        for (i, k) in keys.into_iter().enumerate() {
            let h = hash(&[
                self.seed,
                hash_str(&account.id),
                hash_str(metric),
                salt,
                i as u64,
            ]);
            let v = if metric == "online_followers" {
                // diurnal curve, peak in the evening
                let hour = i as u64;
                let curve = 30 + (if hour >= 12 { 24 - hour } else { hour }) * 6;
                account.followers_count / 40 * curve / 100 + h % 50
            } else {
                account.followers_count * 2 / n * (40 + h % 120) / 100 / (1 + i as u64 / 3)
            };
            map.insert(k, json!(v));
        }
        Value::Object(map.into_iter().collect())
    }

    /// One user-insight value. `end_time` is a Pacific midnight for `day`/`week`/`days_28` and for
    /// `online_followers`; it is ignored (pass `None`) for the `audience_*` metrics. `None` when the
    /// account, metric/period pair or end time has no data: day/week/days_28 values exist for end times in
    /// the last 2 years (≤ now), `follower_count` and `online_followers` for the last 30 days only.
    pub fn user_insight(
        &self,
        account: &str,
        metric: &str,
        period: &str,
        end_time: Option<DateTime<Utc>>,
    ) -> Option<Value> {
        let acc = self.account(account)?;
        if !user_metrics_for_period(period).contains(&metric) {
            return None;
        }
        if metric.starts_with("audience_") {
            return Some(self.lifetime_map(acc, metric, 0));
        }
        let e = end_time?;
        if !is_pacific_midnight(e) || e > self.now || e <= self.now - Duration::days(730) {
            return None;
        }
        let last30 = e > self.now - Duration::days(30);
        match (period, metric) {
            ("lifetime", "online_followers") => last30
                .then(|| self.lifetime_map(acc, metric, e.timestamp().div_euclid(86_400) as u64)),
            ("day", "follower_count") => last30.then(|| json!(self.daily(acc, metric, e))),
            ("day", _) => Some(json!(self.daily(acc, metric, e))),
            ("week", _) | ("days_28", _) => {
                let days = if period == "week" { 7 } else { 28 };
                let sum: u64 = (0..days)
                    .map(|d| self.daily(acc, metric, e - Duration::days(d)))
                    .sum();
                let factor = match (metric, days) {
                    ("reach", 7) => 70,
                    ("reach", _) => 50,
                    _ => 100,
                };
                Some(json!(sum * factor / 100))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 20, 15, 30, 0).unwrap()
    }

    fn fingerprint(d: &Dataset) -> Vec<String> {
        let mut v = vec![d.user.id.clone()];
        for a in &d.accounts {
            v.push(format!(
                "{}|{}|{}|{}",
                a.id, a.username, a.followers_count, a.media_count
            ));
            for m in &a.media {
                v.push(format!(
                    "{}|{:?}|{:?}|{}|{:?}",
                    m.id, m.caption, m.media_type, m.timestamp, m.like_count
                ));
                for c in &m.comments {
                    v.push(format!("{}|{}|{}", c.id, c.text, c.replies.len()));
                }
            }
        }
        for h in &d.hashtags {
            v.push(format!(
                "{}|{}|{}",
                h.id,
                h.recent_media.len(),
                h.top_media.len()
            ));
        }
        v
    }

    #[test]
    fn deterministic_per_seed() {
        let a = Dataset::generate(42, now());
        let b = Dataset::generate(42, now());
        let c = Dataset::generate(43, now());
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        let e = pacific_midnight(NaiveDate::from_ymd_opt(2024, 5, 10).unwrap());
        assert_eq!(
            a.user_insight(&a.accounts[0].id, "reach", "day", Some(e)),
            b.user_insight(&b.accounts[0].id, "reach", "day", Some(e))
        );
    }

    #[test]
    fn shape_of_the_data() {
        let d = Dataset::generate(42, now());
        assert_eq!(d.pages.len(), 3);
        assert!(d.pages[2].ig_account_id.is_none());
        for a in &d.accounts {
            assert!(a.id.starts_with("1784") && a.id.len() == 17);
            assert_eq!(a.media_count as usize, a.media.len());
            assert!(a.media.windows(2).all(|w| w[0].timestamp > w[1].timestamp));
            assert!(
                a.media
                    .iter()
                    .any(|m| m.media_product_type == ProductType::Reels)
            );
            assert!(a.media.iter().any(|m| m.like_count.is_none()));
            assert!(a.media.iter().any(|m| m.timestamp < a.conversion_time));
            for m in &a.media {
                assert_eq!(m.comments_count, Some(m.stored_comment_total()));
                assert_eq!(m.thumbnail_url.is_some(), m.media_type == MediaType::Video);
                if m.media_type == MediaType::CarouselAlbum {
                    assert!((2..=5).contains(&m.children.len()));
                }
            }
            assert!(
                a.stories.iter().any(|s| s.low_viewers) && a.stories.iter().any(|s| !s.low_viewers)
            );
        }
        let big = &d.accounts[0].media[BIG_THREAD_MEDIA];
        assert_eq!(big.comments.len(), 120);
        assert!(big.comments.iter().any(|c| c.replies.len() > 50));
        let ids: std::collections::HashSet<_> = d
            .accounts
            .iter()
            .flat_map(|a| a.media.iter().map(|m| m.id.clone()))
            .collect();
        assert_eq!(ids.len(), 570);
    }

    #[test]
    fn pacific_end_times_follow_dst() {
        let w = Utc.with_ymd_and_hms(2024, 1, 10, 0, 0, 0).unwrap();
        assert_eq!(
            fmt_ts(pacific_end_times(w, w + Duration::days(1))[0]),
            "2024-01-10T08:00:00+0000"
        );
        let s = Utc.with_ymd_and_hms(2024, 5, 3, 0, 0, 0).unwrap();
        let v = pacific_end_times(s, s + Duration::days(2));
        assert_eq!(
            v.iter().map(|t| fmt_ts(*t)).collect::<Vec<_>>(),
            ["2024-05-03T07:00:00+0000", "2024-05-04T07:00:00+0000"]
        );
    }

    #[test]
    fn insight_rules() {
        let d = Dataset::generate(42, now());
        let a = &d.accounts[0];
        let old = a
            .media
            .iter()
            .find(|m| m.timestamp < a.conversion_time)
            .unwrap();
        assert_eq!(
            d.media_insight(&old.id, "reach"),
            Err(InsightError::BeforeConversion)
        );
        let img = a
            .media
            .iter()
            .find(|m| m.media_type == MediaType::Image && m.timestamp > a.conversion_time)
            .unwrap();
        assert!(d.media_insight(&img.id, "reach").is_ok());
        assert_eq!(
            d.media_insight(&img.id, "plays"),
            Err(InsightError::Incompatible)
        );
        assert_eq!(
            d.media_insight(&img.id, "nope"),
            Err(InsightError::InvalidMetric)
        );
        let low = a.stories.iter().find(|s| s.low_viewers).unwrap();
        assert_eq!(
            d.media_insight(&low.id, "reach"),
            Err(InsightError::NotEnoughViewers)
        );
        let recent = pacific_end_times(d.now - Duration::days(3), d.now);
        assert!(
            d.user_insight(&a.id, "follower_count", "day", Some(recent[0]))
                .is_some()
        );
        let old_e = pacific_end_times(d.now - Duration::days(60), d.now - Duration::days(59))[0];
        assert!(
            d.user_insight(&a.id, "follower_count", "day", Some(old_e))
                .is_none()
        );
        assert!(d.user_insight(&a.id, "reach", "day", Some(old_e)).is_some());
        assert!(
            d.user_insight(&a.id, "audience_city", "lifetime", None)
                .unwrap()
                .is_object()
        );
    }
}
