//! The data set generator: everything in the [`Timeline`] comes from the seed, with timestamps relative
//! to the start clock, so the same seed gives the same data on every machine. What exists up to the
//! start clock (pages, accounts with their posts, comments and live stories, hashtags, business-discovery
//! accounts) is drawn from one SplitMix64 stream, in a fixed order; what is posted after it (post `j` of
//! an account, story `j` of an own account) is drawn from a stream of its own, seeded by (seed, account,
//! `j`), so it is the same whatever the clock and whenever it is first asked for.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::data::{
    Child, Comment, Dataset, FbUser, Hashtag, IgAccount, Media, MediaType, Page, ProductType,
    hashtag_id_for,
};
use super::rng::{Rng, hash, hash_str};
use super::timeline::{Slot, Timeline};

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
            views_only_on_reels: false,
        }
    }
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
    /// The data set for `seed` at clock `now`, the start of its timeline ([`Dataset::at`]: at later
    /// clocks). What exists at the start is drawn from one random stream, in the generator's order
    /// (changing the order changes every data set).
    pub fn generate(seed: u64, now: DateTime<Utc>) -> Dataset {
        Dataset::generate_with(seed, now, None)
    }

    /// [`Dataset::generate`] with `media` posts per own account before the start clock instead of the
    /// default (250 and 320; for benchmarks: `simulate --media N`).
    pub fn generate_with(seed: u64, now: DateTime<Utc>, media: Option<usize>) -> Dataset {
        let timeline = Arc::new(Timeline::generate(seed, now, media));
        timeline.view(timeline.start).0
    }
}

/// How long after it is posted a media keeps getting comments (and its counts keep growing).
const SETTLE: Duration = Duration::hours(72);
/// Time between two posts of an account after the start clock (plus a jitter of up to half of it):
/// about 2.4 posts a day.
const POST_STEP_SECS: i64 = 10 * 3600;
/// No post or story is posted in the first hour after the start clock.
const FIRST_AFTER_START_SECS: i64 = 3600;
/// Counters of the media and comment ids of what is posted after the start clock: far above those of
/// the start's stream, one range of 10 million per [`Slot`].
const FUTURE_COUNTER: u64 = 100_000_000;

/// Live stories of own account `ai` at the start, and its stories per day after it.
fn stories_per_day(ai: usize) -> usize {
    if ai == 0 { 4 } else { 3 }
}

impl Timeline {
    /// Everything that exists at clock `now` (whole seconds) for `seed`; what is posted later is drawn
    /// on demand ([`Timeline::post`], [`Timeline::story`]).
    pub(super) fn generate(seed: u64, now: DateTime<Utc>, media: Option<usize>) -> Timeline {
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
        let mut accounts = g.own_accounts(now, media);
        let pages = g.pages(&mut accounts);
        let hashtags = g.hashtags(now);
        initial_searches(&mut accounts, now);
        let discovery = g.discovery_accounts(now);
        Timeline {
            seed,
            start: now,
            user,
            pages,
            accounts,
            hashtags,
            discovery,
        }
    }

    /// The account of `slot` as it was at the start.
    pub(super) fn account_of(&self, slot: Slot) -> &IgAccount {
        match slot {
            Slot::Own(a) => &self.accounts[a],
            Slot::Discovery(d) => &self.discovery[d],
        }
    }

    /// A generator for item `j` of stream `code` (see [`Slot::code`]).
    fn gen_for(&self, code: u64, j: u64) -> Gen {
        let base = FUTURE_COUNTER + code * 10_000_000;
        Gen {
            rng: Rng::new(hash(&[self.seed, 0xF0_7E, code, j])),
            media_counter: base + j * 8,
            comment_counter: base + j * 1000,
        }
    }

    /// When post `j` after the start (0, 1, …) of `slot` is posted: from an hour after the start,
    /// every [`POST_STEP_SECS`] plus a jitter of up to half of it (so strictly increasing in `j`).
    pub(super) fn post_time(&self, slot: Slot, j: u64) -> DateTime<Utc> {
        let step = POST_STEP_SECS as u64;
        let jitter = hash(&[self.seed, 0x7153, slot.code(), j]) % (step / 2);
        self.start + Duration::seconds(FIRST_AFTER_START_SECS + (j * step + jitter) as i64)
    }

