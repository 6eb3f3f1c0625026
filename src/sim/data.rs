//! The simulated data model: the types of the data set (pages, accounts, media, stories, carousel
//! children, comments and replies, hashtags, business-discovery accounts), the id index and the lookups,
//! and the Graph time helpers. A [`Dataset`] is what is true at one clock: the generator (`generate.rs`)
//! draws the timeline once from the seed (timestamps relative to the start clock, posts after it drawn
//! on demand) and `timeline.rs` takes the data set at a clock from it ([`Dataset::at`]). Each data set is
//! read-only.
//!
//! # The data set at a clock
//! * Media (posts and Reels) with `timestamp` ≤ clock; after the start clock each account posts about
//!   2.4 times a day (from an hour after the start). `media_count` counts them. What exists keeps its
//!   id, timestamp, caption, URLs and children at any later clock.
//! * Comments and replies with `timestamp` ≤ clock: on posts made after the start they come over the
//!   72 hours after the post; `comments_count` of an own media counts those shown.
//! * `like_count` (and `comments_count` of a business-discovery media) is a share of its final value
//!   that grows with the media's age ([`engagement_share`]) and is final from 72 hours on; so do the
//!   media's insight values. User insight day values are a share of their final value until the day
//!   ended 48 hours ago ([`day_share`]). Ages are taken at the clock's last full hour, so values change
//!   only on the hour.
//! * Stories of the 24 hours before the clock (each own account posts 4 or 3 a day).
//! * Hashtag media do not move with the clock.
//!
//! Everything a test needs to compute expected rows is public here, including the insight value functions
//! [`Dataset::user_insight`], [`Dataset::media_insight`], [`Dataset::user_total`],
//! [`Dataset::demographics`] … (written in `insight_values.rs`).

use std::collections::HashMap;

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::America::Los_Angeles;

pub use super::generate::{BIG_THREAD_MEDIA, DISCOVERY_USERNAMES, HASHTAGS};
use super::rng::hash_str;
use super::timeline::Timeline;

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
    /// Omitted when the owner hid like counts (and on stories). At the clock: its share of the final
    /// count ([`engagement_share`]).
    pub like_count: Option<u64>,
    /// Comments + replies (equals the stored comments + replies on owned media: those made by the
    /// clock; on business-discovery media its share of the final count); omitted on stories.
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
    /// Top-level comments made by the clock, newest first (owned media only).
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
    /// Equals `media.len()` (the media posted up to the clock).
    pub media_count: u64,
    /// The linked Facebook page (own accounts).
    pub page_id: Option<String>,
    /// Media posted up to the clock in API order (newest first), stories excluded.
    pub media: Vec<Media>,
    /// Live stories (the 24 h before the clock), newest first. Empty for discovery accounts.
    pub stories: Vec<Media>,
    /// Business conversion time: media strictly older fail insights with 100/2108006.
    pub conversion_time: DateTime<Utc>,
    /// Hashtag searches made before the simulator started: (hashtag id, time). Seed the
    /// 30-per-7-days budget and `recently_searched_hashtags`.
    pub recent_searches: Vec<(String, DateTime<Utc>)>,
    /// Its media other than Reels refuse `views` (`does not support the views metric for this media
    /// product type`), as some accounts' do on the API of today (reference §5.5, §5.6: Airbyte PR
    /// #62902). The second own account (Harbor Café & Bar) is one.
    pub views_only_on_reels: bool,
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
    /// `views` on a product type that does not have it yet (v21, before v22).
    ProductTypeUnsupported,
    /// Posted before the account's business conversion (100/2108006).
    BeforeConversion,
    /// Story with fewer than 5 viewers (code 10).
    NotEnoughViewers,
}

/// The simulated data set at one clock ([`Dataset::now`]): what the simulator answers at that clock.
#[derive(Debug)]
pub struct Dataset {
    /// Seed it was generated from.
    pub seed: u64,
    /// The clock this data set is taken at. The simulator's current data set is taken at its start
    /// clock (whole seconds), at each clock it is moved to, and again whenever what it shows changes
    /// as the clock runs (a post, comment or story appears, a story expires, an hour begins).
    pub now: DateTime<Utc>,
    /// The start clock of the timeline (whole seconds): tokens expire relative to it.
    pub start: DateTime<Utc>,
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
    /// Every id readable with the user token (built by [`Dataset::build_index`]).
    pub(super) index: HashMap<String, ObjRef>,
    /// What the data set at another clock is taken from.
    pub(super) timeline: Arc<Timeline>,
}

/// The share (‰) of its final value an engagement count or a media insight value has reached at
/// `clock` for a media posted at `posted`: 300‰ when posted, growing fast then slower, 1000‰ from 72
/// hours on. The age is taken in whole hours at the clock's last full hour (so it changes only on the
/// hour); a media posted after that hour counts as just posted.
pub fn engagement_share(posted: DateTime<Utc>, clock: DateTime<Utc>) -> u64 {
    let h = age_hours(posted, clock);
    if h >= 72 {
        return 1000;
    }
    let left = (72 - h) as u64;
    1000 - 700 * left * left / (72 * 72)
}

/// The share (‰) of its final value a user-insight day value has reached at `clock` for the day ending
/// at `end_time`: 850‰ when the day has just ended, 1000‰ from 48 hours after its end on (hours as in
/// [`engagement_share`]).
pub fn day_share(end_time: DateTime<Utc>, clock: DateTime<Utc>) -> u64 {
    let h = age_hours(end_time, clock);
    if h >= 48 {
        1000
    } else {
        850 + 150 * h as u64 / 48
    }
}

/// Whole hours from `t` to the last full hour of `clock` (0 when `t` is later).
fn age_hours(t: DateTime<Utc>, clock: DateTime<Utc>) -> i64 {
    let hour = clock.duration_trunc(Duration::hours(1)).unwrap_or(clock);
    (hour - t).num_hours().max(0)
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

/// Static hashtag id from the name (hashtag ids are global in the real API).
pub fn hashtag_id_for(name: &str) -> String {
    format!(
        "17843{:012}",
        hash_str(&name.to_lowercase()) % 1_000_000_000_000
    )
}

impl Dataset {
    /// Index every id of the data set (called once, by the generator).
    pub(super) fn build_index(&mut self) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
