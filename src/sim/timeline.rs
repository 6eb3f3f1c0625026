//! The timeline: everything the data set ever shows, generated once (`generate.rs`: what exists at the
//! start clock, and each later post or story drawn on demand from its own stream), and the data set at a
//! clock taken from it ([`Timeline::view`], [`Dataset::at`]). The rules of what a clock shows are in
//! the docs of [`data`](super::data).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::data::{Dataset, FbUser, Hashtag, IgAccount, Media, Page, engagement_share};

/// Whose posts after the start clock: an own account or a business-discovery account (their index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Own(usize),
    Discovery(usize),
}

impl Slot {
    /// The number of its random stream and id range (own accounts' stories: [`Slot::story_code`]).
    pub fn code(self) -> u64 {
        match self {
            Slot::Own(a) => a as u64,
            Slot::Discovery(d) => 100 + d as u64,
        }
    }

    /// The stream of the stories of own account `a`.
    pub fn story_code(a: usize) -> u64 {
        200 + a as u64
    }
}

/// Everything generated from the seed: the pages, the accounts with what they had posted by the start
/// clock (with final counts), the hashtags. Read-only.
#[derive(Debug)]
pub(crate) struct Timeline {
    pub seed: u64,
    /// The start clock (whole seconds).
    pub start: DateTime<Utc>,
    pub user: FbUser,
    pub pages: Vec<Page>,
    /// Own accounts: their posts and live stories at the start.
    pub accounts: Vec<IgAccount>,
    pub hashtags: Vec<Hashtag>,
    pub discovery: Vec<IgAccount>,
}

/// The earliest time after `clock` something changes (starts at the next full hour).
struct Until(DateTime<Utc>);

impl Until {
    fn after(clock: DateTime<Utc>) -> Self {
        let hour = clock.duration_trunc(Duration::hours(1)).unwrap_or(clock);
        Until(hour + Duration::hours(1))
    }

    /// Something changes at `t` (ignored unless it is after `clock`).
    fn note(&mut self, t: DateTime<Utc>, clock: DateTime<Utc>) {
        if t > clock && t < self.0 {
            self.0 = t;
        }
    }
}

impl Timeline {
    /// The data set at `clock`, and the time until which it stays the same (exclusive: the next post,
    /// comment or story to appear, the next story to expire, or the next full hour).
    pub fn view(self: &Arc<Self>, clock: DateTime<Utc>) -> (Dataset, DateTime<Utc>) {
        let mut until = Until::after(clock);
        let accounts = (0..self.accounts.len())
            .map(|a| self.account_at(Slot::Own(a), clock, &mut until))
            .collect();
        let discovery = (0..self.discovery.len())
            .map(|d| self.account_at(Slot::Discovery(d), clock, &mut until))
            .collect();
        let mut ds = Dataset {
            seed: self.seed,
            now: clock,
            start: self.start,
            user: self.user.clone(),
            pages: self.pages.clone(),
            accounts,
            hashtags: self.hashtags.clone(),
            discovery,
            index: HashMap::new(),
            timeline: self.clone(),
        };
        ds.build_index();
        (ds, until.0)
    }

    /// The account of `slot` at `clock`: its posts (those after the start first, newest first), its
    /// live stories.
    fn account_at(&self, slot: Slot, clock: DateTime<Utc>, until: &mut Until) -> IgAccount {
        let acc = self.account_of(slot);
        let own = matches!(slot, Slot::Own(_));
        let mut media = Vec::new();
        for j in 0.. {
            let ts = self.post_time(slot, j);
            if ts > clock {
                until.note(ts, clock);
                break;
            }
            media.push(self.post(slot, j));
        }
        media.reverse();
        media.reserve(acc.media.len());
        for m in &acc.media {
            if m.timestamp <= clock {
                media.push(m.clone());
            } else {
                until.note(m.timestamp, clock);
            }
        }
        for m in &mut media {
            settle(m, own, clock, until);
        }
        let stories = match slot {
            Slot::Own(a) => self.stories_at(a, clock, until),
            Slot::Discovery(_) => Vec::new(),
        };
        IgAccount {
            id: acc.id.clone(),
            ig_id: acc.ig_id,
            username: acc.username.clone(),
            name: acc.name.clone(),
            biography: acc.biography.clone(),
            website: acc.website.clone(),
            profile_picture_url: acc.profile_picture_url.clone(),
            followers_count: acc.followers_count,
            follows_count: acc.follows_count,
            media_count: media.len() as u64,
            page_id: acc.page_id.clone(),
            media,
            stories,
            conversion_time: acc.conversion_time,
            recent_searches: acc.recent_searches.clone(),
            views_only_on_reels: acc.views_only_on_reels,
        }
    }

    /// The stories of own account `a` posted in the 24 hours up to `clock`, newest first.
    fn stories_at(&self, a: usize, clock: DateTime<Utc>, until: &mut Until) -> Vec<Media> {
        let live = |s: &Media, until: &mut Until| {
            if s.timestamp > clock {
                until.note(s.timestamp, clock);
                false
            } else {
                until.note(s.timestamp + Duration::hours(24), clock);
                s.timestamp > clock - Duration::hours(24)
            }
        };
        let mut stories: Vec<Media> = self.accounts[a]
            .stories
            .iter()
            .filter(|s| live(s, until))
            .cloned()
            .collect();
        // story j is posted before start + 1 h + (j + 1) steps: those before `gone` have expired
        let step = self.story_step(a);
        let gone = (clock - self.start - Duration::hours(25)).num_seconds() / step - 1;
        for j in gone.max(0) as u64.. {
            if self.story_time(a, j) > clock {
                until.note(self.story_time(a, j), clock);
                break;
            }
            let s = self.story(a, j);
            if live(&s, until) {
                stories.push(s);
            }
        }
        stories.sort_by_key(|s| std::cmp::Reverse(s.timestamp));
        stories
    }
}

/// A media as it is at `clock`: the comments and replies made by then (on posts after the start they
/// come over the 72 hours after the post), its counts at their share of the
/// final value ([`engagement_share`]).
fn settle(m: &mut Media, own: bool, clock: DateTime<Utc>, until: &mut Until) {
    let share = engagement_share(m.timestamp, clock);
    m.like_count = m.like_count.map(|n| n * share / 1000);
    m.comments.retain(|c| {
        until.note(c.timestamp, clock);
        c.timestamp <= clock
    });
    for c in &mut m.comments {
        c.replies.retain(|r| {
            until.note(r.timestamp, clock);
            r.timestamp <= clock
        });
    }
    m.comments_count = if own {
        m.comments_count.map(|_| m.stored_comment_total())
    } else {
        m.comments_count.map(|n| n * share / 1000)
    };
}

impl Dataset {
    /// The data set at another `clock` (from the same timeline; meaningful from the start clock on).
    /// What exists at a clock is the same at any later one, but for the counts and values that grow
    /// while a media or a day is recent (see the [module docs](super::data)).
    pub fn at(&self, clock: DateTime<Utc>) -> Dataset {
        self.timeline.view(clock).0
    }
}