    /// Post `j` after the start of `slot`, with its final counts and, on an own account, its comments
    /// and replies (spread over the [`SETTLE`] time after it is posted).
    pub(super) fn post(&self, slot: Slot, j: u64) -> Media {
        let acc = self.account_of(slot);
        let mut g = self.gen_for(slot.code(), j);
        let ts = self.post_time(slot, j);
        let k = g.kind();
        let mut m = g.media(k, ts, &acc.username, &acc.id);
        match slot {
            Slot::Own(_) => g.comment_thread(&mut m, false, ts + SETTLE),
            Slot::Discovery(_) => m.comments_count = Some(g.rng.range(0, 400)),
        }
        m
    }

    /// Time between two stories of own account `a` after the start.
    pub(super) fn story_step(&self, a: usize) -> i64 {
        86_400 / stories_per_day(a) as i64
    }

    /// When story `j` after the start of own account `a` is posted (as [`Timeline::post_time`], every
    /// [`Timeline::story_step`]).
    pub(super) fn story_time(&self, a: usize, j: u64) -> DateTime<Utc> {
        let step = self.story_step(a) as u64;
        let jitter = hash(&[self.seed, 0x5707, a as u64, j]) % (step / 2);
        self.start + Duration::seconds(FIRST_AFTER_START_SECS + (j * step + jitter) as i64)
    }

    /// Story `j` after the start of own account `a` (every other one has too few viewers).
    pub(super) fn story(&self, a: usize, j: u64) -> Media {
        let acc = &self.accounts[a];
        let mut g = self.gen_for(Slot::story_code(a), j);
        g.story(&acc.username, &acc.id, self.story_time(a, j), j % 2 == 1)
    }
}

impl Gen {
    /// The own accounts, with their comment threads and live stories.
    fn own_accounts(&mut self, now: DateTime<Utc>, media: Option<usize>) -> Vec<IgAccount> {
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
            let mut a = self.account(u, n, media.unwrap_or(*count).max(1), *span, now);
            a.conversion_time =
                now - Duration::days(*conv) - Duration::seconds(self.rng.below(86_400) as i64);
            for (mi, m) in a.media.iter_mut().enumerate() {
                self.comment_thread(m, ai == 0 && mi == BIG_THREAD_MEDIA, now);
            }
            a.stories = self.stories(u, &a.id, stories_per_day(ai), now);
            a.views_only_on_reels = ai == 1;
            accounts.push(a);
        }
        accounts
    }

    /// The comments and replies of one media (newest first); `big`: the big thread (120 comments, three
    /// of them with more than 30 replies).
    fn comment_thread(&mut self, m: &mut Media, big: bool, now: DateTime<Utc>) {
        let (top, reply_max) = if big {
            (120, 4)
        } else if self.rng.chance(0.2) {
            (0, 0)
        } else {
            (self.rng.range(1, 6) as usize, 3)
        };
        let mut comments: Vec<Comment> = (0..top)
            .map(|_| self.comment(&m.id, m.timestamp, now, None))
            .collect();
        for (ci, c) in comments.iter_mut().enumerate() {
            let nrep = if big && [0usize, 5, 17].contains(&ci) {
                [35usize, 48, 61][[0usize, 5, 17].iter().position(|x| *x == ci).unwrap_or(0)]
            } else {
                self.rng.below(reply_max + 1) as usize
            };
            let mut reps: Vec<Comment> = (0..nrep)
                .map(|_| self.comment(&m.id, c.timestamp, now, Some(&c.id)))
                .collect();
            reps.sort_by(|x, y| y.timestamp.cmp(&x.timestamp).then(y.id.cmp(&x.id)));
            c.replies = reps;
        }
        comments.sort_by(|x, y| y.timestamp.cmp(&x.timestamp).then(y.id.cmp(&x.id)));
        m.comments = comments;
        m.comments_count = Some(m.stored_comment_total());
    }

    /// `n` live stories (the last 24 h), newest first; every other one has too few viewers for insights.
    fn stories(
        &mut self,
        username: &str,
        owner_id: &str,
        n: usize,
        now: DateTime<Utc>,
    ) -> Vec<Media> {
        let mut stories = Vec::new();
        for si in 0..n {
            let ts = now - Duration::seconds(self.rng.range(600, 23 * 3600) as i64);
            stories.push(self.story(username, owner_id, ts, si % 2 == 1));
        }
        stories.sort_by_key(|x| std::cmp::Reverse(x.timestamp));
        stories
    }

    /// One story posted at `ts`; `low_viewers`: its insights answer `Not enough viewers`.
    fn story(
        &mut self,
        username: &str,
        owner_id: &str,
        ts: DateTime<Utc>,
        low_viewers: bool,
    ) -> Media {
        let k = if self.rng.chance(0.6) { 0 } else { 1 };
        let mut s = self.media(k, ts, username, owner_id);
        s.media_product_type = ProductType::Story;
        s.permalink = format!("https://instagram.com/stories/{username}/{}/", s.ig_id);
        s.like_count = None;
        s.comments_count = None;
        s.is_shared_to_feed = None;
        if s.caption.is_some() && self.rng.chance(0.5) {
            s.caption = None;
        }
        s.low_viewers = low_viewers;
        s
    }

    /// The pages: one per own account (linked both ways) and one without an IG account.
    fn pages(&mut self, accounts: &mut [IgAccount]) -> Vec<Page> {
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
            let id = format!("10{}", digits(&mut self.rng, 13));
            let tok: String = format!(
                "EAAG{}",
                (0..4)
                    .map(|_| format!("{:016x}", self.rng.next_u64()))
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
        pages
    }

    /// The [`HASHTAGS`] with their recent media (last 24 h, not strictly chronological) and top media.
    fn hashtags(&mut self, now: DateTime<Utc>) -> Vec<Hashtag> {
        let mut hashtags = Vec::new();
        for name in HASHTAGS {
            let n_recent = self.rng.range(60, 130) as usize;
            let n_top = self.rng.range(40, 80) as usize;
            let mut recent: Vec<Media> = (0..n_recent)
                .map(|_| {
                    let ts = now - Duration::seconds(self.rng.range(60, 86_000) as i64);
                    let k = self.rng.below(3);
                    self.media(k, ts, "", "")
                })
                .collect();
            recent.sort_by_key(|x| std::cmp::Reverse(x.timestamp));
            // not strictly chronological: swap some neighbours
            for i in 0..recent.len().saturating_sub(1) {
                if self.rng.chance(0.15) {
                    recent.swap(i, i + 1);
                }
            }
            let mut top: Vec<Media> = (0..n_top)
                .map(|_| {
                    let ts = now - Duration::seconds(self.rng.range(3_600, 30 * 86_400) as i64);
                    let k = self.rng.below(3);
                    let mut m = self.media(k, ts, "", "");
                    m.like_count = Some(self.rng.range(2_000, 90_000));
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
        hashtags
    }

    /// The business-discovery accounts ([`DISCOVERY_USERNAMES`]).
    fn discovery_accounts(&mut self, now: DateTime<Utc>) -> Vec<IgAccount> {
        let mut discovery = Vec::new();
        for u in DISCOVERY_USERNAMES {
            let n = self.rng.range(90, 150) as usize;
            let display = u.replace('_', " ");
            let mut a = self.account(u, &display, n, 400, now);
            for m in &mut a.media {
                m.comments_count = Some(self.rng.range(0, 400));
            }
            a.conversion_time = now - Duration::days(2000);
            discovery.push(a);
        }
        discovery
    }
}

/// The hashtag searches made before the simulator started (within the last 7 days, plus one expired).
fn initial_searches(accounts: &mut [IgAccount], now: DateTime<Utc>) {
    let tag = |n: &str| hashtag_id_for(n);
    accounts[0].recent_searches = vec![
        (tag("coffee"), now - Duration::hours(20)),
        (tag("latteart"), now - Duration::days(2)),
        (tag("espresso"), now - Duration::days(4)),
        (tag("sunset"), now - Duration::days(9)),
    ];
    accounts[1].recent_searches = vec![(tag("travel"), now - Duration::days(3))];
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::sim::data::pacific_midnight;

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
    fn the_media_count_per_own_account_can_be_chosen() {
        let d = Dataset::generate_with(42, now(), Some(1000));
        assert!(d.accounts.iter().take(2).all(|a| a.media.len() == 1000));
        assert!(d.accounts.iter().take(2).all(|a| a.media_count == 1000));
        let default = Dataset::generate(42, now());
        assert_eq!(default.accounts[0].media.len(), 250);
        assert_eq!(default.accounts[1].media.len(), 320);
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
}
